"""Oscillation measures for training histories (numpy).

* :func:`dominant_oscillation`: period, amplitude and strength of the dominant oscillation of
  a scalar series — ``D(real) - D(fake)``, a mode's occupancy, a parameter — as GAN dynamics
  with rotational Jacobian eigenvalues produce (Mescheder et al. 2017, 2018). The frequency
  is located on a zero-padded, Hann-windowed periodogram and refined by least squares: the
  series is fitted by ``c0 + c1 t + a cos(2 pi f t) + b sin(2 pi f t)`` (Hann-weighted) and
  ``f`` minimises the residual (the Lomb-Scargle idea with a trend), so the period is not
  limited to the FFT's frequency grid and the amplitude ``sqrt(a^2 + b^2)`` is exact for a
  sinusoid plus a line.
* :func:`mode_hopping`: the generator moving from mode to mode while holding only a few at a
  time — the set of captured modes changes (some are dropped) while their number stays low
  (Metz et al. 2017 describe this cycling of a collapsed generator on the 2-D ring).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from .._checks import _describe, check_choice, check_int, check_positive

__all__ = ["Oscillation", "dominant_oscillation", "ModeHopping", "mode_hopping"]

# Fewer finite points than this carry no usable frequency information.
MIN_POINTS = 8
# Golden-section steps: the bracket (a quarter of the periodogram's main lobe) shrinks by
# 0.618^60 ~ 3e-13, below any meaningful frequency resolution.
_GOLDEN_STEPS = 60
_PAD = 8  # zero-padding factor of the coarse periodogram


class Oscillation(NamedTuple):
    """Result of :func:`dominant_oscillation` (arrays over the batch axes of the input).

    Attributes
    ----------
    period : period of the dominant oscillation, in units of ``dt`` (``inf`` if there is
        none: a constant or purely linear series, or too few finite points).
    amplitude : amplitude of the fitted sinusoid (half its peak-to-peak swing).
    frequency : ``1 / period`` (cycles per unit of ``dt``; 0 if none).
    strength : fraction of the detrended variance the sinusoid explains, in ``[0, 1]``: near
        1 a clean oscillation, near 0 noise.
    n_used : points analysed (the finite prefix: a diverged run's NaN tail is left out).

    >>> import numpy as np, gamedyn as gd
    >>> t = np.arange(100.0)
    >>> series = np.stack([np.cos(2 * np.pi * t / 10),                          # period 10
    ...                    np.where(t < 60, np.sin(2 * np.pi * t / 12), np.nan)])  # diverged at 60
    >>> osc = gd.metrics.dominant_oscillation(series)
    >>> osc.period.round(6).tolist(), osc.amplitude.round(6).tolist(), osc.n_used.tolist()
    ([10.0, 12.0], [1.0, 1.0], [100, 60])
    >>> flat = gd.metrics.dominant_oscillation(np.ones(100))   # nothing oscillates
    >>> float(flat.period), float(flat.frequency), float(flat.strength)
    (inf, 0.0, 0.0)
    """

    period: Any
    amplitude: Any
    frequency: Any
    strength: Any
    n_used: Any


def _design(t, freq, detrend):
    """Columns ``[1, (t), cos 2 pi f t, sin 2 pi f t]`` for a batch of frequencies."""
    phase = 2.0 * np.pi * freq[..., None] * t
    cols = [np.ones_like(phase)]
    if detrend == "linear":
        cols.append(np.broadcast_to(t / max(t[-1], 1.0), phase.shape))
    cols += [np.cos(phase), np.sin(phase)]
    return np.stack(cols, axis=-1)  # (..., T, p)


def _weighted_fit(design, y, weights):
    """Weighted least squares per batch item: the coefficients and ``sum_t w_t r_t^2``."""
    w_design = design * weights[..., None]
    gram = np.einsum("...tp,...tq->...pq", w_design, design)
    rhs = np.einsum("...tp,...t->...p", w_design, y)
    # A tiny ridge keeps the solve defined at the Nyquist frequency, where sin(pi t) = 0.
    p = gram.shape[-1]
    ridge = 1e-13 * np.trace(gram, axis1=-2, axis2=-1)[..., None, None] / p * np.eye(p)
    coef = np.linalg.solve(gram + ridge, rhs[..., None])[..., 0]
    resid = y - np.einsum("...tp,...p->...t", design, coef)
    return coef, np.sum(weights * resid * resid, axis=-1)


def dominant_oscillation(series, *, dt=1.0, detrend="linear", min_cycles=2.0) -> Oscillation:
    """Period, amplitude and strength of the dominant oscillation of ``series`` ``(..., T)``
    (leading axes are batch axes, e.g. seeds).

    ``detrend``: ``"linear"`` (remove a fitted line, default) or ``"mean"``. Only periods
    that fit ``min_cycles`` times into the series are searched, and near the shortest
    period, 2 samples, only those whose beat with it does (``f <= 1/2 - min_cycles / T``
    in cycles per sample, or exactly 1/2): closer to it the samples do not determine the
    sinusoid's phase or amplitude. Non-finite values end a series (a diverged run is
    analysed up to its failure).

    >>> import numpy as np, gamedyn as gd
    >>> t = np.arange(400)
    >>> osc = gd.metrics.dominant_oscillation(0.3 + 2.0 * np.sin(2 * np.pi * t / 37.5) + 0.001 * t)
    >>> round(float(osc.period), 6), round(float(osc.amplitude), 6), round(float(osc.strength), 6)
    (37.5, 2.0, 1.0)
    """
    check_choice("detrend", detrend, ("linear", "mean"))
    check_positive("dt", dt)
    check_positive("min_cycles", min_cycles)
    try:
        y = np.asarray(series, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"series={_describe(series)} is not accepted; expected a real array (..., T)") from None
    if y.ndim == 0 or y.shape[-1] == 0:
        raise ValueError(f"series has shape {y.shape}; expected (..., T) with T >= 1")
    batch_shape, n_points = y.shape[:-1], y.shape[-1]
    y = y.reshape(-1, n_points)
    finite = np.isfinite(y)
    n_used = np.where(finite.all(axis=1), n_points, np.argmin(finite, axis=1))
    t = np.arange(n_points, dtype=np.float64)
    mask = (t[None, :] < n_used[:, None]).astype(np.float64)
    y = np.where(mask > 0, y, 0.0)
    usable = n_used >= MIN_POINTS

    # Every fit is weighted by a Hann window over the finite prefix: its sidelobes fall as
    # N^-3, so neither a trend nor other harmonics pull the frequency estimate, and a
    # whole-cycle sinusoid is still fitted exactly.
    length = np.maximum(n_used, 2).astype(np.float64)
    window = np.where(mask > 0, 0.5 - 0.5 * np.cos(2 * np.pi * (t[None, :] + 0.5) / length[:, None]), 0.0)

    # Trend and the (weighted) variance left after it.
    trend_design = _design(t, np.zeros(len(y)), detrend)[..., :-2]
    trend_coef, tss = _weighted_fit(trend_design, y, window)
    residual = (y - np.einsum("btp,bp->bt", trend_design, trend_coef)) * mask
    scale = np.sqrt(np.sum(window * y * y, axis=1) / np.maximum(np.sum(window, axis=1), 1e-300))
    # Rounding leaves ~(1e-16 scale)^2 of "variance" in a constant or linear series; an
    # oscillation below 1e-9 of the series' scale is taken for none.
    usable &= tss > (1e-9 * scale) ** 2 * np.sum(window, axis=1)

    peak, lowest, highest, found = _periodogram_peak(residual * window, n_points, length, min_cycles)
    usable &= found
    low, high = _golden_section(peak, lowest, highest, length,
                                lambda freq: _weighted_fit(_design(t, freq, detrend), y, window)[1])
    freq = 0.5 * (low + high)
    coef, best = _weighted_fit(_design(t, freq, detrend), y, window)
    amplitude = np.hypot(coef[:, -2], coef[:, -1])
    strength = np.clip(1.0 - best / np.where(tss > 0, tss, 1.0), 0.0, 1.0)

    freq = np.where(usable, freq / dt, 0.0)
    result = Oscillation(
        period=np.where(usable, 1.0 / np.where(usable, freq, 1.0), np.inf),
        amplitude=np.where(usable, amplitude, 0.0),
        frequency=freq,
        strength=np.where(usable, strength, 0.0),
        n_used=n_used,
    )
    return Oscillation(*(np.reshape(a, batch_shape) for a in result))


def _periodogram_peak(weighted, n_points, length, min_cycles):
    """Coarse search: the highest local maximum of the windowed, zero-padded periodogram
    within the band (a local maximum, so that the flank of a slower component leaking across
    the band's lower edge is not taken for a peak). ``(peak, lowest, highest, found)``."""
    n_fft = _PAD * int(2 ** np.ceil(np.log2(max(n_points, 2))))
    power = np.abs(np.fft.rfft(weighted, n=n_fft, axis=1)) ** 2
    freqs = np.fft.rfftfreq(n_fft)
    local_max = np.zeros_like(power, dtype=bool)
    local_max[:, 1:-1] = (power[:, 1:-1] >= power[:, :-2]) & (power[:, 1:-1] >= power[:, 2:])
    local_max[:, -1] = power[:, -1] >= power[:, -2]
    # Near the Nyquist frequency the sampled sine column vanishes (sin(pi t) = 0), so the
    # sinusoid's phase, and with it the amplitude sqrt(a^2 + b^2), is not determined by the
    # samples: a noise series could be fitted at f = 0.4999 with an amplitude hundreds of
    # times its range. Sampled at integers, f = 0.5 - e is an alternation (-1)^t modulated
    # at frequency e, so e must fit min_cycles times into the series, as f must at the low
    # end; f = 0.5 itself (pure alternation, amplitude |a|) stays allowed.
    lowest, highest = min_cycles / length, 0.5 - min_cycles / length
    in_band = (freqs[None, :] >= lowest[:, None]) & (freqs[None, :] <= highest[:, None])
    allowed = local_max & (in_band | (freqs[None, :] == 0.5))
    peak = freqs[np.argmax(np.where(allowed, power, -1.0), axis=1)]
    return peak, lowest, highest, allowed.any(axis=1)


def _golden_section(peak, lowest, highest, length, rss):
    """Refinement: golden-section search on the least-squares residual ``rss(freq)``, within
    a quarter of the Hann main lobe (half-width 2 / N) around the peak, where it is unimodal
    (none at the Nyquist frequency: the bracket is that point). The final bracket."""
    half = 0.5 / length
    nyquist = peak == 0.5
    low = np.where(nyquist, 0.5, np.clip(peak - half, lowest, np.maximum(highest, lowest)))
    high = np.where(nyquist, 0.5, np.clip(peak + half, lowest, np.maximum(highest, lowest)))
    ratio = (np.sqrt(5.0) - 1.0) / 2.0
    c = high - ratio * (high - low)
    d = low + ratio * (high - low)
    rss_c, rss_d = rss(c), rss(d)
    for _ in range(_GOLDEN_STEPS):
        left = rss_c < rss_d  # the minimum lies in [low, d]: drop (d, high]
        high = np.where(left, d, high)
        low = np.where(left, low, c)
        # The surviving interior point is reused; one new fit per step.
        kept, kept_rss = np.where(left, c, d), np.where(left, rss_c, rss_d)
        new = np.where(left, high - ratio * (high - low), low + ratio * (high - low))
        new_rss = rss(new)
        c, rss_c = np.where(left, new, kept), np.where(left, new_rss, kept_rss)
        d, rss_d = np.where(left, kept, new), np.where(left, kept_rss, new_rss)
    return low, high


class ModeHopping(NamedTuple):
    """Result of :func:`mode_hopping` (arrays over the batch axes of the input).

    Attributes
    ----------
    hops : ``(..., T - 1)`` whether the generator hopped between snapshots ``t - 1`` and
        ``t``: it dropped a captured mode while holding at most ``max_modes`` before and
        after.
    n_hops : number of hops.
    visited : distinct modes held at some low snapshot (at most ``max_modes`` captured).
    max_held : the most modes held at once at a low snapshot.
    hopping : ``n_hops >= min_hops`` and ``visited > max_held`` — over time the generator
        visits more modes than it ever holds at once.
    counts : ``(..., T)`` modes captured at each snapshot.

    >>> import numpy as np, gamedyn as gd
    >>> growing = np.tril(np.ones((4, 8), bool))   # snapshot t holds modes 0..t
    >>> hop = gd.metrics.mode_hopping(growing)
    >>> hop.counts.tolist(), int(hop.n_hops), bool(hop.hopping)   # nothing dropped: no hop
    ([1, 2, 3, 4], 0, False)
    >>> int(hop.visited), int(hop.max_held)
    (4, 4)
    """

    hops: Any
    n_hops: Any
    visited: Any
    max_held: Any
    hopping: Any
    counts: Any


def mode_hopping(captured, *, max_modes=None, min_hops=2) -> ModeHopping:
    """Detect mode hopping in a history of captured-mode masks ``(..., T, K)`` (e.g.
    ``mode_stats(snapshots, mixture).captured`` with snapshots along axis ``-3``).

    ``max_modes``: a snapshot with at most this many captured modes is *low* (default
    ``K // 2``). Growth (modes added, none dropped) is never a hop.

    >>> import numpy as np, gamedyn as gd
    >>> held = [[0], [1], [1], [2], [3], [0]]               # one mode at a time, moving
    >>> history = np.zeros((6, 8), bool)
    >>> for t, modes in enumerate(held): history[t, modes] = True
    >>> hop = gd.metrics.mode_hopping(history)
    >>> hop.hops.tolist(), int(hop.visited), bool(hop.hopping)
    ([True, False, True, True, True], 4, True)
    """
    check_int("min_hops", min_hops)
    mask = np.asarray(captured)
    if mask.ndim < 2 or mask.shape[-1] == 0 or mask.shape[-2] == 0:
        raise ValueError(f"captured has shape {mask.shape}; expected (..., T, K) masks of captured modes")
    if mask.dtype != bool:
        if not np.all(np.isin(mask, (0, 1))):
            raise ValueError(f"captured={_describe(mask)} is not accepted; expected booleans (captured or not)")
        mask = mask.astype(bool)
    k = mask.shape[-1]
    if max_modes is None:
        max_modes = max(1, k // 2)
    check_int("max_modes", max_modes, minimum=0)
    counts = mask.sum(axis=-1)
    low = counts <= max_modes
    dropped = (mask[..., :-1, :] & ~mask[..., 1:, :]).any(axis=-1)
    hops = dropped & low[..., :-1] & low[..., 1:]
    visited = (mask & low[..., None]).any(axis=-2).sum(axis=-1)
    max_held = np.where(low, counts, 0).max(axis=-1)
    n_hops = hops.sum(axis=-1)
    return ModeHopping(
        hops=hops,
        n_hops=n_hops,
        visited=visited,
        max_held=max_held,
        hopping=(n_hops >= min_hops) & (visited > max_held),
        counts=counts,
    )
