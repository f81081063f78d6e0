"""Hyperparameters described once, where their rule is defined, and the registry of rules.

A rule is a frozen dataclass whose fields are declared with :func:`hyper`: the field's
kind (a step size, a real number, a whole number, a choice, ...), whether it may be a
per-player pair, whether it is static (selects code rather than being traced), the
condition under which it matters, and one line of help. Everything that used to list a
rule's options again is derived from these declarations: the checks a rule runs when it
is built, the command-line flags and their help (``gamedyn spectrum``, ``phase``,
``train``, ``sweep``), the parameters a phase axis can sweep, ``TrainConfig``'s checks, the
Hypothesis strategies and the sympy symbols' assumptions.

:func:`register_rule` adds a rule to :data:`RULES`, the single list of names.

>>> import gamedyn as gd
>>> hp = gd.optim.hyperparameters("momentum")
>>> list(hp)
['lr', 'beta', 'alternating', 'first', 'base']
>>> hp["beta"].kind, hp["beta"].pair
('real', True)
"""

from __future__ import annotations

import dataclasses
from typing import Any

from .._checks import is_traced
from .._hyper import KINDS, Hyper, add_to_registry, described as _described, field_defaults_of, hyper, registered_class

__all__ = ["Hyper", "hyper", "hyperparameters", "register_rule", "RULES", "takes_base", "KINDS", "field_defaults"]

def field_defaults(cls) -> dict[str, Any]:
    """The default of each field of a rule class (or name) that has one.

    >>> import gamedyn as gd
    >>> gd.optim.field_defaults("momentum")
    {'alternating': False, 'first': 'y', 'base': None}
    """
    return field_defaults_of(rule_class(cls) if isinstance(cls, str) else cls)


def check_hyperparameters(rule) -> None:
    """Run every declared field's check on ``rule`` (called by ``Rule.__post_init__``)."""
    described = _described(type(rule))
    defaults = field_defaults(type(rule))
    for name, info in described.items():
        info.check(name, getattr(rule, name))
    for name, info in described.items():
        if info.needs is None or name not in defaults:
            continue
        value = getattr(rule, name)
        if is_traced(value) or value == defaults[name] or getattr(rule, info.needs):
            continue
        raise ValueError(f"{name}={value!r} is not accepted with {info.needs}=False; {name} matters only "
                         f"with {info.needs}=True")


#: Every rule by name: the class, a frozen dataclass whose fields are declared with
#: :func:`hyper` (``RULES["gda"](0.1)`` builds one). Add to it with :func:`register_rule`.
RULES: dict[str, type] = {}


def register_rule(name: str, cls: type | None = None):
    """Register the rule class ``cls`` under ``name`` (usable as a class decorator).

    The class must subclass :class:`~gamedyn.optim.Rule`, be a dataclass whose first field is
    ``lr`` and whose other fields are declared with :func:`hyper`. Registered, it is
    available everywhere a rule is chosen by name: ``gd.optim.rule_named``, the command line
    (``--rule NAME`` and one flag per hyperparameter), phase axes, ``TrainConfig(rule=NAME)``,
    the symbolic layer and ``gd.testing.strategies.rules``.

    A rule that moves the discriminator only, ``y+ = y + lr F_y``; on the bilinear game
    ``x y`` its update matrix is ``[[1, 0], [lr, 1]]``:

    >>> from typing import Any
    >>> import gamedyn as gd
    >>> @gd.optim.register_rule("ascent_only")
    ... @gd.optim.pytree_dataclass
    ... class AscentOnly(gd.optim.Rule):
    ...     lr: Any = gd.optim.hyper(kind="step", help="the discriminator's step size")
    ...     def _step(self, oracle, state):
    ...         y = oracle.axpy(self.lr, oracle.field_y(state.x, state.y), state.y)
    ...         return state._replace(y=y, count=state.count + 1)
    >>> gd.update_jacobian(gd.games.Bilinear([[1.0]]), gd.optim.rule_named("ascent_only", 0.5))
    Array([[1. , 0. ],
           [0.5, 1. ]], dtype=float64)
    >>> del gd.optim.RULES["ascent_only"]          # leave the registry as it was
    """
    if cls is None:
        return lambda c: register_rule(name, c)
    from ._rules import Rule

    is_rule = isinstance(cls, type) and issubclass(cls, Rule) and dataclasses.is_dataclass(cls)
    fields = [f.name for f in dataclasses.fields(cls)] if is_rule else ["lr"]
    if not fields or fields[0] != "lr":
        raise ValueError(f"{cls.__name__} is not accepted as a rule: its first field must be lr, the step size "
                         f"(it has {', '.join(fields) or 'no fields'})")
    return add_to_registry(RULES, "rule", Rule, "gd.optim", name, cls)


def rule_class(name: str) -> type:
    """The class registered as ``name``, or an error listing the names."""
    return registered_class(RULES, "rule", name)


def hyperparameters(rule) -> dict[str, Hyper]:
    """The declared hyperparameters of a rule (a name in :data:`RULES`, a class or an
    instance), in field order.

    >>> import gamedyn as gd
    >>> list(gd.optim.hyperparameters("gda"))
    ['lr', 'alternating', 'first', 'k', 'base']
    >>> gd.optim.hyperparameters(gd.optim.gda(0.1))["first"].needs   # matters only if alternating
    'alternating'
    """
    cls = rule_class(rule) if isinstance(rule, str) else (rule if isinstance(rule, type) else type(rule))
    return _described(cls)


def takes_base(rule) -> bool:
    """True if the rule accepts a per-player base transformation (Adam, RMSProp).

    >>> import gamedyn as gd
    >>> gd.optim.takes_base("extragradient"), gd.optim.takes_base("proximal")
    (True, False)
    """
    return "base" in hyperparameters(rule)
