"""Mode statistics (VEEGAN / PacGAN protocol) on distributions with known answers."""

import math
import types

import jax
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import chi2

import gamedyn as gd


def ring(k=8, radius=1.0, std=0.01):
    angles = 2 * np.pi * np.arange(k) / k
    return types.SimpleNamespace(
        centers=radius * np.c_[np.cos(angles), np.sin(angles)], weights=np.full(k, 1.0 / k), std=std
    )


def grid(n=5, spacing=2.0, std=0.05):
    axis = spacing * (np.arange(n) - (n - 1) / 2)
    centers = np.array([(a, b) for a in axis for b in axis])
    return types.SimpleNamespace(centers=centers, weights=np.full(n * n, 1.0 / n**2), std=std)


def sample(mixture, n, seed, modes=None):
    """Exact samples of the mixture (or of the sub-mixture on ``modes``), drawn with numpy."""
    rng = np.random.default_rng(seed)
    weights = np.asarray(mixture.weights, float)
    if modes is not None:
        keep = np.zeros_like(weights)
        keep[modes] = weights[modes]
        weights = keep / keep.sum()
    labels = rng.choice(len(weights), size=n, p=weights)
    std = np.broadcast_to(mixture.std, weights.shape)[labels]
    return mixture.centers[labels] + std[:, None] * rng.normal(size=(n, mixture.centers.shape[1])), labels


@pytest.mark.parametrize("mixture", [ring(), grid()], ids=["ring8", "grid25"])
def test_samples_of_the_mixture_capture_every_mode_at_the_ideal_quality(mixture):
    n = 20_000
    x, _ = sample(mixture, n, seed=1)
    stats = gd.metrics.mode_stats(x, mixture)
    k = len(mixture.weights)
    assert int(stats.modes) == k
    assert stats.captured.all() and stats.n_modes == k
    # |x - c| / std is Rayleigh in 2-D: P(r <= 3) = 1 - exp(-9/2). The modes are >= 15 std
    # apart, so nearest-centre assignment never moves a sample within 3 std. Tolerance: 5
    # binomial standard deviations sqrt(p (1 - p) / n).
    p = 1 - math.exp(-4.5)
    assert abs(float(stats.high_quality) - p) < 5 * math.sqrt(p * (1 - p) / n)
    np.testing.assert_allclose(gd.metrics.ideal_high_quality(3.0, 2), p, rtol=1e-14)
    # Multinomial counts of the true weights: 2 n KL is asymptotically chi^2 with K - 1
    # degrees of freedom (the G-test); bound it by the 99.9 % quantile.
    n_good = int(stats.counts.sum())
    assert 0 < float(stats.kl) < chi2.ppf(0.999, k - 1) / (2 * n_good)


def test_samples_from_a_subset_of_modes_give_exact_counts_and_kl():
    mixture = ring()
    rng = np.random.default_rng(0)
    chosen = {0: 10, 3: 20, 6: 30}  # mode -> number of samples, each within 2 std
    x = np.concatenate(
        [mixture.centers[m] + 0.01 * rng.uniform(-1.4, 1.4, size=(c, 2)) for m, c in chosen.items()]
    )
    x = np.concatenate([x, [[0.0, 0.0], [3.0, 3.0]]])  # two samples far from every centre
    stats = gd.metrics.mode_stats(x, mixture)
    assert int(stats.modes) == 3
    assert stats.counts.tolist() == [10, 0, 0, 20, 0, 0, 30, 0]
    assert stats.captured.tolist() == [True, False, False, True, False, False, True, False]
    np.testing.assert_allclose(stats.high_quality, 60 / 62, rtol=1e-15)
    # KL(h || w) = sum h log(8 h) with h = (1/6, 2/6, 3/6), written out.
    expected = sum(h * math.log(8 * h) for h in (1 / 6, 2 / 6, 3 / 6))
    np.testing.assert_allclose(stats.kl, expected, rtol=1e-13)
    assert stats.nearest[:60].tolist() == [0] * 10 + [3] * 20 + [6] * 30
    assert not bool(stats.is_high_quality[60]) and not bool(stats.is_high_quality[61])


