"""Update rules: frozen dataclasses of hyperparameters with a pure ``(init, step)`` pair.

Every rule is written once against a backend (see ``_backend``): ``step(oracle, state)``
asks the oracle for the vector field ``F = -(grad_x loss_x, grad_y loss_y)`` (or Jacobian
products) and combines player trees with the backend's ``add / scale / axpy / where``. With
``eta = diag(lr_x I, lr_y I)``:

==============  ==========================================================================
``gda``         ``z+ = z + eta F(z)``; alternating: ``first`` moves ``k`` times, then the
                other at the updated position
``extragradient`` ``z_half = z + eta_extra F(z)``, ``z+ = z + eta F(z_half)``
``optimistic``  ``z+ = z + 2 eta F(z_t) - eta F(z_{t-1})`` (first step: ``F(z_0)`` twice)
``momentum``    ``z+ = z + eta F(z) + beta (z_t - z_{t-1})``, per player, optionally alternating
``consensus``   ``z+ = z + eta (F - gamma J^T F)``, i.e. along ``F - gamma grad |F|^2 / 2``
``sga``         ``z+ = z - eta (xi + lam A^T xi)``, ``xi = -F``, ``A`` antisymmetric part of
                ``grad xi``
``proximal``    ``z+ = z + eta F(z+)`` (implicit Euler), Newton-solved to ``tol``
``cgd``         ``z+ = z + d``, ``(I - eta J_off) d = eta F``: the Nash equilibrium of the
                local bilinear game (``J_off``: the off-diagonal blocks of ``J``)
``unrolled``    generator: ``-d/dx loss_x(x, y_k(x))`` through ``k`` look-ahead steps
==============  ==========================================================================

Every numeric hyperparameter may be a JAX array (traced), so a grid of rules can be
``vmap``-ped; ``alternating``, ``first`` (and ``k`` of ``unrolled``) select code and are
static.
"""

from __future__ import annotations

from typing import Any, ClassVar, NamedTuple

import jax.numpy as jnp

from .._pytree import pytree_dataclass
from ._backend import JAX_OPS, as_oracle
from ._base import Adam, as_base
from ._hyper import RULES, check_hyperparameters, hyper, hyperparameters, register_rule, rule_class

__all__ = [
    "RuleState",
    "Rule",
    "GDA",
    "Extragradient",
    "Optimistic",
    "Momentum",
    "Consensus",
    "SGA",
    "Proximal",
    "Unrolled",
    "CGD",
    "gda",
    "extragradient",
    "optimistic",
    "momentum",
    "consensus",
    "sga",
    "proximal",
    "unrolled",
    "cgd",
    "rule_named",
]


class RuleState(NamedTuple):
    """The joint optimizer state: positions, the rule's memory, base states, step count.

    >>> import jax.numpy as jnp, gamedyn as gd
    >>> rule = gd.optim.momentum(0.1, 0.5)
    >>> state = rule.init(jnp.array([1.0]), jnp.array([0.0]))
    >>> state._fields
    ('x', 'y', 'memory', 'base', 'count')
    >>> state = rule.step(gd.games.Bilinear([[1.0]]), state)
    >>> int(state.count), [float(v[0]) for v in state.memory]   # momentum remembers z_{t-1}
    (1, [1.0, 0.0])
    """

    x: Any
    y: Any
    memory: Any
    base: Any
    count: Any


def _pair(value):
    """``(value_x, value_y)`` from a scalar or a pair (validated at construction)."""
    if isinstance(value, (tuple, list)):
        return value[0], value[1]
    if getattr(value, "ndim", 0) == 1:
        return value[0], value[1]
    return value, value


