"""Update rules with symbolic hyperparameters, and their exact update matrices.

:func:`rule` takes any rule of :mod:`gamedyn.optim` (or a user's own
:class:`~gamedyn.optim.Rule` subclass) and replaces its numeric hyperparameters by sympy
symbols named after its fields (``lr``, ``lr_x``/``lr_y`` for a pair, ``beta``, ``gamma``,
``lam``, ...). :func:`update_matrix` then runs the rule's own ``step`` on the sympy backend
and differentiates the resulting map: the matrix comes from the code that simulations run.
"""

from __future__ import annotations

import dataclasses

import jax
import sympy as sp

from .. import optim
from ..optim import Rule
from ._backend import SympyOracle, exact
from ._games import SymbolicGame

__all__ = ["rule", "exact_rule", "update_matrix", "hyperparameters", "POSITIVE_NAMES"]

_POSITIVE_KINDS = ("step", "nonnegative", "positive")


def _positive_names() -> tuple:
    """Fields whose symbols are positive, from the built-in rules' declarations (step sizes,
    weights >= 0, tolerances); the others (``beta``, ``lam``) are real."""
    names = []
    for cls in optim.RULES.values():
        for field, info in optim.hyperparameters(cls).items():
            if info.kind in _POSITIVE_KINDS and field not in names:
                names += [field] + ([f"{field}_x", f"{field}_y"] if info.pair else [])
    return tuple(names)


#: Hyperparameters whose symbols are positive (derived from the declarations; a rule's own
#: declared kinds decide for its fields, this list for an undeclared field of a subclass).
POSITIVE_NAMES = _positive_names()

# Placeholder values that pass each rule's construction checks; every float leaf is then
# replaced by a symbol.
_PLACEHOLDER = 0.5


def _key_name(path) -> tuple[str, int | None]:
    """``(field, index)`` of a pytree leaf of a rule: ``.lr`` -> ("lr", None),
    ``.lr[1]`` -> ("lr", 1)."""
    name, index = None, None
    for key in path:
        if isinstance(key, jax.tree_util.GetAttrKey):
            name = key.name if name is None else name
        elif isinstance(key, jax.tree_util.SequenceKey):
            index = key.idx
    return name or "value", index


def _symbol(field: str, index: int | None, name: str | None = None, cls=None):
    if name is None:
        name = field if index is None else f"{field}_{'xy'[index]}"
    info = optim.hyperparameters(cls).get(field) if cls is not None else None
    if info is not None:
        positive = info.kind in _POSITIVE_KINDS
    else:
        positive = field in POSITIVE_NAMES or name in POSITIVE_NAMES
    return sp.Symbol(name, positive=True) if positive else sp.Symbol(name, real=True)


def _value(field, index, given, cls=None):
    """The symbolic value of a leaf for a user-given field value."""
    if isinstance(given, (tuple, list)):
        if index is None:
            raise ValueError(f"{field}={given!r} is a pair, but the rule's {field} is a scalar")
        given = given[index]
    if isinstance(given, str):
        return _symbol(field, index, given, cls)
    return exact(given)


def rule(spec, /, **fields) -> Rule:
    """A rule whose numeric hyperparameters are sympy symbols.

    ``spec`` is a rule (``gd.optim.extragradient(0.1)``), a name of
    ``gd.optim.RULES`` (``"gda"``), a rule class or a constructor. ``fields`` fix
    hyperparameters: a number is kept exactly (``beta=-0.5`` is ``-1/2``), a string names a
    symbol (``lr=("lr_x", "lr_y")`` for two step sizes), a sympy expression is used as it
    is; static fields (``alternating=True``, ``first="x"``) are passed to the constructor.
    Every remaining float hyperparameter becomes a symbol named after its field (``lr``,
    ``beta``, ...; ``lr_x``/``lr_y`` for a pair); integers (``k``) stay numbers.

    >>> import gamedyn as gd
    >>> r = rule("gda", lr=("lr_x", "lr_y"), alternating=True, first="x")
    >>> r.lr_x, r.lr_y, r.alternating, r.first
    (lr_x, lr_y, True, 'x')
    >>> rule(gd.optim.momentum(0.1, -0.5), beta=-0.5).beta
    -1/2
    """
    make, cls = _constructor(spec)
    static = set(getattr(cls, "_pytree_static", ()))
    symbolic_values, numeric_values, plain = {}, {}, {}
    for key, value in fields.items():
        entries = value if isinstance(value, (tuple, list)) else (value,)
        if key in static or isinstance(value, bool) or value is None:
            plain[key] = value
        elif all(
            isinstance(v, (str, sp.Basic, int, float)) and not isinstance(v, bool) for v in entries
        ):
            if any(isinstance(v, (str, sp.Basic)) for v in entries):
                symbolic_values[key] = value
            else:
                numeric_values[key] = value
        else:
            plain[key] = value
    arguments = dict(plain)
    arguments.update(numeric_values)
    for key, value in symbolic_values.items():
        arguments[key] = (
            tuple(_PLACEHOLDER for _ in value) if isinstance(value, (tuple, list)) else _PLACEHOLDER
        )
    if make is None:
        base_rule = dataclasses.replace(spec, **arguments) if arguments else spec
    else:
        base_rule = make(**{**_default_arguments(make), **arguments})
    if getattr(base_rule, "base", None) is not None:
        raise ValueError(
            f"base={base_rule.base!r} is not accepted: a stateful base (Adam, RMSProp) has no "
            "linear update map"
        )
    given = {**numeric_values, **symbolic_values}

    def replace(field, index, leaf):
        if field in given:
            return _value(field, index, given[field], cls)
        if _is_float(leaf):
            return _symbol(field, index, cls=cls)
        return leaf

    return _map_leaves(base_rule, replace)


