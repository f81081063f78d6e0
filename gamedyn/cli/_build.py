"""Games and rules from command-line flags (shared by every subcommand).

A game or rule flag that the chosen game or rule does not take is an error naming the flag
and what the game or rule takes (:func:`check_flags`), before any work: such a flag would
otherwise be silently ignored.
"""

from __future__ import annotations

import argparse
import dataclasses

import numpy as np

from .. import games, optim

__all__ = [
    "check_flags",
    "game_flags",
    "game_params",
    "game_params_from_args",
    "rule_flags",
    "rule_params",
    "integer_params",
    "game_with",
    "rule_with",
    "add_game_arguments",
    "add_rule_arguments",
    "game_from_args",
    "rule_from_args",
    "parse_matrix",
    "parse_vector",
]

def parse_matrix(text: str, flag: str) -> np.ndarray:
    """``"1,0;0,0.5"`` -> ``[[1, 0], [0, 0.5]]`` (rows separated by ``;``)."""
    try:
        rows = [[float(v) for v in row.split(",")] for row in text.split(";")]
        matrix = np.array(rows, dtype=float)
    except ValueError:
        raise SystemExit(
            f"gamedyn: error: {flag} {text!r} is not a matrix; write rows separated by ';' "
            "and entries by ',', e.g. '1,0;0,0.5'"
        ) from None
    if matrix.ndim != 2:
        raise SystemExit(f"gamedyn: error: {flag} {text!r}: every row needs the same length")
    return matrix


def parse_vector(text: str, flag: str) -> np.ndarray:
    try:
        return np.array([float(v) for v in text.split(",")], dtype=float)
    except ValueError:
        raise SystemExit(
            f"gamedyn: error: {flag} {text!r} is not a vector; write numbers separated by ','"
        ) from None


def add_game_arguments(parser: argparse.ArgumentParser) -> None:
    """``--game`` (one of :data:`gamedyn.games.GAMES`) and one flag per declared game
    parameter (:func:`game_flags`)."""
    group = parser.add_argument_group("game")
    described = "; ".join(f"{name}: {_first_line(cls)}" for name, cls in games.GAMES.items())
    group.add_argument("--game", choices=tuple(games.GAMES), default="dirac", help=f"{described} (default dirac)")
    for dest, spec in game_flags().items():
        add_rule_flag(group, spec, dest, _meanings(spec))


def _first_line(cls) -> str:
    return (cls.__doc__ or cls.__name__).strip().splitlines()[0].rstrip(".,").replace("``", "")


def _meanings(spec) -> str:
    """One help text for a flag that several games or rules take, each with its meaning."""
    texts: dict[str, list[str]] = {}
    for owner, (info, default) in spec.takers.items():
        text = info.help + ("" if default is None else f" (default {default!r})")
        texts.setdefault(text, []).append(owner)
    return "; ".join(f"{', '.join(owners)}: {text}" for text, owners in texts.items())


def _collect_flags(what: str, registry: dict, described, defaults, skip=()) -> dict:
    flags: dict[str, RuleFlag] = {}
    for owner, cls in registry.items():
        values = defaults(cls)
        for option, info in described(cls).items():
            if option in skip:
                continue
            flag = "--" + (info.flag or option).replace("_", "-")
            dest = flag[2:].replace("-", "_")
            known = flags.setdefault(dest, RuleFlag(flag, option, {}))
            first = next(iter(known.takers.values()), (info, None))[0]
            if known.option != option or _arg_type(first) != _arg_type(info):
                raise ValueError(f"{what} {owner!r}'s parameter {option!r} would share the flag {flag} with "
                                 f"{', '.join(known.takers)} but differs in name or type; declare "
                                 "hyper(flag=...) to give it its own flag")
            known.takers[owner] = (info, values.get(option, info.cli_default))
    return flags


def game_flags() -> dict:
    """The game flags, derived from the games' declared parameters
    (:func:`gamedyn.games.game_parameters`): ``dest -> RuleFlag`` (whose ``takers`` are
    games). Games that share a field name (``A`` of bilinear and quadratic) share its flag."""
    return _collect_flags("game", games.GAMES, games.game_parameters, games.game_defaults)


def rule_flags() -> dict:
    """The rule flags, derived from the rules' declared hyperparameters
    (:func:`gamedyn.optim.hyperparameters`): ``dest -> RuleFlag``. Rules that share a field
    name (``k`` of gda and unrolled) share its flag; its help lists each rule's meaning."""
    return _collect_flags("rule", optim.RULES, optim.hyperparameters, optim.field_defaults, skip=("lr", "base"))