class Rule:
    """Base of all update rules (see the module docstring for each rule's map).

    ``init(x, y)`` builds the state; ``step(game, state)`` advances it by one step, where
    ``game`` is a :class:`~gamedyn.games.Game` (JAX) or a backend oracle.
    """

    #: True if the rule is stable at every step size on monotone games (implicit rules):
    #: the Hypothesis strategies then draw larger steps.
    any_step_size: ClassVar[bool] = False

    #: True if the rule's step uses only operations whose derivatives the PyTorch bridge's
    #: tangent oracle has (the field, tree arithmetic, the base, Jacobian products, shifted
    #: solves), so ``gd.bridge.update_spectrum`` can linearise it on a real network.
    linearisable: ClassVar[bool] = True

    #: True if the rule remembers the previous iterate (its update map then acts on the
    #: augmented state ``(z_t, z_{t-1})``).
    memory: ClassVar[bool] = False

    # -- hyperparameter access ---------------------------------------------------------
    def per_player(self, name: str):
        """``(value for x, value for y)`` of a hyperparameter that may be a pair.

        >>> import gamedyn as gd
        >>> gd.optim.momentum(0.1, (0.5, -0.5)).per_player("beta")
        (0.5, -0.5)
        """
        return _pair(getattr(self, name))

    @property
    def lr_x(self):
        return _pair(self.lr)[0]

    @property
    def lr_y(self):
        return _pair(self.lr)[1]

    def _bases(self):
        base = getattr(self, "base", None)
        return (None, None) if base is None else base

    # -- the (init, step) pair ---------------------------------------------------------
    def init(self, x, y, *, ops=JAX_OPS) -> RuleState:
        """The state before the first step, at positions ``(x, y)``."""
        base_x, base_y = self._bases()
        base_state = (
            None if base_x is None else ops.base_init(base_x, x),
            None if base_y is None else ops.base_init(base_y, y),
        )
        return RuleState(x, y, self._init_memory(ops, x, y), base_state, ops.counter(0))

    def step(self, game, state: RuleState) -> RuleState:
        """One step of the rule from ``state``."""
        return self._step(as_oracle(game), state)

    def history_state(self, game, x, y, x_prev, y_prev) -> RuleState:
        """The state at ``z_t = (x, y)`` whose previous iterate was ``z_{t-1}``.

        This is what makes the update map a function of ``(z_t, z_{t-1})`` for rules with
        memory (used by :func:`gamedyn.update_jacobian`).
        """
        oracle = as_oracle(game)
        state = self.init(x, y, ops=oracle)
        memory = self._memory_from_history(oracle, x, y, x_prev, y_prev)
        return state._replace(memory=memory, count=oracle.counter(1))

    def _init_memory(self, ops, x, y):
        return ()

    def _memory_from_history(self, oracle, x, y, x_prev, y_prev):
        return ()

    def _step(self, oracle, state):
        raise TypeError(f"{type(self).__name__} does not define _step")

    # -- building blocks shared by the rules ------------------------------------------
    def _direction(self, oracle, player, p, d, base_state):
        """The displacement per unit step size, from the player's ascent direction ``d``.

        Without a base this is ``d`` itself; with one it is the base's update ``U(-d)``: the
        base sees the player's gradient ``-d`` and, as in optax, returns what to add.
        """
        base = self._bases()[0 if player == "x" else 1]
        if base is None:
            return d, base_state
        return oracle.base_update(base, oracle.scale(-1.0, d), base_state, p)

    @staticmethod
    def _place(oracle, player, p):
        return oracle.project_x(p) if player == "x" else oracle.project_y(p)

    def _move(self, oracle, player, p, d, base_state, lr):
        """``p + lr * direction(d)``, projected onto the player's feasible set."""
        u, base_state = self._direction(oracle, player, p, d, base_state)
        return self._place(oracle, player, oracle.axpy(lr, u, p)), base_state

    def _step_both(self, oracle, state, dx, dy, base=None):
        """The simultaneous step of both players along ``(dx, dy)`` from ``state``, each with
        its own step size and base (whose states are ``base``, default ``state.base``): the
        next state, one step counted."""
        bx, by = state.base if base is None else base
        x1, bx = self._move(oracle, "x", state.x, dx, bx, self.lr_x)
        y1, by = self._move(oracle, "y", state.y, dy, by, self.lr_y)
        return state._replace(x=x1, y=y1, base=(bx, by), count=state.count + 1)

    def _alternate(self, oracle, first, k, x, y, base_state, move_x, move_y):
        """``first`` moves ``k`` times, then the other player once at the updated position."""
        bx, by = base_state
        if first == "y":
            y, by = oracle.repeat(k, lambda c: move_y(x, *c), (y, by))
            x, bx = move_x(x, y, bx)
        else:
            x, bx = oracle.repeat(k, lambda c: move_x(c[0], y, c[1]), (x, bx))
            y, by = move_y(x, y, by)
        return x, y, (bx, by)

    # -- construction: every declared hyperparameter checked (see ``_hyper``) ------------
    def __post_init__(self):
        if "base" in hyperparameters(self):
            object.__setattr__(self, "base", as_base(self.base))
        check_hyperparameters(self)
        self._check()

    def _check(self):
        """Checks across fields beyond each field's own (none by default)."""

    def affine_on_linear_games(self) -> bool:
        """True if one step is an affine map of the state on a linear game (so the iterates
        are exactly powers of the update Jacobian, which the phase diagrams' fast paths use):
        no base transformation (Adam's moments make it nonlinear). A rule whose step switches
        with the state overrides this."""
        return getattr(self, "base", None) is None


