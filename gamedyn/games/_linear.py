"""Linear games: the bilinear game and the general zero-sum quadratic game."""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp
import numpy as np

from .._checks import NotANumberError, check_real, is_traced
from .._hyper import hyper
from .._pytree import pytree_dataclass
from ._base import Game
from ._registry import Axis, register_game

__all__ = ["Bilinear", "Quadratic"]


def _numeric(name: str, value, what: str):
    """``value`` as a JAX array, or an error naming ``name`` if it is not numeric."""
    if not is_traced(value):
        kind = np.asarray(value).dtype.kind if not isinstance(value, (str, bytes)) else "U"
        if kind not in "biuf":
            raise NotANumberError(f"{name}={value!r} is not accepted; expected {what}")
    return jnp.asarray(value)


def _matrix(name: str, value, shape=None):
    arr = _numeric(name, value, "a matrix of finite numbers, e.g. [[1.0, 0.0], [0.0, 0.5]]")
    if not jnp.issubdtype(arr.dtype, jnp.floating):
        arr = arr.astype(jnp.result_type(float))
    if arr.ndim != 2 or 0 in arr.shape:
        raise ValueError(
            f"{name} has shape {tuple(arr.shape)}; expected a non-empty 2-D matrix"
        )
    if shape is not None and tuple(arr.shape) != tuple(shape):
        raise ValueError(f"{name} has shape {tuple(arr.shape)}; expected {tuple(shape)}")
    if not is_traced(arr):
        check_real(name, np.asarray(arr), what="a matrix of finite numbers")
    return arr


def _vector(name: str, value, n: int):
    arr = _numeric(name, value, f"a vector of {n} finite numbers")
    if not jnp.issubdtype(arr.dtype, jnp.floating):
        arr = arr.astype(jnp.result_type(float))
    if arr.shape != (n,):
        raise ValueError(f"{name} has shape {tuple(arr.shape)}; expected ({n},)")
    if not is_traced(arr):
        check_real(name, np.asarray(arr), what="a vector of finite numbers")
    return arr


def _show(M, indent="    ") -> str:
    text = np.array2string(np.asarray(M, dtype=float), precision=6, suppress_small=True)
    return "\n".join(indent + line for line in text.splitlines())


def _scaled_coupling(params, s):
    return {**params, "A": s * np.asarray(params["A"], dtype=float)}


def _ridge(block: str, side: int):
    """Axis ``b`` / ``c``: the block ``B`` / ``C`` given plus ``value * I``."""

    def apply(params, value):
        n = np.shape(params["A"])[side]
        given = params.get(block)
        base = np.zeros((n, n)) if given is None else np.asarray(given, dtype=float)
        return {**params, block: base + value * np.eye(n)}

    return apply


class _Coupled(Game):
    """A game whose coupling matrix ``A`` (``n_x x n_y``) gives the players' sizes."""

    @property
    def n_x(self) -> int:
        return self.A.shape[0]

    @property
    def n_y(self) -> int:
        return self.A.shape[1]


_COUPLING = Axis("coupling scale: A = s * MATRIX (every singular value scales by s)", _scaled_coupling)


@register_game("bilinear")
@pytree_dataclass
class Bilinear(_Coupled):
    """The bilinear game ``loss_x = x^T A y``, ``loss_y = -x^T A y``.

    ``A`` has shape ``(n_x, n_y)``. The vector field is ``F(z) = (-A y, A^T x)``, its
    Jacobian ``[[0, -A], [A^T, 0]]`` has eigenvalues ``+-i s_k`` (``s_k`` the singular values
    of ``A``), and ``z = 0`` is an equilibrium (the unique one when ``A`` is square and
    invertible).

    >>> import gamedyn as gd
    >>> game = gd.games.Bilinear([[1.0, 0.0], [0.0, 0.5]])
    >>> x, y = game.split([1.0, 1.0, 1.0, 1.0])
    >>> game.losses(x, y)
    (Array(1.5, dtype=float64), Array(-1.5, dtype=float64))
    """

    A: Any = hyper(kind="matrix", flag="matrix", cli_default="1", help="coupling matrix A (n_x x n_y)")
    AXES = {"s": _COUPLING}
    affine_field = True

    def __post_init__(self):
        object.__setattr__(self, "A", _matrix("A", self.A))

    def describe(self) -> str:
        """
        >>> print(Bilinear([[1.0, 0.0], [0.0, 0.5]]).describe())
        Bilinear game x^T A y, A =
            [[1.  0. ]
             [0.  0.5]]
        """
        return "Bilinear game x^T A y, A =\n" + _show(self.A)

    @property
    def equilibrium(self):
        return jnp.zeros(self.n, dtype=self.A.dtype)

    def _losses(self, ops, x, y):
        value = x @ self.A @ y
        return value, -value

    def field(self, x, y):
        return -self.A @ y, self.A.T @ x

    def field_x(self, x, y):
        return -self.A @ y

    def field_y(self, x, y):
        return self.A.T @ x