@dataclasses.dataclass
class RuleFlag:
    """A command-line rule or game flag: the option it sets and, per rule or game that takes
    it, the option's description and the value used when the flag is not given."""

    flag: str
    option: str
    takers: dict


def _arg_type(info):
    if info.kind == "choice":
        return "switch" if info.choices == (False, True) else tuple(c for c in info.choices if c is not None)
    if info.kind in ("matrix", "vector"):
        return str  # parsed by game_from_args, which names the flag on a bad value
    return int if info.kind == "int" else float


def add_rule_flag(group, spec: RuleFlag, dest: str, helptext: str) -> None:
    """The argparse flag of a rule hyperparameter: a switch (``--x`` / ``--no-x``), a choice
    or a number, default None (not given)."""
    kind = _arg_type(next(iter(spec.takers.values()))[0])
    if kind == "switch":
        group.add_argument(spec.flag, dest=dest, action=argparse.BooleanOptionalAction, default=None, help=helptext)
    elif isinstance(kind, tuple):
        group.add_argument(spec.flag, dest=dest, choices=kind, default=None, help=helptext)
    else:
        group.add_argument(spec.flag, dest=dest, type=kind, default=None, help=helptext)


def add_rule_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("update rule")
    group.add_argument("--rule", choices=tuple(optim.RULES), default="gda", help="update rule")
    group.add_argument("--lr", type=float, default=0.1, help="step size (of x with --lr-y)")
    group.add_argument("--lr-y", type=float, default=None, help="discriminator step size (TTUR)")
    for dest, spec in rule_flags().items():
        add_rule_flag(group, spec, dest, _meanings(spec))
    takers = [name for name in optim.RULES if optim.takes_base(name)]
    group.add_argument(
        "--base", choices=("adam", "rmsprop"), default=None,
        help=f"per-player base transformation, optax semantics ({', '.join(takers)})",
    )


def _given(value) -> bool:
    return value is not None and value is not False


def check_flags(args) -> None:
    """Refuse, naming it, every game or rule flag the chosen game or rule does not take,
    then fill in the defaults of the flags not given (so that reading ``args`` afterwards
    sees the values used). Idempotent."""
    if getattr(args, "_flags_checked", False):
        return
    if hasattr(args, "game"):
        flags = game_flags()
        for dest, spec in flags.items():
            if _given(getattr(args, dest, None)) and args.game not in spec.takers:
                takes = [f.flag for f in flags.values() if args.game in f.takers]
                raise SystemExit(f"gamedyn: error: {spec.flag} is not accepted with --game {args.game}; it takes "
                                 f"{', '.join(takes) or 'no game flags'} ({spec.flag} is for "
                                 f"--game {' / '.join(spec.takers)})")
        for dest, spec in flags.items():
            if getattr(args, dest, None) is None and args.game in spec.takers:
                setattr(args, dest, spec.takers[args.game][1])
    if hasattr(args, "rule"):
        _check_rule_flags(args)
    args._flags_checked = True


def _check_rule_flags(args) -> None:
    flags = rule_flags()
    for dest, spec in flags.items():
        if getattr(args, dest, None) is not None and args.rule not in spec.takers:
            takes = [f.flag for f in flags.values() if args.rule in f.takers]
            takes += ["--base"] if optim.takes_base(args.rule) else []
            raise SystemExit(f"gamedyn: error: {spec.flag} is not accepted with --rule {args.rule}; it takes "
                             f"{', '.join(takes) or 'no rule flags besides --lr and --lr-y'}")
    if getattr(args, "base", None) is not None and not optim.takes_base(args.rule):
        raise SystemExit(f"gamedyn: error: --base is not accepted with --rule {args.rule}, which takes no base "
                         "transformation")
    for dest, spec in flags.items():
        if args.rule not in spec.takers:
            continue
        info, default = spec.takers[args.rule]
        needed = info.needs and flags.get(info.needs)
        if needed and getattr(args, dest, None) is not None and not getattr(args, needed.option, None):
            raise SystemExit(f"gamedyn: error: {spec.flag} is not accepted without {needed.flag} ({spec.option} "
                             f"matters only with {needed.option})")
        if getattr(args, dest, None) is None:
            setattr(args, dest, default)


