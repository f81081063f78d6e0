"""Oscillation measures: known sinusoids, Fourier coefficients, and mode-hopping patterns."""

import math

import numpy as np
import pytest

import gamedyn as gd


def test_a_sinusoid_with_trend_is_recovered_to_rounding():
    t = np.arange(700)
    for period, amplitude, phase in [(37.3, 2.5, 0.4), (101.7, 0.01, 2.0), (2.6, 1.0, -1.0)]:
        y = 5.0 - 0.002 * t + amplitude * np.sin(2 * np.pi * t / period + phase)
        osc = gd.metrics.dominant_oscillation(y)
        # The least-squares refinement is exact for a noiseless sinusoid-plus-line; the
        # golden-section bracket ends below 1e-12 of the main lobe.
        np.testing.assert_allclose(osc.period, period, rtol=1e-8)
        np.testing.assert_allclose(osc.amplitude, amplitude, rtol=1e-7)
        np.testing.assert_allclose(osc.strength, 1.0, atol=1e-10)


def test_noisy_sinusoid_within_the_cramer_rao_spread():
    rng = np.random.default_rng(0)
    n, period, amplitude, sigma = 1000, 50.0, 1.0, 0.3
    t = np.arange(n)
    y = amplitude * np.cos(2 * np.pi * t / period) + sigma * rng.normal(size=n)
    osc = gd.metrics.dominant_oscillation(y)
    # Cramér-Rao: sd(f) = sqrt(6) sigma / (2 pi A N^{3/2}) (Rife & Boorstyn 1974), so
    # sd(period)/period = sd(f) * period ~ 2e-4; allow 10 of them. Amplitude: sd =
    # sigma sqrt(2/N) ~ 0.013; allow 5. Strength: (A^2/2) / (A^2/2 + sigma^2) = 0.847.
    sd_f = math.sqrt(6) * sigma / (2 * math.pi * amplitude * n**1.5)
    assert abs(osc.period - period) / period < 10 * sd_f * period
    assert abs(osc.amplitude - amplitude) < 5 * sigma * math.sqrt(2 / n)
    assert abs(osc.strength - 0.5 / (0.5 + sigma**2)) < 0.03


