"""The game interface shared by every toy game.

Conventions (binding for every layer):

* Two players: ``x`` (generator, minimising player) and ``y`` (discriminator, maximising
  player). Each is a flat 1-D array.
* ``game.losses(x, y) -> (loss_x, loss_y)``; each player minimises its own loss.
* The joint state is the flat vector ``z = (x, y)``: ``game.split(z)`` / ``game.join(x, y)``.
* The vector field is ``F(z) = -(grad_x loss_x, grad_y loss_y)`` and the gradient flow is
  ``dz/dt = F(z)``; a fixed point is stable for the flow iff every eigenvalue of the
  Jacobian of ``F`` has negative real part.
"""

from __future__ import annotations

import abc
import dataclasses
from types import SimpleNamespace
from typing import ClassVar

import jax
import jax.numpy as jnp

from ._gan_losses import softplus

__all__ = ["Game", "vector_field", "JAX_GAME_OPS"]

#: The operations a game's ``_losses(ops, x, y)`` may use besides arithmetic and ``@``
#: (elementwise functions and ``sum``), in JAX. The symbolic layer supplies the same names
#: in sympy (:data:`gamedyn.symbolic.SYMPY_GAME_OPS`), the bridge in torch for the GAN losses.
JAX_GAME_OPS = SimpleNamespace(
    exp=jnp.exp, log=jnp.log, log1p=jnp.log1p, sqrt=jnp.sqrt, sin=jnp.sin, cos=jnp.cos, tanh=jnp.tanh,
    sigmoid=jax.nn.sigmoid, softplus=softplus, relu=jax.nn.relu, sum=jnp.sum,
)


class Game(abc.ABC):
    """Base class of two-player differentiable games (subclasses are pytree dataclasses).

    Subclasses define ``n_x``, ``n_y``, their losses and ``equilibrium`` (a flat ``z``, or
    ``None`` when no equilibrium is known in closed form). The losses are written either
    once against backend operations, ``_losses(self, ops, x, y)`` with ``ops`` as
    :data:`JAX_GAME_OPS` (then the symbolic layer differentiates the game exactly:
    :func:`gamedyn.symbolic.from_game`), or in JAX only, by overriding ``losses(x, y)``.
    They may override ``field(x, y)`` with an explicit formula; the default differentiates
    the losses. ``project_x(x)`` / ``project_y(y)`` map a player's position back onto its
    feasible set after every move (identity by default; weight clipping for WGAN).

    Class attributes: ``AXES`` (derived parameters a phase axis can sweep, name ->
    :class:`~gamedyn.games.Axis`, beside every scalar field) and ``affine_field`` (True when
    ``F`` is affine in ``z``, which lets the phase layer iterate exact linear maps).
    Register a game with :func:`~gamedyn.games.register_game`.

    A smooth game whose Jacobian at ``0`` is the bilinear game's, since ``sin'(0) = 1``:

    >>> import gamedyn as gd
    >>> @gd.games.pytree_dataclass
    ... class SineCoupling(gd.games.Game):       # loss_x = sin(x) y = -loss_y
    ...     n_x = 1
    ...     n_y = 1
    ...     def _losses(self, ops, x, y):
    ...         value = ops.sum(ops.sin(x) * y)
    ...         return value, -value
    >>> game = SineCoupling()
    >>> game.n, game.symbolic_ready
    (2, True)
    >>> gd.eigenvalues(game, z=[0.0, 0.0])      # +-i, as for x y
    Array([0.+1.j, 0.-1.j], dtype=complex128)
    """

    n_x: int
    n_y: int
    AXES: ClassVar[dict] = {}
    affine_field: ClassVar[bool] = False

    @property
    def n(self) -> int:
        """Dimension of the joint state ``z = (x, y)``."""
        return self.n_x + self.n_y

    def losses(self, x, y):
        """``(loss_x, loss_y)`` at ``(x, y)``; each player minimises its own loss."""
        return self._losses(JAX_GAME_OPS, x, y)

    def _losses(self, ops, x, y):
        """``(loss_x, loss_y)`` written against ``ops`` (see the class docstring)."""
        raise TypeError(f"{type(self).__name__} defines neither losses(x, y) nor _losses(ops, x, y): a game writes one")

    @property
    def symbolic_ready(self) -> bool:
        """True if the losses are written against backend operations (``_losses``), so that
        :func:`gamedyn.symbolic.from_game` can differentiate them exactly."""
        return type(self)._losses is not Game._losses

    def describe(self) -> str:
        """A readable one-paragraph description (its parameters; games may say more)."""
        values = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in dataclasses.fields(self))
        return f"{type(self).__name__}({values})"

    @property
    def equilibrium(self):
        return None

    # -- joint state -------------------------------------------------------------------
    def split(self, z):
        """``z -> (x, y)``; ``z`` must be a flat vector of length ``n_x + n_y``."""
        z = jnp.asarray(z)
        if z.ndim != 1 or z.shape[0] != self.n:
            raise ValueError(
                f"z has shape {tuple(z.shape)}; expected ({self.n},) for a game with "
                f"n_x={self.n_x}, n_y={self.n_y}"
            )
        return z[: self.n_x], z[self.n_x :]

    def join(self, x, y):
        """``(x, y) -> z``."""
        x, y = jnp.asarray(x), jnp.asarray(y)
        if x.shape != (self.n_x,):
            raise ValueError(f"x has shape {tuple(x.shape)}; expected ({self.n_x},)")
        if y.shape != (self.n_y,):
            raise ValueError(f"y has shape {tuple(y.shape)}; expected ({self.n_y},)")
        return jnp.concatenate([x, y])

    # -- dynamics ----------------------------------------------------------------------
    def field_x(self, x, y):
        """``F_x = -grad_x loss_x``."""
        return -jax.grad(lambda u: self.losses(u, y)[0])(x)

    def field_y(self, x, y):
        """``F_y = -grad_y loss_y``."""
        return -jax.grad(lambda v: self.losses(x, v)[1])(y)

    def field(self, x, y):
        """``(F_x, F_y)``: each player's negative own-loss gradient."""
        return self.field_x(x, y), self.field_y(x, y)

    def project_x(self, x):
        """Map ``x`` onto the generator's feasible set (identity unless constrained)."""
        return x

    def project_y(self, y):
        """Map ``y`` onto the discriminator's feasible set (identity unless constrained)."""
        return y


def vector_field(game: Game, z):
    """The game's vector field ``F(z) = -(grad_x loss_x, grad_y loss_y)`` at a flat ``z``.

    >>> import gamedyn as gd
    >>> gd.vector_field(gd.games.Bilinear([[2.0]]), [1.0, 3.0])
    Array([-6.,  2.], dtype=float64)
    """
    x, y = game.split(z)
    fx, fy = game.field(x, y)
    return jnp.concatenate([fx, fy]) + 0.0  # + 0.0 turns -0.0 into 0.0