def game_params_from_args(args) -> dict:
    """The game's constructor arguments the flags give (matrices and vectors parsed)."""
    check_flags(args)
    params = {}
    for dest, spec in game_flags().items():
        if args.game not in spec.takers:
            continue
        info, _ = spec.takers[args.game]
        value = getattr(args, dest, None)
        if value is None:
            continue
        if info.kind == "matrix":
            value = parse_matrix(value, spec.flag)
        elif info.kind == "vector":
            value = parse_vector(value, spec.flag)
        params[spec.option] = value
    return params


def game_from_args(args, **overrides) -> games.Game:
    """The game the flags describe; ``overrides`` replace individual parameters."""
    params = game_params_from_args(args)
    params.update(overrides)
    return games.game_class(args.game)(**params)


def rule_from_args(args, **overrides) -> optim.Rule:
    """The update rule the flags describe; ``overrides`` replace individual parameters (the
    swept ones, already checked against :func:`rule_params`)."""
    check_flags(args)
    lr = args.lr if args.lr_y is None else (args.lr, args.lr_y)
    base = {None: None, "adam": optim.adam(), "rmsprop": optim.rmsprop()}[args.base]
    options = {spec.option: getattr(args, dest) for dest, spec in rule_flags().items()
               if args.rule in spec.takers and getattr(args, dest) is not None}
    options.update(overrides)
    if optim.takes_base(args.rule):
        options["base"] = options.get("base", base)
    return optim.rule_named(args.rule, options.pop("lr", lr), **options)


# -- parameters a grid can sweep (gamedyn phase --axis NAME=...) --------------------------
def game_params(name: str) -> dict[str, str]:
    """The parameters of game ``name`` that a phase axis can sweep, with what they mean
    (:func:`gamedyn.games.game_axes`)."""
    return {key: axis.help for key, axis in games.game_axes(name).items()}


_LR = {
    "lr": "step size of both players",
    "lr_x": "generator step size",
    "lr_y": "discriminator step size",
    "ratio": "TTUR ratio lr_y / lr_x (lr_y = ratio * lr_x)",
}


def rule_params(name: str) -> dict[str, str]:
    """The parameters of rule ``name`` that a phase axis can sweep, with what they mean:
    the step sizes (``lr``, ``lr_x``, ``lr_y``, ``ratio``), then every numeric
    hyperparameter, with ``_x`` / ``_y`` for one player's value of a per-player one."""
    params = dict(_LR)
    for option, info in optim.hyperparameters(name).items():
        if option == "lr" or not info.numeric:
            continue
        params[option] = info.help + (" (both players)" if info.pair else "")
        if info.pair:
            params[f"{option}_x"] = f"{info.help} (generator)"
            params[f"{option}_y"] = f"{info.help} (discriminator)"
    return params


def integer_params(name: str) -> set[str]:
    """The swept parameters of rule ``name`` that take whole numbers."""
    return {o for o, info in optim.hyperparameters(name).items() if info.kind == "int"}


def game_with(args, values: dict) -> games.Game:
    """The game of the flags with the swept parameters ``values`` (names of :func:`game_params`)."""
    params = game_params_from_args(args)
    axes = games.game_axes(args.game)
    for key, value in values.items():
        params = axes[key].apply(params, value)
    return games.game_class(args.game)(**params)


def rule_with(args, values: dict) -> optim.Rule:
    """The rule of the flags with the swept parameters ``values`` (names of :func:`rule_params`)."""
    check_flags(args)
    overrides = {}
    # --lr is x's step (and y's unless --lr-y): sweeping lr moves both, lr_x only x
    lr_x = values.get("lr_x", values.get("lr", args.lr))
    if "lr_y" in values:
        lr_y = values["lr_y"]
    elif "ratio" in values:
        lr_y = values["ratio"] * lr_x
    else:
        lr_y = values.get("lr", args.lr) if args.lr_y is None else args.lr_y
    if any(k in values for k in ("lr", "lr_x", "lr_y", "ratio")):
        overrides["lr"] = (lr_x, lr_y)
    flags = {spec.option: dest for dest, spec in rule_flags().items() if args.rule in spec.takers}
    for option, info in optim.hyperparameters(args.rule).items():
        if option == "lr" or not info.numeric:
            continue
        if info.pair and (f"{option}_x" in values or f"{option}_y" in values):
            both = values.get(option, getattr(args, flags[option]))
            overrides[option] = (values.get(f"{option}_x", both), values.get(f"{option}_y", both))
        elif option in values:
            overrides[option] = values[option]
    return rule_from_args(args, **overrides)
