"""Symbolic two-player games with one coordinate per player (2x2 blocks).

A bilinear game ``x^T A y`` splits, with ``A = U S V^T``, into independent scalar games
``s_k x_k y_k``; a quadratic game with commuting blocks splits the same way into scalar
quadratic games. Every rule without a base commutes with those per-player rotations, so the
spectrum of any rule on an ``n``-dimensional game is the union of its spectra on the blocks,
and one 2x2 block carries the whole theory.

Games here are quadratic in ``(x, y)`` with the equilibrium at ``0``: a rule's step is then
linear and its update matrix exact. A smooth game such as the Dirac GAN enters through the
second-order Taylor expansion of each player's loss at its equilibrium, which has the same
Jacobian (and the same update matrix for every rule of :mod:`gamedyn.optim`, whose steps
use at most second derivatives of the losses at a fixed point).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from types import SimpleNamespace

import numpy as np
import sympy as sp

from .._checks import check_choice
from ..games import GAN_LOSSES, Game

__all__ = [
    "SymbolicGame",
    "symbolic_game",
    "bilinear",
    "quadratic",
    "dirac",
    "from_game",
    "jacobian_of",
    "SYMPY_GAME_OPS",
    "DIRAC_LOSSES",
    "DIRAC_REGULARIZERS",
    "X",
    "Y",
]

#: The players' coordinates in every symbolic game.
X, Y = sp.symbols("x y", real=True)

DIRAC_LOSSES = (*GAN_LOSSES, "generic")
DIRAC_REGULARIZERS = (None, "r1", "r2", "instance_noise")


@dataclass(frozen=True, eq=False)
class SymbolicGame:
    """A game ``(loss_x, loss_y)`` given by sympy expressions in ``x`` and ``y``.

    ``params`` are the game's own symbols (``s``; ``a, b, c``; ``gamma``), listed for
    display and for evaluating regions numerically. Use :func:`bilinear`, :func:`quadratic`,
    :func:`dirac` or :func:`symbolic_game` to build one.
    """

    loss_x: sp.Expr
    loss_y: sp.Expr
    name: str = "game"
    params: tuple = ()
    x: sp.Symbol = X
    y: sp.Symbol = Y
    field_exprs: tuple = field(init=False, repr=False)
    field_jacobian: sp.Matrix = field(init=False, repr=False)

    def __post_init__(self):
        fx = sp.expand(-sp.diff(self.loss_x, self.x))
        fy = sp.expand(-sp.diff(self.loss_y, self.y))
        object.__setattr__(self, "field_exprs", (fx, fy))
        jac = sp.Matrix([fx, fy]).jacobian([self.x, self.y]).applyfunc(sp.simplify)
        object.__setattr__(self, "field_jacobian", jac)

    def field(self, x=None, y=None):
        """``F = -(d loss_x / dx, d loss_y / dy)`` at ``(x, y)`` (default: symbolic)."""
        x = self.x if x is None else x
        y = self.y if y is None else y
        subs = {self.x: x, self.y: y}
        return tuple(f.subs(subs, simultaneous=True) for f in self.field_exprs)

    def jacobian(self):
        """The Jacobian of ``F`` at the equilibrium ``(0, 0)``.

        >>> jacobian = bilinear().jacobian()
        >>> jacobian
        Matrix([
        [0, -s],
        [s,  0]])
        """
        return self.field_jacobian.subs({self.x: 0, self.y: 0}, simultaneous=True)

    def eigenvalues(self) -> list:
        """Eigenvalues of :meth:`jacobian` (with multiplicity), simplified.

        >>> bilinear().eigenvalues()
        [-I*s, I*s]
        """
        values = []
        for value, mult in self.jacobian().eigenvals().items():
            values += [sp.simplify(value)] * mult
        return sorted(values, key=sp.default_sort_key)

    def __repr__(self) -> str:
        return f"SymbolicGame({self.name}: loss_x = {self.loss_x}, loss_y = {self.loss_y})"


def _taylor2(expr, x, y):
    """Second-order Taylor polynomial of ``expr`` in ``(x, y)`` at ``(0, 0)``, from its
    derivatives there (much cheaper than ``sympy.series`` on nested logs)."""
    origin = {x: 0, y: 0}
    out = expr.subs(origin)
    for v in (x, y):
        out += sp.diff(expr, v).subs(origin) * v
    for i, u in enumerate((x, y)):
        for j, v in enumerate((x, y)):
            if j >= i:
                weight = sp.Rational(1, 2) if i == j else 1
                out += weight * sp.diff(expr, u, v).subs(origin) * u * v
    return sp.expand(sp.simplify(out))


def symbolic_game(loss_x, loss_y, *, name="game", params=None, expand=False) -> SymbolicGame:
    """A symbolic game from two loss expressions in :data:`X` and :data:`Y`.

    The losses must be quadratic in ``(x, y)`` with no linear terms (equilibrium at the
    origin), unless ``expand=True``: then each loss is replaced by its second-order Taylor
    expansion at ``(0, 0)``, which must be a fixed point.

    >>> import sympy as sp
    >>> game = symbolic_game(X**2 / 2 + 2 * X * Y, -2 * X * Y)
    >>> game.jacobian()
    Matrix([
    [-1, -2],
    [ 2,  0]])
    """
    loss_x, loss_y = sp.sympify(loss_x), sp.sympify(loss_y)
    if expand:
        loss_x, loss_y = _taylor2(loss_x, X, Y), _taylor2(loss_y, X, Y)
    for label, loss in (("loss_x", loss_x), ("loss_y", loss_y)):
        poly = sp.Poly(loss, X, Y) if loss.free_symbols & {X, Y} else None
        if poly is not None and poly.total_degree() > 2:
            raise ValueError(
                f"{label}={loss} is not accepted; expected a quadratic polynomial in x and y "
                "(pass expand=True for its second-order Taylor expansion)"
            )
    game = SymbolicGame(loss_x, loss_y, name=name, params=tuple(params or ()))
    at_zero = [sp.simplify(f.subs({X: 0, Y: 0})) for f in game.field_exprs]
    if any(v != 0 for v in at_zero):
        raise ValueError(
            f"the field at (0, 0) is {tuple(at_zero)}; expected (0, 0): symbolic games have "
            "their equilibrium at the origin"
        )
    if params is None:
        free = (loss_x.free_symbols | loss_y.free_symbols) - {X, Y}
        object.__setattr__(game, "params", tuple(sorted(free, key=lambda s: s.name)))
    return game


def bilinear(s=None) -> SymbolicGame:
    """One 2x2 block of a bilinear game: ``loss_x = s x y``, ``loss_y = -s x y``.

    ``s`` (default: a positive symbol ``s``) is a singular value of ``A``.

    >>> bilinear()
    SymbolicGame(bilinear block: loss_x = s*x*y, loss_y = -s*x*y)
    """
    s = sp.Symbol("s", positive=True) if s is None else sp.sympify(s)
    return symbolic_game(
        s * X * Y, -s * X * Y, name="bilinear block", params=(s,) if s.is_Symbol else ()
    )


def quadratic(a=None, b=None, c=None) -> SymbolicGame:
    """The scalar zero-sum quadratic game ``f = b x^2 / 2 + a x y - c y^2 / 2``,
    ``loss_x = f``, ``loss_y = -f``; its Jacobian is ``[[-b, -a], [a, -c]]``.

    Defaults: real symbols ``a, b, c``. ``b, c > 0`` is strongly monotone, ``b = c = 0`` the
    bilinear (Hamiltonian) block.

    >>> quadratic().jacobian()
    Matrix([
    [-b, -a],
    [ a, -c]])
    """
    a = sp.Symbol("a", real=True) if a is None else sp.sympify(a)
    b = sp.Symbol("b", real=True) if b is None else sp.sympify(b)
    c = sp.Symbol("c", real=True) if c is None else sp.sympify(c)
    f = b * X**2 / 2 + a * X * Y - c * Y**2 / 2
    params = tuple(v for v in (a, b, c) if v.is_Symbol)
    return symbolic_game(f, -f, name="scalar quadratic", params=params)


def _elementwise(f):
    """``f`` on a sympy scalar, or on each entry of a numpy object array."""

    def apply(v):
        return np.vectorize(f, otypes=[object])(v) if isinstance(v, np.ndarray) else f(v)

    return apply


#: The operations of a game's ``_losses(ops, x, y)`` in sympy (the names of
#: :data:`gamedyn.games.JAX_GAME_OPS`); the players are numpy object arrays of symbols.
SYMPY_GAME_OPS = SimpleNamespace(
    exp=_elementwise(sp.exp), log=_elementwise(sp.log), log1p=_elementwise(lambda v: sp.log(1 + v)),
    sqrt=_elementwise(sp.sqrt), sin=_elementwise(sp.sin), cos=_elementwise(sp.cos),
    tanh=_elementwise(sp.tanh), sigmoid=_elementwise(lambda v: 1 / (1 + sp.exp(-v))),
    softplus=_elementwise(lambda v: sp.log(1 + sp.exp(v))), relu=_elementwise(lambda v: sp.Max(0, v)),
    sum=lambda v: sp.Add(*np.ravel(np.asarray(v, dtype=object))),
)

#: The GAN loss family's operations in sympy. ``relu`` is the identity: it enters only as
#: hinge's ``-relu(1 - t)``, whose argument is positive in a neighbourhood of the
#: equilibrium ``t = 0``, where the update matrix is taken.
SYMPY_LOSS_OPS = SimpleNamespace(**{**vars(SYMPY_GAME_OPS), "relu": lambda v: v})


def _exact(value):
    """A game's field value for sympy: numbers become the rationals they print as
    (``0.1 -> 1/10``), arrays numpy object arrays of them; names and symbols stay."""
    if value is None or isinstance(value, (str, bool, sp.Basic)):
        return value
    arr = np.asarray(value, dtype=object)
    exact = np.vectorize(lambda v: v if isinstance(v, sp.Basic) else sp.Rational(repr(float(v))),
                         otypes=[object])(arr)
    return exact if arr.ndim else exact[()]


def _symbolic_copy(game: Game, symbols: dict) -> Game:
    """``game`` with every field made exact (:func:`_exact`) and ``symbols`` substituted;
    built without ``__post_init__``, whose numeric checks and JAX conversions a symbol
    would not pass."""
    names = [f.name for f in dataclasses.fields(game)]
    unknown = sorted(set(symbols) - set(names))
    if unknown:
        raise ValueError(f"{', '.join(unknown)} is not a parameter of {type(game).__name__}; it has "
                         f"{', '.join(names)}")
    copy = object.__new__(type(game))
    for name in names:
        object.__setattr__(copy, name, _exact(symbols.get(name, getattr(game, name))))
    return copy


def _shifted_losses(game: Game, symbols: dict):
    """``(loss_x, loss_y, xs, ys)``: the game's losses in sympy at ``z_star + (xs, ys)``."""
    if not isinstance(game, Game):
        raise ValueError(f"game={game!r} is not accepted; expected a gd.games game")
    if not game.symbolic_ready:
        raise ValueError(f"{type(game).__name__} writes its losses in JAX only; the symbolic layer needs them "
                         "written once against backend operations, as _losses(self, ops, x, y) (the Dirac GAN "
                         "has its own symbolic form, gamedyn.symbolic.dirac)")
    if game.equilibrium is None:
        raise ValueError(f"{type(game).__name__} has no known equilibrium to expand the game at")
    z_star = _exact(np.asarray(game.equilibrium, dtype=float))
    if game.n_x == 1 and game.n_y == 1:
        xs, ys = np.array([X], dtype=object), np.array([Y], dtype=object)
    else:
        xs = np.array(sp.symbols(f"x1:{game.n_x + 1}", real=True), dtype=object)
        ys = np.array(sp.symbols(f"y1:{game.n_y + 1}", real=True), dtype=object)
    copy = _symbolic_copy(game, symbols)
    loss_x, loss_y = copy._losses(SYMPY_GAME_OPS, z_star[: game.n_x] + xs, z_star[game.n_x :] + ys)
    return sp.sympify(loss_x), sp.sympify(loss_y), list(xs), list(ys)