# ---------------------------------------------------------------------------------------
@register_rule("gda")
@pytree_dataclass
class GDA(Rule):
    """Gradient descent-ascent, simultaneous or alternating (with ``k`` steps of the player
    that moves first, and per-player step sizes for TTUR)."""

    lr: Any = hyper(kind="step", pair=True, help="step size; a pair (lr_x, lr_y) for TTUR")
    alternating: bool = hyper(False, kind="choice", choices=(False, True), draw=(False, True),
                              help="alternating updates")
    first: str = hyper("y", kind="choice", choices=("x", "y"), needs="alternating", draw=("y", "x"),
                       help="who moves first when alternating")
    k: Any = hyper(1, kind="int", minimum=1, needs="alternating", draw=(1, 3),
                   help="steps of the first player per step of the other (alternating)")
    base: Any = hyper(None, kind="base", help="per-player base transformation (Adam, RMSProp)")

    def _step(self, oracle, state):
        x, y = state.x, state.y
        if not self.alternating:
            fx, fy = oracle.field(x, y)
            return self._step_both(oracle, state, fx, fy)
        bx, by = state.base

        def move_x(x, y, b):
            return self._move(oracle, "x", x, oracle.field_x(x, y), b, self.lr_x)

        def move_y(x, y, b):
            return self._move(oracle, "y", y, oracle.field_y(x, y), b, self.lr_y)

        x, y, base = self._alternate(oracle, self.first, self.k, x, y, (bx, by), move_x, move_y)
        return state._replace(x=x, y=y, base=base, count=state.count + 1)


@register_rule("extragradient")
@pytree_dataclass
class Extragradient(Rule):
    """Extragradient (Korpelevich 1976): extrapolate with ``lr_extra`` (default ``lr``),
    then step from ``z`` with the field at the extrapolated point. With a base, both moves
    advance the base state (Extra-Adam, Gidel et al. 2019)."""

    lr: Any = hyper(kind="step", pair=True, help="step size; a pair (lr_x, lr_y) for TTUR")
    lr_extra: Any = hyper(None, kind="step", pair=True, help="extrapolation step size (default lr)")
    base: Any = hyper(None, kind="base", help="per-player base transformation (Adam, RMSProp)")

    def _step(self, oracle, state):
        x, y = state.x, state.y
        bx, by = state.base
        extra = _pair(self.lr if self.lr_extra is None else self.lr_extra)
        fx, fy = oracle.field(x, y)
        xh, bx = self._move(oracle, "x", x, fx, bx, extra[0])
        yh, by = self._move(oracle, "y", y, fy, by, extra[1])
        gx, gy = oracle.field(xh, yh)
        return self._step_both(oracle, state, gx, gy, base=(bx, by))  # the bases moved at the extrapolation


@register_rule("optimistic")
@pytree_dataclass
class Optimistic(Rule):
    """Optimistic GDA (Popov 1980; Daskalakis et al. 2018): ``z+ = z + eta (2 u_t - u_{t-1})``
    with ``u_t = F(z_t)`` (base-transformed if a base is given: optimistic Adam); the first
    step uses ``u_0`` twice. Memory: ``u_{t-1}``."""

    memory: ClassVar[bool] = True

    lr: Any = hyper(kind="step", pair=True, help="step size; a pair (lr_x, lr_y) for TTUR")
    base: Any = hyper(None, kind="base", help="per-player base transformation (Adam, RMSProp)")

    def _init_memory(self, ops, x, y):
        return (ops.zeros_like(x), ops.zeros_like(y))

    def _memory_from_history(self, oracle, x, y, x_prev, y_prev):
        if self.base is not None:
            raise ValueError(
                "optimistic with a base has no history form: the previous direction depends "
                "on the base's state, not only on z_{t-1}"
            )
        return oracle.field(x_prev, y_prev)

    def _step(self, oracle, state):
        x, y = state.x, state.y
        bx, by = state.base
        fx, fy = oracle.field(x, y)
        ux, bx = self._direction(oracle, "x", x, fx, bx)
        uy, by = self._direction(oracle, "y", y, fy, by)
        first = state.count == 0
        px = oracle.where(first, ux, state.memory[0])
        py = oracle.where(first, uy, state.memory[1])
        x1 = self._place(oracle, "x", oracle.axpy(self.lr_x, oracle.sub(oracle.scale(2.0, ux), px), x))
        y1 = self._place(oracle, "y", oracle.axpy(self.lr_y, oracle.sub(oracle.scale(2.0, uy), py), y))
        return RuleState(x1, y1, (ux, uy), (bx, by), state.count + 1)


