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
    "GAME_NAMES",
    "GAME_PARAMS",
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

GAME_NAMES = ("bilinear", "quadratic", "dirac")


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
    group = parser.add_argument_group("game")
    group.add_argument(
        "--game", choices=GAME_NAMES, default="dirac",
        help="bilinear: x^T A y; quadratic: 1/2 x^T B x + x^T A y - 1/2 y^T C y; "
        "dirac: the Dirac GAN (default)",
    )
    group.add_argument(
        "--matrix", default=None, metavar="A",
        help="coupling matrix A of bilinear/quadratic games, rows separated by ';' "
        "(default '1')",
    )
    group.add_argument("--B", default=None, metavar="B", help="quadratic game: x-block B")
    group.add_argument("--C", default=None, metavar="C", help="quadratic game: y-block C")
    group.add_argument(
        "--loss", choices=games.LOSSES, default=None, help="Dirac GAN loss (default nonsaturating)"
    )
    group.add_argument(
        "--reg", choices=[r for r in games.REGULARIZERS if r is not None], default=None,
        help="Dirac GAN regulariser (default none)",
    )
    group.add_argument(
        "--gamma", type=float, default=None,
        help="Dirac GAN regularisation weight (noise std for instance noise; default 0)",
    )
    group.add_argument("--clip", type=float, default=None, help="Dirac GAN: WGAN clipping |psi|<=c")


def rule_flags() -> dict:
    """The rule flags, derived from the rules' declared hyperparameters
    (:func:`gamedyn.optim.hyperparameters`): ``dest -> RuleFlag``. Rules that share a field
    name (``k`` of gda and unrolled) share its flag; its help lists each rule's meaning."""
    flags: dict[str, RuleFlag] = {}
    for rule, cls in optim.RULES.items():
        defaults = optim.field_defaults(cls)
        for option, info in optim.hyperparameters(cls).items():
            if option in ("lr", "base"):
                continue
            flag = "--" + (info.flag or option).replace("_", "-")
            dest = flag[2:].replace("-", "_")
            known = flags.setdefault(dest, RuleFlag(flag, option, {}))
            first = next(iter(known.takers.values()), (info, None))[0]
            if known.option != option or _arg_type(first) != _arg_type(info):
                raise ValueError(f"rule {rule!r}'s hyperparameter {option!r} would share the flag {flag} with "
                                 f"{', '.join(known.takers)} but differs in name or type; declare "
                                 "hyper(flag=...) to give it its own flag")
            known.takers[rule] = (info, defaults.get(option, info.cli_default))
    return flags


@dataclasses.dataclass
class RuleFlag:
    """A command-line rule flag: the rule option it sets and, per rule that takes it, the
    option's description and the value used when the flag is not given."""

    flag: str
    option: str
    takers: dict


def _arg_type(info):
    if info.kind == "choice":
        return "switch" if info.choices == (False, True) else tuple(info.choices)
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
        texts: dict[str, list[str]] = {}
        for rule, (info, default) in spec.takers.items():
            text = info.help + ("" if default is None else f" (default {default!r})")
            texts.setdefault(text, []).append(rule)
        meanings = "; ".join(f"{', '.join(rules)}: {text}" for text, rules in texts.items())
        add_rule_flag(group, spec, dest, meanings)
    takers = [name for name in optim.RULES if optim.takes_base(name)]
    group.add_argument(
        "--base", choices=("adam", "rmsprop"), default=None,
        help=f"per-player base transformation, optax semantics ({', '.join(takers)})",
    )


#: Game flags: (flag, the games that take it, the value when not given).
GAME_FLAGS = {
    "matrix": ("--matrix", ("bilinear", "quadratic"), "1"),
    "B": ("--B", ("quadratic",), None),
    "C": ("--C", ("quadratic",), None),
    "loss": ("--loss", ("dirac",), "nonsaturating"),
    "reg": ("--reg", ("dirac",), None),
    "gamma": ("--gamma", ("dirac",), 0.0),
    "clip": ("--clip", ("dirac",), None),
}
def _given(value) -> bool:
    return value is not None and value is not False


def check_flags(args) -> None:
    """Refuse, naming it, every game or rule flag the chosen game or rule does not take,
    then fill in the defaults of the flags not given (so that reading ``args`` afterwards
    sees the values used). Idempotent."""
    if getattr(args, "_flags_checked", False):
        return
    if hasattr(args, "game"):
        for dest, (flag, takers, _) in GAME_FLAGS.items():
            if _given(getattr(args, dest, None)) and args.game not in takers:
                takes = [f for f, t, _ in GAME_FLAGS.values() if args.game in t]
                raise SystemExit(f"gamedyn: error: {flag} is not accepted with --game {args.game}; it takes "
                                 f"{', '.join(takes) or 'no game flags'} ({flag} is for "
                                 f"--game {' / '.join(takers)})")
        for dest, (_, takers, default) in GAME_FLAGS.items():
            if getattr(args, dest, None) is None and args.game in takers:
                setattr(args, dest, default)
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


def game_from_args(args, **overrides) -> games.Game:
    """The game the flags describe; ``overrides`` replace individual parameters."""
    check_flags(args)
    params = {}
    if args.game in ("bilinear", "quadratic"):
        params["A"] = parse_matrix(args.matrix, "--matrix")
    if args.game == "quadratic":
        if args.B is not None:
            params["B"] = parse_matrix(args.B, "--B")
        if args.C is not None:
            params["C"] = parse_matrix(args.C, "--C")
    if args.game == "dirac":
        params.update(loss=args.loss, reg=args.reg, gamma=args.gamma, clip=args.clip)
    params.update(overrides)
    cls = {"bilinear": games.Bilinear, "quadratic": games.Quadratic, "dirac": games.DiracGAN}
    return cls[args.game](**params)


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
#: Numeric parameters of each game that an axis can sweep, with what they mean.
GAME_PARAMS = {
    "bilinear": {"s": "coupling scale: A = s * MATRIX (every singular value scales by s)"},
    "quadratic": {
        "s": "coupling scale: A = s * MATRIX",
        "b": "ridge on the x-block: B = --B + b I (strong convexity of x)",
        "c": "ridge on the y-block: C = --C + c I (strong concavity in y)",
    },
    "dirac": {
        "gamma": "regularisation weight of --reg (noise std for instance_noise)",
        "clip": "WGAN weight clipping |psi| <= clip",
        "gp_target": "WGAN-GP target gradient norm",
    },
}

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
    """The game of the flags with the swept parameters ``values`` (names of GAME_PARAMS)."""
    overrides = {}
    if args.game in ("bilinear", "quadratic") and "s" in values:
        overrides["A"] = values["s"] * parse_matrix(args.matrix, "--matrix")
    if args.game == "quadratic":
        n_x, n_y = parse_matrix(args.matrix, "--matrix").shape
        for key, flag, n in (("b", "--B", n_x), ("c", "--C", n_y)):
            if key in values:
                text = getattr(args, flag[2:])
                base = np.zeros((n, n)) if text is None else parse_matrix(text, flag)
                overrides[key.upper()] = base + values[key] * np.eye(n)
    if args.game == "dirac":
        for key in ("gamma", "clip", "gp_target"):
            if key in values:
                overrides[key] = values[key]
    return game_from_args(args, **overrides)


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
