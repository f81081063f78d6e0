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

import jax
import jax.numpy as jnp

__all__ = ["Game", "vector_field"]


class Game(abc.ABC):
    """Base class of two-player differentiable games (subclasses are pytree dataclasses).

    Subclasses define ``n_x``, ``n_y``, ``losses(x, y)`` and ``equilibrium`` (a flat ``z``,
    or ``None`` when no equilibrium is known in closed form). They may override
    ``field(x, y)`` with an explicit formula; the default differentiates ``losses``.
    ``project_x(x)`` / ``project_y(y)`` map a player's position back onto its feasible set
    after every move (identity by default; weight clipping for WGAN).
    """

    n_x: int
    n_y: int

    @property
    def n(self) -> int:
        """Dimension of the joint state ``z = (x, y)``."""
        return self.n_x + self.n_y

    @abc.abstractmethod
    def losses(self, x, y):
        """``(loss_x, loss_y)`` at ``(x, y)``; each player minimises its own loss."""

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
