"""k-nearest-neighbour support estimates: precision / recall and density / coverage.

Both estimate a distribution's support by the union of balls ``B(x_i, NND_k(x_i))`` around
its samples, ``NND_k`` the distance to the ``k``-th nearest *other* sample.

* Improved precision and recall (Kynkäänniemi, Karras, Laine, Lehtinen & Aila 2019, Eq. 1-3):
  precision = fraction of fake samples inside the real support; recall = fraction of real
  samples inside the fake support. Mode dropping lowers recall and leaves precision; samples
  off the data manifold lower precision.
* Density and coverage (Naeem, Oh, Uh, Choi & Yoo 2020, Eq. 5-6): density
  ``= 1/(k M) sum_j sum_i 1[Y_j in B(X_i, NND_k(X_i))]`` counts how many real balls hold
  each fake sample (1 on average when fake = real, unbounded above); coverage = fraction of
  real balls that hold at least one fake sample. Only real balls are used, so an outlier
  fake sample cannot inflate them.

:func:`support_metrics` gives all four at once from three passes over the distances (real to
real, fake to fake, fake to real), half the work of the two calls.

Distances are computed in row chunks (numpy, float64): memory stays at ``batch_size`` times
the other set's size, whatever the number of samples. A point on a ball's boundary is
inside (``<=``, as in the papers).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .._checks import _describe, check_int

__all__ = ["PrecisionRecall", "DensityCoverage", "SupportMetrics", "precision_recall", "density_coverage",
           "support_metrics", "knn_radii"]

# Entries of one chunk of the distance matrix when batch_size is None. Up to _DIRECT_MAX_DIM
# features the distances are built elementwise, and 2^17 doubles (1 MiB) stay in cache, which
# measured 2-3x faster than 32 MiB chunks. Beyond it a chunk is one matrix product against
# the whole other set, which every chunk reads again: 2^23 entries (64 MiB, about 840 rows
# against 10,000) measured 1.4x faster than 2^21 and 5x faster than 2^17 at 384 features
# (benchmarks/bench_knn.py), within 1.5x of the three whole products. At least _MIN_ROWS
# rows per chunk keep the Python loop short for very large sets.
_CHUNK_ENTRIES = 2**17
_PRODUCT_CHUNK_ENTRIES = 2**23
_MIN_ROWS = 8


class PrecisionRecall(NamedTuple):
    """``(precision, recall)`` of :func:`precision_recall`.

    >>> import gamedyn as gd
    >>> real, fake = [[0.0], [1.0], [2.0], [3.0]], [[0.5], [10.0]]
    >>> pr = gd.metrics.precision_recall(real, fake, k=1)
    >>> pr.precision    # real balls have radius 1: 0.5 lies in some, 10 in none
    0.5
    >>> pr.recall       # both fake balls have radius 9.5 and hold every real sample
    1.0
    """

    precision: float
    recall: float


class DensityCoverage(NamedTuple):
    """``(density, coverage)`` of :func:`density_coverage`.

    Below, the real balls (``k = 1``) have radius 1, and each fake sample at 0 lies in two
    of them (around 0 and 1): density ``(2 + 2) / (k M) = 4 / 2``, coverage 2 of 4 balls.

    >>> import gamedyn as gd
    >>> real, fake = [[0.0], [1.0], [2.0], [3.0]], [[0.0], [0.0]]
    >>> gd.metrics.density_coverage(real, fake, k=1)
    DensityCoverage(density=2.0, coverage=0.5)
    """

    density: float
    coverage: float


def _features(name: str, x) -> np.ndarray:
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name}={_describe(x)} is not accepted; expected an array (n, d) of features") from None
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} has shape {arr.shape}; expected features of shape (n, d), n >= 1")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} holds non-finite values; expected finite features")
    return arr


def _check_pair(real, fake):
    real, fake = _features("real", real), _features("fake", fake)
    if real.shape[1] != fake.shape[1]:
        raise ValueError(
            f"real has {real.shape[1]} features and fake has {fake.shape[1]}; they must match"
        )
    return real, fake


# Up to this dimension distances come from explicit differences: |a - b|^2 and |b - a|^2
# are then bitwise equal, so a sample that is another's k-th neighbour lies exactly on the
# boundary of its ball (inside, as the papers' "<=" says). Beyond it, from the expansion
# |a|^2 - 2 a.b + |b|^2, as one BLAS product of the sets with two columns appended,
# [a, |a|^2, 1] @ [-2 b, 1, |b|^2]^T (memory rows * n instead of rows * n * d, and no pass
# over the chunk besides the product); its rounding error, at most a few ulps of
# |a|^2 + |b|^2, is allowed for in the ball tests by taking that slack off inside the same
# product (the |a|^2 and |b|^2 columns scaled by 1 - slack).
_DIRECT_MAX_DIM = 16
_ROUNDING_SLACK = 8 * np.finfo(np.float64).eps


def _distance_chunks(a, b, rows: int, *, slack: bool):
    """``(start, stop, d2)`` for row chunks of ``a`` against all of ``b``: squared distances,
    less the rounding slack when ``slack`` (for ball tests ``d2 <= r``); the expansion's
    entries may be a rounding below 0 (a radius is clamped at 0 where it is taken)."""
    if a.shape[1] <= _DIRECT_MAX_DIM:
        for start in range(0, len(a), rows):
            chunk = a[start : start + rows]
            # One coordinate at a time, in a fixed order: fast, and symmetric to the last bit.
            d2 = np.square(chunk[:, None, 0] - b[None, :, 0])
            for j in range(1, a.shape[1]):
                d2 += np.square(chunk[:, None, j] - b[None, :, j])
            yield start, start + len(chunk), d2
        return
    scale = 1.0 - _ROUNDING_SLACK if slack else 1.0
    right = np.empty((b.shape[1] + 2, len(b)))
    right[:-2] = -2.0 * b.T
    right[-2] = 1.0
    right[-1] = scale * np.einsum("ij,ij->i", b, b)
    left = np.empty((len(a), a.shape[1] + 2))
    left[:, :-2] = a
    left[:, -2] = scale * np.einsum("ij,ij->i", a, a)
    left[:, -1] = 1.0
    for start in range(0, len(a), rows):
        chunk = left[start : start + rows]
        yield start, start + len(chunk), chunk @ right


def _rows_for(batch_size, other: int, dim: int) -> int:
    """Rows of each chunk of distances against ``other`` points of ``dim`` features."""
    if batch_size is not None:
        return int(batch_size)
    entries = _CHUNK_ENTRIES if dim <= _DIRECT_MAX_DIM else _PRODUCT_CHUNK_ENTRIES
    return max(_MIN_ROWS, entries // max(other, 1))


def _knn_squared_radii(x, ks, batch_size) -> np.ndarray:
    """Squared ``NND_k`` of every sample for each ``k`` of ``ks``, shape ``(len(ks), n)``: one
    pass over the distances, one selection per chunk for all of them (``torch.topk``, 7x
    ``numpy.partition`` on 10,000 columns; values are selected, not computed, so either
    gives the same numbers)."""
    import torch

    rows = _rows_for(batch_size, len(x), x.shape[1])
    radii = np.empty((len(ks), len(x)))
    for start, stop, d2 in _distance_chunks(x, x, rows, slack=False):
        # Each point is its own 0-th neighbour: the k-th other one sits at index k.
        d2[np.arange(stop - start), np.arange(start, stop)] = 0.0
        smallest = torch.topk(torch.from_numpy(d2), max(ks) + 1, dim=1, largest=False, sorted=True).values
        radii[:, start:stop] = smallest.numpy()[:, list(ks)].T
    return np.maximum(radii, 0.0)


def knn_radii(x, k, *, batch_size=None) -> np.ndarray:
    """``NND_k(x_i)``: distance from each sample to its ``k``-th nearest other sample.

    >>> import gamedyn as gd
    >>> gd.metrics.knn_radii([[0.0], [1.0], [3.0]], k=1).tolist()
    [1.0, 1.0, 2.0]
    """
    x = _features("x", x)
    check_int("k", k)
    if k >= len(x):
        raise ValueError(f"k={k} is not accepted; expected k < the number of samples ({len(x)})")
    if batch_size is not None:
        check_int("batch_size", batch_size)
    return np.sqrt(_knn_squared_radii(x, (k,), batch_size)[0])


class _Cross(NamedTuple):
    in_real: np.ndarray | None  # per fake sample: real balls (precision radii) holding it
    in_real_density: np.ndarray | None  # per fake sample: real balls (density radii) holding it
    covered: np.ndarray | None  # per real ball (density radii): does some fake sample lie in it
    recalled: np.ndarray | None  # per real sample: does some fake ball hold it


def _cross(fake, real, real_radii, fake_radii, batch_size) -> _Cross:
    """One pass over the fake-to-real distances for every ball test the four estimates need.

    ``real_radii``: squared real radii ``(precision, density)``, either None; ``fake_radii``:
    squared fake radii (recall) or None. A test whose radii are None is skipped (None out).
    """
    r_prec, r_dens = real_radii
    rows = _rows_for(batch_size, len(real), real.shape[1])
    in_real = None if r_prec is None else np.zeros(len(fake), dtype=np.int64)
    in_dens = None if r_dens is None else np.zeros(len(fake), dtype=np.int64)
    covered = None if r_dens is None else np.zeros(len(real), dtype=bool)
    recalled = None if fake_radii is None else np.zeros(len(real), dtype=bool)
    for start, stop, d2 in _distance_chunks(fake, real, rows, slack=True):
        if r_prec is not None:
            in_real[start:stop] = np.count_nonzero(d2 <= r_prec[None, :], axis=1)
        if r_dens is not None:
            inside = d2 <= r_dens[None, :]
            in_dens[start:stop] = np.count_nonzero(inside, axis=1)
            covered |= inside.any(axis=0)
        if fake_radii is not None:
            recalled |= (d2 <= fake_radii[start:stop, None]).any(axis=0)
    return _Cross(in_real, in_dens, covered, recalled)


def _centred(real, fake):
    # Distances do not change under a shift; centring on the real mean keeps |a|^2 small
    # and with it the rounding of the expansion.
    centre = real.mean(axis=0)
    return real - centre, fake - centre


def _checked(real, fake, ks, batch_size, *, balls_around, names=("k",)):
    """The two feature sets checked and centred; each ``k`` must leave a neighbour in each
    set that k-NN balls are drawn around (the fake balls only use the first ``k``)."""
    real, fake = _check_pair(real, fake)
    for name, k in zip(names, ks):
        check_int(name, k)
    for name, x in (("real", real), ("fake", fake)):
        if name not in balls_around:
            continue
        for arg, k in list(zip(names, ks))[: None if name == "real" else 1]:
            if k >= len(x):
                raise ValueError(f"{arg}={k} is not accepted; expected {arg} < the number of {name} samples "
                                 f"({len(x)})")
    if batch_size is not None:
        check_int("batch_size", batch_size)
    return _centred(real, fake)


def precision_recall(real, fake, k=3, *, batch_size=None) -> PrecisionRecall:
    """Improved precision and recall (Kynkäänniemi et al. 2019) of ``fake`` against
    ``real`` features ``(n, d)``, with ``k``-NN balls (the paper uses ``k = 3``).

    ``batch_size``: rows of each distance chunk (default: chunks of about 2^17 entries, 2^23
    beyond 16 features, where a chunk is one matrix product).

    >>> import numpy as np, gamedyn as gd
    >>> blob = np.random.default_rng(0).normal(size=(200, 2))
    >>> real = np.concatenate([blob - 5.0, blob + 5.0])     # two separated modes
    >>> gd.metrics.precision_recall(real, blob - 5.0)       # one mode dropped
    PrecisionRecall(precision=1.0, recall=0.5)
    """
    real, fake = _checked(real, fake, (k,), batch_size, balls_around=("real", "fake"))
    r_real = _knn_squared_radii(real, (k,), batch_size)[0]
    r_fake = _knn_squared_radii(fake, (k,), batch_size)[0]
    cross = _cross(fake, real, (r_real, None), r_fake, batch_size)
    return PrecisionRecall(float(np.mean(cross.in_real > 0)), float(np.mean(cross.recalled)))


def density_coverage(real, fake, k=5, *, batch_size=None) -> DensityCoverage:
    """Density and coverage (Naeem et al. 2020) of ``fake`` against ``real`` features
    ``(n, d)``, with ``k``-NN balls around the real samples only (the paper uses ``k = 5``).

    >>> import numpy as np, gamedyn as gd
    >>> blob = np.random.default_rng(0).normal(size=(200, 2))
    >>> real = np.concatenate([blob - 5.0, blob + 5.0])
    >>> gd.metrics.density_coverage(real, blob - 5.0).coverage   # one mode's balls hit
    0.5
    """
    real, fake = _checked(real, fake, (k,), batch_size, balls_around=("real",))
    cross = _cross(fake, real, (None, _knn_squared_radii(real, (k,), batch_size)[0]), None, batch_size)
    return DensityCoverage(float(cross.in_real_density.sum() / (k * len(fake))), float(np.mean(cross.covered)))


class SupportMetrics(NamedTuple):
    """``(precision, recall, density, coverage)`` of :func:`support_metrics`.

    >>> import gamedyn as gd
    >>> real, fake = [[0.0], [1.0], [2.0], [3.0]], [[0.0], [0.0]]
    >>> gd.metrics.support_metrics(real, fake, k_precision=1, k_density=1)
    SupportMetrics(precision=1.0, recall=0.25, density=2.0, coverage=0.5)
    """

    precision: float
    recall: float
    density: float
    coverage: float


def support_metrics(real, fake, k_precision=3, k_density=5, *, batch_size=None) -> SupportMetrics:
    """:func:`precision_recall` (``k_precision``) and :func:`density_coverage`
    (``k_density``) at once, equal to the two calls, from three passes over the distances
    (real to real, fake to fake, fake to real) where the two calls take six: the real radii
    for both ``k`` come from one partition, and the fake-to-real distances serve all four
    ball tests (``benchmarks/bench_knn.py``).

    >>> import numpy as np, gamedyn as gd
    >>> blob = np.random.default_rng(0).normal(size=(200, 2))
    >>> real = np.concatenate([blob - 5.0, blob + 5.0])
    >>> m = gd.metrics.support_metrics(real, blob - 5.0)        # one mode dropped
    >>> m.precision, m.recall, m.coverage
    (1.0, 0.5, 0.5)
    """
    real, fake = _checked(real, fake, (k_precision, k_density), batch_size, balls_around=("real", "fake"),
                          names=("k_precision", "k_density"))
    r_prec, r_dens = _knn_squared_radii(real, (k_precision, k_density), batch_size)
    r_fake = _knn_squared_radii(fake, (k_precision,), batch_size)[0]
    cross = _cross(fake, real, (r_prec, r_dens), r_fake, batch_size)
    return SupportMetrics(
        float(np.mean(cross.in_real > 0)), float(np.mean(cross.recalled)),
        float(cross.in_real_density.sum() / (k_density * len(fake))), float(np.mean(cross.covered)),
    )
