"""A dataclass field described once: what it holds, its check, its help, its flag.

Rules (:mod:`gamedyn.optim`) and games (:mod:`gamedyn.games`) declare their fields with
:func:`hyper`; every list of options elsewhere (command-line flags, phase axes, Hypothesis
strategies, sympy assumptions, "expected one of ..." messages) is derived from these
declarations.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ._checks import check_choice, check_int, check_nonnegative, check_pair, check_positive, check_real

__all__ = ["Hyper", "hyper", "KINDS", "described", "field_defaults_of", "add_to_registry", "registered_class"]

#: What a hyperparameter holds, and the check each kind runs when a rule is built.
KINDS = {
    "step": "a finite step size >= 0",
    "real": "a finite real number",
    "nonnegative": "a finite number >= 0",
    "positive": "a finite number > 0",
    "int": "a whole number",
    "choice": "one of a fixed set of values",
    "base": "a per-player base transformation (gd.optim.adam(), gd.optim.rmsprop(), optax)",
    "matrix": "a matrix of finite numbers (on the command line: rows separated by ';', e.g. '1,0;0,0.5')",
    "vector": "a vector of finite numbers (on the command line: '1,0.5')",
}

_NO_DEFAULT = dataclasses.MISSING


@dataclasses.dataclass(frozen=True)
class Hyper:
    """The description of one hyperparameter (see :func:`hyper`).

    >>> import gamedyn as gd
    >>> beta = gd.optim.hyperparameters("momentum")["beta"]
    >>> beta.kind, beta.pair, beta.numeric
    ('real', True, True)
    >>> beta.check("beta", (0.5, float("nan")))      # a pair: each entry is checked
    Traceback (most recent call last):
    ...
    ValueError: beta=nan is not accepted; expected a finite real number
    """

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
        if self.kind in ("base", "matrix", "vector") or value is None:
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
    """A rule's or game's dataclass field, described once.

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


def described(cls) -> dict[str, Hyper]:
    """The fields of dataclass ``cls`` declared with :func:`hyper`, in field order."""
    return {f.name: f.metadata["gamedyn"] for f in dataclasses.fields(cls) if "gamedyn" in f.metadata}


def field_defaults_of(cls) -> dict[str, Any]:
    """The default of each field of dataclass ``cls`` that has one."""
    return {f.name: f.default for f in dataclasses.fields(cls) if f.default is not _NO_DEFAULT}


def add_to_registry(registry: dict, what: str, base: type, package: str, name: str, cls: type) -> type:
    """Add ``cls`` (a dataclass subclassing ``base``, every field declared with
    :func:`hyper`) to ``registry`` under ``name``; ``what`` ("rule", "game") and ``package``
    ("gd.optim", "gd.games") name them in the errors."""
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"name={name!r} is not accepted; expected an identifier such as 'my_{what}'")
    if not (isinstance(cls, type) and issubclass(cls, base) and dataclasses.is_dataclass(cls)):
        raise ValueError(f"cls={cls!r} is not accepted; expected a {base.__name__} subclass made a dataclass "
                         f"({package}.pytree_dataclass)")
    missing = [f.name for f in dataclasses.fields(cls) if f.name not in described(cls)]
    if missing:
        raise ValueError(f"{cls.__name__}'s fields {', '.join(missing)} are not described: declare each with "
                         f"{package}.hyper(default, kind=..., help=...)")
    if name in registry and registry[name] is not cls:
        raise ValueError(f"name={name!r} is already the {what} {registry[name].__name__}; choose another name")
    registry[name] = cls
    return cls


def registered_class(registry: dict, what: str, name: str) -> type:
    """The class registered as ``name``, or an error naming ``what`` and listing the names."""
    if name not in registry:
        raise ValueError(f"{what}={name!r} is not accepted; expected one of {', '.join(registry)}")
    return registry[name]
