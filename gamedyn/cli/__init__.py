"""The ``gamedyn`` command.

>>> from gamedyn.cli import main
>>> main(["spectrum", "--game", "bilinear", "--rule", "extragradient", "--lr", "0.5",
...       "--steps", "200"])  # doctest: +ELLIPSIS
game                    Bilinear(A=Array([[1.]], dtype=float64))
...
spectral radius         0.9013878189  -> predicted converged
...
0
"""

from __future__ import annotations

import argparse
import sys

from .._config import enable_x64
from . import _figures, _spectrum

__all__ = ["main", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gamedyn",
        description="Predict, check and bridge the training dynamics of two-player games.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _figures.add_parser(sub)
    _spectrum.add_parser(sub)
    return parser


def main(argv=None) -> int:
    enable_x64()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except ValueError as err:
        parser.exit(2, f"gamedyn {args.command}: error: {err}\n")


if __name__ == "__main__":
    sys.exit(main())
