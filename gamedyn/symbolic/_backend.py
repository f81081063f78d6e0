"""A sympy backend for the update rules: the rules of :mod:`gamedyn.optim` (and any rule a user
writes against the same backend surface) run unchanged on symbolic player states.

Every rule is written once against a small surface of tree operations and a gradient oracle
(see ``gamedyn/optim/_backend.py``). Supplying that surface over sympy expressions turns one
step of a rule into an exact symbolic map ``z_t -> z_{t+1}``, so the update matrix of a rule
is *derived from the same code that the simulations run*, not re-typed by hand.

Exact arithmetic changes three things, each documented where it happens:

* machine epsilon is ``0`` (``eps``), so a solver's tolerance test becomes "the residual is
  exactly zero";
* a loop condition is decided at a *generic* point (``decide``): ``r > 0`` with ``r`` a norm
  that is not identically zero is true there (the update matrix of a linear map is the same
  everywhere, so a generic point is what is wanted);
* Python floats in the rule's code (``2.0`` in optimism, ``0.5`` in SGA) become exact
  rationals.
"""

from __future__ import annotations

import numbers

import numpy as np
import sympy as sp

__all__ = ["SympyOps", "SympyOracle", "exact", "decide"]

#: An iterative solver whose condition cannot be decided after this many symbolic
#: iterations is refused (Newton's method on a linear game needs one).
MAX_SYMBOLIC_ITERATIONS = 8


def exact(value):
    """An exact sympy number for a Python/numpy number; sympy objects pass through.

    Floats are read as the shortest decimal that prints them (``0.1 -> 1/10``), which is what
    a person who typed ``0.1`` meant.

    >>> exact(0.1), exact(2.0), exact(3)
    (1/10, 2, 3)
    """
    if isinstance(value, sp.Basic):
        return value
    if isinstance(value, (bool, np.bool_)):
        return sp.true if value else sp.false
    if isinstance(value, numbers.Integral):
        return sp.Integer(int(value))
    if isinstance(value, numbers.Real):
        return sp.Rational(repr(float(value)))
    if isinstance(value, np.ndarray) and value.shape == ():
        return exact(value.item())
    raise ValueError(
        f"value={value!r} is not accepted in a symbolic computation; expected a number or a "
        "sympy expression (JAX arrays have no exact value)"
    )


def tree_map(fn, *trees):
    """Map over tuples/lists of sympy leaves (``None`` is an empty tree)."""
    first = trees[0]
    if first is None:
        return None
    if isinstance(first, (tuple, list)):
        return type(first)(tree_map(fn, *kids) for kids in zip(*trees))
    return fn(*trees)


def tree_leaves(tree) -> list:
    if tree is None:
        return []
    if isinstance(tree, (tuple, list)):
        return [leaf for kid in tree for leaf in tree_leaves(kid)]
    return [tree]


def _random_point(symbols, seed):
    """Exact rational values for ``symbols`` that respect their assumptions (positive,
    nonnegative, real), drawn with a fixed seed."""
    rng = np.random.default_rng(seed)
    values = {}
    for s in sorted(symbols, key=lambda v: v.name):
        magnitude = sp.Rational(int(rng.integers(1, 10**6)), int(rng.integers(1, 10**6)))
        negative = not (s.is_positive or s.is_nonnegative) and rng.random() < 0.5
        values[s] = -magnitude if negative else magnitude
    return values


def _generic_sign(expr):
    """The sign of ``expr`` at a generic point of its symbols, or None if it has none.

    Decided exactly at random rational points (two of them, which must agree): a non-zero
    rational function of the symbols vanishes only on a set of measure zero, so the sign at
    a random point is the generic one with probability one (the Schwartz–Zippel argument
    behind polynomial identity testing). A condition whose sign differs between the points
    depends on where it is evaluated and has no generic value.
    """
    expr = sp.sympify(expr)
    if expr.is_zero:
        return 0
    if not expr.free_symbols:
        value = sp.nsimplify(expr)
        return int(sp.sign(value)) if value.is_real else None
    signs = set()
    for seed in (0, 1):
        value = expr.xreplace(_random_point(expr.free_symbols, seed))
        value = sp.nsimplify(sp.simplify(value)) if value.free_symbols else value
        if not value.is_real:
            return None
        signs.add(int(sp.sign(value)))
    return signs.pop() if len(signs) == 1 else None


