"""``gamedyn spectrum``: every prediction for one game and one rule, and a simulation."""

from __future__ import annotations

import argparse
import json

import numpy as np

from .. import analysis
from ._build import (add_game_arguments, add_rule_arguments, check_flags, game_from_args, parse_vector,
                     rule_from_args)

HELP = "eigenvalues, spectral radius, stiffness and simulated regime of a game and rule"

EXAMPLES = """examples:
  gamedyn spectrum --game dirac --reg r1 --gamma 1 --rule gda --alternating --lr 0.1
  gamedyn spectrum --game bilinear --matrix "1,0;0,0.5" --rule optimistic --lr 0.4 --json
  gamedyn spectrum --game dirac --loss wasserstein --rule momentum --beta -0.5 --lr 0.2 --steps 5000
"""


def add_parser(sub) -> None:
    parser = sub.add_parser("spectrum", help=HELP, description=HELP + ".", epilog=EXAMPLES,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    add_game_arguments(parser)
    add_rule_arguments(parser)
    parser.add_argument(
        "--z0", default=None,
        help="start of the simulation, comma-separated (default: equilibrium + 0.1)",
    )
    parser.add_argument("--steps", type=int, default=1000, help="simulation steps (default 1000)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(run=run)


def _complex_list(values):
    return [[float(v.real), float(v.imag)] for v in np.asarray(values)]


def _fmt(values):
    return ", ".join(f"{v.real:+.6g}{v.imag:+.6g}j" for v in np.asarray(values))


def run(args) -> int:
    check_flags(args)
    game = game_from_args(args)
    rule = rule_from_args(args)
    z_star = np.asarray(game.equilibrium)
    z0 = z_star + 0.1 if args.z0 is None else parse_vector(args.z0, "--z0")
    if z0.shape != z_star.shape:
        raise SystemExit(
            f"gamedyn: error: --z0 has {z0.size} entries; the game's state has {z_star.size}"
        )
    jac_eigs = analysis.eigenvalues(game)
    stiff = analysis.stiffness(game)
    point = analysis.classify_point(game)
    try:
        map_eigs = analysis.eigenvalues(game, rule)
        rho = float(np.max(np.abs(map_eigs)))
        predicted = analysis.regime_name(analysis.regime_of_rho(rho))
    except ValueError as err:  # stateful bases have no linearisation
        map_eigs, rho, predicted = np.array([]), float("nan"), f"n/a ({err})"
    result = analysis.simulate(game, rule, z0, args.steps)
    report = {
        "game": repr(game),
        "rule": repr(rule),
        "equilibrium": z_star.tolist(),
        "point": {"kind": point.kind, "strict": point.strict},
        "jacobian_eigenvalues": _complex_list(jac_eigs),
        "stiffness_ratio": float(stiff.ratio),
        "rotation": [float(r) for r in np.asarray(stiff.rotation)],
        "update_eigenvalues": _complex_list(map_eigs),
        "spectral_radius": rho,
        "predicted": predicted,
        "simulated": {
            "z0": z0.tolist(),
            "steps": args.steps,
            "regime": result.regime,
            "message": result.message,
            "final_distance": float(result.final_distance),
            "rate": float(result.rate),
            "log_spectral_radius": float(np.log(rho)) if rho == rho else None,
        },
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"game                    {report['game']}")
    print(f"rule                    {report['rule']}")
    kind = point.kind + ("" if point.kind == "none" else " (strict)" if point.strict else " (non-strict)")
    print(f"equilibrium             z* = {z_star.tolist()}  [{kind}]")
    print(f"Jacobian eigenvalues    {_fmt(jac_eigs)}")
    print(f"stiffness ratio         {float(stiff.ratio):.6g}")
    print(f"rotation |Im|/|Re|      {', '.join(f'{r:.6g}' for r in np.asarray(stiff.rotation))}")
    print(f"update-map eigenvalues  {_fmt(map_eigs) if map_eigs.size else '-'}")
    print(f"spectral radius         {rho:.10g}  -> predicted {predicted}")
    print(f"simulated ({args.steps} steps)  {result.message}")
    return 0
