"""Small multilayer perceptrons as pure functions over parameter pytrees.

The Gaussian-mixture game (``_mixture.py``) keeps each player as one flat vector, so that
every update rule of :mod:`gamedyn.optim` applies unchanged; these helpers build the
parameter pytrees, flatten them with :func:`jax.flatten_util.ravel_pytree` and evaluate the
networks. A dense layer is ``h -> h @ w + b`` with ``w`` of shape ``(fan_in, fan_out)``.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.flatten_util import ravel_pytree

__all__ = [
    "ACTIVATIONS",
    "dense_init",
    "dense_init_scale",
    "dense_template",
    "dense_apply",
    "spectral_norm",
    "spectrally_normalised",
    "ravel",
    "unraveler",
]

#: Hidden-layer nonlinearities by name (leaky ReLU with slope 0.2, as in DCGAN).
ACTIVATIONS = {
    "relu": jax.nn.relu,
    "leaky_relu": partial(jax.nn.leaky_relu, negative_slope=0.2),
    "tanh": jnp.tanh,
}

# The fixed start vector of the power iteration is drawn once from this key, so that the
# spectral norm is a deterministic (pure) function of the weights.
_POWER_KEY = 20180216  # Miyato et al., "Spectral normalization for GANs", ICLR 2018


def dense_template(sizes, dtype):
    """Zero parameters ``[{"w": (a, b), "b": (b,)}, ...]`` for layer widths ``sizes``."""
    return [
        {"w": jnp.zeros((a, b), dtype), "b": jnp.zeros((b,), dtype)}
        for a, b in zip(sizes[:-1], sizes[1:])
    ]


def dense_init_scale(sizes, dtype):
    """Per-parameter standard deviations of the initialisation, as a pytree shaped like
    :func:`dense_template`: ``1 / sqrt(fan_in)`` for weights, 0 for biases."""
    return [
        {"w": jnp.full((a, b), 1.0 / np.sqrt(a), dtype), "b": jnp.zeros((b,), dtype)}
        for a, b in zip(sizes[:-1], sizes[1:])
    ]


def dense_init(key, sizes, gain, dtype):
    """Weights ``N(0, gain^2 / fan_in)`` (LeCun et al. 1998 for ``gain = 1``; He et al.
    2015 for ReLU with ``gain = sqrt 2``), zero biases, as a pytree.

    (Orthogonal initialisation, as in Metz et al. 2017, needs a QR factorisation per
    layer, which under ``vmap`` over seeds is the slowest part of starting a run on the
    CPU; the scaled Gaussian has the same second moments.)
    """
    scale = ravel(dense_init_scale(sizes, dtype))
    flat = gain * scale * jax.random.normal(key, scale.shape, dtype)
    return unraveler(dense_template(sizes, dtype))(flat)


def spectral_norm(w, iterations: int = 20):
    """Largest singular value ``sigma(w)`` by ``iterations`` power-iteration steps.

    As in Miyato et al. (2018, Algorithm 1) the singular vectors ``u, v`` are not
    differentiated through (``stop_gradient``), so ``d sigma / d w = u v^T``. Unlike their
    single step per training iteration with a persistent ``u``, the iteration restarts from a
    fixed vector at every call (the game stays a pure function of its parameters); it
    converges like ``(sigma_2 / sigma_1)^(2 iterations)``.

    >>> import jax.numpy as jnp
    >>> float(spectral_norm(jnp.array([[3.0, 0.0], [0.0, 1.0]])))
    3.0
    """
    fan_in, fan_out = w.shape
    u = jax.random.normal(jax.random.PRNGKey(_POWER_KEY), (fan_out,), w.dtype)
    u = u / jnp.linalg.norm(u)
    frozen = lax.stop_gradient(w)

    def body(_, u):
        v = frozen @ u
        v = v / (jnp.linalg.norm(v) + jnp.finfo(w.dtype).tiny)
        u = frozen.T @ v
        return u / (jnp.linalg.norm(u) + jnp.finfo(w.dtype).tiny)

    u = lax.fori_loop(0, iterations, body, u)
    v = frozen @ u
    v = lax.stop_gradient(v / (jnp.linalg.norm(v) + jnp.finfo(w.dtype).tiny))
    return v @ w @ lax.stop_gradient(u)


def spectrally_normalised(w, iterations: int = 20):
    """``w / sigma(w)`` (Miyato et al. 2018, eq. 8)."""
    return w / spectral_norm(w, iterations)


def dense_apply(layers, h, activation, *, last_linear: bool, sn_iterations: int | None = None):
    """Run ``h`` through the dense ``layers``; every layer is followed by ``activation``
    except the last one when ``last_linear``. ``sn_iterations`` switches spectral
    normalisation of every weight matrix on."""
    act = ACTIVATIONS[activation]
    for i, layer in enumerate(layers):
        w = layer["w"] if sn_iterations is None else spectrally_normalised(layer["w"], sn_iterations)
        h = h @ w + layer["b"]
        if not (last_linear and i == len(layers) - 1):
            h = act(h)
    return h


def ravel(tree):
    """The flat vector of a parameter pytree."""
    return ravel_pytree(tree)[0]


def unraveler(template):
    """The inverse of :func:`ravel` for pytrees shaped like ``template``."""
    return ravel_pytree(template)[1]
