"""Spectral norms of linear layers by power iteration (JAX).

The Lipschitz constant of a linear layer ``x -> A x`` in the Euclidean norm is its largest
singular value ``sigma_max(A)``. Power iteration on ``A^T A`` finds it from products with
``A`` and ``A^T`` only, so it applies to any linear map — a dense matrix, a convolution
(whose matrix is never formed; ``A^T`` is ``jax.linear_transpose`` of the convolution) —
and its estimate ``|A v_k|`` increases to ``sigma_max`` (a lower bound at every step; the
error falls like ``(sigma_2 / sigma_1)^(2k)``).

Also here: the exact singular values of a circular convolution from the FFT of its kernel
(Sedghi, Gupta & Long 2019, Theorem 6), and the one-step power iteration of spectral
normalisation (Miyato, Kataoka, Koyama & Yoshida 2018, Algorithm 1).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .._checks import _describe, check_int, check_positive

__all__ = [
    "SpectralNorm",
    "power_iteration",
    "operator_norm",
    "spectral_norm",
    "conv_operator",
    "conv_spectral_norm",
    "circular_conv_singular_values",
    "spectral_normalize",
    "layer_spectral_norm",
]


class SpectralNorm(NamedTuple):
    """Result of power iteration.

    Attributes
    ----------
    sigma : estimate of the largest singular value (a lower bound that increases to it).
    u : unit left singular vector (output space, the layer's output shape).
    v : unit right singular vector (input space, the layer's input shape).
    iterations : power-iteration steps taken.
    converged : whether the relative change of ``sigma`` fell below ``tol``.

    >>> import numpy as np, gamedyn as gd
    >>> out = gd.lipschitz.spectral_norm(np.diag([3.0, 1.0]))
    >>> round(float(out.sigma), 9), bool(out.converged)
    (3.0, True)
    >>> np.round(np.abs(out.v), 6).tolist()         # the right singular vector e_1, up to sign
    [1.0, 0.0]
    """

    sigma: Any
    u: Any
    v: Any
    iterations: Any
    converged: Any


def _dtype():
    return jnp.result_type(float)


def _start(input_shape, seed):
    # A numpy draw, passed in: generating it with jax.random inside the compiled loop costs
    # more compilation time than the loop itself.
    return jnp.asarray(np.random.default_rng(seed).normal(size=input_shape), dtype=_dtype())


def power_iteration(apply, x0, n_iter, tol=0.0) -> SpectralNorm:
    """The one power iteration of gamedyn, traceable (under ``jit``, ``vmap`` and inside a
    loss): the largest singular value of the linear map ``apply`` from the start vector
    ``x0`` (its shape is the input's), ``n_iter`` steps at most, stopping early once
    ``sigma`` changes by at most ``tol`` relatively (``tol = 0``: a fixed number of steps,
    unless ``sigma`` stops changing at all). :func:`operator_norm` and the layer norms run
    it compiled; the islands' spectrally normalised networks run it inside their losses.

    >>> import jax.numpy as jnp
    >>> out = power_iteration(lambda x: jnp.array([[3.0, 0.0], [0.0, 1.0]]) @ x, jnp.ones(2), 30)
    >>> round(float(out.sigma), 9), int(out.iterations) <= 30   # stops once sigma no longer changes
    (3.0, True)
    """
    x0 = jnp.asarray(x0)
    input_shape = x0.shape
    probe = jnp.zeros(input_shape, dtype=x0.dtype)
    out_shape = jax.eval_shape(apply, probe)
    transpose = jax.linear_transpose(apply, probe)

    def normalise(x):
        norm = jnp.sqrt(jnp.sum(jnp.square(x)))
        return x / jnp.where(norm > 0, norm, 1.0), norm

    # One product with A and one with A^T per step (a convolution compiles slowly on the
    # CPU, so the loop body holds exactly two): for the current unit vector v,
    # w = A v, sigma = |w|, and the next vector is A^T w / |A^T w|. The carry keeps the
    # (v, w, sigma) of the last step for the result, and the sigma before it for the test.
    def step(carry):
        following, _, _, sigma, _, k = carry
        w = apply(following)
        new_sigma = jnp.sqrt(jnp.sum(jnp.square(w)))
        after, _ = normalise(transpose(w)[0])
        return after, following, w, new_sigma, sigma, k + 1

    def keep_going(carry):
        _, _, _, sigma, previous, k = carry
        return (k < n_iter) & ~(jnp.abs(sigma - previous) <= tol * sigma)

    v0, _ = normalise(x0)
    w0 = jnp.zeros(out_shape.shape, out_shape.dtype)
    zero = jnp.zeros((), x0.dtype)
    start = (v0, v0, w0, zero, jnp.asarray(jnp.inf, x0.dtype), 0)
    _, v, w, sigma, previous, k = lax.while_loop(keep_going, step, start)
    u, _ = normalise(w)
    return SpectralNorm(sigma, u, v, k, jnp.abs(sigma - previous) <= tol * sigma)


def _power_iteration_impl(apply, input_shape, n_iter, tol, x0):
    return power_iteration(apply, jnp.reshape(x0, input_shape), n_iter, tol)


_power_iteration = jax.jit(_power_iteration_impl, static_argnames=("apply", "input_shape"))


def operator_norm(apply: Callable, input_shape, *, n_iter=5000, tol=1e-12, seed=0) -> SpectralNorm:
    """Largest singular value of any linear map ``apply`` (a JAX-traceable function of one
    array of shape ``input_shape``) by power iteration on ``A^T A``.

    ``apply`` must be hashable (a module-level function or a ``functools.partial`` of one);
    iteration stops after ``n_iter`` steps or when ``sigma`` changes by less than ``tol``
    relatively.

    >>> import jax.numpy as jnp, gamedyn as gd
    >>> def double_then_sum(x):                    # [[2, 0], [1, 1]] x
    ...     return jnp.stack([2 * x[0], x[0] + x[1]])
    >>> round(float(gd.lipschitz.operator_norm(double_then_sum, (2,)).sigma), 10)
    2.2882456113
    """
    check_int("n_iter", n_iter)
    check_positive("tol", tol)
    shape = tuple(int(s) for s in np.atleast_1d(input_shape))
    return _power_iteration(apply, shape, int(n_iter), tol, _start(shape, seed))


def spectral_norm(weight, *, n_iter=5000, tol=1e-12, seed=0) -> SpectralNorm:
    """``sigma_max(W)`` of a dense layer's matrix ``W`` (any orientation: ``W`` and ``W^T``
    have the same singular values) by power iteration.

    >>> import gamedyn as gd
    >>> float(gd.lipschitz.spectral_norm([[3.0, 0.0], [0.0, -4.0]]).sigma)
    4.0
    """
    weight = jnp.asarray(weight, dtype=_dtype())
    if weight.ndim != 2 or 0 in weight.shape:
        raise ValueError(f"weight has shape {weight.shape}; expected a matrix (m, n)")
    if not np.all(np.isfinite(np.asarray(weight))):
        raise ValueError("weight holds non-finite values")
    check_int("n_iter", n_iter)
    check_positive("tol", tol)
    return _dense_power_iteration(weight, int(n_iter), tol, _start((weight.shape[1],), seed))


@jax.jit
def _dense_power_iteration(weight, n_iter, tol, x0):
    # The weight is an argument, not a closure: one compilation per shape.
    return _power_iteration_impl(lambda x: weight @ x, (weight.shape[1],), n_iter, tol, x0)


def _normalise_padding(padding, spatial, kernel_spatial):
    if isinstance(padding, str):
        upper = padding.upper()
        if upper not in ("SAME", "VALID", "CIRCULAR"):
            raise ValueError(
                f"padding={padding!r} is not accepted; expected 'SAME', 'VALID', 'CIRCULAR', an "
                "int (zeros on every side, as torch's Conv2d), or one (low, high) pair per axis"
            )
        return upper
    if isinstance(padding, (int, np.integer)):
        if padding < 0:
            raise ValueError(f"padding={padding} is not accepted; expected >= 0")
        return tuple((int(padding), int(padding)) for _ in range(spatial))
    pairs = tuple(tuple(int(v) for v in pair) for pair in padding)
    if len(pairs) != spatial or any(len(p) != 2 or min(p) < 0 for p in pairs):
        raise ValueError(
            f"padding={_describe(padding)} is not accepted; expected {spatial} pairs (low, high) >= 0"
        )
    return pairs


def _conv_apply(kernel, stride, padding, x):
    kernel_spatial = kernel.shape[2:]
    if padding == "CIRCULAR":
        # Output size = input size (stride 1): wrap (k - 1) // 2 before and k // 2 after.
        widths = [(0, 0)] + [((k - 1) // 2, k // 2) for k in kernel_spatial]
        x = jnp.pad(x, widths, mode="wrap")
        padding = "VALID"
    # Default dimension numbers: input (N, C, *spatial), kernel (O, I, *spatial) — torch's
    # layout; lax computes a cross-correlation, as torch.nn.Conv2d does.
    return lax.conv_general_dilated(x[None], kernel, window_strides=stride, padding=padding)[0]


def _check_conv(kernel, input_shape, stride, padding):
    kernel = jnp.asarray(kernel, dtype=_dtype())
    if kernel.ndim < 3:
        raise ValueError(
            f"kernel has shape {kernel.shape}; expected (out_channels, in_channels, *kernel_size)"
        )
    if not np.all(np.isfinite(np.asarray(kernel))):
        raise ValueError("kernel holds non-finite values")
    spatial = kernel.ndim - 2
    shape = tuple(int(s) for s in input_shape)
    if len(shape) != spatial + 1 or shape[0] != kernel.shape[1] or min(shape) < 1:
        raise ValueError(
            f"input_shape={_describe(input_shape)} is not accepted; expected (in_channels={kernel.shape[1]}, "
            f"*{spatial} spatial sizes) for a kernel of shape {kernel.shape}"
        )
    strides = (int(stride),) * spatial if np.ndim(stride) == 0 else tuple(int(s) for s in stride)
    if len(strides) != spatial or min(strides) < 1:
        raise ValueError(f"stride={_describe(stride)} is not accepted; expected an int >= 1 or {spatial} of them")
    padding = _normalise_padding(padding, spatial, kernel.shape[2:])
    if padding == "CIRCULAR" and max(strides) != 1:
        raise ValueError("padding='CIRCULAR' is supported with stride 1 only")
    return kernel, shape, strides, padding


def conv_operator(kernel, input_shape, *, stride=1, padding="SAME") -> Callable:
    """The convolution ``x -> y`` of a layer with weight ``kernel`` ``(out, in, *k)`` (torch's
    layout, cross-correlation as in ``torch.nn.Conv2d``) on inputs of shape
    ``input_shape = (in, *spatial)``, as a function of one unbatched input.

    ``padding``: ``"SAME"``, ``"VALID"``, ``"CIRCULAR"`` (periodic, stride 1), an int (zeros
    on every side, like torch's ``padding=p``) or one ``(low, high)`` pair per spatial axis.

    >>> import numpy as np, gamedyn as gd
    >>> conv = gd.lipschitz.conv_operator(np.ones((1, 1, 3)), (1, 5), padding=1)
    >>> conv(np.arange(5.0)[None]).tolist()         # moving sums of 3 with zero padding
    [[1.0, 3.0, 6.0, 9.0, 7.0]]
    """
    kernel, shape, strides, padding = _check_conv(kernel, input_shape, stride, padding)

    def apply(x):
        return _conv_apply(kernel, strides, padding, jnp.asarray(x, dtype=kernel.dtype))

    return apply


@partial(jax.jit, static_argnames=("input_shape", "strides", "padding"))
def _conv_power_iteration(kernel, input_shape, strides, padding, n_iter, tol, x0):
    return _power_iteration_impl(partial(_conv_apply, kernel, strides, padding), input_shape, n_iter, tol, x0)


def conv_spectral_norm(kernel, input_shape, *, stride=1, padding="SAME", n_iter=5000, tol=1e-12, seed=0) -> SpectralNorm:
    """Spectral norm of a convolutional layer (its Lipschitz constant) by power iteration
    on the convolution and its transpose, for inputs of shape ``(in, *spatial)``.

    This is the norm of the layer as a linear map, which can be several times larger than
    the norm of the kernel reshaped to ``(out, in * prod(k))`` that spectral normalisation
    controls (Miyato et al. 2018); see :func:`spectral_normalize`.

    >>> import numpy as np, gamedyn as gd
    >>> # A 1-D averaging kernel [1, 1, 1] / 3 on periodic signals: its largest singular
    >>> # value is |DFT| at frequency 0, i.e. 1.
    >>> k = np.full((1, 1, 3), 1 / 3)
    >>> round(float(gd.lipschitz.conv_spectral_norm(k, (1, 16), padding="CIRCULAR").sigma), 10)
    1.0
    """
    kernel, shape, strides, padding = _check_conv(kernel, input_shape, stride, padding)
    check_int("n_iter", n_iter)
    check_positive("tol", tol)
    return _conv_power_iteration(kernel, shape, strides, padding, int(n_iter), tol, _start(shape, seed))


def circular_conv_singular_values(kernel, input_size):
    """Every singular value of the circular convolution (stride 1, periodic padding) of a
    kernel ``(out, in, *k)`` on inputs of spatial size ``input_size`` (an int for every axis,
    or one per axis), in decreasing order: the union over frequencies ``w`` of the singular
    values of the ``out x in`` matrices ``K_hat(w)``, the DFT of the kernel zero-padded to
    the input size (Sedghi, Gupta & Long 2019, Theorem 6).

    >>> import numpy as np, gamedyn as gd
    >>> sv = gd.lipschitz.circular_conv_singular_values(np.array([[[1.0, 1.0]]]), 4)
    >>> np.round(sv, 12).tolist()                   # |1 + exp(-2 pi i w / 4)|, w = 0..3
    [2.0, 1.414213562373, 1.414213562373, 0.0]
    """
    kernel = jnp.asarray(kernel, dtype=_dtype())
    if kernel.ndim < 3:
        raise ValueError(f"kernel has shape {kernel.shape}; expected (out_channels, in_channels, *kernel_size)")
    spatial = kernel.ndim - 2
    sizes = (int(input_size),) * spatial if np.ndim(input_size) == 0 else tuple(int(s) for s in input_size)
    if len(sizes) != spatial or any(s < k for s, k in zip(sizes, kernel.shape[2:])):
        raise ValueError(
            f"input_size={_describe(input_size)} is not accepted; expected {spatial} sizes, each at "
            f"least the kernel size {kernel.shape[2:]}"
        )
    axes = tuple(range(2, 2 + spatial))
    spectrum = jnp.fft.fftn(kernel, s=sizes, axes=axes)  # (out, in, *sizes)
    per_frequency = jnp.moveaxis(spectrum, (0, 1), (-2, -1)).reshape((-1,) + kernel.shape[:2])
    values = jnp.linalg.svd(per_frequency, compute_uv=False).ravel()
    return jnp.sort(values)[::-1]


def spectral_normalize(weight, u, *, n_power_iterations=1):
    """One spectral-normalisation update (Miyato et al. 2018, Algorithm 1): with the matrix
    ``W`` = ``weight`` reshaped to ``(out, -1)``, ``v = W^T u / |W^T u|``, ``u = W v / |W v|``,
    ``sigma = u^T W v``; returns ``(weight / sigma, u, sigma)``. ``u`` (shape ``(out,)``)
    persists across training steps, so one iteration per step suffices; no gradient flows
    through ``u`` and ``v``, as in the paper.

    >>> import numpy as np, gamedyn as gd
    >>> w = np.array([[3.0, 0.0], [0.0, 1.0]])
    >>> w_sn, u, sigma = gd.lipschitz.spectral_normalize(w, np.array([1.0, 1.0]), n_power_iterations=30)
    >>> round(float(sigma), 9), np.round(w_sn, 6).tolist()
    (3.0, [[1.0, 0.0], [0.0, 0.333333]])
    """
    weight = jnp.asarray(weight)
    if weight.ndim < 2:
        raise ValueError(f"weight has shape {weight.shape}; expected (out, ...) with at least 2 axes")
    u = jnp.asarray(u, dtype=weight.dtype)
    if u.shape != (weight.shape[0],):
        raise ValueError(f"u has shape {u.shape}; expected ({weight.shape[0]},), one entry per output")
    check_int("n_power_iterations", n_power_iterations)
    return _spectral_normalize(weight, u, int(n_power_iterations))


@partial(jax.jit, static_argnames=("n_power_iterations",))
def _spectral_normalize(weight, u, n_power_iterations):
    matrix = weight.reshape(weight.shape[0], -1)
    eps = 1e-12  # as in the reference implementations: guards a zero vector

    def one(_, u):
        v = matrix.T @ u
        v = v / (jnp.linalg.norm(v) + eps)
        u = matrix @ v
        return u / (jnp.linalg.norm(u) + eps)

    u = lax.stop_gradient(lax.fori_loop(0, n_power_iterations, one, u))
    v = matrix.T @ u
    v = lax.stop_gradient(v / (jnp.linalg.norm(v) + eps))
    sigma = u @ matrix @ v
    return weight / sigma, u, sigma


def layer_spectral_norm(layer, input_shape: Sequence[int] | None = None, **options) -> SpectralNorm:
    """Spectral norm of a PyTorch ``nn.Linear`` or ``nn.Conv1d``/``Conv2d`` layer (torch is
    not imported here; the layer's weight, stride and padding are read from it).
    ``input_shape`` ``(in_channels, *spatial)`` is needed for a convolution. ``options`` go
    to :func:`spectral_norm` / :func:`conv_spectral_norm`.

    >>> import torch, gamedyn as gd
    >>> layer = torch.nn.Linear(2, 2, bias=False)
    >>> with torch.no_grad():
    ...     _ = layer.weight.copy_(torch.tensor([[3.0, 0.0], [4.0, 0.0]]))
    >>> round(float(gd.lipschitz.layer_spectral_norm(layer).sigma), 9)   # rank one: |(3, 4)| = 5
    5.0
    """
    kind = type(layer).__name__
    weight = getattr(layer, "weight", None)
    if weight is None or kind not in ("Linear", "Conv1d", "Conv2d"):
        raise ValueError(
            f"layer={_describe(layer)} is not accepted; expected a torch nn.Linear, nn.Conv1d or nn.Conv2d"
        )
    array = np.asarray(weight.detach().cpu().double().numpy())
    if kind == "Linear":
        return spectral_norm(array, **options)
    if input_shape is None:
        raise ValueError(f"input_shape is needed for a {kind} layer: (in_channels, *spatial sizes)")
    if getattr(layer, "groups", 1) != 1 or any(d != 1 for d in np.atleast_1d(layer.dilation)):
        raise ValueError(f"{kind} with groups={layer.groups}, dilation={layer.dilation} is not supported")
    mode = getattr(layer, "padding_mode", "zeros")
    padding = layer.padding
    if isinstance(padding, str):
        padding = padding.upper()
    elif mode == "circular":
        if any(2 * p != k - 1 for p, k in zip(padding, array.shape[2:])):
            raise ValueError(
                f"{kind} with circular padding {padding} and kernel {array.shape[2:]}: only "
                "size-preserving circular padding (2 p = k - 1) is supported"
            )
        padding = "CIRCULAR"
    elif mode != "zeros":
        raise ValueError(f"{kind} with padding_mode={mode!r} is not supported (zeros or circular)")
    else:
        padding = tuple((int(p), int(p)) for p in padding)
    return conv_spectral_norm(array, input_shape, stride=tuple(layer.stride), padding=padding, **options)
