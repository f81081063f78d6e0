"""Games and rules from command-line flags (shared by every subcommand)."""

from __future__ import annotations

import argparse

import numpy as np

from .. import games, optim

__all__ = [
    "GAME_NAMES",
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
        "--matrix", default="1", metavar="A",
        help="coupling matrix A of bilinear/quadratic games, rows separated by ';' "
        "(default '1')",
    )
    group.add_argument("--B", default=None, metavar="B", help="quadratic game: x-block B")
    group.add_argument("--C", default=None, metavar="C", help="quadratic game: y-block C")
    group.add_argument(
        "--loss", choices=games.LOSSES, default="nonsaturating", help="Dirac GAN loss"
    )
    group.add_argument(
        "--reg", choices=[r for r in games.REGULARIZERS if r is not None], default=None,
        help="Dirac GAN regulariser (default none)",
    )
    group.add_argument(
        "--gamma", type=float, default=0.0,
        help="Dirac GAN regularisation weight (noise std for instance noise)",
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
    group.add_argument("--first", choices=("x", "y"), default="y", help="who moves first")
    group.add_argument(
        "--k", type=int, default=None,
        help="gda: steps of the first player per step of the other; unrolled: look-ahead "
        "steps (default 1 and 5)",
    )
    group.add_argument("--beta", type=float, default=0.0, help="momentum: heavy-ball beta")
    group.add_argument(
        "--consensus-gamma", type=float, default=0.1, help="consensus: weight gamma of J^T F"
    )
    group.add_argument("--lam", type=float, default=0.1, help="sga: adjustment weight lambda")
    group.add_argument("--lr-extra", type=float, default=None, help="extragradient: extrapolation step")
    group.add_argument(
        "--base", choices=("adam", "rmsprop"), default=None,
        help="per-player base transformation (optax semantics)",
    )


def game_from_args(args, **overrides) -> games.Game:
    """The game the flags describe; ``overrides`` replace individual parameters."""
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
    """The update rule the flags describe; ``overrides`` replace individual parameters."""
    lr = args.lr if args.lr_y is None else (args.lr, args.lr_y)
    base = {None: None, "adam": optim.adam(), "rmsprop": optim.rmsprop()}[args.base]
    name = args.rule
    params: dict = {"lr": lr}
    if name in ("gda", "extragradient", "optimistic", "momentum", "consensus", "sga", "unrolled"):
        params["base"] = base
    elif base is not None:
        raise SystemExit(f"gamedyn: error: --base is not accepted with --rule {name}")
    if name in ("gda", "momentum"):
        params.update(alternating=args.alternating, first=args.first)
    if name == "gda":
        params["k"] = 1 if args.k is None else args.k
    if name == "unrolled":
        params["k"] = 5 if args.k is None else args.k
    if name == "momentum":
        params["beta"] = args.beta
    if name == "consensus":
        params["gamma"] = args.consensus_gamma
    if name == "sga":
        params["lam"] = args.lam
    if name == "extragradient":
        params["lr_extra"] = args.lr_extra
    params.update(overrides)
    return optim.RULES[name](**params)
