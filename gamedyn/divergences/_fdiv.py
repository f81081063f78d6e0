"""f-divergences, their convex conjugates and the variational lower bound of f-GAN.

For a convex ``f`` with ``f(1) = 0``, ``D_f(P || Q) = sum_i q_i f(p_i / q_i)``. Fenchel
duality (Nguyen, Wainwright & Jordan 2010) gives, for every critic ``T``,

    ``D_f(P || Q) >= E_P[T(x)] - E_Q[f*(T(x))]``,  ``f*(u) = sup_t (t u - f(t))``,

with equality at ``T* = f'(p / q)``. f-GAN (Nowozin, Cseke & Tomioka 2016, Eq. 6 and Tables
1-2) trains ``T = g_f(V)`` with an output activation ``g_f`` that keeps ``T`` inside the
domain of ``f*``. The registry :data:`F_DIVERGENCES` holds ``f``, ``f*``, ``f'`` and ``g_f``
for the usual divergences, each written in ``jax.numpy`` so that a GAN loss can
differentiate through it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import jax.numpy as jnp
import numpy as np

from .._checks import check_choice
from ._discrete import _prepare, _reduce

__all__ = ["FDivergence", "F_DIVERGENCES", "f_divergence", "variational_bound", "optimal_critic"]

LOG2 = float(np.log(2.0))


def _safe_pos(t):
    """``t`` where ``t > 0``, else 1: keeps ``log``/division finite in the unselected branch
    of a ``where`` (so that its gradient is not NaN)."""
    return jnp.where(t > 0, t, 1.0)


def _xlogx(t):
    ts = _safe_pos(t)
    return jnp.where(t > 0, ts * jnp.log(ts), 0.0)


def _outside(u, inside, value):
    """``value`` where ``inside``, ``+inf`` elsewhere: a conjugate is infinite outside its
    domain, so the variational bound of an illegal critic is ``-inf``, never NaN."""
    return jnp.where(inside, value, jnp.inf)


@dataclasses.dataclass(frozen=True)
class FDivergence:
    """One f-divergence: generator ``f`` (convex on ``t >= 0``; ``f(1) = 0`` except for
    ``"gan"``, whose ``f(1) = -log 4`` as in Nowozin et al.'s table), conjugate
    ``f*(u) = sup_{t >= 0} (t u - f(t))``, derivative ``f'`` (the optimal critic is
    ``f'(p/q)``), f-GAN output activation ``g_f``, the interval ``(low, high)`` where ``f*``
    is finite (TV's right end included), and the limits that define ``q f(p/q)`` where ``p``
    or ``q`` is zero: ``f_at_zero = f(0+)`` and ``slope_at_infinity = lim f(t)/t``.

    >>> import gamedyn as gd
    >>> kl = gd.divergences.F_DIVERGENCES["kl"]
    >>> kl
    FDivergence('kl': KL(P||Q), f = t log t)
    >>> u = kl.f_prime(2.0)                        # Fenchel equality: f*(f'(t)) = t f'(t) - f(t)
    >>> round(float(kl.conjugate(u)), 12), round(float(2.0 * u - kl.f(2.0)), 12)
    (2.0, 2.0)
    """

    name: str
    description: str
    f: Callable
    conjugate: Callable
    f_prime: Callable
    activation: Callable
    domain: tuple[float, float]
    f_at_zero: float
    slope_at_infinity: float

    def __repr__(self) -> str:
        return f"FDivergence({self.name!r}: {self.description})"

    def terms(self, p, q):
        """``q f(p/q)`` elementwise, with the limits where ``p`` or ``q`` is zero."""
        p_pos, q_pos = p > 0, q > 0
        ratio = p / _safe_pos(q)
        interior = q * self.f(jnp.where(p_pos & q_pos, ratio, 1.0))
        # 0 * inf is avoided by selecting, not multiplying.
        only_p = p * self.slope_at_infinity if self.slope_at_infinity != 0 else jnp.zeros_like(p)
        only_q = q * self.f_at_zero if self.f_at_zero != 0 else jnp.zeros_like(q)
        return jnp.where(p_pos & q_pos, interior, jnp.where(p_pos, only_p, jnp.where(q_pos, only_q, 0.0)))


def _kl_f(t):
    return _xlogx(t)


def _reverse_kl_f(t):
    return -jnp.log(_safe_pos(t))


def _pearson_f(t):
    return jnp.square(t - 1.0)


def _neyman_f(t):
    return jnp.square(1.0 - t) / _safe_pos(t)


def _hellinger_f(t):
    return jnp.square(jnp.sqrt(jnp.maximum(t, 0.0)) - 1.0)


def _js_f(t):
    # Scaled by 1/2 so that D_f is JS itself (Nowozin et al.'s Table 1 generator gives 2 JS).
    return 0.5 * (_xlogx(t) - (t + 1.0) * jnp.log((t + 1.0) / 2.0))


def _gan_f(t):
    # Goodfellow et al.'s objective: D_f = 2 JS - log 4.
    return _xlogx(t) - (t + 1.0) * jnp.log(t + 1.0)


def _tv_f(t):
    return 0.5 * jnp.abs(t - 1.0)


def _exp_neg(v):
    return jnp.exp(-v)


F_DIVERGENCES: dict[str, FDivergence] = {
    d.name: d
    for d in [
        FDivergence(
            "kl", "KL(P||Q), f = t log t",
            f=_kl_f,
            conjugate=lambda u: jnp.exp(u - 1.0),
            f_prime=lambda t: 1.0 + jnp.log(t),
            activation=lambda v: v,
            domain=(-np.inf, np.inf), f_at_zero=0.0, slope_at_infinity=np.inf,
        ),
        FDivergence(
            "reverse_kl", "KL(Q||P), f = -log t",
            f=_reverse_kl_f,
            conjugate=lambda u: _outside(u, u < 0, -1.0 - jnp.log(jnp.where(u < 0, -u, 1.0))),
            f_prime=lambda t: -1.0 / t,
            activation=lambda v: -_exp_neg(v),
            domain=(-np.inf, 0.0), f_at_zero=np.inf, slope_at_infinity=0.0,
        ),
        FDivergence(
            "pearson", "Pearson chi^2(P||Q), f = (t - 1)^2",
            f=_pearson_f,
            # Over t >= 0 the supremum sits at t = 0 once u < -2 (Nowozin et al.'s u^2/4 + u
            # conjugates f extended to all real t: never smaller, so valid but looser).
            conjugate=lambda u: jnp.where(u >= -2.0, 0.25 * jnp.square(u) + u, -1.0),
            f_prime=lambda t: 2.0 * (t - 1.0),
            activation=lambda v: v,
            domain=(-np.inf, np.inf), f_at_zero=1.0, slope_at_infinity=np.inf,
        ),
        FDivergence(
            "neyman", "Neyman chi^2(P||Q), f = (1 - t)^2 / t",
            f=_neyman_f,
            conjugate=lambda u: _outside(u, u < 1, 2.0 - 2.0 * jnp.sqrt(jnp.where(u < 1, 1.0 - u, 1.0))),
            f_prime=lambda t: 1.0 - 1.0 / jnp.square(t),
            activation=lambda v: 1.0 - _exp_neg(v),
            domain=(-np.inf, 1.0), f_at_zero=np.inf, slope_at_infinity=1.0,
        ),
        FDivergence(
            "hellinger", "squared Hellinger sum (sqrt p - sqrt q)^2, f = (sqrt t - 1)^2",
            f=_hellinger_f,
            conjugate=lambda u: _outside(u, u < 1, u / jnp.where(u < 1, 1.0 - u, 1.0)),
            f_prime=lambda t: 1.0 - 1.0 / jnp.sqrt(t),
            activation=lambda v: 1.0 - _exp_neg(v),
            domain=(-np.inf, 1.0), f_at_zero=1.0, slope_at_infinity=1.0,
        ),
        FDivergence(
            "js", "Jensen-Shannon, f = (t log t - (t + 1) log((t + 1)/2)) / 2",
            f=_js_f,
            conjugate=lambda u: _outside(
                u, u < LOG2 / 2, -0.5 * jnp.log(jnp.where(u < LOG2 / 2, 2.0 - jnp.exp(2.0 * u), 1.0))
            ),
            f_prime=lambda t: 0.5 * jnp.log(2.0 * t / (t + 1.0)),
            activation=lambda v: 0.5 * (LOG2 - jnp.logaddexp(0.0, -v)),
            domain=(-np.inf, LOG2 / 2), f_at_zero=LOG2 / 2, slope_at_infinity=LOG2 / 2,
        ),
        FDivergence(
            "gan", "original GAN (2 JS - log 4), f = t log t - (t + 1) log(t + 1)",
            f=_gan_f,
            conjugate=lambda u: _outside(u, u < 0, -jnp.log(jnp.where(u < 0, -jnp.expm1(u), 1.0))),
            f_prime=lambda t: jnp.log(t / (t + 1.0)),
            activation=lambda v: -jnp.logaddexp(0.0, -v),
            domain=(-np.inf, 0.0), f_at_zero=0.0, slope_at_infinity=0.0,
        ),
        FDivergence(
            "tv", "total variation, f = |t - 1| / 2",
            f=_tv_f,
            # sup_{t >= 0} (t u - |t - 1|/2): t = 1 for |u| <= 1/2, t = 0 below (value -1/2).
            conjugate=lambda u: _outside(u, u <= 0.5, jnp.maximum(u, -0.5)),
            f_prime=lambda t: 0.5 * jnp.sign(t - 1.0),
            activation=lambda v: 0.5 * jnp.tanh(v),
            domain=(-np.inf, 0.5), f_at_zero=0.5, slope_at_infinity=0.5,
        ),
    ]
}


def _lookup(divergence) -> FDivergence:
    if isinstance(divergence, FDivergence):
        return divergence
    check_choice("divergence", divergence, F_DIVERGENCES)
    return F_DIVERGENCES[divergence]


def f_divergence(p, q, divergence, *, dx=None, axis=-1):
    """``D_f(P || Q) = sum_i q_i f(p_i / q_i)`` for a named f-divergence (a key of
    :data:`F_DIVERGENCES`) or any :class:`FDivergence`.

    Where ``q_i = 0 < p_i`` the term is ``p_i lim_{t->inf} f(t)/t``; where ``p_i = 0 < q_i``
    it is ``q_i f(0+)`` (both may be ``inf``).

    >>> import gamedyn as gd
    >>> p, q = [0.5, 0.5], [0.9, 0.1]
    >>> gd.divergences.f_divergence(p, q, "kl"), gd.divergences.kl(p, q)
    (Array(0.51082562, dtype=float64), Array(0.51082562, dtype=float64))
    >>> gd.divergences.f_divergence([1.0, 0.0], [0.0, 1.0], "hellinger")   # (1 + 1)
    Array(2., dtype=float64)
    """
    spec = _lookup(divergence)
    p, q, cell, axis = _prepare(p, q, dx, axis)
    return _reduce(spec.terms, p, q, cell, axis)


def _weighted_mean(values, weights, name):
    values = jnp.asarray(values)
    if weights is None:
        return jnp.mean(values, axis=-1)
    weights = jnp.asarray(weights)
    if weights.shape[-1:] != values.shape[-1:]:
        raise ValueError(f"{name} has shape {weights.shape}; expected one weight per critic value {values.shape[-1:]}")
    # Zero-weight points must not contribute, even where the value is infinite.
    return jnp.sum(jnp.where(weights > 0, weights * values, 0.0), axis=-1) / jnp.sum(weights, axis=-1)


def variational_bound(divergence, critic_p, critic_q, *, activated=True, weights_p=None, weights_q=None):
    """f-GAN's lower bound ``E_P[T] - E_Q[f*(T)] <= D_f(P || Q)`` (Nowozin et al. 2016,
    Eq. 6), from critic values ``T`` on samples of ``P`` (``critic_p``) and of ``Q``
    (``critic_q``), averaged over the last axis (optionally with weights, e.g. the masses of a
    discrete distribution).

    With ``activated=False`` the inputs are raw critic outputs ``V`` and ``T = g_f(V)`` is
    applied first (the output activation of the paper's Table 2). A critic value outside
    the domain of ``f*`` gives ``-inf``.

    >>> import gamedyn as gd
    >>> p, q = [0.25, 0.75], [0.5, 0.5]
    >>> t = gd.divergences.optimal_critic("kl", [0.5, 1.5])     # T* = f'(p / q)
    >>> gd.divergences.variational_bound("kl", t, t, weights_p=p, weights_q=q)
    Array(0.13081204, dtype=float64)
    >>> gd.divergences.kl(p, q)
    Array(0.13081204, dtype=float64)
    """
    spec = _lookup(divergence)
    t_p, t_q = jnp.asarray(critic_p), jnp.asarray(critic_q)
    if t_p.ndim == 0 or t_q.ndim == 0:
        raise ValueError("critic_p and critic_q must hold at least one critic value each (an array)")
    if not activated:
        t_p, t_q = spec.activation(t_p), spec.activation(t_q)
    return _weighted_mean(t_p, weights_p, "weights_p") - _weighted_mean(
        spec.conjugate(t_q), weights_q, "weights_q"
    )


def optimal_critic(divergence, ratio):
    """The critic that makes :func:`variational_bound` tight: ``T*(x) = f'(p(x) / q(x))``
    (Nguyen et al. 2010; Nowozin et al. 2016, Sec. 2.2), from the density ratio ``p / q``.

    >>> import gamedyn as gd
    >>> gd.divergences.optimal_critic("gan", 1.0)   # log D* = log(1/2) where p = q
    Array(-0.69314718, dtype=float64)
    """
    spec = _lookup(divergence)
    return spec.f_prime(jnp.asarray(ratio, dtype=jnp.result_type(float)))