def decide(cond) -> bool:
    """Decide a loop or branch condition of a rule symbolically (at a generic point).

    Python and sympy booleans are themselves; ``And``/``Or``/``Not`` combine; a comparison
    ``lhs > rhs`` is decided from the generic sign of ``lhs - rhs`` (see the module
    docstring). Anything else is refused with a ``ValueError``.

    >>> x = sp.Symbol("x", real=True)
    >>> decide(sp.sqrt(x**2 + 1) > 0), decide(sp.Integer(0) > 0)
    (True, False)
    >>> decide((x + 1)**2 - x**2 - 2*x > 1)   # identically 1 > 1
    False
    """
    if isinstance(cond, (bool, np.bool_)):
        return bool(cond)
    if cond is sp.true or cond is sp.false:
        return bool(cond)
    if isinstance(cond, sp.And):
        return all(decide(arg) for arg in cond.args)
    if isinstance(cond, sp.Or):
        return any(decide(arg) for arg in cond.args)
    if isinstance(cond, sp.Not):
        return not decide(cond.args[0])
    if isinstance(cond, sp.core.relational.Relational):
        sign = _generic_sign(cond.lhs - cond.rhs)
        if sign is not None:
            table = {
                sp.StrictGreaterThan: sign > 0,
                sp.GreaterThan: sign >= 0,
                sp.StrictLessThan: sign < 0,
                sp.LessThan: sign <= 0,
                sp.Eq: sign == 0,
                sp.Ne: sign != 0,
            }
            for kind, value in table.items():
                if isinstance(cond, kind):
                    return value
    raise ValueError(
        f"condition {cond} cannot be decided symbolically; a rule run on the sympy backend "
        "may branch only on conditions whose truth does not depend on the point"
    )


class SympyOps:
    """The tree operations of ``gamedyn.optim``'s backend surface over sympy expressions.

    A player's position is a sympy expression (one coordinate: the symbolic games are 2x2
    blocks); trees are tuples of them. With ``state`` symbols given (the coordinates of the
    iteration, equilibrium at 0), every value is kept as its first-order Taylor polynomial
    in them, ``c_0 + sum_i c_i v_i`` with each ``c_i`` cancelled: forward-mode jet
    arithmetic. This is exact for the update matrix (the Jacobian at the equilibrium) and
    keeps expressions small through long rules (a Newton solve, ``k`` look-ahead steps).

    >>> import sympy as sp
    >>> from gamedyn.symbolic import SympyOps
    >>> x, y = sp.symbols("x y", real=True)
    >>> ops = SympyOps(state=(x, y))
    >>> ops.affine(sp.sin(x) + sp.exp(y))          # sin x = x + ..., e^y = 1 + y + ...
    x + y + 1
    >>> ops.scale(0.5, (x, y))                     # floats become exact rationals
    (x/2, y/2)
    """

    def __init__(self, state=()):
        self.state = tuple(state)
        self._origin = {v: 0 for v in self.state}

    def affine(self, expr):
        """``expr``'s first-order Taylor polynomial in the state at 0, coefficients
        cancelled."""
        expr = sp.sympify(expr)
        if not self.state or not (expr.free_symbols & set(self.state)):
            return sp.cancel(expr) if expr.free_symbols else expr
        out = sp.cancel(expr.xreplace(self._origin))
        for v in self.state:
            out += sp.cancel(sp.diff(expr, v).xreplace(self._origin)) * v
        return out

    def _map(self, fn, *trees):
        return tree_map(lambda *leaves: self.affine(fn(*leaves)), *trees)

    def add(self, a, b):
        return self._map(lambda u, v: u + v, a, b)

    def sub(self, a, b):
        return self._map(lambda u, v: u - v, a, b)

    def scale(self, s, a):
        s = exact(s)
        return self._map(lambda u: s * u, a)

    def axpy(self, s, a, b):
        """``b + s * a``."""
        s = exact(s)
        return self._map(lambda u, v: v + s * u, a, b)

    def where(self, cond, a, b):
        # Rules branch on the step counter (``count == 0``), a plain integer here.
        return a if decide(cond) else b

    def zeros_like(self, a):
        return tree_map(lambda u: sp.S.Zero, a)

    def vdot(self, a, b):
        return sp.Add(*[u * v for u, v in zip(tree_leaves(a), tree_leaves(b))])

    def norm(self, a):
        return sp.sqrt(sp.Add(*[u**2 for u in tree_leaves(a)]))

    def size(self, a) -> int:
        return len(tree_leaves(a))

    def eps(self, a):
        # Exact arithmetic: a tolerance of "k machine epsilons" is an exact zero test.
        return sp.S.Zero

    def sign(self, s):
        """``sign(s)`` is locally constant where ``s != 0``: its linearisation at the
        equilibrium is the sign there (decided at a generic point of the parameters)."""
        at_rest = sp.sympify(s).xreplace(self._origin) if self.state else sp.sympify(s)
        value = _generic_sign(at_rest)
        if value in (None, 0):
            raise ValueError(
                f"sign({at_rest}) at the equilibrium is {'0' if value == 0 else 'undecided'}: "
                "the rule is not differentiable there and has no update matrix"
            )
        return sp.Integer(value)

    def detach(self, a):
        # Values are what matter here: the update matrix is read off the first-order terms,
        # which are exact whatever path the value took.
        return a

    def counter(self, n: int = 0):
        return int(n)

    def repeat(self, k, body, carry):
        if isinstance(k, sp.Basic) and not k.is_Integer:
            raise ValueError(
                f"k={k} is not accepted on the sympy backend; a repeat count must be a "
                "whole number (keep integer hyperparameters numeric)"
            )
        for _ in range(int(k)):
            carry = body(carry)
        return carry

    def while_loop(self, cond, body, carry):
        for _ in range(MAX_SYMBOLIC_ITERATIONS + 1):
            if not decide(cond(carry)):
                return carry
            carry = body(carry)
        raise ValueError(
            f"a loop did not terminate within {MAX_SYMBOLIC_ITERATIONS} symbolic iterations; "
            "only solvers that are exact in finitely many steps on a linear game (Newton) "
            "can run on the sympy backend"
        )

    def base_init(self, base, params):
        raise ValueError(
            f"base={base!r} is not accepted on the sympy backend: a stateful base (Adam, "
            "RMSProp) has no linear update map; use a rule without a base"
        )

    def base_update(self, base, grads, state, params):
        raise ValueError(f"base={base!r} is not accepted on the sympy backend")