def test_one_mode_of_a_ring_matches_veegan_s_plain_gan_picture():
    # A generator collapsed on one mode: 1 mode, KL(delta_0 || uniform 8) = log 8.
    x, _ = sample(ring(), 2500, seed=3, modes=[5])
    stats = gd.metrics.mode_stats(x, ring())
    assert int(stats.modes) == 1
    np.testing.assert_allclose(stats.kl, math.log(8), rtol=1e-14)


def test_min_count_and_per_component_std():
    mixture = types.SimpleNamespace(
        centers=np.array([[0.0, 0.0], [10.0, 0.0]]), weights=np.array([0.5, 0.5]), std=np.array([0.1, 1.0])
    )
    # 0.5 away: 5 std of mode 0 (not high quality), 0.5 std of mode 1 (high quality).
    x = np.array([[0.5, 0.0], [10.5, 0.0], [10.0, 0.5], [0.05, 0.0]])
    stats = gd.metrics.mode_stats(x, mixture)
    assert stats.is_high_quality.tolist() == [False, True, True, True]
    assert stats.counts.tolist() == [1, 2]
    assert int(gd.metrics.mode_stats(x, mixture, min_count=2).modes) == 1
    assert int(gd.metrics.mode_stats(x, mixture, n_std=6).counts[0]) == 2


def test_no_high_quality_sample_is_a_result_with_infinite_kl():
    stats = gd.metrics.mode_stats(np.full((5, 2), 7.0), ring())
    assert int(stats.modes) == 0 and float(stats.high_quality) == 0.0
    assert float(stats.kl) == math.inf


def test_non_finite_samples_of_a_diverged_generator_are_never_high_quality():
    x, _ = sample(ring(), 100, seed=2)
    x[:10] = np.nan
    x[10:20, 0] = np.inf
    stats = gd.metrics.mode_stats(x, ring())
    assert not stats.is_high_quality[:20].any()
    reference = gd.metrics.mode_stats(x[20:], ring())
    assert stats.counts.tolist() == reference.counts.tolist()
    np.testing.assert_allclose(stats.kl, reference.kl, rtol=1e-14)


def test_leading_axes_are_batch_axes_and_jit_works():
    mixture = grid()
    xs = np.stack([np.stack([sample(mixture, 64, seed=10 * s + t)[0] for t in range(3)]) for s in range(2)])
    batched = gd.metrics.mode_stats(xs, mixture)
    assert batched.modes.shape == (2, 3) and batched.counts.shape == (2, 3, 25)
    for s in range(2):
        for t in range(3):
            one = gd.metrics.mode_stats(xs[s, t], mixture)
            assert batched.counts[s, t].tolist() == one.counts.tolist()
            np.testing.assert_allclose(batched.kl[s, t], one.kl, rtol=1e-14)
    jitted = jax.jit(lambda x: gd.metrics.mode_stats(x, mixture).modes)(xs)
    assert jitted.tolist() == batched.modes.tolist()


def test_memory_bounded_chunks_agree_with_one_vmapped_call(monkeypatch):
    from gamedyn.metrics import _modes

    mixture = ring()
    xs = np.stack([sample(mixture, 50, seed=s)[0] for s in range(5)])
    whole = gd.metrics.mode_stats(xs, mixture)
    monkeypatch.setattr(_modes, "_CHUNK_ELEMENTS", 50 * 8 * 2 * 2)  # two items per chunk
    _modes._mode_stats_batched.clear_cache()
    chunked = gd.metrics.mode_stats(xs, mixture)
    _modes._mode_stats_batched.clear_cache()
    assert chunked.counts.tolist() == whole.counts.tolist()


def reference_stats(x, centers, std, weights, n_std):
    """Plain numpy, one sample at a time: an independent reading of VEEGAN's rule."""
    counts = np.zeros(len(centers), int)
    good = 0
    for point in x:
        dist = np.sqrt(((centers - point) ** 2).sum(axis=1))
        j = int(np.argmin(dist))
        if dist[j] <= n_std * std[j]:
            counts[j] += 1
            good += 1
    h = counts / max(counts.sum(), 1)
    kl = sum(hi * math.log(hi / wi) for hi, wi in zip(h, weights) if hi > 0) if good else math.inf
    return counts, good / len(x), kl


