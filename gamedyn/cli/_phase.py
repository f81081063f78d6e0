"""``gamedyn phase``: a stability phase diagram of a game and a rule over one or two swept
parameters: predicted (spectrum) and observed (simulation) regimes, a figure, a NetCDF file."""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

import numpy as np

from .. import games, optim
from ._build import (
    game_params,
    integer_params,
    rule_params,
    add_game_arguments,
    add_rule_arguments,
    check_flags,
    game_with,
    rule_with,
)

HELP = "stability phase diagram over swept parameters: predicted vs observed regimes"

EXAMPLES = """\
examples:
  gamedyn phase --game dirac --loss nonsaturating --reg r1 --rule gda --alternating \\
      --axis lr=0.01:2:400 --axis gamma=0:2:400 --out figures/x.png --data x.nc
  gamedyn phase --game bilinear --rule gda --alternating --axis lr_x=0.01:3:300 \\
      --axis lr_y=0.01:3:300 --boundary "lr_x*lr_y - 4" --steps 10000 --out ttur.png
  gamedyn phase --game bilinear --rule momentum --alternating --axis lr=0.01:1.5:200 \\
      --axis beta=-1:0.5:200 --out momentum.png
  gamedyn phase --game dirac --reg r1 --gamma 0.3 --rule gda --alternating \\
      --axis k=1,2,4,8 --axis ratio=0.1:100:200:log --out k_steps.png

axis specs:  NAME=START:STOP:NUM (evenly spaced, both ends included),
             NAME=START:STOP:NUM:log (geometrically spaced), NAME=V1,V2,... (a list)
"""


def _epilog() -> str:
    lines = [EXAMPLES, "games and the parameters an axis can sweep:"]
    for name in games.GAMES:
        for i, (key, meaning) in enumerate(game_params(name).items()):
            lines.append(f"  {name if i == 0 else '':14s} {key:10s} {meaning}")
    lines.append(f"  (dirac losses: {', '.join(games.DiracGAN.LOSSES)}; regularisers: "
                 f"{', '.join(r for r in games.DiracGAN.REGULARIZERS if r)})")
    lines.append("")
    lines.append("rules and the parameters an axis can sweep:")
    for name in optim.RULES:
        params = ", ".join(rule_params(name))
        lines.append(f"  {name:14s} {params}")
    lines.append("  (lr: both players; lr_x, lr_y: one each; ratio: lr_y = ratio * lr_x;")
    lines.append("   parameters not swept take their flag's value)")
    lines.append("")
    lines.append("a name that both the game and the rule have (dirac's gamma and consensus's "
                 "gamma) must be qualified: game.gamma or rule.gamma.")
    return "\n".join(lines)


