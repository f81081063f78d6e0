"""Calibration samples: what the mode-collapse scorer says for trivial answers.

A mode count or a high-quality fraction means something only beside what it gives for
answers that need no training: exact samples of the mixture (the ceiling), the best single
Gaussian (a structureless blob that covers every mode a little), and a generator collapsed on
one mode. A method's coverage claim counts only when it beats these rows.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from .._checks import check_choice, check_int

__all__ = ["CALIBRATIONS", "calibration_samples", "blob_moments"]

#: Calibration rows by name, in the table's order.
CALIBRATIONS = ("true_samples", "blob", "one_mode")


def blob_moments(mixture):
    """Mean and covariance of the mixture, ``mu = sum_k w_k c_k`` and
    ``Sigma = sum_k w_k (s_k^2 I + c_k c_k^T) - mu mu^T``: the Gaussian that minimises
    ``KL(p || N(mu, Sigma))`` over all Gaussians (moment matching), i.e. the best single
    Gaussian fitted to the mixture by maximum likelihood on infinitely many samples.

    >>> import gamedyn as gd
    >>> mu, cov = blob_moments(gd.games.GaussianMixture.ring())
    >>> mu.round(12) + 0.0, cov.round(6)  # 0.5 + 0.01^2 on the diagonal
    (array([0., 0.]), array([[0.5001, 0.    ],
           [0.    , 0.5001]]))
    """
    centers = np.asarray(mixture.centers, dtype=np.float64)
    weights = np.asarray(mixture.weights, dtype=np.float64)
    stds = np.broadcast_to(np.asarray(mixture.std, dtype=np.float64), weights.shape)
    mu = weights @ centers
    second = np.einsum("k,ki,kj->ij", weights, centers, centers)
    cov = second - np.outer(mu, mu) + np.sum(weights * stds**2) * np.eye(centers.shape[1])
    return mu, cov


def calibration_samples(kind: str, mixture, n: int, key):
    """``n`` samples of the calibration answer ``kind`` for ``mixture`` (float64, (n, d)):

    * ``true_samples``: exact samples of the mixture;
    * ``blob``: samples of the best single Gaussian :func:`blob_moments`;
    * ``one_mode``: exact samples of the first component only (a generator collapsed on
      one mode, with the data's own spread).

    >>> import jax, gamedyn as gd
    >>> ring = gd.games.GaussianMixture.ring()
    >>> stats = gd.metrics.mode_stats(calibration_samples("one_mode", ring, 2500, jax.random.PRNGKey(0)), ring)
    >>> int(stats.modes), round(float(stats.kl), 6)  # one mode: KL = log 8
    (1, 2.079442)
    """
    check_choice("kind", kind, CALIBRATIONS)
    check_int("n", n, minimum=1)
    centers = jnp.asarray(mixture.centers, jnp.float64)
    d = centers.shape[1]
    if kind == "true_samples":
        return jnp.asarray(mixture.sample(key, int(n)), jnp.float64)
    eps = jax.random.normal(key, (int(n), d), jnp.float64)
    if kind == "one_mode":
        std = jnp.broadcast_to(jnp.asarray(mixture.std, jnp.float64), (centers.shape[0],))[0]
        return centers[0] + std * eps
    mu, cov = blob_moments(mixture)
    return jnp.asarray(mu) + eps @ jnp.asarray(np.linalg.cholesky(cov)).T