def _constructor(spec):
    """``(make, cls)``: how to build the rule (None: replace fields of ``spec``), and its
    class (for its static fields)."""
    if isinstance(spec, Rule):
        return None, type(spec)
    make = spec
    if isinstance(spec, str):
        if spec not in optim.RULES:
            listed = ", ".join(repr(n) for n in optim.RULES)
            raise ValueError(f"spec={spec!r} is not accepted; expected a rule, or one of {listed}")
        make = optim.RULES[spec]
    if isinstance(make, type) and issubclass(make, Rule):
        return make, make
    if callable(make):
        return make, type(make(**_default_arguments(make)))
    raise ValueError(
        f"spec={spec!r} is not accepted; expected an update rule, a rule class, a rule "
        "constructor or a name in gd.optim.RULES"
    )


def _is_float(leaf) -> bool:
    if isinstance(leaf, (bool, sp.Basic)):
        return False
    if isinstance(leaf, float):
        return True
    dtype = getattr(leaf, "dtype", None)
    return dtype is not None and getattr(dtype, "kind", "") == "f" and getattr(leaf, "ndim", 1) == 0


def _map_leaves(r: Rule, replace) -> Rule:
    """Rebuild ``r`` with ``replace(field, index, leaf)`` for each pytree leaf (bypassing
    the constructor's checks, which cannot judge a symbol)."""
    leaves, treedef = jax.tree_util.tree_flatten_with_path(r)
    new = []
    for path, leaf in leaves:
        field, index = _key_name(path)
        value = replace(field, index, leaf)
        if (
            not isinstance(value, sp.Basic)
            and isinstance(value, (int,))
            and not isinstance(value, bool)
        ):
            value = int(value)
        new.append(value)
    return jax.tree_util.tree_unflatten(treedef, new)


def exact_rule(r: Rule) -> Rule:
    """``r`` with every numeric hyperparameter read exactly (``0.1`` is ``1/10``).

    >>> import gamedyn as gd
    >>> exact_rule(gd.optim.gda(0.1)).lr
    1/10
    """
    return _map_leaves(
        r, lambda field, index, leaf: exact(float(leaf)) if _is_float(leaf) else leaf
    )


def _default_arguments(make) -> dict:
    """Placeholder arguments for a rule constructor's required hyperparameters."""
    import inspect

    declared = optim.hyperparameters(make) if isinstance(make, type) and issubclass(make, Rule) else {}
    args = {}
    for name, param in inspect.signature(make).parameters.items():
        if param.default is inspect.Parameter.empty and param.kind in (
            param.POSITIONAL_OR_KEYWORD,
            param.KEYWORD_ONLY,
        ):
            info = declared.get(name)
            is_int = info.kind == "int" if info is not None else name == "k"
            args[name] = max(1, info.minimum if info is not None else 1) if is_int else _PLACEHOLDER
    return args


def hyperparameters(r: Rule) -> tuple:
    """The symbols of a symbolic rule, sorted by name.

    >>> hyperparameters(rule("consensus"))
    (gamma, lr)
    """
    free = set()
    for leaf in jax.tree_util.tree_leaves(r):
        if isinstance(leaf, sp.Basic):
            free |= leaf.free_symbols
    return tuple(sorted(free, key=lambda s: s.name))


def update_matrix(game: SymbolicGame, r: Rule, *, simplify: bool = True) -> sp.Matrix:
    """The exact update matrix of one step of ``r`` on ``game`` at its equilibrium.

    ``2 x 2`` on ``(x, y)`` for memoryless rules; ``4 x 4`` on ``(x_t, y_t, x_{t-1},
    y_{t-1})`` for rules with memory (optimistic, momentum), as
    :func:`gamedyn.update_jacobian`. A rule with numeric hyperparameters is read exactly
    (``0.1`` is ``1/10``); use :func:`rule` for symbols.

    >>> from gamedyn.symbolic import bilinear
    >>> update_matrix(bilinear(), rule("extragradient"))
    Matrix([
    [-lr**2*s**2 + 1,           -lr*s],
    [           lr*s, -lr**2*s**2 + 1]])
    """
    if not isinstance(game, SymbolicGame):
        raise ValueError(
            f"game={game!r} is not accepted; expected a symbolic game "
            "(gd.symbolic.bilinear(), quadratic(), dirac() or symbolic_game())"
        )
    if not isinstance(r, Rule):
        raise ValueError(
            f"rule={r!r} is not accepted; expected an update rule (gd.optim or gd.symbolic.rule)"
        )
    r = exact_rule(r)
    x, y = game.x, game.y
    if not r.memory:
        variables = [x, y]
        oracle = SympyOracle(game, variables)
        state = r.init(x, y, ops=oracle)._replace(count=1)
        new = r.step(oracle, state)
        image = [new.x, new.y]
    else:
        x_prev, y_prev = sp.symbols("x_prev y_prev", real=True)
        variables = [x, y, x_prev, y_prev]
        oracle = SympyOracle(game, variables)
        state = r.history_state(oracle, x, y, x_prev, y_prev)
        new = r.step(oracle, state)
        image = [new.x, new.y, x, y]
    image = [oracle.affine(v) for v in image]
    matrix = sp.Matrix([[sp.diff(v, w) for w in variables] for v in image])
    return matrix.applyfunc(sp.cancel if simplify else sp.expand)