def jacobian_of(game: Game, **symbols) -> sp.Matrix:
    """The exact Jacobian of any game's vector field at its equilibrium, by sympy, from the
    game's losses written once against backend operations (``_losses(ops, x, y)``).

    Numbers in the game's fields enter as the rationals they print as; ``symbols`` replace
    fields by sympy expressions (their numeric checks are skipped).

    >>> import gamedyn as gd
    >>> jacobian_of(gd.games.Quadratic([[1.0, 0.0], [0.0, 2.0]], B=[[0.5, 0.0], [0.0, 0.5]]))
    Matrix([
    [-1/2,    0, -1,  0],
    [   0, -1/2,  0, -2],
    [   1,    0,  0,  0],
    [   0,    2,  0,  0]])
    """
    loss_x, loss_y, xs, ys = _shifted_losses(game, symbols)
    field_exprs = [-sp.diff(loss_x, v) for v in xs] + [-sp.diff(loss_y, v) for v in ys]
    at_equilibrium = {v: 0 for v in xs + ys}
    return sp.Matrix(field_exprs).jacobian(xs + ys).subs(at_equilibrium, simultaneous=True).applyfunc(sp.simplify)


def from_game(game: Game, **symbols) -> SymbolicGame:
    """A game with one coordinate per player as a :class:`SymbolicGame` (expanded to second
    order at its equilibrium, moved to the origin), so that every rule's exact update matrix
    and convergence region follow (:func:`update_matrix`, :func:`convergence_region`).

    The game's losses must be written against backend operations (``_losses(ops, x, y)``);
    ``symbols`` replace fields by sympy expressions.

    >>> import sympy as sp
    >>> import gamedyn as gd
    >>> game = from_game(gd.games.Bilinear([[1.0]]), A=[[sp.Symbol("s", positive=True)]])
    >>> game.jacobian() == bilinear().jacobian()
    True
    """
    if not (isinstance(game, Game) and game.n_x == 1 and game.n_y == 1):
        raise ValueError(f"game={game!r} is not accepted; expected a game with one coordinate per player "
                         "(gamedyn.symbolic.jacobian_of takes any size)")
    loss_x, loss_y, _, _ = _shifted_losses(game, symbols)
    return symbolic_game(loss_x, loss_y, expand=True, name=type(game).__name__)


