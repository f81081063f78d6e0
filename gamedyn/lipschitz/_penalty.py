"""Gradient-penalty geometry (WGAN-GP, Gulrajani et al. 2017).

WGAN-GP penalises ``(|grad D(x_hat)| - 1)^2`` at interpolates
``x_hat = eps x_real + (1 - eps) x_fake``, ``eps ~ U[0, 1]``, of randomly paired real and fake
samples (Gulrajani et al. 2017, Algorithm 1, Eq. 3). Its justification (their Proposition 1):
the optimal critic has unit gradient norm on the segments joining points coupled by an
*optimal* transport plan. The penalty therefore constrains the critic only where the
interpolates fall, which is a region shaped by the data manifold and the generator's samples:

* for data on a circle of radius ``r`` and one generator sample ``p``, the interpolates fill
  the convex hull of ``p`` and the disk — the union of the segments from ``p`` to the
  circle (:func:`penalty_region` tests membership exactly);
* outside the union of those hulls the critic is unconstrained: nothing stops its gradient
  there from being far from 1;
* random pairs are not transport pairs: most segments the penalty sees are not the rays
  along which the optimal critic has unit slope (the criticism of Petzka, Fischer & Lukovnikov
  2018, who propose the one-sided penalty ``max(0, |grad D| - 1)^2``, ``one_sided=True``).
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from .._checks import _describe, check_int, check_positive, check_real
from ..games import safe_norm

__all__ = ["circle_samples", "interpolates", "gradient_penalty", "penalty_region"]

# Points per chunk of penalty_region's point-by-fake-sample test (about 2^20 pairs).
_PAIRS_PER_CHUNK = 2**20


def _key(seed_or_key):
    if isinstance(seed_or_key, (int, np.integer)):
        return jax.random.PRNGKey(int(seed_or_key))
    return seed_or_key


def _center(center):
    c = np.asarray(center, dtype=float)
    if c.shape != (2,) or not np.all(np.isfinite(c)):
        raise ValueError(f"center={_describe(center)} is not accepted; expected a finite point (x, y)")
    return c


def circle_samples(n, radius=1.0, center=(0.0, 0.0), *, key=0):
    """``n`` points uniform on the circle of ``radius`` around ``center`` (a data manifold
    of dimension 1 in the plane). ``key``: a JAX key or an integer seed.

    >>> import numpy as np, gamedyn as gd
    >>> x = gd.lipschitz.circle_samples(5, radius=2.0)
    >>> np.allclose(np.linalg.norm(x, axis=1), 2.0)
    True
    """
    check_int("n", n)
    check_positive("radius", radius)
    c = _center(center)
    angle = jax.random.uniform(_key(key), (int(n),), maxval=2 * jnp.pi, dtype=jnp.result_type(float))
    return jnp.asarray(c) + radius * jnp.stack([jnp.cos(angle), jnp.sin(angle)], axis=-1)


def _pair(real, fake):
    real, fake = jnp.asarray(real), jnp.asarray(fake)
    if real.ndim != 2 or real.shape != fake.shape or real.shape[0] == 0:
        raise ValueError(
            f"real has shape {real.shape} and fake {fake.shape}; expected equal shapes (n, d), "
            "row i of each forming a pair"
        )
    return real, fake


def interpolates(real, fake, key):
    """WGAN-GP's sampling: ``x_hat_i = eps_i real_i + (1 - eps_i) fake_i``, ``eps_i ~ U[0, 1]``
    (rows are paired as given: shuffle them for random pairs). Returns ``(x_hat, eps)``.

    >>> import jax, gamedyn as gd
    >>> x_hat, eps = gd.lipschitz.interpolates([[1.0, 0.0]], [[0.0, 0.0]], jax.random.PRNGKey(0))
    >>> bool(x_hat[0, 0] == eps[0]) and float(x_hat[0, 1]) == 0.0
    True
    """
    real, fake = _pair(real, fake)
    eps = jax.random.uniform(_key(key), (real.shape[0],), dtype=real.dtype)
    return eps[:, None] * real + (1.0 - eps[:, None]) * fake, eps


def gradient_penalty(critic: Callable, real, fake, key, *, target=1.0, one_sided=False):
    """``E[(|grad D(x_hat)| - target)^2]`` over :func:`interpolates` (Gulrajani et al. 2017,
    Eq. 3; multiply by ``lambda``, 10 in the paper, in the critic's loss), or the one-sided
    ``E[max(0, |grad D(x_hat)| - target)^2]`` (Petzka et al. 2018). ``critic`` maps one point
    ``(d,)`` to a scalar; the penalty is differentiable with respect to whatever the critic
    closes over (its parameters), with a finite gradient even where ``grad D = 0``.

    >>> import jax, jax.numpy as jnp, gamedyn as gd
    >>> critic = lambda x: 3.0 * x[0]                 # |grad D| = 3 everywhere
    >>> float(gd.lipschitz.gradient_penalty(critic, [[1.0, 0.0]], [[0.0, 1.0]], jax.random.PRNGKey(0)))
    4.0
    """
    check_real("target", target)
    real, fake = _pair(real, fake)
    x_hat, _ = interpolates(real, fake, key)
    norms = jax.vmap(lambda x: safe_norm(jax.grad(critic)(x)))(x_hat)
    excess = norms - target
    if one_sided:
        excess = jnp.maximum(excess, 0.0)
    return jnp.mean(jnp.square(excess))


def penalty_region(points, fake, *, radius=1.0, center=(0.0, 0.0)) -> np.ndarray:
    """Which ``points`` ``(n, 2)`` some interpolate ``eps c + (1 - eps) p`` between a point
    ``c`` of the circle (``radius``, ``center``) and a generator sample ``p`` of ``fake``
    ``(m, 2)`` can reach, exactly: ``x`` is reachable from ``p`` iff ``x`` lies in the convex
    hull of ``p`` and the disk, i.e. iff the ray from ``x`` pointing away from ``p`` meets the
    disk. Where this is False, the gradient penalty never constrains the critic.

    >>> import gamedyn as gd
    >>> gd.lipschitz.penalty_region([[0.0, 0.0], [0.0, 1.5], [-1.5, 0.0], [1.9, 0.0]], [[2.0, 0.0]]).tolist()
    [True, False, False, True]
    """
    check_positive("radius", radius)
    c = _center(center)
    x = np.asarray(points, dtype=float)
    p = np.asarray(fake, dtype=float)
    for name, arr in (("points", x), ("fake", p)):
        if arr.ndim != 2 or arr.shape[1] != 2 or arr.shape[0] == 0:
            raise ValueError(f"{name} has shape {arr.shape}; expected planar points (n, 2)")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} holds non-finite values")
    r2 = float(radius) ** 2
    w = x - c  # points relative to the centre
    inside = np.sum(w * w, axis=1) <= r2
    reached = inside.copy()
    rows = max(1, _PAIRS_PER_CHUNK // len(p))
    for start in range(0, len(x), rows):
        wc = w[start : start + rows, None, :]  # (rows, 1, 2)
        direction = x[start : start + rows, None, :] - p[None, :, :]  # x - p: (rows, m, 2)
        length = np.sqrt(np.sum(direction * direction, axis=-1))
        unit = direction / np.where(length > 0, length, 1.0)[..., None]
        along = np.sum(wc * unit, axis=-1)  # w . u; the ray x + t u approaches c iff w . u < 0
        closest2 = np.sum(wc * wc, axis=-1) - along**2
        hits = (along < 0) & (closest2 <= r2)
        hits |= length == 0  # x is the generator sample itself (eps = 0)
        reached[start : start + rows] |= hits.any(axis=1)
    return reached
