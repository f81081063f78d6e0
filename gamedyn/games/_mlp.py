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
    "batchnorm",
    "batchnorm_template",
    "BATCHNORM_EPS",
    "spectral_norm",
    "spectrally_normalised",
    "ravel",
    "unraveler",
]

#: Hidden-layer nonlinearities by name (leaky ReLU with slope 0.2, as in DCGAN). ``maxout``
#: (Goodfellow et al. 2013) is not elementwise: a maxout layer of width ``w`` with ``p``
#: pieces computes ``w * p`` affine outputs and keeps the largest of each group of ``p``.
ACTIVATIONS = {
    "relu": jax.nn.relu,
    "leaky_relu": partial(jax.nn.leaky_relu, negative_slope=0.2),
    "tanh": jnp.tanh,
    "maxout": None,
}

#: Variance floor of batch normalisation (Ioffe & Szegedy 2015), as in torch.nn.BatchNorm1d.
BATCHNORM_EPS = 1e-5

# The fixed start vector of the power iteration is drawn once from this key, so that the
# spectral norm is a deterministic (pure) function of the weights.
_POWER_KEY = 20180216  # Miyato et al., "Spectral normalization for GANs", ICLR 2018


def dense_template(sizes, dtype, pieces: int = 1):
    """Zero parameters ``[{"w": (a, b p), "b": (b p,)}, ...]`` for layer widths ``sizes``;
    ``pieces = p > 1`` for maxout layers (every layer of ``sizes`` is then a maxout layer)."""
    return [
        {"w": jnp.zeros((a, b * pieces), dtype), "b": jnp.zeros((b * pieces,), dtype)}
        for a, b in zip(sizes[:-1], sizes[1:])
    ]


def dense_init_scale(sizes, dtype, pieces: int = 1, std=None):
    """Per-parameter standard deviations of the initialisation, as a pytree shaped like
    :func:`dense_template`: ``1 / sqrt(fan_in)`` for weights (or ``std`` for every weight,
    e.g. DCGAN's and PacGAN's 0.02), 0 for biases."""
    return [
        {
            "w": jnp.full((a, b * pieces), 1.0 / np.sqrt(a) if std is None else std, dtype),
            "b": jnp.zeros((b * pieces,), dtype),
        }
        for a, b in zip(sizes[:-1], sizes[1:])
    ]


def batchnorm_template(widths, dtype):
    """Batch-normalisation parameters ``[{"scale": (w,), "shift": (w,)}, ...]``, initialised
    to the identity affine map (scale 1, shift 0), one per hidden width."""
    return [
        {"scale": jnp.ones((w,), dtype), "shift": jnp.zeros((w,), dtype)} for w in widths
    ]


def batchnorm(h, scale, shift):
    """Batch normalisation in training mode (Ioffe & Szegedy 2015, Algorithm 1): each feature
    standardised by its mean and (biased) variance over the batch, then ``scale * . + shift``.
    A pure function of the batch: there are no running statistics."""
    mean = jnp.mean(h, axis=0)
    var = jnp.mean(jnp.square(h - mean), axis=0)
    return (h - mean) * lax.rsqrt(var + BATCHNORM_EPS) * scale + shift


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
    """Largest singular value ``sigma(w)`` by ``iterations`` power-iteration steps
    (:func:`gamedyn.lipschitz.power_iteration`, from a fixed start vector).

    As in Miyato et al. (2018, Algorithm 1) the singular vectors ``u, v`` are not
    differentiated through (``stop_gradient``), so ``d sigma / d w = u v^T``. Unlike their
    single step per training iteration with a persistent ``u``, the iteration restarts from a
    fixed vector at every call (the game stays a pure function of its parameters); it
    converges like ``(sigma_2 / sigma_1)^(2 iterations)``.

    >>> import jax.numpy as jnp
    >>> float(spectral_norm(jnp.array([[3.0, 0.0], [0.0, 1.0]])))
    3.0
    """
    from ..lipschitz import power_iteration  # (the lipschitz layer imports the games layer)

    fan_in, fan_out = w.shape
    frozen = lax.stop_gradient(w)
    start = jax.random.normal(jax.random.PRNGKey(_POWER_KEY), (fan_out,), w.dtype)
    # (its last step measures sigma at the vector the step before left: iterations + 1 steps
    # apply W^T W to the start vector as often as Miyato et al.'s loop of `iterations` rounds)
    found = power_iteration(lambda x: frozen @ x, start, iterations + 1)
    # sigma = u^T w v with the singular vectors held: differentiable in w, d sigma / d w = u v^T
    return lax.stop_gradient(found.u) @ w @ lax.stop_gradient(found.v)


def spectrally_normalised(w, iterations: int = 20):
    """``w / sigma(w)`` (Miyato et al. 2018, eq. 8)."""
    return w / spectral_norm(w, iterations)


def dense_apply(layers, h, activation, *, last_linear: bool, sn_iterations: int | None = None,
                pieces: int = 1, norms=None):
    """Run ``h`` through the dense ``layers``; every layer is followed by ``activation``
    except the last one when ``last_linear``. ``sn_iterations`` switches spectral
    normalisation of every weight matrix on. ``activation="maxout"`` keeps the largest of
    each group of ``pieces`` outputs (layers from :func:`dense_template` with ``pieces``).
    ``norms`` (from :func:`batchnorm_template`, one per hidden layer) batch-normalises each
    hidden layer's pre-activations (dense, then batch norm, then the nonlinearity, as in
    Ioffe & Szegedy 2015 and DCGAN)."""
    act = ACTIVATIONS[activation]
    for i, layer in enumerate(layers):
        w = layer["w"] if sn_iterations is None else spectrally_normalised(layer["w"], sn_iterations)
        h = h @ w + layer["b"]
        if last_linear and i == len(layers) - 1:
            break
        if norms is not None:
            h = batchnorm(h, norms[i]["scale"], norms[i]["shift"])
        if activation == "maxout":
            h = jnp.max(h.reshape(h.shape[:-1] + (h.shape[-1] // pieces, pieces)), axis=-1)
        else:
            h = act(h)
    return h


def ravel(tree):
    """The flat vector of a parameter pytree."""
    return ravel_pytree(tree)[0]


def unraveler(template):
    """The inverse of :func:`ravel` for pytrees shaped like ``template``."""
    return ravel_pytree(template)[1]
