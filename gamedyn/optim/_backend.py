"""What an update rule may ask of a backend: a tiny set of tree operations and a gradient
oracle. Rules are written once against this surface; JAX supplies it here (``jax.tree``
maps over arrays), and a PyTorch backend supplies the same methods over lists of tensors.

Tree operations (``ops``): ``add, sub, scale, axpy, where, zeros_like, vdot, norm, size,
eps, sign, detach``,
control flow ``repeat`` and ``while_loop``, a step ``counter``, and the per-player base
transformation ``base_init`` / ``base_update``.

Gradient oracle (``oracle``, also an ``ops``): ``field, field_x, field_y`` (the vector field
``F = -(grad_x loss_x, grad_y loss_y)``), ``jvp`` / ``vjp`` (products with the Jacobian of
``F``), ``unrolled_field_x`` (the generator's field through ``k`` look-ahead steps of the
discriminator), ``solve_shifted`` (``(I - diag(a_x, a_y) J) d = r``, or with only the
off-diagonal blocks of ``J``), and ``project_x`` / ``project_y`` (the feasible sets).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from ..games import Game

__all__ = ["JaxOps", "JaxOracle", "JAX_OPS", "as_oracle"]

# Above this joint dimension `solve_shifted` is matrix-free (GMRES on Jacobian-vector
# products) instead of forming the dense Jacobian.
DENSE_SOLVE_MAX = 1024
# Concrete repeat counts up to this are unrolled in Python (cheaper to compile than a loop).
UNROLL_MAX = 8


class JaxOps:
    """Tree operations over JAX arrays (and pytrees of them)."""

    @staticmethod
    def add(a, b):
        return jax.tree.map(jnp.add, a, b)

    @staticmethod
    def sub(a, b):
        return jax.tree.map(jnp.subtract, a, b)

    @staticmethod
    def scale(s, a):
        return jax.tree.map(lambda u: s * u, a)

    @staticmethod
    def axpy(s, a, b):
        """``b + s * a``."""
        return jax.tree.map(lambda u, v: v + s * u, a, b)

    @staticmethod
    def where(cond, a, b):
        return jax.tree.map(lambda u, v: jnp.where(cond, u, v), a, b)

    @staticmethod
    def zeros_like(a):
        return jax.tree.map(jnp.zeros_like, a)

    @staticmethod
    def vdot(a, b):
        return sum(jnp.vdot(u, v) for u, v in zip(jax.tree.leaves(a), jax.tree.leaves(b)))

    @staticmethod
    def norm(a):
        return jnp.sqrt(sum(jnp.vdot(u, u) for u in jax.tree.leaves(a)))

    @staticmethod
    def size(a) -> int:
        """Total number of entries of a tree."""
        return sum(leaf.size for leaf in jax.tree.leaves(a))

    @staticmethod
    def eps(a):
        """Machine epsilon of a tree's floating dtype."""
        return jnp.finfo(jnp.result_type(*jax.tree.leaves(a))).eps

    @staticmethod
    def sign(s):
        return jnp.sign(s)

    @staticmethod
    def detach(a):
        """The same values, with no derivative flowing back through them."""
        return jax.tree.map(lax.stop_gradient, a)

    @staticmethod
    def counter(n: int = 0):
        return jnp.asarray(n, dtype=jnp.int32)

    @staticmethod
    def repeat(k, body, carry):
        """``carry = body(carry)`` applied ``k`` times (``k`` may be traced)."""
        if isinstance(k, (int, np.integer)) and not isinstance(k, bool) and k <= UNROLL_MAX:
            for _ in range(int(k)):
                carry = body(carry)
            return carry
        return lax.fori_loop(0, k, lambda _, c: body(c), carry)

    @staticmethod
    def while_loop(cond, body, carry):
        return lax.while_loop(cond, body, carry)

    @staticmethod
    def base_init(base, params):
        return base.transformation().init(params)

    @staticmethod
    def base_update(base, grads, state, params):
        return base.transformation().update(grads, state, params)


JAX_OPS = JaxOps()