@register_rule("momentum")
@pytree_dataclass
class Momentum(Rule):
    """Heavy-ball momentum (Polyak 1964) per player, ``beta`` a scalar or a pair and
    negative values allowed (Gidel et al. 2019): ``p+ = p + lr F_p + beta (p_t - p_{t-1})``.
    Alternating: ``first`` moves, then the other player at the updated position."""

    memory: ClassVar[bool] = True

    lr: Any = hyper(kind="step", pair=True, help="step size; a pair (lr_x, lr_y) for TTUR")
    beta: Any = hyper(kind="real", pair=True, cli_default=0.0, draw=(-0.9, 0.9),
                      help="heavy-ball momentum (negative allowed)")
    alternating: bool = hyper(False, kind="choice", choices=(False, True), draw=(False, True),
                              help="alternating updates")
    first: str = hyper("y", kind="choice", choices=("x", "y"), needs="alternating", draw=("y", "x"),
                       help="who moves first when alternating")
    base: Any = hyper(None, kind="base", help="per-player base transformation (Adam, RMSProp)")

    def _init_memory(self, ops, x, y):
        return (x, y)

    def _memory_from_history(self, oracle, x, y, x_prev, y_prev):
        return (x_prev, y_prev)

    def _step(self, oracle, state):
        x, y = state.x, state.y
        x_prev, y_prev = state.memory
        beta_x, beta_y = _pair(self.beta)

        def move_x(x_now, y_now, b):
            p, b = self._move(oracle, "x", x_now, oracle.field_x(x_now, y_now), b, self.lr_x)
            return self._place(oracle, "x", oracle.axpy(beta_x, oracle.sub(x, x_prev), p)), b

        def move_y(x_now, y_now, b):
            p, b = self._move(oracle, "y", y_now, oracle.field_y(x_now, y_now), b, self.lr_y)
            return self._place(oracle, "y", oracle.axpy(beta_y, oracle.sub(y, y_prev), p)), b

        if self.alternating:
            x1, y1, base = self._alternate(oracle, self.first, 1, x, y, state.base, move_x, move_y)
        else:
            bx, by = state.base
            fx, fy = oracle.field(x, y)
            px, bx = self._move(oracle, "x", x, fx, bx, self.lr_x)
            py, by = self._move(oracle, "y", y, fy, by, self.lr_y)
            x1 = self._place(oracle, "x", oracle.axpy(beta_x, oracle.sub(x, x_prev), px))
            y1 = self._place(oracle, "y", oracle.axpy(beta_y, oracle.sub(y, y_prev), py))
            base = (bx, by)
        return RuleState(x1, y1, (x, y), base, state.count + 1)


@register_rule("consensus")
@pytree_dataclass
class Consensus(Rule):
    """Consensus optimization (Mescheder, Nowozin & Geiger 2017): move along
    ``F - gamma grad(|F|^2 / 2) = F - gamma J^T F``."""

    lr: Any = hyper(kind="step", pair=True, help="step size; a pair (lr_x, lr_y) for TTUR")
    gamma: Any = hyper(kind="nonnegative", flag="consensus-gamma", cli_default=0.1, draw=(0.0, 2.0),
                       help="weight gamma of J^T F")
    base: Any = hyper(None, kind="base", help="per-player base transformation (Adam, RMSProp)")

    def _step(self, oracle, state):
        x, y = state.x, state.y
        fx, fy = oracle.field(x, y)
        gx, gy = oracle.vjp(x, y, fx, fy)
        return self._step_both(oracle, state, oracle.axpy(-self.gamma, gx, fx), oracle.axpy(-self.gamma, gy, fy))