def _dirac_f(loss: str, t):
    """The concave ``f`` of the GAN objective (Mescheder et al. 2018, Sec. 2.2), from the
    loss family (``gamedyn.games._gan_losses``); ``"generic"``: its second-order Taylor
    polynomial with symbolic ``f'(0)``, ``f''(0)``."""
    if loss in GAN_LOSSES:
        return GAN_LOSSES[loss].f(SYMPY_LOSS_OPS, t)
    fp0, fpp0 = sp.Symbol("fp0", positive=True), sp.Symbol("fpp0", real=True)
    return fp0 * t + fpp0 * t**2 / 2


def _dirac_generator_loss(loss: str, t):
    if loss in GAN_LOSSES:
        return GAN_LOSSES[loss].g(SYMPY_LOSS_OPS, -t)
    return -_dirac_f(loss, -t)  # generic: the non-saturating form


def dirac(loss: str = "nonsaturating", reg: str | None = None, gamma=None) -> SymbolicGame:
    """The Dirac GAN (Mescheder, Geiger & Nowozin 2018) near its equilibrium.

    ``x = theta`` (generator), ``y = psi`` (discriminator); the objective
    ``L = f(psi theta) + f(0)`` with the package's ``f`` for ``loss`` (or ``"generic"``: a
    symbolic ``f`` with ``f'(0) = fp0 > 0``, ``f''(0) = fpp0``), regulariser ``"r1"`` /
    ``"r2"`` (``gamma/2 psi^2``) or ``"instance_noise"`` (noise std ``gamma``; the expected
    objective, from ``E eps = 0``, ``E eps^2 = gamma^2``), expanded to second order at
    ``(0, 0)``. Its Jacobian has eigenvalues ``+-i f'(0)`` without regularisation and
    ``-gamma/2 +- sqrt(gamma^2/4 - f'(0)^2)`` with R1 or R2.

    >>> dirac("generic", "r1").jacobian()
    Matrix([
    [  0,    -fp0],
    [fp0, -gamma]])
    """
    check_choice("loss", loss, DIRAC_LOSSES)
    check_choice("reg", reg, DIRAC_REGULARIZERS)
    gamma = sp.Symbol("gamma", positive=True) if gamma is None else sp.sympify(gamma)
    t = sp.Symbol("t", real=True)
    theta, psi = X, Y
    if reg == "instance_noise":
        eps = sp.Symbol("epsilon", real=True)

        def expect(expr):
            # E over eps ~ N(0, gamma^2) of a polynomial in eps, after the second-order
            # expansion in (theta, psi): only E eps = 0 and E eps^2 = gamma^2 survive.
            poly = sp.Poly(sp.expand(expr), eps)
            moments = {0: 1, 1: 0, 2: gamma**2, 3: 0, 4: 3 * gamma**4}
            return sp.expand(sum(c * moments[m[0]] for m, c in poly.terms()))

        def second_order(g):
            return _taylor2(g, theta, psi)

        def quadratic_in_t(g):
            return sum(sp.diff(g, t, k).subs(t, 0) * t**k / sp.factorial(k) for k in range(3))

        f2 = quadratic_in_t(_dirac_f(loss, t))
        g2 = quadratic_in_t(_dirac_generator_loss(loss, t))
        fake = expect(second_order(f2.subs(t, psi * (theta + eps))))
        real = expect(second_order(f2.subs(t, -psi * eps)))
        objective = fake + real
        loss_x = expect(second_order(g2.subs(t, psi * (theta + eps))))
        loss_y = -objective
    else:
        objective = _dirac_f(loss, psi * theta) + _dirac_f(loss, sp.S.Zero)
        loss_x = _dirac_generator_loss(loss, psi * theta)
        loss_y = -objective + (gamma / 2 * psi**2 if reg in ("r1", "r2") else 0)
    game = symbolic_game(loss_x, loss_y, expand=True, name=f"Dirac GAN ({loss}, reg={reg})")
    # Constants (f(0)) do not move anyone; drop them for a readable repr.
    lx = game.loss_x - game.loss_x.subs({X: 0, Y: 0})
    ly = game.loss_y - game.loss_y.subs({X: 0, Y: 0})
    return symbolic_game(sp.expand(lx), sp.expand(ly), name=game.name)
