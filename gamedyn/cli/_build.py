"""Games and rules from command-line flags (shared by every subcommand).

A game or rule flag that the chosen game or rule does not take is an error naming the flag
and what the game or rule takes (:func:`check_flags`), before any work: such a flag would
otherwise be silently ignored.
"""

from __future__ import annotations

import argparse
import inspect

import numpy as np

from .. import games, optim

__all__ = [
    "check_flags",
    "GAME_NAMES",
    "GAME_PARAMS",
    "RULE_PARAMS",
    "INTEGER_PARAMS",
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


def add_rule_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("update rule")
    group.add_argument("--rule", choices=tuple(optim.RULES), default="gda", help="update rule")
    group.add_argument("--lr", type=float, default=0.1, help="step size (of x with --lr-y)")
    group.add_argument("--lr-y", type=float, default=None, help="discriminator step size (TTUR)")
    group.add_argument(
        "--alternating", action="store_true", help="gda/momentum: alternating updates"
    )
    group.add_argument("--first", choices=("x", "y"), default=None,
                       help="gda/momentum with --alternating: who moves first (default y)")
    group.add_argument(
        "--k", type=int, default=None,
        help="gda: steps of the first player per step of the other; unrolled: look-ahead "
        "steps (default 1 and 5)",
    )
    group.add_argument("--beta", type=float, default=None, help="momentum: heavy-ball beta (default 0)")
    group.add_argument(
        "--consensus-gamma", type=float, default=None, help="consensus: weight gamma of J^T F (default 0.1)"
    )
    group.add_argument("--lam", type=float, default=None, help="sga: adjustment weight lambda (default 0.1)")
    group.add_argument("--lr-extra", type=float, default=None, help="extragradient: extrapolation step")
    group.add_argument(
        "--base", choices=("adam", "rmsprop"), default=None,
        help="per-player base transformation (optax semantics)",
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
#: Rule flags: (flag, the rule constructor's option it sets).
RULE_FLAGS = {
    "alternating": ("--alternating", "alternating"),
    "first": ("--first", "first"),
    "k": ("--k", "k"),
    "beta": ("--beta", "beta"),
    "consensus_gamma": ("--consensus-gamma", "gamma"),
    "lam": ("--lam", "lam"),
    "lr_extra": ("--lr-extra", "lr_extra"),
}
#: Values of the options a rule needs when their flag is not given.
RULE_DEFAULTS = {"momentum": {"beta": 0.0}, "consensus": {"gamma": 0.1}, "sga": {"lam": 0.1}, "unrolled": {"k": 5}}


def _given(value) -> bool:
    return value is not None and value is not False


def _rule_options(name: str) -> set:
    return set(inspect.signature(optim.RULES[name]).parameters) - {"lr"}


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
        accepted = _rule_options(args.rule)
        for dest, (flag, option) in RULE_FLAGS.items():
            if _given(getattr(args, dest, None)) and option not in accepted:
                takes = [f for f, o in RULE_FLAGS.values() if o in accepted]
                takes += ["--base"] if "base" in accepted else []
                raise SystemExit(f"gamedyn: error: {flag} is not accepted with --rule {args.rule}; it takes "
                                 f"{', '.join(takes) or 'no rule flags besides --lr and --lr-y'}")
        if getattr(args, "first", None) is not None and not args.alternating:
            raise SystemExit("gamedyn: error: --first is not accepted without --alternating (who moves first "
                             "matters only when the players take turns)")
    args._flags_checked = True


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
    swept ones, already checked against :data:`RULE_PARAMS`)."""
    check_flags(args)
    lr = args.lr if args.lr_y is None else (args.lr, args.lr_y)
    base = {None: None, "adam": optim.adam(), "rmsprop": optim.rmsprop()}[args.base]
    name = args.rule
    if base is not None and "base" not in _rule_options(name):
        raise SystemExit(f"gamedyn: error: --base is not accepted with --rule {name}")
    options = dict(RULE_DEFAULTS.get(name, {}))
    options.update({option: getattr(args, dest) for dest, (_, option) in RULE_FLAGS.items()
                    if _given(getattr(args, dest, None))})
    options.update(overrides)
    return optim.rule_named(name, options.pop("lr", lr), base=options.pop("base", base), **options)


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

#: Numeric parameters of each rule that an axis can sweep.
RULE_PARAMS = {
    "gda": {**_LR, "k": "steps of the first player per step of the other (with --alternating)"},
    "extragradient": {**_LR, "lr_extra": "extrapolation step size"},
    "optimistic": dict(_LR),
    "momentum": {
        **_LR,
        "beta": "heavy-ball momentum of both players (negative allowed)",
        "beta_x": "generator momentum",
        "beta_y": "discriminator momentum",
    },
    "consensus": {**_LR, "gamma": "consensus weight of J^T F"},
    "sga": {**_LR, "lam": "adjustment weight lambda"},
    "proximal": dict(_LR),
    "cgd": dict(_LR),
    "unrolled": {**_LR, "k": "look-ahead steps (a whole number)", "lr_unroll": "look-ahead step size"},
}

#: Parameters that take whole numbers.
INTEGER_PARAMS = {"k"}


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
    """The rule of the flags with the swept parameters ``values`` (names of RULE_PARAMS)."""
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
    if "beta" in values or "beta_x" in values or "beta_y" in values:
        both = values.get("beta", args.beta if args.beta is not None else RULE_DEFAULTS["momentum"]["beta"])
        overrides["beta"] = (values.get("beta_x", both), values.get("beta_y", both))
    for key in ("k", "lr_extra", "lam", "lr_unroll"):
        if key in values:
            overrides[key] = values[key]
    if args.rule == "consensus" and "gamma" in values:
        overrides["gamma"] = values["gamma"]
    return rule_from_args(args, **overrides)
