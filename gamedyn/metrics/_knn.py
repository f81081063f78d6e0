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

Distances are computed in row chunks (numpy, float64): memory stays at ``batch_size`` times
the other set's size, whatever the number of samples. A point on a ball's boundary is
inside (``<=``, as in the papers).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .._checks import _describe, check_int

__all__ = ["PrecisionRecall", "DensityCoverage", "precision_recall", "density_coverage", "knn_radii"]

# Entries of one chunk of the distance matrix when batch_size is None. Up to _DIRECT_MAX_DIM
# features the distances are built elementwise, and 2^17 doubles (1 MiB) stay in cache, which
# measured 2-3x faster than 32 MiB chunks. Beyond it a chunk is one matrix product
# a @ b.T, and a chunk of few rows reads all of b for those few rows: memory-bound, so it
# gets 2^21 entries (16 MiB, about 200 rows against 10,000), measured 2-4x faster than 2^17
# at 128-384 features (benchmarks/bench_knn.py). At least _MIN_ROWS rows per chunk keep the
# Python loop short for very large sets.
_CHUNK_ENTRIES = 2**17
_PRODUCT_CHUNK_ENTRIES = 2**21
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
# |a|^2 - 2 a.b + |b|^2 (BLAS; memory rows * n instead of rows * n * d), whose rounding
# error, at most a few ulps of |a|^2 + |b|^2, is allowed for in the comparison.
_DIRECT_MAX_DIM = 16
_ROUNDING_SLACK = 8 * np.finfo(np.float64).eps


def _squared_distances(a, b):
    """Squared distances ``(len(a), len(b))`` and the rounding slack of each entry."""
    if a.shape[1] <= _DIRECT_MAX_DIM:
        # One coordinate at a time, in a fixed order: fast, and symmetric to the last bit.
        d2 = np.square(a[:, None, 0] - b[None, :, 0])
        for j in range(1, a.shape[1]):
            d2 += np.square(a[:, None, j] - b[None, :, j])
        return d2, 0.0
    a_sq, b_sq = np.sum(a * a, axis=1)[:, None], np.sum(b * b, axis=1)[None, :]
    d2 = np.maximum(a_sq - 2.0 * (a @ b.T) + b_sq, 0.0)
    return d2, _ROUNDING_SLACK * (a_sq + b_sq)


def _rows_for(batch_size, other: int, dim: int) -> int:
    """Rows of each chunk of distances against ``other`` points of ``dim`` features."""
    if batch_size is not None:
        return int(batch_size)
    entries = _CHUNK_ENTRIES if dim <= _DIRECT_MAX_DIM else _PRODUCT_CHUNK_ENTRIES
    return max(_MIN_ROWS, entries // max(other, 1))


def _knn_squared_radii(x, k, batch_size):
    rows = _rows_for(batch_size, len(x), x.shape[1])
    radii = np.empty(len(x))
    for start in range(0, len(x), rows):
        d2, _ = _squared_distances(x[start : start + rows], x)
        # Each point is its own 0-th neighbour: the k-th other one sits at index k.
        d2[np.arange(d2.shape[0]), np.arange(start, start + d2.shape[0])] = 0.0
        radii[start : start + rows] = np.partition(d2, k, axis=1)[:, k]
    return radii


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
    return np.sqrt(_knn_squared_radii(x, k, batch_size))


def _ball_counts(queries, centers, squared_radii, batch_size):
    """For each query, the number of balls ``B(center_i, radius_i)`` holding it; for each
    ball, whether some query lies in it."""
    rows = _rows_for(batch_size, len(centers), centers.shape[1])
    counts = np.zeros(len(queries), dtype=np.int64)
    hit = np.zeros(len(centers), dtype=bool)
    for start in range(0, len(queries), rows):
        d2, slack = _squared_distances(queries[start : start + rows], centers)
        inside = d2 <= squared_radii[None, :] + slack
        counts[start : start + rows] = inside.sum(axis=1)
        hit |= inside.any(axis=0)
    return counts, hit


def _centred(real, fake):
    # Distances do not change under a shift; centring on the real mean keeps |a|^2 small
    # and with it the rounding of the expansion.
    centre = real.mean(axis=0)
    return real - centre, fake - centre


def _checked(real, fake, k, batch_size, *, balls_around):
    """The two feature sets checked and centred; ``k`` must leave a neighbour in each set
    that k-NN balls are drawn around."""
    real, fake = _check_pair(real, fake)
    check_int("k", k)
    for name, x in (("real", real), ("fake", fake)):
        if name in balls_around and k >= len(x):
            raise ValueError(f"k={k} is not accepted; expected k < the number of {name} samples ({len(x)})")
    if batch_size is not None:
        check_int("batch_size", batch_size)
    return _centred(real, fake)


def precision_recall(real, fake, k=3, *, batch_size=None) -> PrecisionRecall:
    """Improved precision and recall (Kynkäänniemi et al. 2019) of ``fake`` against
    ``real`` features ``(n, d)``, with ``k``-NN balls (the paper uses ``k = 3``).

    ``batch_size``: rows of each distance chunk (default: chunks of about 2^17 entries, 2^21
    beyond 16 features, where a chunk is one matrix product).

    >>> import numpy as np, gamedyn as gd
    >>> blob = np.random.default_rng(0).normal(size=(200, 2))
    >>> real = np.concatenate([blob - 5.0, blob + 5.0])     # two separated modes
    >>> gd.metrics.precision_recall(real, blob - 5.0)       # one mode dropped
    PrecisionRecall(precision=1.0, recall=0.5)
    """
    real, fake = _checked(real, fake, k, batch_size, balls_around=("real", "fake"))
    in_real, _ = _ball_counts(fake, real, _knn_squared_radii(real, k, batch_size), batch_size)
    in_fake, _ = _ball_counts(real, fake, _knn_squared_radii(fake, k, batch_size), batch_size)
    return PrecisionRecall(float(np.mean(in_real > 0)), float(np.mean(in_fake > 0)))


def density_coverage(real, fake, k=5, *, batch_size=None) -> DensityCoverage:
    """Density and coverage (Naeem et al. 2020) of ``fake`` against ``real`` features
    ``(n, d)``, with ``k``-NN balls around the real samples only (the paper uses ``k = 5``).

    >>> import numpy as np, gamedyn as gd
    >>> blob = np.random.default_rng(0).normal(size=(200, 2))
    >>> real = np.concatenate([blob - 5.0, blob + 5.0])
    >>> gd.metrics.density_coverage(real, blob - 5.0).coverage   # one mode's balls hit
    0.5
    """
    real, fake = _checked(real, fake, k, batch_size, balls_around=("real",))
    counts, hit = _ball_counts(fake, real, _knn_squared_radii(real, k, batch_size), batch_size)
    return DensityCoverage(float(counts.sum() / (k * len(fake))), float(np.mean(hit)))