@register_game("quadratic")
@pytree_dataclass
class Quadratic(_Coupled):
    """The zero-sum quadratic game with value
    ``f = 1/2 dx^T B dx + dx^T A dy - 1/2 dy^T C dy`` (``dx = x - x_star``, ``dy = y - y_star``);
    ``loss_x = f`` and ``loss_y = -f``.

    ``B`` (``n_x x n_x``) and ``C`` (``n_y x n_y``) default to zero and are symmetrised (only
    their symmetric parts enter ``f``). The Jacobian of ``F`` is ``[[-B, -A], [A^T, -C]]``:
    ``B, C`` positive definite gives a strongly monotone game, ``B = C = 0`` the
    "Hamiltonian" (purely rotational) bilinear case. The equilibrium is ``(x_star, y_star)``
    (zero by default).

    >>> import gamedyn as gd
    >>> game = gd.games.Quadratic(A=[[1.0]], B=[[0.5]], C=[[0.5]])
    >>> gd.jacobian(game)
    Array([[-0.5, -1. ],
           [ 1. , -0.5]], dtype=float64)
    """

    A: Any = hyper(kind="matrix", flag="matrix", cli_default="1", help="coupling matrix A (n_x x n_y)")
    B: Any = hyper(None, kind="matrix", help="x-block B (n_x x n_x; default 0)")
    C: Any = hyper(None, kind="matrix", help="y-block C (n_y x n_y; default 0)")
    x_star: Any = hyper(None, kind="vector", help="the equilibrium's x (default 0)")
    y_star: Any = hyper(None, kind="vector", help="the equilibrium's y (default 0)")
    AXES = {
        "s": Axis("coupling scale: A = s * MATRIX", _scaled_coupling),
        "b": Axis("ridge on the x-block: B = --B + b I (strong convexity of x)", _ridge("B", 0)),
        "c": Axis("ridge on the y-block: C = --C + c I (strong concavity in y)", _ridge("C", 1)),
    }
    affine_field = True

    def __post_init__(self):
        A = _matrix("A", self.A)
        n_x, n_y = A.shape
        B = jnp.zeros((n_x, n_x), A.dtype) if self.B is None else _matrix("B", self.B, (n_x, n_x))
        C = jnp.zeros((n_y, n_y), A.dtype) if self.C is None else _matrix("C", self.C, (n_y, n_y))
        xs = jnp.zeros(n_x, A.dtype) if self.x_star is None else _vector("x_star", self.x_star, n_x)
        ys = jnp.zeros(n_y, A.dtype) if self.y_star is None else _vector("y_star", self.y_star, n_y)
        object.__setattr__(self, "A", A)
        object.__setattr__(self, "B", (B + B.T) / 2)
        object.__setattr__(self, "C", (C + C.T) / 2)
        object.__setattr__(self, "x_star", xs)
        object.__setattr__(self, "y_star", ys)

    @property
    def equilibrium(self):
        return jnp.concatenate([self.x_star, self.y_star])

    def describe(self) -> str:
        """
        >>> print(Quadratic([[1.0]], B=[[0.5]]).describe())
        Quadratic game 1/2 x^T B x + x^T A y - 1/2 y^T C y, A =
            [[1.]]
          B =
            [[0.5]]
          C =
            [[0.]]
        """
        parts = ["Quadratic game 1/2 x^T B x + x^T A y - 1/2 y^T C y, A =", _show(self.A),
                 "  B =", _show(self.B), "  C =", _show(self.C)]
        if np.any(np.asarray(self.x_star)) or np.any(np.asarray(self.y_star)):
            parts.append(f"  equilibrium x* = {np.asarray(self.x_star)}, y* = {np.asarray(self.y_star)}")
        return "\n".join(parts)

    def _losses(self, ops, x, y):
        dx, dy = x - self.x_star, y - self.y_star
        value = dx @ self.B @ dx / 2 + dx @ self.A @ dy - dy @ self.C @ dy / 2
        return value, -value

    def field_x(self, x, y):
        return -(self.B @ (x - self.x_star) + self.A @ (y - self.y_star))

    def field_y(self, x, y):
        return self.A.T @ (x - self.x_star) - self.C @ (y - self.y_star)

    def field(self, x, y):
        return self.field_x(x, y), self.field_y(x, y)