@register_rule("sga")
@pytree_dataclass
class SGA(Rule):
    """Symplectic gradient adjustment (Balduzzi et al. 2018, eq. 4 and Algorithm 1).

    With the simultaneous gradient ``xi = -F``, the game Hessian ``H = grad xi = -J`` and
    its antisymmetric part ``A = (H - H^T)/2``, players descend along
    ``xi + lam A^T xi = -F + lam/2 (J^T F - J F)``. With ``align=True`` the sign of ``lam``
    follows the paper's alignment rule
    ``sign(<xi, grad H> <A^T xi, grad H> / n + align_eps)``, ``grad H = J^T F``.
    """

    lr: Any = hyper(kind="step", pair=True, help="step size; a pair (lr_x, lr_y) for TTUR")
    lam: Any = hyper(kind="real", cli_default=0.1, draw=(-1.0, 1.0), help="adjustment weight lambda")
    align: bool = hyper(False, kind="choice", choices=(False, True),
                        help="choose the sign of lambda by the alignment rule")
    align_eps: Any = hyper(0.1, kind="nonnegative", needs="align", help="epsilon of the alignment rule")
    base: Any = hyper(None, kind="base", help="per-player base transformation (Adam, RMSProp)")

    def affine_on_linear_games(self) -> bool:
        # the alignment rule flips the sign of lam with the state
        return super().affine_on_linear_games() and not self.align

    def _step(self, oracle, state):
        x, y = state.x, state.y
        fx, fy = oracle.field(x, y)
        jx, jy = oracle.jvp(x, y, fx, fy)  # J F
        tx, ty = oracle.vjp(x, y, fx, fy)  # J^T F = grad of |xi|^2 / 2
        ax, ay = oracle.scale(0.5, oracle.sub(tx, jx)), oracle.scale(0.5, oracle.sub(ty, jy))
        lam = self.lam
        if self.align:
            n = oracle.size((x, y))
            xi_dot = -(oracle.vdot(fx, tx) + oracle.vdot(fy, ty))
            a_dot = oracle.vdot(ax, tx) + oracle.vdot(ay, ty)
            lam = lam * oracle.sign(xi_dot * a_dot / n + self.align_eps)
        # descent along xi + lam A^T xi means ascent direction F - lam A^T xi
        dx, dy = oracle.axpy(-lam, ax, fx), oracle.axpy(-lam, ay, fy)
        return self._step_both(oracle, state, dx, dy)


@register_rule("proximal")
@pytree_dataclass
class Proximal(Rule):
    """Proximal point / implicit Euler: ``z+ = z + eta F(z+)``.

    Solved by Newton's method on ``w - z - eta F(w) = 0`` from the explicit-Euler guess,
    until the residual is below ``tol * (1 + |z|)`` (default ``tol``: 100 machine epsilons of
    the state's dtype) or ``max_iter`` iterations. Exact in one Newton step on linear games.
    """

    any_step_size: ClassVar[bool] = True

    lr: Any = hyper(kind="step", pair=True, help="step size; a pair (lr_x, lr_y) for TTUR")
    tol: Any = hyper(None, kind="positive", help="Newton tolerance (default 100 machine epsilons)")
    max_iter: int = hyper(50, kind="int", minimum=1, help="Newton iterations at most")

    def _step(self, oracle, state):
        x, y = state.x, state.y
        lr_x, lr_y = self.lr_x, self.lr_y
        tol = 100 * oracle.eps((x, y)) if self.tol is None else self.tol

        def residual(wx, wy, x, y):
            fx, fy = oracle.field(wx, wy)
            return oracle.sub(oracle.axpy(lr_x, fx, x), wx), oracle.sub(oracle.axpy(lr_y, fy, y), wy)

        def newton(wx, wy, rx, ry):
            dx, dy = oracle.solve_shifted(wx, wy, lr_x, lr_y, rx, ry)
            return oracle.add(wx, dx), oracle.add(wy, dy)

        # Solve at a detached copy of z: the iteration count depends on the data, so
        # derivatives are not taken through the loop ...
        cx, cy = oracle.detach(x), oracle.detach(y)
        threshold = tol * (1.0 + oracle.norm((cx, cy)))
        fx, fy = oracle.field(cx, cy)
        wx, wy = oracle.axpy(lr_x, fx, cx), oracle.axpy(lr_y, fy, cy)
        rx, ry = residual(wx, wy, cx, cy)

        def keep_going(c):
            it, _, _, _, _, size = c
            return (it < self.max_iter) & (size > threshold)

        def iterate(c):
            it, wx, wy, rx, ry, _ = c
            wx, wy = newton(wx, wy, rx, ry)
            rx, ry = residual(wx, wy, cx, cy)
            return it + 1, wx, wy, rx, ry, oracle.norm((rx, ry))

        carry = (oracle.counter(0), wx, wy, rx, ry, oracle.norm((rx, ry)))
        _, wx, wy, _, _, _ = oracle.while_loop(keep_going, iterate, carry)
        # ... but through one final Newton step at the live z, whose derivative is the
        # implicit-function one, dz+/dz = (I - eta J(z+))^{-1}.
        wx, wy = oracle.detach(wx), oracle.detach(wy)
        wx, wy = newton(wx, wy, *residual(wx, wy, x, y))
        x1, y1 = self._place(oracle, "x", wx), self._place(oracle, "y", wy)
        return state._replace(x=x1, y=y1, count=state.count + 1)


