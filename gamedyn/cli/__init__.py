"""The ``gamedyn`` command.

Every module ``gamedyn/cli/_<name>.py`` that defines ``add_parser(subparsers)`` is a
subcommand; ``add_parser`` registers its flags and ``set_defaults(run=...)``.

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
import importlib
import pkgutil
import sys

from .._config import enable_x64

__all__ = ["main", "build_parser", "subcommand_modules"]


def subcommand_modules():
    """The modules that define a subcommand, in name order."""
    modules = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_") and not info.name.startswith("__"):
            module = importlib.import_module(f"{__name__}.{info.name}")
            if hasattr(module, "add_parser"):
                modules.append(module)
    return modules


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gamedyn",
        description="Predict, check and bridge the training dynamics of two-player games.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in subcommand_modules():
        module.add_parser(sub)
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
