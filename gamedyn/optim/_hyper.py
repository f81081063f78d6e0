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

from .._checks import check_choice, check_int, check_nonnegative, check_pair, check_positive, check_real, is_traced

__all__ = ["Hyper", "hyper", "hyperparameters", "register_rule", "RULES", "takes_base", "KINDS", "field_defaults"]

#: What a hyperparameter holds, and the check each kind runs when a rule is built.
KINDS = {
    "step": "a finite step size >= 0",
    "real": "a finite real number",
    "nonnegative": "a finite number >= 0",
    "positive": "a finite number > 0",
    "int": "a whole number",
    "choice": "one of a fixed set of values",
    "base": "a per-player base transformation (gd.optim.adam(), gd.optim.rmsprop(), optax)",
}

_NO_DEFAULT = dataclasses.MISSING


@dataclasses.dataclass(frozen=True)
class Hyper:
    """The description of one hyperparameter (see :func:`hyper`)."""

    kind: str
    help: str
    pair: bool = False
    choices: tuple = ()
    minimum: int = 0
    static: bool = False
    needs: str | None = None
    flag: str | None = None
    cli_default: Any = None
    draw: tuple | None = None

    @property
    def numeric(self) -> bool:
        """True for the kinds a phase axis can sweep (a number, not a choice or a base)."""
        return self.kind in ("step", "real", "nonnegative", "positive", "int")

    def check(self, name: str, value) -> None:
        """Raise ``ValueError`` naming ``name`` if ``value`` is not of this kind."""
        if self.kind == "base" or value is None:
            return
        if self.kind == "choice":
            check_choice(name, value, self.choices)
            return
        if self.kind == "int":
            check_int(name, value, minimum=self.minimum)
            return
        check = {"step": check_nonnegative, "real": check_real, "nonnegative": check_nonnegative,
                 "positive": check_positive}[self.kind]
        what = KINDS[self.kind]
        if self.pair:
            check_pair(name, value, check, what=what)
        else:
            check(name, value, what=what)


def hyper(default=_NO_DEFAULT, *, kind: str, help: str, pair: bool = False, choices=(), minimum: int = 0,
          static: bool | None = None, needs: str | None = None, flag: str | None = None, cli_default=None,
          draw: tuple | None = None):
    """A rule's dataclass field, described once.

    ``kind`` is one of :data:`KINDS`; ``pair=True`` accepts ``(for x, for y)``; ``choices``
    lists a ``"choice"``'s values (``(False, True)`` for a switch); ``minimum`` bounds an
    ``"int"``. ``static`` (default: choices are static, numbers are not) makes the field
    pytree metadata that selects code instead of a traced leaf. ``needs`` names a switch
    that must be on for a value other than the default to matter (``first`` needs
    ``alternating``): setting it otherwise is an error. ``flag`` renames the command-line
    flag (default ``--name-with-dashes``), ``cli_default`` is the value the command line
    uses for a field without a default, and ``draw`` is the ``(low, high)`` range the
    Hypothesis strategies draw from (default: the kind's usual range).

    >>> hyper(0.0, kind="real", help="heavy-ball momentum").metadata["gamedyn"].kind
    'real'
    """
    if kind not in KINDS:
        raise ValueError(f"kind={kind!r} is not accepted; expected one of {', '.join(map(repr, KINDS))}")
    if kind == "choice" and not choices:
        raise ValueError("kind='choice' needs choices=(...), the values it accepts")
    static = (kind == "choice") if static is None else bool(static)
    info = Hyper(kind=kind, help=help, pair=pair, choices=tuple(choices), minimum=minimum, static=static,
                 needs=needs, flag=flag, cli_default=cli_default, draw=draw)
    return dataclasses.field(default=default, metadata={"gamedyn": info})


def _described(cls) -> dict[str, Hyper]:
    return {f.name: f.metadata["gamedyn"] for f in dataclasses.fields(cls) if "gamedyn" in f.metadata}


def field_defaults(cls) -> dict[str, Any]:
    """The default of each field of a rule class (or name) that has one.

    >>> import gamedyn as gd
    >>> gd.optim.field_defaults("momentum")
    {'alternating': False, 'first': 'y', 'base': None}
    """
    cls = rule_class(cls) if isinstance(cls, str) else cls
    return {f.name: f.default for f in dataclasses.fields(cls) if f.default is not _NO_DEFAULT}


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
    """
    if cls is None:
        return lambda c: register_rule(name, c)
    from ._rules import Rule

    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"name={name!r} is not accepted; expected an identifier such as 'my_rule'")
    if not (isinstance(cls, type) and issubclass(cls, Rule) and dataclasses.is_dataclass(cls)):
        raise ValueError(f"cls={cls!r} is not accepted; expected a Rule subclass made a dataclass "
                         "(gd.optim.pytree_dataclass)")
    fields = [f.name for f in dataclasses.fields(cls)]
    if not fields or fields[0] != "lr":
        raise ValueError(f"{cls.__name__} is not accepted as a rule: its first field must be lr, the step size "
                         f"(it has {', '.join(fields) or 'no fields'})")
    missing = [f for f in fields if f not in _described(cls)]
    if missing:
        raise ValueError(f"{cls.__name__}'s fields {', '.join(missing)} are not described: declare each with "
                         "gd.optim.hyper(default, kind=..., help=...)")
    if name in RULES and RULES[name] is not cls:
        raise ValueError(f"name={name!r} is already the rule {RULES[name].__name__}; choose another name")
    RULES[name] = cls
    return cls


def rule_class(name: str) -> type:
    """The class registered as ``name``, or an error listing the names."""
    if name not in RULES:
        raise ValueError(f"rule={name!r} is not accepted; expected one of {', '.join(RULES)}")
    return RULES[name]


def hyperparameters(rule) -> dict[str, Hyper]:
    """The declared hyperparameters of a rule (a name in :data:`RULES`, a class or an
    instance), in field order."""
    cls = rule_class(rule) if isinstance(rule, str) else (rule if isinstance(rule, type) else type(rule))
    return _described(cls)


def takes_base(rule) -> bool:
    """True if the rule accepts a per-player base transformation (Adam, RMSProp)."""
    return "base" in hyperparameters(rule)