@register_rule("unrolled")
@pytree_dataclass
class Unrolled(Rule):
    """Unrolled GAN (Metz et al. 2017): the generator descends ``loss_x(x, y_k(x))`` where
    ``y_k`` is ``k`` look-ahead ascent steps of the discriminator with step ``lr_unroll``
    (default ``lr_y``), differentiated through the look-ahead (``through=True``); the
    discriminator takes its ordinary step. Simultaneous. ``k`` is static (reverse-mode
    differentiation needs a fixed trip count).

    ``look_ahead``: ``"plain"`` (default) takes plain ascent steps
    ``y_{i+1} = y_i + lr_unroll F_y(x, y_i)``; ``"base"`` unrolls the discriminator's own
    optimiser, as Metz et al. do (their Sec. 2.2 and reference code): each look-ahead step is
    the base's update ``y_{i+1} = y_i + lr_unroll U(-F_y(x, y_i); s_i)`` from the
    discriminator's current base state ``s_0`` (Adam's moments and count advance inside the
    look-ahead and are then discarded), differentiated through moments and all. Without a
    base the two are the same. ``"base"`` runs on the JAX and PyTorch backends (not sympy).
    """

    linearisable: ClassVar[bool] = False  # the look-ahead is a k-step inner optimisation

    lr: Any = hyper(kind="step", pair=True, help="step size; a pair (lr_x, lr_y) for TTUR")
    k: int = hyper(5, kind="int", minimum=0, static=True, draw=(1, 5), help="look-ahead steps")
    lr_unroll: Any = hyper(None, kind="step", help="look-ahead step size (default lr_y)")
    through: bool = hyper(True, kind="choice", choices=(False, True),
                          help="differentiate through the look-ahead")
    base: Any = hyper(None, kind="base", help="per-player base transformation (Adam, RMSProp)")
    look_ahead: str = hyper("plain", kind="choice", choices=("plain", "base"),
                            help="plain ascent steps, or the discriminator's own optimiser")

    def _check(self):
        object.__setattr__(self, "k", int(self.k))

    def _step(self, oracle, state):
        x, y = state.x, state.y
        bx, by = state.base
        look = self.lr_y if self.lr_unroll is None else self.lr_unroll
        base_y = self._bases()[1]
        if self.look_ahead == "base" and base_y is not None:
            gx = oracle.unrolled_field_x(x, y, self.k, look, self.through, base=_differentiable(base_y),
                                         base_state=by)
        else:
            gx = oracle.unrolled_field_x(x, y, self.k, look, self.through)
        fy = oracle.field_y(x, y)
        return self._step_both(oracle, state, gx, fy)


@register_rule("cgd")
@pytree_dataclass
class CGD(Rule):
    """Competitive gradient descent (Schäfer & Anandkumar 2019).

    Each player moves to the Nash equilibrium of the local game in which both losses are
    replaced by their bilinear approximation at ``z`` plus the penalty ``|d_p|^2 / (2 lr_p)``:
    ``d_x = lr_x (F_x + J_xy d_y)``, ``d_y = lr_y (F_y + J_yx d_x)``, i.e.
    ``(I - eta J_off) d = eta F`` with ``J_off = [[0, J_xy], [J_yx, 0]]``; for a zero-sum
    game this is the paper's ``d_x = -lr (I + lr^2 D_xy f D_yx f)^-1 (grad_x f + lr D_xy f
    grad_y f)``. Solved exactly on small games (dense), by GMRES on Jacobian-vector
    products on large ones and on networks. On a bilinear game ``J_off = J`` and the step is
    the proximal point step. No base transformation.
    """

    any_step_size: ClassVar[bool] = True

    lr: Any = hyper(kind="step", pair=True, help="step size; a pair (lr_x, lr_y) for TTUR")

    def _step(self, oracle, state):
        x, y = state.x, state.y
        fx, fy = oracle.field(x, y)
        rx, ry = oracle.scale(self.lr_x, fx), oracle.scale(self.lr_y, fy)
        dx, dy = oracle.solve_shifted(x, y, self.lr_x, self.lr_y, rx, ry, off_diagonal=True)
        x1 = self._place(oracle, "x", oracle.add(x, dx))
        y1 = self._place(oracle, "y", oracle.add(y, dy))
        return state._replace(x=x1, y=y1, count=state.count + 1)