class JaxOracle(JaxOps):
    """The gradient oracle of a :class:`~gamedyn.games.Game`, by JAX autodiff."""

    def __init__(self, game: Game):
        self.game = game

    def field(self, x, y):
        return self.game.field(x, y)

    def field_x(self, x, y):
        return self.game.field_x(x, y)

    def field_y(self, x, y):
        return self.game.field_y(x, y)

    def project_x(self, x):
        return self.game.project_x(x)

    def project_y(self, y):
        return self.game.project_y(y)

    def jvp(self, x, y, vx, vy):
        """``J(x, y) @ (vx, vy)`` with ``J`` the Jacobian of ``F``."""
        return jax.jvp(self.game.field, (x, y), (vx, vy))[1]

    def vjp(self, x, y, ux, uy):
        """``J(x, y)^T @ (ux, uy)``."""
        _, pull = jax.vjp(self.game.field, x, y)
        return pull((ux, uy))

    def unrolled_field_x(self, x, y, k: int, lr, through: bool = True, *, base=None, base_state=None):
        """``-d/dx loss_x(x, y_k(x))`` with ``y_{i+1} = y_i + lr F_y(x, y_i)``, ``y_0 = y``.

        With ``through=False`` the look-ahead ``y_k`` is treated as a constant (no
        second-order term), which is the "unrolled without backprop" variant. With ``base``
        (and its state ``base_state`` at ``y``) each look-ahead step is the base's update,
        ``y_{i+1} = y_i + lr U(-F_y(x, y_i); s_i)``, the base state advancing with it.
        """
        game = self.game

        def look_ahead(u):
            def one(_, carry):
                v, s = carry
                f = game.field_y(u, v)
                if base is None:
                    return game.project_y(v + lr * f), s
                update, s = self.base_update(base, -f, s, v)
                return game.project_y(v + lr * update), s

            return lax.fori_loop(0, k, one, (y, base_state))[0]

        if not through:
            # y_k still depends on (x, y) -- it must, for derivatives of the whole step (the
            # update Jacobian) -- but the generator's gradient holds it fixed.
            v = look_ahead(x)
            return -jax.grad(lambda u: game.losses(u, v)[0])(x)
        return -jax.grad(lambda u: game.losses(u, look_ahead(u))[0])(x)

    def solve_shifted(self, x, y, a_x, a_y, r_x, r_y, *, off_diagonal=False):
        """Solve ``(I - diag(a_x I, a_y I) J(x, y)) d = r`` for ``d = (d_x, d_y)``.

        With ``off_diagonal=True``, ``J`` is replaced by its off-diagonal blocks
        ``[[0, J_xy], [J_yx, 0]]`` (each player's field differentiated by the other's
        parameters), the system of competitive gradient descent.
        """
        n_x = x.shape[0]
        r = jnp.concatenate([r_x, r_y])

        def matvec(d):
            if off_diagonal:
                jx, _ = self.jvp(x, y, jnp.zeros_like(d[:n_x]), d[n_x:])
                _, jy = self.jvp(x, y, d[:n_x], jnp.zeros_like(d[n_x:]))
            else:
                jx, jy = self.jvp(x, y, d[:n_x], d[n_x:])
            return jnp.concatenate([d[:n_x] - a_x * jx, d[n_x:] - a_y * jy])

        if r.shape[0] <= DENSE_SOLVE_MAX:
            def joint_field(z):
                return jnp.concatenate(self.game.field(z[:n_x], z[n_x:]))

            jac = jax.jacfwd(joint_field)(jnp.concatenate([x, y]))
            if off_diagonal:
                player = jnp.arange(r.shape[0]) < n_x
                jac = jnp.where(player[:, None] != player[None, :], jac, 0.0)
            shift = jnp.concatenate([jnp.full(n_x, a_x), jnp.full(y.shape[0], a_y)])
            matrix = jnp.eye(r.shape[0], dtype=jac.dtype) - shift[:, None] * jac
            d = jnp.linalg.solve(matrix, r)
        else:
            d, _ = jax.scipy.sparse.linalg.gmres(matvec, r, tol=1e-12, atol=0.0)
        return d[:n_x], d[n_x:]


def as_oracle(game_or_oracle):
    """A :class:`JaxOracle` for a game; any other object is taken to be an oracle already."""
    if isinstance(game_or_oracle, Game):
        return JaxOracle(game_or_oracle)
    return game_or_oracle