@given(
    seed=st.integers(0, 2**31 - 1),
    # Few shapes (each one is a JAX compilation); 20 takes the |x|^2 - 2 x.c + |c|^2 path.
    k=st.sampled_from([1, 5]),
    dim=st.sampled_from([2, 20]),
    n_std=st.floats(0.5, 4.0),
)
def test_matches_an_independent_numpy_reading_of_the_protocol(seed, k, dim, n_std):
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=3.0, size=(k, dim))
    std = rng.uniform(0.2, 1.0, size=k)
    weights = rng.dirichlet(np.ones(k))
    x = centers[rng.integers(0, k, size=40)] + rng.normal(size=(40, dim)) * 1.5
    mixture = types.SimpleNamespace(centers=centers, weights=weights, std=std)
    stats = gd.metrics.mode_stats(x, mixture, n_std=n_std)
    counts, quality, kl = reference_stats(x, centers, std, weights, n_std)
    assert stats.counts.tolist() == counts.tolist()
    assert int(stats.modes) == int((counts > 0).sum())
    np.testing.assert_allclose(stats.high_quality, quality, rtol=1e-14)
    # The KL is a sum of K terms of size <= log(1/w_min); 1e-12 is rounding, not modelling.
    # Near 0 (one mode: KL = 0 exactly) the two sums round to different multiples of 1e-16,
    # so an absolute 1e-14 (K <= 5 terms of a few eps each) is added to the relative bound.
    np.testing.assert_allclose(stats.kl, kl, rtol=1e-12, atol=1e-14)


def test_labels_give_the_same_statistics_as_the_nearest_centres():
    x, _ = sample(grid(), 500, seed=4, modes=list(range(0, 25, 3)))
    stats = gd.metrics.mode_stats(x, grid())
    again = gd.metrics.mode_stats_from_labels(stats.nearest, grid().weights, stats.is_high_quality)
    assert again.counts.tolist() == stats.counts.tolist()
    np.testing.assert_allclose(again.kl, stats.kl, rtol=1e-15)
    np.testing.assert_allclose(again.high_quality, stats.high_quality, rtol=1e-15)


def test_ideal_quality_in_one_dimension_is_the_normal_interval():
    np.testing.assert_allclose(gd.metrics.ideal_high_quality(2.0, dim=1), math.erf(2 / math.sqrt(2)), rtol=1e-14)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: gd.metrics.mode_stats(np.zeros((3, 2)), object()), "no centers, weights, std"),
        (lambda: gd.metrics.mode_stats(np.zeros((3, 3)), ring()), "expected (..., n, 2)"),
        (lambda: gd.metrics.mode_stats(np.zeros(2), ring()), "samples has shape (2,)"),
        (lambda: gd.metrics.mode_stats(np.zeros((3, 2)), ring(), n_std=0), "n_std=0 is not accepted"),
        (lambda: gd.metrics.mode_stats(np.zeros((3, 2)), ring(), min_count=0), "min_count=0"),
        (lambda: gd.metrics.mode_stats(np.zeros((3, 2)), ring(std=-1.0)), "mixture.std"),
        (
            lambda: gd.metrics.mode_stats(
                np.zeros((3, 2)), types.SimpleNamespace(centers=np.zeros((2, 2)), weights=[0.5, 0.6], std=1.0)
            ),
            "mixture.weights",
        ),
        (lambda: gd.metrics.mode_stats_from_labels([0, 3], [0.5, 0.5]), "labels range over [0, 3]"),
        (lambda: gd.metrics.mode_stats_from_labels([0.0, 1.0], [0.5, 0.5]), "expected integer labels"),
        (lambda: gd.metrics.mode_stats_from_labels([0, 1], [0.5, 0.5], [True]), "high_quality has shape"),
    ],
)
def test_bad_input_is_named(call, message):
    with pytest.raises(ValueError, match=None) as info:
        call()
    assert message in str(info.value)