class SympyOracle(SympyOps):
    """The gradient oracle of a :class:`~gamedyn.symbolic.SymbolicGame` (exact derivatives).

    The games are quadratic, so ``F`` is linear, ``F(z) = J z``, and its Jacobian ``J`` is
    constant; the oracle uses that.

    >>> import gamedyn as gd
    >>> S = gd.symbolic
    >>> oracle = S.SympyOracle(S.bilinear())        # loss_x = s x y = -loss_y
    >>> oracle.field(S.X, S.Y)                      # F = (-s y, s x)
    (-s*y, s*x)
    >>> r = S.rule("gda")
    >>> new = r.step(oracle, r.init(S.X, S.Y, ops=oracle))
    >>> new.x, new.y                                # z + lr F(z), exactly
    (-lr*s*y + x, lr*s*x + y)
    """

    def __init__(self, game, state=()):
        super().__init__(state)
        self.game = game
        self.J = game.jacobian()
        # Hessian blocks of loss_x (for the unrolled generator's total derivative).
        hx = sp.hessian(game.loss_x, (game.x, game.y))
        self.loss_x_hessian = hx.applyfunc(sp.simplify)

    def field_x(self, x, y):
        return self.affine(self.J[0, 0] * x + self.J[0, 1] * y)

    def field_y(self, x, y):
        return self.affine(self.J[1, 0] * x + self.J[1, 1] * y)

    def field(self, x, y):
        return self.field_x(x, y), self.field_y(x, y)

    def project_x(self, x):
        return x

    def project_y(self, y):
        return y

    def jvp(self, x, y, vx, vy):
        J = self.J
        return self.affine(J[0, 0] * vx + J[0, 1] * vy), self.affine(J[1, 0] * vx + J[1, 1] * vy)

    def vjp(self, x, y, ux, uy):
        J = self.J
        return self.affine(J[0, 0] * ux + J[1, 0] * uy), self.affine(J[0, 1] * ux + J[1, 1] * uy)

    def unrolled_field_x(self, x, y, k: int, lr, through: bool = True, *, base=None, base_state=None):
        """``-d/dx loss_x(x, y_k(x))`` with ``y_{i+1} = y_i + lr F_y(x, y_i)``, ``y_0 = y``.

        On a quadratic game ``y_k`` is affine in ``x`` with slope ``dy_k/dx`` (forward
        recursion ``d_{i+1} = d_i + lr (J_yx + J_yy d_i)``) and the total derivative is
        ``H_xx x + H_xy y_k + (H_yx x + H_yy y_k) dy_k/dx`` (``H``: the Hessian of
        ``loss_x``); without ``through`` the look-ahead is a constant (slope 0).
        """
        if base is not None:
            raise ValueError(
                "look_ahead='base' (unrolling the discriminator's optimiser) is not accepted by "
                "the sympy backend; it runs on the JAX and PyTorch backends, or use look_ahead='plain'"
            )
        J, H = self.J, self.loss_x_hessian
        lr = exact(lr)
        v, slope = y, sp.S.Zero
        for _ in range(int(k)):
            v = self.affine(v + lr * (J[1, 0] * x + J[1, 1] * v))
            slope = sp.cancel(slope + lr * (J[1, 0] + J[1, 1] * slope))
        partial_x = H[0, 0] * x + H[0, 1] * v
        partial_y = H[1, 0] * x + H[1, 1] * v
        total = partial_x + (partial_y * slope if through else 0)
        return self.affine(-total)

    def solve_shifted(self, x, y, a_x, a_y, r_x, r_y, *, off_diagonal=False):
        """Solve ``(I - diag(a_x, a_y) J) d = r`` exactly (``J`` without its diagonal if
        ``off_diagonal``)."""
        shift = sp.diag(exact(a_x), exact(a_y))
        J = sp.Matrix([[0, self.J[0, 1]], [self.J[1, 0], 0]]) if off_diagonal else self.J
        matrix = (sp.eye(2) - shift * J).applyfunc(sp.cancel)
        d = matrix.LUsolve(sp.Matrix([r_x, r_y]))
        return self.affine(d[0]), self.affine(d[1])
