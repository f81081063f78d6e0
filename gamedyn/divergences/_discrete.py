"""Divergences between probability vectors, or densities sampled on a grid (JAX).

Every function reduces over ``axis`` (default the last) and broadcasts over the others, so a
batch of distributions costs one call; all of them are differentiable where finite (the
mode-seeking study fits a Gaussian by descending them). Conventions, in nats:

* ``0 log(0 / q) = 0``; ``p log(p / 0) = +inf`` for ``p > 0``: an infinite divergence is
  returned as ``inf``, never as NaN.
* With ``dx=None`` the inputs are probability vectors (non-negative, summing to 1). With a
  cell volume ``dx`` they are densities on a uniform grid and every sum is a Riemann sum
  ``sum(...) * dx`` (for a 2-D grid, pass ``dx = dx1 * dx2`` and ``axis=(-2, -1)``).
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from .._checks import _describe, check_positive, is_traced

__all__ = ["kl", "kl_terms", "reverse_kl", "js", "tv", "chi2", "gaussian_kl"]

# A probability vector must sum to 1 within this relative tolerance: room for float32
# inputs (about 1e-7 per entry, summed over a few hundred entries).
VECTOR_RTOL = 1e-5
# A density on a grid must integrate to 1 within this tolerance: a Riemann sum of a smooth
# density truncated at the grid's edges. A larger gap means the grid is too coarse or too
# narrow for the density, and every divergence computed on it would be wrong.
DENSITY_RTOL = 1e-2


def _totals(total) -> str:
    text = np.array2string(np.asarray(total), precision=6, threshold=6)
    return text if len(text) <= 80 else text[:77] + "..."


def _as_distribution(name: str, p, dx, axis):
    p = jnp.asarray(p)
    if not jnp.issubdtype(p.dtype, jnp.inexact):
        p = p.astype(jnp.result_type(float))
    if p.ndim == 0:
        raise ValueError(f"{name} is a scalar; expected a probability vector (or a density on a grid)")
    if is_traced(p) or is_traced(dx):
        return p
    values = np.asarray(p)
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        raise ValueError(
            f"{name}={_describe(values)} is not accepted; expected finite, non-negative "
            "probabilities (or density values)"
        )
    total = values.sum(axis=axis) * (1.0 if dx is None else float(dx))
    if dx is None:
        if not np.allclose(total, 1.0, rtol=VECTOR_RTOL, atol=0):
            raise ValueError(
                f"{name} sums to {_totals(total)} along axis {axis}; a probability vector "
                f"must sum to 1 (normalise it: {name} / {name}.sum()), or pass dx= for "
                "densities on a grid"
            )
    elif not np.allclose(total, 1.0, rtol=DENSITY_RTOL, atol=0):
        raise ValueError(
            f"{name} integrates to {_totals(total)} (sum * dx along axis {axis}); a density "
            "on a grid must integrate to about 1: widen or refine the grid, or check dx"
        )
    return p


def _prepare(p, q, dx, axis, names=("p", "q")):
    if dx is not None:
        check_positive("dx", dx, what="a cell volume > 0")
    axis = tuple(int(a) for a in axis) if isinstance(axis, (tuple, list)) else int(axis)
    p = _as_distribution(names[0], p, dx, axis)
    q = _as_distribution(names[1], q, dx, axis)
    try:
        jnp.broadcast_shapes(p.shape, q.shape)
    except ValueError:
        raise ValueError(
            f"p has shape {p.shape} and q has shape {q.shape}; they must broadcast"
        ) from None
    return p, q, (1.0 if dx is None else dx), axis


@partial(jax.jit, static_argnames=("terms", "axis"))
def _reduce(terms, p, q, cell, axis):
    """``sum(terms(p, q), axis) * cell``, compiled once per kind of divergence and shape."""
    p, q = jnp.broadcast_arrays(p, q)
    return jnp.sum(terms(p, q), axis=axis) * cell


def kl_terms(p, q):
    """``p log(p/q)`` elementwise (the terms :func:`kl` sums) with ``0 log(0/q) = 0`` and ``p log(p/0) = inf``; the
    double ``where`` keeps the gradient finite wherever the value is.

    >>> import jax.numpy as jnp, gamedyn as gd
    >>> p, q = jnp.array([0.5, 0.0, 0.5]), jnp.array([0.5, 0.5, 0.0])
    >>> gd.divergences.kl_terms(p, q).tolist()      # 0.5 log 1, 0 log 0 = 0, mass where q = 0
    [0.0, 0.0, inf]
    """
    p_pos, q_pos = p > 0, q > 0
    p_safe = jnp.where(p_pos, p, 1.0)
    q_safe = jnp.where(q_pos, q, 1.0)
    terms = jnp.where(p_pos, p_safe * (jnp.log(p_safe) - jnp.log(q_safe)), 0.0)
    return jnp.where(p_pos & ~q_pos, jnp.inf, terms)


def _reverse_kl_terms(p, q):
    return kl_terms(q, p)


def _js_terms(p, q):
    m = 0.5 * (p + q)
    return 0.5 * (kl_terms(p, m) + kl_terms(q, m))


def _tv_terms(p, q):
    return 0.5 * jnp.abs(p - q)


def _chi2_terms(p, q):
    q_pos = q > 0
    q_safe = jnp.where(q_pos, q, 1.0)
    return jnp.where(q_pos, jnp.square(p - q) / q_safe, jnp.where(p > 0, jnp.inf, 0.0))


def kl(p, q, *, dx=None, axis=-1):
    """Kullback-Leibler divergence ``KL(P || Q) = sum_i p_i log(p_i / q_i)`` (nats).

    Forward KL: infinite when ``Q`` misses mass that ``P`` has; minimising it over ``Q``
    covers every mode of ``P`` (see :func:`reverse_kl`).

    >>> import gamedyn as gd
    >>> gd.divergences.kl([0.5, 0.5], [0.9, 0.1])   # 0.5 log(5/9) + 0.5 log 5
    Array(0.51082562, dtype=float64)
    >>> gd.divergences.kl([0.5, 0.5], [1.0, 0.0])
    Array(inf, dtype=float64)
    """
    p, q, cell, axis = _prepare(p, q, dx, axis)
    return _reduce(kl_terms, p, q, cell, axis)


def reverse_kl(p, q, *, dx=None, axis=-1):
    """Reverse Kullback-Leibler divergence ``KL(Q || P)`` of the model ``Q`` from the data
    ``P``: ``sum_i q_i log(q_i / p_i)``.

    Minimising it over ``Q`` seeks modes: ``Q`` pays nothing for the modes of ``P`` it
    leaves out and infinitely for mass where ``P`` has none.

    >>> import gamedyn as gd
    >>> gd.divergences.reverse_kl([0.5, 0.5], [1.0, 0.0])   # log 2: Q sits on one mode
    Array(0.69314718, dtype=float64)
    """
    p, q, cell, axis = _prepare(p, q, dx, axis)
    return _reduce(_reverse_kl_terms, p, q, cell, axis)


def js(p, q, *, dx=None, axis=-1):
    """Jensen-Shannon divergence ``JS(P, Q) = KL(P || M)/2 + KL(Q || M)/2``,
    ``M = (P + Q)/2`` (nats): symmetric, finite, and ``log 2`` exactly when the supports are
    disjoint (Arjovsky, Chintala & Bottou 2017, Example 1).

    >>> import gamedyn as gd
    >>> gd.divergences.js([1.0, 0.0], [0.0, 1.0])
    Array(0.69314718, dtype=float64)
    """
    p, q, cell, axis = _prepare(p, q, dx, axis)
    return _reduce(_js_terms, p, q, cell, axis)


def tv(p, q, *, dx=None, axis=-1):
    """Total variation distance ``TV(P, Q) = sum_i |p_i - q_i| / 2`` (in ``[0, 1]``).

    >>> import gamedyn as gd
    >>> gd.divergences.tv([0.5, 0.5, 0.0], [0.0, 0.5, 0.5])
    Array(0.5, dtype=float64)
    """
    p, q, cell, axis = _prepare(p, q, dx, axis)
    return _reduce(_tv_terms, p, q, cell, axis)


def chi2(p, q, *, dx=None, axis=-1):
    """Pearson chi-squared divergence ``chi^2(P || Q) = sum_i (p_i - q_i)^2 / q_i``
    (infinite when ``q_i = 0 < p_i``; the least-squares GAN's divergence, Mao et al. 2017).

    >>> import gamedyn as gd
    >>> gd.divergences.chi2([0.5, 0.5], [0.25, 0.75])   # 0.0625/0.25 + 0.0625/0.75
    Array(0.33333333, dtype=float64)
    """
    p, q, cell, axis = _prepare(p, q, dx, axis)
    return _reduce(_chi2_terms, p, q, cell, axis)


def _gaussian_params(name_mean, mean, name_cov, cov):
    mean = jnp.atleast_1d(jnp.asarray(mean, dtype=jnp.result_type(float)))
    cov = jnp.asarray(cov, dtype=jnp.result_type(float))
    if mean.ndim != 1:
        raise ValueError(f"{name_mean} has shape {mean.shape}; expected a scalar or a vector (d,)")
    d = mean.shape[0]
    if cov.ndim == 0 or cov.shape == (d,):
        cov = jnp.diag(jnp.broadcast_to(cov, (d,)))
    elif cov.shape != (d, d):
        raise ValueError(
            f"{name_cov} has shape {cov.shape}; expected a scalar variance, a diagonal ({d},) "
            f"or a matrix ({d}, {d})"
        )
    if not is_traced(cov):
        eig = np.linalg.eigvalsh(np.asarray(cov))
        if not np.all(np.isfinite(eig)) or eig.min() <= 0:
            raise ValueError(
                f"{name_cov}={_describe(np.asarray(cov))} is not accepted; expected a symmetric "
                "positive definite covariance"
            )
    return mean, cov


def gaussian_kl(mean_p, cov_p, mean_q, cov_q):
    """Closed-form ``KL(N(mu_p, S_p) || N(mu_q, S_q))
    = (tr(S_q^-1 S_p) + (mu_q - mu_p)^T S_q^-1 (mu_q - mu_p) - d + log(det S_q / det S_p)) / 2``.

    A covariance may be a scalar variance, a diagonal, or a full matrix.

    >>> import gamedyn as gd
    >>> gd.divergences.gaussian_kl(0.0, 1.0, 1.0, 4.0)   # (1/4 + 1/4 - 1 + log 4) / 2
    Array(0.44314718, dtype=float64)
    """
    mean_p, cov_p = _gaussian_params("mean_p", mean_p, "cov_p", cov_p)
    mean_q, cov_q = _gaussian_params("mean_q", mean_q, "cov_q", cov_q)
    if mean_p.shape != mean_q.shape:
        raise ValueError(f"mean_p has shape {mean_p.shape} and mean_q {mean_q.shape}; they must match")
    return _gaussian_kl(mean_p, cov_p, mean_q, cov_q)


@jax.jit
def _gaussian_kl(mean_p, cov_p, mean_q, cov_q):
    d = mean_p.shape[0]
    chol_q = jnp.linalg.cholesky(cov_q)
    solve = lambda b: jnp.linalg.solve(chol_q.T, jnp.linalg.solve(chol_q, b))  # noqa: E731
    diff = mean_q - mean_p
    trace = jnp.trace(solve(cov_p))
    maha = diff @ solve(diff)
    logdet_q = 2.0 * jnp.sum(jnp.log(jnp.diag(chol_q)))
    logdet_p = jnp.linalg.slogdet(cov_p)[1]
    return 0.5 * (trace + maha - d + logdet_q - logdet_p)