# -- constructors (the names every layer uses) ------------------------------------------
def gda(lr, alternating=False, first="y", k=1, *, base=None) -> GDA:
    """Gradient descent-ascent.

    >>> import gamedyn as gd
    >>> rule = gd.optim.gda((0.1, 0.2), alternating=True)
    >>> rule.lr_x, rule.lr_y
    (0.1, 0.2)
    """
    return GDA(lr=lr, alternating=alternating, first=first, k=k, base=base)


def extragradient(lr, lr_extra=None, *, base=None) -> Extragradient:
    """Extragradient; ``lr_extra`` is the extrapolation step (default ``lr``).

    On the bilinear game ``s x y`` its update matrix has eigenvalues
    ``1 - lr^2 s^2 +- i lr s``: it converges where GDA spirals out.

    >>> import gamedyn as gd
    >>> rho = gd.spectral_radius(gd.games.Bilinear([[1.0]]), gd.optim.extragradient(0.5))
    >>> round(float(rho) ** 2, 12)        # (1 - 1/4)^2 + (1/2)^2 = 13/16
    0.8125
    """
    return Extragradient(lr=lr, lr_extra=lr_extra, base=base)


def optimistic(lr, *, base=None) -> Optimistic:
    """Optimistic GDA, ``z+ = z + 2 eta F(z_t) - eta F(z_{t-1})``.

    On the bilinear game ``s x y`` it converges for ``lr s < 1/sqrt(3)`` (Mokhtari, Ozdaglar
    & Pattathil 2020); at the boundary one root of ``mu^2 - (1 + 2 i lr s) mu + i lr s`` is
    ``(1 + i sqrt(3)) / 2``, of modulus 1.

    >>> import gamedyn as gd
    >>> rho = gd.spectral_radius(gd.games.Bilinear([[1.0]]), gd.optim.optimistic(3 ** -0.5))
    >>> round(float(rho), 9)
    1.0
    """
    return Optimistic(lr=lr, base=base)


def momentum(lr, beta, alternating=False, first="y", *, base=None) -> Momentum:
    """Heavy-ball momentum per player (negative ``beta`` allowed).

    Without coupling (the quadratic game with ``A = 0``, ``B = C = 1``) each player is a heavy
    ball on curvature 1, with update roots ``mu^2 - (1 + beta - lr) mu + beta = 0``; complex
    roots are conjugate with product ``beta``, so their modulus is ``sqrt(beta)`` (Polyak 1964).

    >>> import gamedyn as gd
    >>> game = gd.games.Quadratic([[0.0]], B=[[1.0]], C=[[1.0]])
    >>> round(float(gd.spectral_radius(game, gd.optim.momentum(1.0, 0.25))), 12)   # sqrt(1/4)
    0.5
    """
    return Momentum(lr=lr, beta=beta, alternating=alternating, first=first, base=base)


def consensus(lr, gamma, *, base=None) -> Consensus:
    """Consensus optimization, along ``F - gamma J^T F``.

    On the bilinear game ``s x y``, ``J^T J = s^2 I``: the update matrix has eigenvalues
    ``1 - lr gamma s^2 +- i lr s``.

    >>> import gamedyn as gd
    >>> rho = gd.spectral_radius(gd.games.Bilinear([[1.0]]), gd.optim.consensus(0.5, 1.0))
    >>> round(float(rho) ** 2, 12)        # (1 - 1/2)^2 + (1/2)^2
    0.5
    """
    return Consensus(lr=lr, gamma=gamma, base=base)


