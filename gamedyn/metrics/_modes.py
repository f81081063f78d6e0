"""Mode statistics of samples from a Gaussian mixture: the VEEGAN / PacGAN protocol.

The protocol (Srivastava et al. 2017, "VEEGAN", Sec. 5.1; reused by Lin et al. 2018,
"PacGAN", Sec. 5.1 and their released evaluation code):

* each sample belongs to its nearest mixture centre (Euclidean distance);
* a sample is **high quality** if it lies within ``n_std`` standard deviations of that
  centre (``n_std = 3`` for the 2-D ring and grid; VEEGAN uses 10 for its 1200-D mixture);
* a mode is **captured** if it is the nearest centre of at least one high-quality sample —
  VEEGAN's words: "the number of mixture components whose mean is nearest to at least one
  high quality sample". ``min_count`` raises that threshold for stricter counts;
* the **KL** is ``KL(h || w)`` between the histogram ``h`` of the high-quality samples over
  the modes and the mixture weights ``w`` (PacGAN's "reverse KL"); it is ``inf`` when a mode
  of zero weight is hit, and, by convention, when no sample is of high quality.

The mixture is duck-typed: any object with ``centers`` ``(K, d)``, ``weights`` ``(K,)``
summing to 1, and ``std`` (a scalar, or ``(K,)`` per component) — e.g.
``gd.games.GaussianMixture``. Everything is ``jax.numpy``: it runs under ``jit`` and over
leading batch axes (seeds, snapshots) in one call.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .._checks import _describe, check_int, check_positive, is_traced
from ..divergences import kl_terms

__all__ = ["ModeStats", "mode_stats", "mode_stats_from_labels", "ideal_high_quality"]

# Above this dimension the squared distances come from |x|^2 - 2 x.c + |c|^2 (memory n*K
# instead of n*K*d); below it from explicit differences, which are exact to rounding.
_DIRECT_MAX_DIM = 16
# Elements of the largest intermediate array per chunk of a batch (2^24 doubles = 128 MiB).
_CHUNK_ELEMENTS = 2**24


class ModeStats(NamedTuple):
    """Result of :func:`mode_stats` (a pytree; leading axes are the batch axes of the input).

    Attributes
    ----------
    modes : number of modes captured (int).
    high_quality : fraction of samples within ``n_std`` standard deviations of their
        nearest centre.
    kl : ``KL(h || w)``, ``h`` the histogram of high-quality samples over the modes, ``w``
        the mixture weights (``inf`` if no sample is of high quality).
    counts : ``(..., K)`` high-quality samples per mode.
    captured : ``(..., K)`` whether each mode is captured (``counts >= min_count``).
    nearest : ``(..., n)`` index of each sample's nearest centre (its label).
    is_high_quality : ``(..., n)`` whether each sample is of high quality.

    >>> import gamedyn as gd
    >>> stats = gd.metrics.mode_stats_from_labels([0, 2, 2], [0.5, 0.25, 0.25])
    >>> stats.n_modes, stats.counts.tolist(), stats.captured.tolist()
    (3, [1, 0, 2], [True, False, True])
    >>> int(stats.modes)                                   # modes 0 and 2
    2
    """

    modes: Any
    high_quality: Any
    kl: Any
    counts: Any
    captured: Any
    nearest: Any
    is_high_quality: Any

    @property
    def n_modes(self) -> int:
        """``K``, the number of mixture components."""
        return self.counts.shape[-1]


def ideal_high_quality(n_std=3.0, dim=2):
    """High-quality fraction of exact samples of a mixture with well-separated isotropic
    components: ``P(|N(0, I_d)| <= n_std) = P(chi^2_d <= n_std^2)``; in 2-D
    ``1 - exp(-n_std^2 / 2)`` (0.98889 for ``n_std = 3``).

    >>> import gamedyn as gd
    >>> round(gd.metrics.ideal_high_quality(3.0, dim=2), 5)
    0.98889
    """
    check_positive("n_std", n_std)
    check_int("dim", dim)
    from scipy.stats import chi2

    return float(chi2.cdf(float(n_std) ** 2, int(dim)))


def _mixture_arrays(mixture):
    missing = [name for name in ("centers", "weights", "std") if not hasattr(mixture, name)]
    if missing:
        raise ValueError(
            f"mixture={_describe(mixture)} is not accepted (no {', '.join(missing)}); expected "
            "an object with centers (K, d), weights (K,) summing to 1 and std (scalar or (K,)), "
            "e.g. gd.games.GaussianMixture"
        )
    dtype = jnp.result_type(float)
    _check_weights("mixture.weights", mixture.weights)  # before any cast to float32
    centers = jnp.asarray(mixture.centers, dtype=dtype)
    weights = jnp.asarray(mixture.weights, dtype=dtype)
    std = jnp.asarray(mixture.std, dtype=dtype)
    if centers.ndim != 2:
        raise ValueError(f"mixture.centers has shape {centers.shape}; expected (K, d)")
    k = centers.shape[0]
    if weights.shape != (k,):
        raise ValueError(f"mixture.weights has shape {weights.shape}; expected ({k},), one per centre")
    if std.shape not in ((), (k,)):
        raise ValueError(f"mixture.std has shape {std.shape}; expected a scalar or ({k},)")
    std = jnp.broadcast_to(std, (k,))
    if not is_traced(centers) and not np.all(np.isfinite(np.asarray(centers))):
        raise ValueError("mixture.centers holds non-finite values")
    check_positive("mixture.std", std, what="standard deviations > 0")
    return centers, weights, std


def _check_weights(name, weights):
    if is_traced(weights):
        return
    try:
        w = np.asarray(weights, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name}={_describe(weights)} is not accepted; expected numbers") from None
    if not (np.all(np.isfinite(w)) and np.all(w >= 0) and abs(w.sum() - 1.0) <= 1e-6):
        raise ValueError(
            f"{name}={_describe(w)} is not accepted; expected non-negative weights summing to 1"
        )


def _histogram_stats(labels, high_quality, weights, min_count):
    """Counts, captured modes and KL for one set of labelled samples."""
    k = weights.shape[0]
    counts = jnp.zeros(k, dtype=jnp.int32).at[labels].add(high_quality.astype(jnp.int32))
    captured = counts >= min_count
    total = jnp.sum(counts)
    histogram = counts / jnp.maximum(total, 1)
    kl = jnp.where(total > 0, jnp.sum(kl_terms(histogram, weights)), jnp.inf)
    return counts, captured, kl


def _one(samples, centers, weights, std, n_std, min_count):
    # A diverged generator is a result, not an error: a non-finite sample is never of high
    # quality (it is given a finite stand-in so that no NaN reaches the arithmetic).
    finite = jnp.all(jnp.isfinite(samples), axis=-1)
    samples = jnp.where(finite[:, None], samples, 0.0)
    if samples.shape[-1] <= _DIRECT_MAX_DIM:
        d2 = jnp.sum(jnp.square(samples[:, None, :] - centers[None, :, :]), axis=-1)
    else:
        d2 = (
            jnp.sum(jnp.square(samples), axis=-1)[:, None]
            - 2.0 * samples @ centers.T
            + jnp.sum(jnp.square(centers), axis=-1)[None, :]
        )
        d2 = jnp.maximum(d2, 0.0)
    nearest = jnp.argmin(d2, axis=-1)
    nearest_d2 = jnp.take_along_axis(d2, nearest[:, None], axis=-1)[:, 0]
    # Compare squared distances: no square root, and a sample exactly at the centre is fine.
    good = (nearest_d2 <= jnp.square(n_std * std[nearest])) & finite
    return _stats(nearest, good, weights, min_count, samples.dtype)


def _stats(labels, good, weights, min_count, dtype) -> ModeStats:
    """The :class:`ModeStats` of one set of labelled samples."""
    counts, captured, kl = _histogram_stats(labels, good, weights, min_count)
    return ModeStats(modes=jnp.sum(captured), high_quality=jnp.mean(good.astype(dtype)), kl=kl, counts=counts,
                     captured=captured, nearest=labels, is_high_quality=good)


def _chunked_map(fn, batch, per_item_elements):
    """``fn`` over the leading axis of every array in ``batch``, in chunks whose
    intermediates stay below :data:`_CHUNK_ELEMENTS` (``lax.map`` with ``batch_size``)."""
    size = jax.tree.leaves(batch)[0].shape[0]
    chunk = int(max(1, min(size, _CHUNK_ELEMENTS // max(per_item_elements, 1))))
    if chunk >= size:
        return jax.vmap(fn)(batch)
    return lax.map(fn, batch, batch_size=chunk)


@jax.jit
def _mode_stats_batched(samples, centers, weights, std, n_std, min_count):
    batch_shape, (n, d) = samples.shape[:-2], samples.shape[-2:]
    flat = samples.reshape((-1, n, d))
    k = centers.shape[0]
    per_item = n * k * (d if d <= _DIRECT_MAX_DIM else 1)
    out = _chunked_map(lambda s: _one(s, centers, weights, std, n_std, min_count), flat, per_item)
    return jax.tree.map(lambda a: a.reshape(batch_shape + a.shape[1:]), out)


def mode_stats(samples, mixture, n_std=3.0, *, min_count=1) -> ModeStats:
    """Modes captured, high-quality fraction and mode-histogram KL of ``samples``
    ``(..., n, d)`` against a Gaussian ``mixture`` (VEEGAN / PacGAN protocol, see the module
    docstring). Leading axes of ``samples`` (seeds, snapshots) are batch axes of the result.

    ``min_count``: high-quality samples a mode needs to count as captured (1 in VEEGAN and
    PacGAN).

    >>> import numpy as np, types, gamedyn as gd
    >>> angles = 2 * np.pi * np.arange(8) / 8
    >>> ring = types.SimpleNamespace(centers=np.c_[np.cos(angles), np.sin(angles)],
    ...                              weights=np.full(8, 1 / 8), std=0.01)
    >>> fake = ring.centers[[0, 0, 0, 1]] + 0.005          # 2 modes hit, 3:1
    >>> stats = gd.metrics.mode_stats(fake, ring)
    >>> int(stats.modes), float(stats.high_quality), stats.counts.tolist()
    (2, 1.0, [3, 1, 0, 0, 0, 0, 0, 0])
    >>> float(stats.kl)                                     # 3/4 log 6 + 1/4 log 2
    1.5171063970610277
    """
    centers, weights, std = _mixture_arrays(mixture)
    check_positive("n_std", n_std)
    check_int("min_count", min_count, minimum=1)
    samples = jnp.asarray(samples)
    if not jnp.issubdtype(samples.dtype, jnp.inexact):
        samples = samples.astype(centers.dtype)
    d = centers.shape[1]
    if samples.ndim < 2 or samples.shape[-1] != d or samples.shape[-2] == 0:
        raise ValueError(
            f"samples has shape {samples.shape}; expected (..., n, {d}) with n >= 1 (the "
            f"mixture's centres are {d}-dimensional)"
        )
    return _mode_stats_batched(samples, centers, weights, std, n_std, min_count)


@jax.jit
def _labels_batched(labels, good, weights, min_count):
    batch_shape, n = labels.shape[:-1], labels.shape[-1]
    flat_labels, flat_good = labels.reshape((-1, n)), good.reshape((-1, n))

    def one(item):
        lab, g = item
        return _stats(lab, g, weights, min_count, weights.dtype)

    out = _chunked_map(one, (flat_labels, flat_good), n + weights.shape[0])
    return jax.tree.map(lambda a: a.reshape(batch_shape + a.shape[1:]), out)


def mode_stats_from_labels(labels, weights, high_quality=None, *, min_count=1) -> ModeStats:
    """The same statistics from mode labels already assigned (e.g. by a classifier on
    Stacked MNIST, where a sample's mode is its predicted digit triple): ``labels``
    ``(..., n)`` integers in ``[0, K)``, ``weights`` ``(K,)`` the true mode probabilities,
    ``high_quality`` an optional ``(..., n)`` mask (e.g. classifier confidence above a
    threshold; default: every sample).

    >>> import gamedyn as gd
    >>> stats = gd.metrics.mode_stats_from_labels([0, 0, 1, 1], [0.25, 0.25, 0.5])
    >>> int(stats.modes), float(stats.kl)                  # 2 of 3 modes; KL = log 2
    (2, 0.6931471805599453)
    """
    if np.ndim(weights) != 1 or np.shape(weights)[0] == 0:
        raise ValueError(f"weights has shape {np.shape(weights)}; expected (K,) mode probabilities")
    _check_weights("weights", weights)  # in float64, before any cast to float32
    weights = jnp.asarray(weights, dtype=jnp.result_type(float))
    check_int("min_count", min_count, minimum=1)
    labels = jnp.asarray(labels)
    if labels.ndim == 0 or labels.shape[-1] == 0 or not jnp.issubdtype(labels.dtype, jnp.integer):
        raise ValueError(
            f"labels has shape {labels.shape} and dtype {labels.dtype}; expected integer labels "
            "(..., n) with n >= 1"
        )
    k = weights.shape[0]
    if not is_traced(labels):
        values = np.asarray(labels)
        if values.min() < 0 or values.max() >= k:
            raise ValueError(
                f"labels range over [{values.min()}, {values.max()}]; expected labels in [0, {k}) "
                f"for {k} modes"
            )
    if high_quality is None:
        good = jnp.ones(labels.shape, dtype=bool)
    else:
        good = jnp.asarray(high_quality)
        if good.shape != labels.shape:
            raise ValueError(f"high_quality has shape {good.shape}; expected {labels.shape} like labels")
        good = good.astype(bool)
    return _labels_batched(labels, good, weights, min_count)