def add_parser(sub) -> None:
    parser = sub.add_parser(
        "phase",
        help=HELP,
        description=HELP + ". Every cell of the grid gets the spectral radius of the update "
        "map at the equilibrium, the regime it predicts, and the regime of a seeded "
        "simulation (gd.phase_diagram).",
        epilog=_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_game_arguments(parser)
    add_rule_arguments(parser)
    group = parser.add_argument_group("grid")
    group.add_argument(
        "--axis", action="append", default=[], metavar="NAME=SPEC",
        help="a swept parameter (repeat for a second axis); see 'axis specs' below",
    )
    group.add_argument(
        "--steps", type=int, default=1000,
        help="simulation steps per cell (default 1000; 0: prediction only)",
    )
    group.add_argument("--seed", type=int, default=0, help="seed of the start direction (default 0)")
    group.add_argument(
        "--radius", type=float, default=None,
        help="distance of the start from the equilibrium (default: as small as float64 resolves)",
    )
    group.add_argument("--chunk", type=int, default=None, help="cells per vectorised chunk")
    group.add_argument("--backend", choices=("local", "ray"), default="local",
                       help="local (default) or ray (Ray tasks; --address for a cluster)")
    group.add_argument("--address", default=None, help="Ray cluster address (with --backend ray)")
    group.add_argument("--method", choices=("auto", "generic"), default="auto",
                       help="auto: structured fast paths; generic: gd.spectral_radius and "
                       "gd.simulate per cell (the reference)")
    group = parser.add_argument_group("output")
    group.add_argument("--out", default=None, metavar="PNG",
                       help="figure: spectral radius, predicted and observed regimes")
    group.add_argument("--data", default=None, metavar="NC",
                       help="NetCDF file of the Dataset (written atomically; an interrupted "
                       "run resumes from its finished chunks)")
    group.add_argument(
        "--boundary", action="append", default=None, metavar="EXPR",
        help="theory boundary drawn on the figure: a sympy expression in the axis names whose "
        "zero set is the boundary, e.g. 'lr_x*lr_y - 4' (repeatable)",
    )
    group.add_argument("--title", default=None, help="figure title")
    group.add_argument("--overwrite", action="store_true",
                       help="let --data replace an existing file that is not a phase diagram of gamedyn")
    parser.set_defaults(run=run)


# -- axis specs --------------------------------------------------------------------------------
_SPEC = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*=\s*(.+?)\s*$")


def _fail(message: str):
    raise SystemExit(f"gamedyn phase: error: {message}")


def parse_axis(text: str):
    """``"lr=0.01:2:400"`` -> ``("lr", array)``; see the epilog for the forms."""
    match = _SPEC.match(text)
    if not match:
        _fail(f"--axis {text!r} is not NAME=START:STOP:NUM, NAME=START:STOP:NUM:log or "
              "NAME=V1,V2,...")
    name, spec = match.groups()
    if ":" in spec:
        parts = spec.split(":")
        if len(parts) not in (3, 4) or (len(parts) == 4 and parts[3] != "log"):
            _fail(f"--axis {text!r}: expected START:STOP:NUM or START:STOP:NUM:log after "
                  f"'{name}='")
        try:
            start, stop = float(parts[0]), float(parts[1])
            num = int(parts[2])
        except ValueError:
            _fail(f"--axis {text!r}: START and STOP must be numbers and NUM a whole number")
        if num < 1:
            _fail(f"--axis {text!r} gives an empty grid: NUM={num}; expected NUM >= 1")
        if not (np.isfinite(start) and np.isfinite(stop)):
            _fail(f"--axis {text!r}: START and STOP must be finite")
        if len(parts) == 4:
            if start <= 0 or stop <= 0:
                _fail(f"--axis {text!r}: a log axis needs START > 0 and STOP > 0")
            return name, np.geomspace(start, stop, num)
        return name, np.linspace(start, stop, num)
    try:
        values = np.array([float(v) for v in spec.split(",") if v.strip()], dtype=float)
    except ValueError:
        _fail(f"--axis {text!r}: expected numbers separated by ',' after '{name}='")
    if values.size == 0:
        _fail(f"--axis {text!r} gives an empty grid: no values after '{name}='")
    if not np.all(np.isfinite(values)):
        _fail(f"--axis {text!r}: values must be finite")
    return name, values


def resolve(name: str, game: str, rule: str):
    """``(owner, parameter)`` for an axis name: owner is ``"game"`` or ``"rule"``."""
    games_params, rules_params = game_params(game), rule_params(rule)
    qualified = {"game": "game", game: "game", "rule": "rule", rule: "rule"}
    if "." in name:
        prefix, param = name.split(".", 1)
        owner = qualified.get(prefix)
        if owner is None:
            _fail(f"--axis {name}: unknown qualifier {prefix!r}; write game.{param} or "
                  f"rule.{param}")
        params = games_params if owner == "game" else rules_params
        if param not in params:
            _fail(f"--axis {name}: --{owner} {game if owner == 'game' else rule} has no "
                  f"parameter {param!r}; it has {', '.join(params) or 'none'}")
        return owner, param
    in_game, in_rule = name in games_params, name in rules_params
    if in_game and in_rule:
        _fail(f"--axis {name} is ambiguous with --game {game} --rule {rule}: write game.{name} "
              f"({game}: {games_params[name]}) or rule.{name} ({rule}: {rules_params[name]})")
    if not (in_game or in_rule):
        _fail(f"--axis {name}: unknown parameter {name!r} for --game {game} --rule {rule}; "
              f"game parameters: {', '.join(games_params) or 'none'}; rule parameters: "
              f"{', '.join(rules_params)}")
    return ("game" if in_game else "rule"), name


def _axes_from_args(args):
    if not args.axis:
        _fail("--axis is required (one or two): e.g. --axis lr=0.01:2:400")
    axes, owners, seen = {}, {}, set()
    for text in args.axis:
        name, values = parse_axis(text)
        owner, param = resolve(name, args.game, args.rule)
        if (owner, param) in seen:
            _fail(f"--axis {text!r}: {owner}.{param} is swept twice")
        seen.add((owner, param))
        if owner == "rule" and param in integer_params(args.rule):
            least = optim.hyperparameters(args.rule)[param].minimum
            if not np.all(values == np.round(values)) or np.any(values < least):
                _fail(f"--axis {text!r}: {param} takes whole numbers >= {least}")
            values = values.astype(int)
        key = name.replace(".", "_")
        axes[key] = values
        owners[key] = (owner, param)
    swept = {p for o, p in owners.values() if o == "rule"}
    if "ratio" in swept and "lr_y" in swept:
        _fail("--axis ratio and --axis lr_y both set lr_y; sweep one of them")
    if "lr" in swept and "lr_x" in swept:
        _fail("--axis lr and --axis lr_x both set lr_x; sweep one of them")
    return axes, owners


def run(args) -> int:
    from .. import phase as phase_layer
    from .. import plots

    check_flags(args)
    axes, owners = _axes_from_args(args)
    if args.out is not None and len(axes) > 2:
        _fail(f"--out draws one or two axes; got {len(axes)} (write --data only, or sweep fewer)")
    if args.steps < 0:
        _fail(f"--steps {args.steps} is not accepted; expected >= 0")
    if args.chunk is not None and args.chunk < 1:
        _fail(f"--chunk {args.chunk} is not accepted; expected >= 1")
    _check_outputs(args, axes)

    def make(**params):
        game_values = {owners[k][1]: v for k, v in params.items() if owners[k][0] == "game"}
        rule_values = {owners[k][1]: v for k, v in params.items() if owners[k][0] == "rule"}
        return game_with(args, game_values), rule_with(args, rule_values)

    # k of unrolled selects code (its trip count is static); gda's k traces fine
    static = tuple(k for k, (owner, param) in owners.items()
                   if owner == "rule" and param == "k" and args.rule == "unrolled")
    start = time.perf_counter()
    try:
        ds = phase_layer.phase_diagram(
            make, axes, steps=args.steps, seed=args.seed, out=args.data, chunk=args.chunk,
            backend=args.backend, radius=args.radius, method=args.method, static=static,
            address=args.address, overwrite=args.overwrite,
        )
    except ConnectionError as error:
        _fail(f"--address {args.address!r}: no Ray cluster answered ({str(error).splitlines()[0][:200]}); "
              "start one with 'ray start --head' or leave --address out for a local Ray")
    seconds = time.perf_counter() - start
    cells = int(np.prod([len(v) for v in axes.values()]))
    print(f"game      {ds.attrs['game']}")
    print(f"rule      {ds.attrs['rule']}")
    print(f"grid      {' x '.join(f'{k}[{len(v)}]' for k, v in axes.items())} = {cells} cells "
          f"in {seconds:.2f} s ({cells / max(seconds, 1e-9):.3g} cells/s)")
    print(f"paths     spectrum: {ds.attrs['spectral_path']}; simulation: "
          f"{ds.attrs['simulation_path']}")
    names = ds.attrs["regimes"].split()
    for var in ("predicted", "observed"):
        if var in ds:
            counts = np.bincount(np.asarray(ds[var].values).ravel(), minlength=3)
            shares = ", ".join(f"{n} {100 * c / cells:.1f}%" for n, c in zip(names, counts))
            print(f"{var:9s} {shares}")
    if "agree" in ds:
        away = phase_layer.away_from_boundary(ds)
        print(f"agree     {100 * float(ds['agree'].mean()):.2f}% of all cells, "
              f"{100 * phase_layer.agreement(ds):.2f}% of the {int(away.sum())} cells away from "
              f"the boundary (|log rho -+ tol| >= {phase_layer.AWAY_MARGIN:g}/steps)")
    if args.data is not None:
        print(f"data      {args.data}")
    if args.out is not None:
        path = _figure(ds, args, plots)
        print(f"figure    {path}")
    return 0


def _check_outputs(args, axes) -> None:
    """Every output path and expression, checked before the sweep (which may take hours)."""
    import matplotlib.pyplot as plt

    if args.boundary and args.out is None:
        _fail("--boundary is drawn on the figure; give --out PNG too")
    if args.out is not None:
        out = Path(args.out)
        formats = plt.figure().canvas.get_supported_filetypes()
        plt.close("all")
        if out.is_dir() or out.suffix.lstrip(".").lower() not in formats:
            _fail(f"--out {args.out!r} is not accepted; expected a figure file ending in one of "
                  f"{', '.join('.' + f for f in sorted(formats))}" + (" (it is a folder)" if out.is_dir() else ""))
    if args.data is not None and Path(args.data).is_dir():
        _fail(f"--data {args.data!r} is a folder; expected a NetCDF file path, e.g. diagram.nc")
    _boundaries(args, axes)


def _boundaries(args, axes):
    import sympy

    if not args.boundary:
        return None
    boundary = []
    names = {n: sympy.Symbol(n) for n in axes}
    for text in args.boundary:
        try:
            boundary.append(sympy.sympify(text, locals=names))
        except (sympy.SympifyError, SyntaxError, TypeError) as err:
            _fail(f"--boundary {text!r} is not a sympy expression: {err}")
        unknown = sorted(str(s) for s in boundary[-1].free_symbols if str(s) not in names)
        if unknown:
            _fail(f"--boundary {text!r} uses {', '.join(unknown)}; the axes are "
                  f"{', '.join(names)}")
    return boundary


def _figure(ds, args, plots):
    import matplotlib.pyplot as plt

    plots.use_style()
    boundary = _boundaries(args, ds.sizes)
    variables = ["spectral_radius", "predicted"] + (["observed"] if "observed" in ds else [])
    fig, axs = plt.subplots(1, len(variables), figsize=(5.0 * len(variables), 4.3),
                            layout="constrained")
    for ax, var in zip(np.atleast_1d(axs), variables):
        plots.phase(ds, var, boundary=boundary, ax=ax)
    title = args.title
    if title is None:
        title = f"{_describe_game(args)}, {_describe_rule(args)}"
        if "agree" in ds:
            title += (f": predicted = observed in {100 * phase_agreement(ds):.1f}% of the cells "
                      f"away from the boundary ({ds.attrs['steps']} steps)")
    fig.suptitle(title, fontsize=10)
    return plots.save_figure(fig, Path(args.out))


def phase_agreement(ds):
    from .. import phase as phase_layer

    return phase_layer.agreement(ds)


def _describe_game(args) -> str:
    if args.game == "dirac":
        text = f"Dirac GAN ({args.loss}"
        if args.reg:
            text += f", {args.reg}" + (f" gamma={args.gamma:g}" if args.gamma else "")
        return text + ")"
    matrix = getattr(args, "matrix", None)
    return f"{args.game} game" + (f", A = [{matrix}]" if matrix is not None else "")


def _describe_rule(args) -> str:
    text = args.rule
    if args.rule in ("gda", "momentum"):
        text = ("alternating " if args.alternating else "simultaneous ") + text
    return text