def sga(lr, lam, *, align=False, base=None) -> SGA:
    """Symplectic gradient adjustment, along ``-(xi + lam A^T xi)``.

    On the bilinear game ``s x y``, ``A^T xi = s^2 z``: the update matrix has eigenvalues
    ``1 - lr lam s^2 +- i lr s``.

    >>> import gamedyn as gd
    >>> rho = gd.spectral_radius(gd.games.Bilinear([[1.0]]), gd.optim.sga(0.5, 2.0))
    >>> round(float(rho), 12)             # |1 - 1 +- i/2|
    0.5
    """
    return SGA(lr=lr, lam=lam, align=align, base=base)


def proximal(lr, *, tol=None, max_iter=50) -> Proximal:
    """Proximal point (implicit Euler), ``z+ = z + eta F(z+)``.

    On the bilinear game ``s x y`` its update matrix ``(I - eta J)^-1`` has eigenvalues
    ``1 / (1 -+ i lr s)``: it contracts at every step size, where GDA's ``1 +- i lr s`` expand.

    >>> import gamedyn as gd
    >>> game = gd.games.Bilinear([[1.0]])
    >>> rhos = [gd.spectral_radius(game, make(0.75)) for make in (gd.optim.proximal, gd.optim.gda)]
    >>> [round(float(rho), 12) for rho in rhos]       # 1 / |1 + 0.75 i| and |1 + 0.75 i|
    [0.8, 1.25]
    """
    return Proximal(lr=lr, tol=tol, max_iter=max_iter)


def _differentiable(base):
    """The base as the unrolled look-ahead differentiates it. Adam's ``sqrt(nu)`` has an
    infinite derivative where ``nu = 0`` (a parameter whose gradient has been exactly 0, e.g.
    a maxout piece never selected), which turns the generator's gradient into NaN; optax's
    ``eps_root`` (inside the square root) exists for gradients through Adam, so the look-ahead
    uses ``eps_root = max(eps_root, eps^2)``: the update changes by at most ``eps`` in the
    denominator, and the derivative stays finite. (Written with ``maximum``, not a branch,
    because the hyperparameters are traced inside a jitted training loop.)"""
    if isinstance(base, Adam):
        return Adam(b1=base.b1, b2=base.b2, eps=base.eps, eps_root=jnp.maximum(base.eps_root, jnp.square(base.eps)))
    return base


def unrolled(lr, k, *, lr_unroll=None, through=True, base=None, look_ahead="plain") -> Unrolled:
    """Unrolled GAN with ``k`` look-ahead discriminator steps; ``look_ahead="base"`` unrolls
    the discriminator's own optimiser (Metz et al. 2017), ``"plain"`` plain ascent steps.

    >>> import gamedyn as gd
    >>> gd.optim.unrolled(1e-4, 5, base=gd.optim.adam(b1=0.5), look_ahead="base").look_ahead
    'base'
    """
    return Unrolled(lr=lr, k=k, lr_unroll=lr_unroll, through=through, base=base, look_ahead=look_ahead)


def cgd(lr) -> CGD:
    """Competitive gradient descent, ``(I - eta J_off) d = eta F``.

    >>> import gamedyn as gd
    >>> gd.enable_x64()
    >>> float(gd.spectral_radius(gd.games.Bilinear([[1.0]]), gd.optim.cgd(0.75)))  # 1 / sqrt(1 + 0.75^2)
    0.8
    """
    return CGD(lr=lr)


def rule_named(name: str, lr, *, base=None, **options) -> Rule:
    """The rule ``RULES[name]`` at step size ``lr`` with ``options``. An option the rule's
    constructor does not take is an error naming it and the options the rule takes (it
    would otherwise be silently dropped); so is ``base`` for rules that take none
    (``proximal``, ``cgd``).

    >>> rule_named("momentum", 0.1, beta=-0.5, alternating=True)
    Momentum(lr=0.1, beta=-0.5, alternating=True, first='y', base=None)
    >>> rule_named("gda", 0.1, beta=0.9)
    Traceback (most recent call last):
    ...
    ValueError: beta is not accepted by rule='gda'; it takes alternating, first, k, base
    """
    make = rule_class(name)
    accepted = [p for p in hyperparameters(make) if p != "lr"]
    if base is not None and "base" not in accepted:
        raise ValueError(f"base is not accepted with rule={name!r}; it takes no base transformation")
    unknown = [key for key in options if key not in accepted]
    if unknown:
        raise ValueError(f"{', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not accepted by "
                         f"rule={name!r}; it takes {', '.join(accepted) or 'no options'}")
    kwargs = dict(options)
    if "base" in accepted:
        kwargs["base"] = base
    return make(lr, **kwargs)

