"""Fréchet distance between Gaussians fitted to two feature sets (FID in any feature space).

``d^2 = |mu_a - mu_b|^2 + tr(S_a + S_b - 2 (S_a S_b)^(1/2))`` (Fréchet 1957; Dowson & Landau
1982; used as FID by Heusel et al. 2017, Eq. 6) — the squared Wasserstein-2 distance
between ``N(mu_a, S_a)`` and ``N(mu_b, S_b)``.

``tr (S_a S_b)^(1/2)`` is computed as ``sum_i sqrt(lambda_i)`` over the eigenvalues of the
symmetric positive semi-definite ``S_a^(1/2) S_b S_a^(1/2)``, which has the same spectrum as
``S_a S_b``: two symmetric eigendecompositions, no general matrix square root (whose complex
round-off the usual implementations have to discard).
"""

from __future__ import annotations

import numpy as np

from .._checks import _describe

__all__ = ["frechet_distance", "frechet_distance_from_stats"]


def _psd_sqrt(cov):
    eigval, eigvec = np.linalg.eigh(cov)
    return (eigvec * np.sqrt(np.clip(eigval, 0.0, None))) @ eigvec.T


def _stats(name, mean, cov):
    mean = np.atleast_1d(np.asarray(mean, dtype=np.float64))
    cov = np.atleast_2d(np.asarray(cov, dtype=np.float64))
    d = mean.shape[0]
    if mean.ndim != 1 or cov.shape != (d, d):
        raise ValueError(
            f"mean_{name} has shape {mean.shape} and cov_{name} {cov.shape}; expected (d,) and (d, d)"
        )
    if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(cov))):
        raise ValueError(f"mean_{name} / cov_{name} hold non-finite values")
    # Sample covariances are symmetric up to rounding; a clearly asymmetric one is a mistake.
    if not np.allclose(cov, cov.T, rtol=1e-8, atol=1e-12 * max(1.0, np.abs(cov).max())):
        raise ValueError(f"cov_{name}={_describe(cov)} is not symmetric; expected a covariance matrix")
    return mean, 0.5 * (cov + cov.T)


def frechet_distance_from_stats(mean_a, cov_a, mean_b, cov_b) -> float:
    """Squared Fréchet distance between ``N(mean_a, cov_a)`` and ``N(mean_b, cov_b)``.

    For commuting covariances it is ``|mu_a - mu_b|^2 + sum_i (sqrt(a_i) - sqrt(b_i))^2``.

    >>> import gamedyn as gd
    >>> gd.metrics.frechet_distance_from_stats([0.0, 0.0], [[4.0, 0], [0, 1]], [3.0, 0.0], [[1.0, 0], [0, 1]])
    10.0
    """
    mean_a, cov_a = _stats("a", mean_a, cov_a)
    mean_b, cov_b = _stats("b", mean_b, cov_b)
    if mean_a.shape != mean_b.shape:
        raise ValueError(f"the feature dimensions differ: {mean_a.shape[0]} and {mean_b.shape[0]}")
    root_a = _psd_sqrt(cov_a)
    middle = root_a @ cov_b @ root_a
    eigval = np.linalg.eigvalsh(0.5 * (middle + middle.T))
    trace_root = float(np.sum(np.sqrt(np.clip(eigval, 0.0, None))))
    value = float(np.sum((mean_a - mean_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2.0 * trace_root)
    # Equal distributions give 0 up to rounding, which may land just below it.
    return max(value, 0.0)


def frechet_distance(feats_a, feats_b) -> float:
    """Squared Fréchet distance between Gaussians fitted (mean, unbiased covariance) to the
    feature sets ``feats_a`` ``(n, d)`` and ``feats_b`` ``(m, d)`` — FID when the features are
    Inception pool features; any feature space works (2-D samples, a classifier's
    penultimate layer).

    >>> import numpy as np, gamedyn as gd
    >>> rng = np.random.default_rng(0)
    >>> a = rng.normal(size=(20000, 2))
    >>> round(gd.metrics.frechet_distance(a, 2.0 * a + 1.0), 2)   # |1,1|^2 + 2 (2 - 1)^2
    4.0
    """
    stats = []
    for name, x in (("feats_a", feats_a), ("feats_b", feats_b)):
        arr = np.asarray(x, dtype=np.float64)
        if arr.ndim != 2 or arr.shape[0] < 2:
            raise ValueError(f"{name} has shape {arr.shape}; expected features (n, d) with n >= 2")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} holds non-finite values; expected finite features")
        stats.append((arr.mean(axis=0), np.cov(arr, rowvar=False).reshape(arr.shape[1], arr.shape[1])))
    return frechet_distance_from_stats(*stats[0], *stats[1])