def test_a_square_wave_has_its_fundamental_and_the_dft_coefficient_as_amplitude():
    period, cycles = 40, 20
    t = np.arange(period * cycles)
    y = np.where((t % period) < period // 2, 1.0, -1.0)
    osc = gd.metrics.dominant_oscillation(y, detrend="mean")
    # The odd harmonics (1/3, 1/5, ... of the fundamental) leak into the fit through the
    # Hann window's sidelobes, which fall as 1/(N df)^3 ~ 1e-5 here, and pull the optimum
    # by far less than that in relative frequency.
    np.testing.assert_allclose(osc.period, period, rtol=1e-5)
    # A whole number of cycles: at the exact frequency the fitted sinusoid is the DFT
    # coefficient of that bin, 2 |Y_k| / N (close to the continuous square wave's 4/pi);
    # the residual is flat at its minimum, so the small frequency offset enters squared.
    coefficient = 2 * abs(np.fft.rfft(y)[cycles]) / len(y)
    np.testing.assert_allclose(osc.amplitude, coefficient, rtol=1e-8)
    assert abs(coefficient - 4 / np.pi) < 0.01


def test_an_alternating_series_has_period_two_and_its_amplitude():
    t = np.arange(200.0)
    osc = gd.metrics.dominant_oscillation(3.0 + 0.01 * t + 0.7 * (-1.0) ** t, dt=5)
    # 1e-12: a noiseless fit at exactly the Nyquist frequency, where the design is cos = (-1)^t.
    np.testing.assert_allclose([osc.period, osc.amplitude, osc.strength], [10.0, 0.7, 1.0], rtol=1e-12)


def test_noise_never_gets_an_amplitude_beyond_its_range():
    # White noise of 120 points, as a bridge run's 600 steps logged every 5 give. Before the
    # band excluded the neighbourhood of the Nyquist frequency, 3 of these 500 series were
    # fitted within 1e-6 of it with amplitudes up to 675 times half their range.
    y = np.random.default_rng(0).normal(size=(500, 120))
    osc = gd.metrics.dominant_oscillation(y)
    assert np.all(osc.amplitude <= np.ptp(y, axis=1) / 2)
    assert np.all((osc.frequency <= 0.5 - 2 / 120 + 1e-12) | (osc.frequency == 0.5))


def test_a_period_just_above_two_samples_is_still_recovered():
    t = np.arange(400)
    y = 1.3 * np.cos(2 * np.pi * t / 2.2 + 0.3)  # f = 0.4545, inside the band (<= 0.495)
    osc = gd.metrics.dominant_oscillation(y)
    np.testing.assert_allclose([osc.period, osc.amplitude], [2.2, 1.3], rtol=1e-7)  # as above


def test_batches_units_and_a_nan_tail():
    t = np.arange(500)
    y = np.stack([np.sin(2 * np.pi * t / p) for p in (20.0, 33.0, 70.0)])
    y[2, 300:] = np.nan  # a run that diverged at step 300
    osc = gd.metrics.dominant_oscillation(y, dt=0.5)
    np.testing.assert_allclose(osc.period, [10.0, 16.5, 35.0], rtol=1e-7)
    assert osc.n_used.tolist() == [500, 500, 300]


def test_no_oscillation_is_an_infinite_period_not_a_crash():
    cases = np.stack([np.full(100, 3.0), 0.5 * np.arange(100.0), np.r_[np.arange(5.0), np.full(95, np.nan)]])
    osc = gd.metrics.dominant_oscillation(cases)
    assert np.all(np.isinf(osc.period))
    assert osc.amplitude.tolist() == [0.0, 0.0, 0.0] and osc.strength.tolist() == [0.0, 0.0, 0.0]


def test_periods_longer_than_half_the_series_are_not_searched():
    t = np.arange(100)
    osc = gd.metrics.dominant_oscillation(np.sin(2 * np.pi * t / 80) + 0.3 * np.sin(2 * np.pi * t / 10))
    np.testing.assert_allclose(osc.period, 10.0, rtol=1e-3)


def history(*held, k=8):
    mask = np.zeros((len(held), k), bool)
    for t, modes in enumerate(held):
        mask[t, list(modes)] = True
    return mask


def test_mode_hopping_patterns():
    hop = gd.metrics.mode_hopping(history({0}, {1}, {2}, {0}))
    assert hop.hops.tolist() == [True, True, True] and bool(hop.hopping)
    assert int(hop.visited) == 3 and int(hop.max_held) == 1
    # Growth is learning, not hopping.
    grow = gd.metrics.mode_hopping(history({0}, {0, 1}, {0, 1, 2}, set(range(8))))
    assert not grow.hops.any() and not bool(grow.hopping)
    # A stable partial collapse does not hop.
    assert not bool(gd.metrics.mode_hopping(history({2, 5}, {2, 5}, {2, 5})).hopping)
    # Flicker of one mode while nearly every mode is held is not "low": no hop.
    flicker = gd.metrics.mode_hopping(history(set(range(8)), set(range(7)), set(range(8)), set(range(1, 8))))
    assert not flicker.hops.any()
    # Two modes hopping in pairs, and batch axes.
    both = np.stack([history({0, 1}, {2, 3}, {4, 5}, {6, 7}), history({0}, {0}, {0}, {0})])
    out = gd.metrics.mode_hopping(both)
    assert out.hopping.tolist() == [True, False] and out.n_hops.tolist() == [3, 0]
    assert out.counts.tolist() == [[2, 2, 2, 2], [1, 1, 1, 1]]


def test_mode_hopping_from_mode_stats_snapshots():
    # The intended pipeline: samples per snapshot -> mode_stats(...).captured -> mode_hopping.
    import types

    angles = 2 * np.pi * np.arange(8) / 8
    ring = types.SimpleNamespace(centers=np.c_[np.cos(angles), np.sin(angles)], weights=np.full(8, 1 / 8), std=0.02)
    snapshots = np.stack([np.repeat(ring.centers[[t % 8]], 16, axis=0) for t in range(6)])
    captured = gd.metrics.mode_stats(snapshots, ring).captured
    assert bool(gd.metrics.mode_hopping(np.asarray(captured)).hopping)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: gd.metrics.dominant_oscillation(np.zeros(10), detrend="cubic"), "detrend='cubic'"),
        (lambda: gd.metrics.dominant_oscillation(np.zeros(10), dt=0), "dt=0 is not accepted"),
        (lambda: gd.metrics.dominant_oscillation(3.0), "series has shape ()"),
        (lambda: gd.metrics.mode_hopping(np.zeros(5, bool)), "captured has shape (5,)"),
        (lambda: gd.metrics.mode_hopping(np.full((3, 4), 2)), "expected booleans"),
        (lambda: gd.metrics.mode_hopping(np.zeros((3, 4), bool), min_hops=0), "min_hops=0"),
    ],
)
def test_bad_input_is_named(call, message):
    with pytest.raises(ValueError) as info:
        call()
    assert message in str(info.value)
