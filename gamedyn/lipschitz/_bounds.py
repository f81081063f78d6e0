"""Lipschitz bounds of networks, and empirical Lipschitz constants (JAX).

* Composition: ``Lip(f o g) <= Lip(f) Lip(g)``, so an MLP ``W_L s(... s(W_1 x))`` with
  1-Lipschitz activations has ``Lip <= prod_l sigma_max(W_l)`` (Szegedy et al. 2014, Sec. 4.3;
  the bound spectral normalisation enforces, Miyato et al. 2018, Eq. 7).
* Parallel branches whose outputs are **added**: ``Lip(f_1 + f_2) <= Lip(f_1) + Lip(f_2)`` —
  two spectrally normalised branches give 2, and the bound is attained when both branches
  stretch the same direction by their full constant (a residual block ``x + f(x)`` with a
  normalised ``f`` is such a sum). Branches whose outputs are **stacked**:
  ``Lip((f_1, f_2)) <= sqrt(Lip(f_1)^2 + Lip(f_2)^2)``.
* Empirical constants are lower bounds: the largest gradient norm (Jacobian spectral norm
  for vector outputs) over sample points, or the largest difference quotient over pairs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .._checks import check_choice, check_nonnegative
from ._spectral import spectral_norm

__all__ = [
    "ACTIVATION_LIPSCHITZ",
    "LipschitzBound",
    "composition_bound",
    "mlp_lipschitz_bound",
    "parallel_bound",
    "stacked_bound",
    "gradient_norms",
    "empirical_lipschitz",
]

#: Lipschitz constants of elementwise activations: ``sup |s'|`` (leaky ReLU and ELU with
#: slope / alpha at most 1; sigmoid's derivative peaks at 1/4 at the origin).
ACTIVATION_LIPSCHITZ = {
    "identity": 1.0,
    "relu": 1.0,
    "leaky_relu": 1.0,
    "elu": 1.0,
    "tanh": 1.0,
    "softplus": 1.0,
    "sigmoid": 0.25,
}


class LipschitzBound(NamedTuple):
    """``bound = prod(layer_norms) * prod(activation_constants)``, with the per-layer
    spectral norms (power iteration) and the constant of the activation after each hidden
    layer.

    >>> import numpy as np, gamedyn as gd
    >>> weights = [np.diag([2.0, 1.0]), np.diag([3.0, 0.5])]
    >>> out = gd.lipschitz.mlp_lipschitz_bound(weights, activation="sigmoid")
    >>> round(out.bound, 9), out.activation_constants   # 2 * 3 * 1/4; sigmoid' <= 1/4
    (1.5, (0.25,))
    """

    bound: float
    layer_norms: tuple
    activation_constants: tuple


def _nonnegative_list(name, values):
    values = [float(v) for v in np.atleast_1d(np.asarray(values, dtype=float))]
    check_nonnegative(name, values, what="Lipschitz constants >= 0")
    return values


def composition_bound(layer_constants, activation_constants=()) -> float:
    """``prod L_l * prod a_l``: the Lipschitz bound of a composition of maps with constants
    ``layer_constants`` interleaved with activations of constants ``activation_constants``.

    >>> import gamedyn as gd
    >>> gd.lipschitz.composition_bound([2.0, 0.5, 3.0], [1.0, 0.25])
    0.75
    """
    layers = _nonnegative_list("layer_constants", layer_constants)
    acts = _nonnegative_list("activation_constants", activation_constants) if len(activation_constants) else []
    return float(np.prod(layers) * np.prod(acts)) if acts else float(np.prod(layers))


def mlp_lipschitz_bound(weights: Sequence, activation="relu", **options) -> LipschitzBound:
    """Lipschitz bound of an MLP ``W_L s(... s(W_1 x + b_1) ...) + b_L`` from its weight
    matrices (either orientation; biases do not matter), with one activation ``s`` (a key of
    :data:`ACTIVATION_LIPSCHITZ`) between consecutive layers. ``options`` go to
    :func:`spectral_norm`.

    >>> import numpy as np, gamedyn as gd
    >>> out = gd.lipschitz.mlp_lipschitz_bound([np.diag([2.0, 1.0]), np.array([[1.0, 1.0]])])
    >>> round(out.bound, 9), [round(n, 9) for n in out.layer_norms]
    (2.828427125, [2.0, 1.414213562])
    """
    check_choice("activation", activation, ACTIVATION_LIPSCHITZ)
    if len(weights) == 0:
        raise ValueError("weights is empty; expected one matrix per layer")
    norms = tuple(float(spectral_norm(w, **options).sigma) for w in weights)
    acts = (ACTIVATION_LIPSCHITZ[activation],) * (len(norms) - 1)
    return LipschitzBound(float(np.prod(norms) * np.prod(acts)), norms, acts)


def parallel_bound(branch_constants) -> float:
    """Bound for branches whose outputs are added, ``f = sum_i f_i``: ``sum_i L_i`` (2 for
    two spectrally normalised branches).

    >>> import gamedyn as gd
    >>> gd.lipschitz.parallel_bound([1.0, 1.0])
    2.0
    """
    return float(np.sum(_nonnegative_list("branch_constants", branch_constants)))


def stacked_bound(branch_constants) -> float:
    """Bound for branches whose outputs are stacked, ``f = (f_1, ..., f_m)``:
    ``sqrt(sum_i L_i^2)`` (``sqrt 2`` for two normalised branches).

    >>> import gamedyn as gd
    >>> round(gd.lipschitz.stacked_bound([1.0, 1.0]), 12)
    1.414213562373
    """
    return float(np.sqrt(np.sum(np.square(_nonnegative_list("branch_constants", branch_constants)))))


def _points(name, x):
    x = jnp.asarray(x, dtype=jnp.result_type(float))
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError(f"{name} has shape {x.shape}; expected points (n, d) with n >= 1")
    return x


def gradient_norms(f: Callable, x):
    """``|grad f(x_i)|`` at each row of ``x`` ``(n, d)`` for a scalar ``f``, or the spectral
    norm of the Jacobian ``sigma_max(J_f(x_i))`` for a vector-valued ``f`` (both: the local
    Lipschitz constant). ``f`` maps one point ``(d,)`` to a scalar or a vector.

    >>> import jax.numpy as jnp, gamedyn as gd
    >>> gd.lipschitz.gradient_norms(lambda p: jnp.sum(p ** 2), [[3.0, 4.0]]).tolist()
    [10.0]
    """
    x = _points("x", x)
    jac = jax.vmap(jax.jacrev(f))(x)  # (n, d) or (n, m, d)
    if jac.ndim == 2:
        return jnp.sqrt(jnp.sum(jnp.square(jac), axis=-1))
    jac = jac.reshape(jac.shape[0], -1, jac.shape[-1])
    return jnp.linalg.svd(jac, compute_uv=False)[:, 0]


def empirical_lipschitz(f: Callable, x, y=None) -> float:
    """A lower bound on ``Lip(f)`` from samples: ``max_i |grad f(x_i)|`` (Jacobian spectral
    norm for vector outputs), and, when ``y`` (same shape as ``x``) is given, also
    ``max_i |f(x_i) - f(y_i)| / |x_i - y_i|``.

    >>> import jax.numpy as jnp, gamedyn as gd
    >>> f = lambda p: jnp.abs(p[0]) + 2 * p[1]
    >>> round(gd.lipschitz.empirical_lipschitz(f, [[1.0, 0.0], [-1.0, 0.0]]), 12)   # sqrt 5
    2.236067977500
    """
    x = _points("x", x)
    best = float(jnp.max(gradient_norms(f, x)))
    if y is not None:
        y = _points("y", y)
        if y.shape != x.shape:
            raise ValueError(f"y has shape {y.shape}; expected {x.shape} like x")
        fx, fy = jax.vmap(f)(x), jax.vmap(f)(y)
        change = jnp.sqrt(jnp.sum(jnp.square((fx - fy).reshape(len(x), -1)), axis=-1))
        step = jnp.sqrt(jnp.sum(jnp.square(x - y), axis=-1))
        quotients = jnp.where(step > 0, change / jnp.where(step > 0, step, 1.0), 0.0)
        best = max(best, float(jnp.max(quotients)))
    if np.isnan(best):
        raise ValueError("f has NaN gradients or values at the samples; check f and x")
    return best
