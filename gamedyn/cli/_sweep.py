"""``gamedyn sweep``: a grid of trainings (local or Ray tasks) gathered into one table."""

from __future__ import annotations

import argparse
import dataclasses
import typing

from ._train import add_config_flags, config_from_args

HELP = "train a grid of GANs (locally or as Ray tasks), each resumable, gathered into one table"

EXAMPLES = """examples:
  gamedyn sweep --grid rule=gda,extragradient --grid reg=none,r1 --gamma 1 \\
      --data islands --steps 2000 --out runs/sweep
  gamedyn sweep --grid lr=1e-4,2e-4,4e-4 --grid alternating=false,true --backend ray \\
      --address ray://head:10001 --out runs/lr-sweep

Every other flag sets the shared base configuration (as for `gamedyn train`). Each cell
trains in --out/<name=value-...>/; finished cells are read back when the command is
repeated, interrupted ones resume. --out/table.md and table.json hold one row per cell.
"""


def _parse_value(name: str, text: str, kind):
    if text.lower() in ("none", "null"):
        return None
    if kind is bool:
        if text.lower() in ("true", "1", "yes"):
            return True
        if text.lower() in ("false", "0", "no"):
            return False
        raise SystemExit(f"gamedyn sweep: error: --grid {name}: {text!r} is not true or false")
    try:
        return kind(text)
    except ValueError:
        raise SystemExit(f"gamedyn sweep: error: --grid {name}: {text!r} is not a {kind.__name__}") from None


def _option_kind(rule: str, name: str):
    """The type of a rule hyperparameter's grid values, from its declaration."""
    from .. import optim

    info = optim.hyperparameters(rule)[name]
    if info.kind == "choice":
        return bool if info.choices == (False, True) else str
    return int if info.kind == "int" else float


def parse_grid(specs, rule: str = "gda") -> dict:
    from ..bridge import TrainConfig
    from ..bridge import rule_option_names

    hints = typing.get_type_hints(TrainConfig)
    fields = {f.name for f in dataclasses.fields(TrainConfig)} - {"out"}
    options = rule_option_names(rule)
    grid = {}
    for spec in specs or []:
        if "=" not in spec:
            raise SystemExit(f"gamedyn sweep: error: --grid {spec!r} must read NAME=V1,V2,...")
        name, _, values = spec.partition("=")
        name = name.strip().replace("-", "_")
        if name not in fields and name not in options:
            raise SystemExit(f"gamedyn sweep: error: --grid {name!r} is not a training parameter; "
                             f"expected one of {', '.join(sorted(fields))}, or a hyperparameter of --rule {rule} "
                             f"({', '.join(sorted(options)) or 'none besides its fields'})")
        if name in grid:
            raise SystemExit(f"gamedyn sweep: error: --grid {name!r} is given twice")
        if name in fields:
            members = typing.get_args(hints[name]) or (hints[name],)
            kind = next((k for k in (bool, int, float, str) if k in members), str)
        else:
            kind = _option_kind(rule, name)
        items = [v.strip() for v in values.split(",") if v.strip()]
        if not items:
            raise SystemExit(f"gamedyn sweep: error: --grid {name!r} has no values")
        grid[name] = [_parse_value(name, v, kind) for v in items]
    if not grid:
        raise SystemExit("gamedyn sweep: error: give at least one --grid NAME=V1,V2,...")
    return grid


def add_parser(sub) -> None:
    parser = sub.add_parser("sweep", help=HELP, description=HELP + ".", epilog=EXAMPLES,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--grid", action="append", metavar="NAME=V1,V2,...",
                        help="a swept training parameter and its values (repeatable)")
    parser.add_argument("--backend", choices=("local", "ray"), default="local",
                        help="run cells one after another here, or as Ray tasks")
    parser.add_argument("--address", default=None, help="Ray cluster address (default: a local Ray)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads per training")
    parser.add_argument("--quiet", action="store_true", help="no progress display")
    add_config_flags(parser, out_help="folder of the sweep (one subfolder per cell)")
    parser.set_defaults(run=run, out="runs/sweep")


def run(args) -> int:
    from ..bridge import sweep

    grid = parse_grid(args.grid, args.rule)
    base = config_from_args(args)
    rows = sweep(base, grid, out=args.out, backend=args.backend, address=args.address,
                 threads=args.threads, progress=not args.quiet)
    for row in rows:
        cell = ", ".join(f"{k}={row[k]}" for k in grid)
        modes = "-" if row["modes"] is None else f"{row['modes']}/{row['n_modes']}"
        kl = "-" if row["kl"] is None else f"{row['kl']:.4f}"
        print(f"{cell}: {row['status']}, modes {modes}, KL {kl}")
    print(f"table: {args.out}/table.md")
    return 0
