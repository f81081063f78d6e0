"""``gamedyn update-spectrum``: the spectrum of a rule's one-step update map on a trained GAN,
and the linear-response check of that prediction."""

from __future__ import annotations

import argparse
import json

HELP = ("top eigenvalues of a rule's one-step update map on a trained run (gamedyn train --out) at its "
        "checkpoint, and optionally the linear-response check")

EXAMPLES = """examples:
  gamedyn update-spectrum runs/alt-gda                      # the run's own rule and optimiser state
  gamedyn update-spectrum runs/alt-gda --rule extragradient # another rule at the same point
  gamedyn update-spectrum runs/alt-gda --response --horizon 50 --json
  gamedyn update-spectrum runs/alt-gda --response --unfrozen  # against the real, training Adam

|mu| > 1 is a direction a small perturbation grows along (log |mu| per step), arg mu its rotation
per step (period 2 pi / arg mu). Adam's and RMSProp's second moments are frozen at the checkpoint
(docs/update_spectrum.md); --response runs the real rule from the checkpoint and from a point
perturbed along the top eigenvector and reports the measured growth and period at 10 steps and at
the predicted e-folding time, beside the tangent dynamics integrated along the way.
"""


def add_parser(sub) -> None:
    parser = sub.add_parser("update-spectrum", help=HELP, description=HELP + ".", epilog=EXAMPLES,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_dir", metavar="RUN", help="a training folder with config.json and checkpoint.pt")
    parser.add_argument("--rule", default=None,
                        help="predict for this rule at the run's point (default: the run's own rule and state)")
    parser.add_argument("--k", type=int, default=6, help="eigenvalues (default 6)")
    parser.add_argument("--batch", type=int, default=32, help="images in the fixed batch (default 32)")
    parser.add_argument("--seed", type=int, default=None, help="seed of the batch (default: the run's seed + 3)")
    parser.add_argument("--tol", type=float, default=1e-6, help="ARPACK tolerance (default 1e-6)")
    parser.add_argument("--maxiter", type=int, default=None, help="ARPACK restarts (default: ARPACK's)")
    parser.add_argument("--device", default="cpu", help="'cpu' (default), 'cuda' or 'auto'")
    parser.add_argument("--response", action="store_true", help="also the linear-response check")
    parser.add_argument("--horizon", type=int, default=200, help="steps of the linear-response check (default 200)")
    parser.add_argument("--eps", type=float, default=1e-6, help="size of the perturbation (default 1e-6; the run is rebuilt in float64)")
    parser.add_argument("--unfrozen", action="store_true",
                        help="run the check with the real Adam / RMSProp (second moment training), not frozen")
    parser.add_argument("--lr-scale", type=float, default=1.0,
                        help="multiply the rule's step sizes by this at the same point and state (default 1)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(run=run)


def run(args) -> int:
    from pathlib import Path

    from ..bridge import run_update_spectrum
    from ..optim import RULES

    for name in ("k", "batch", "horizon"):
        if getattr(args, name) < 1:
            raise ValueError(f"--{name} {getattr(args, name)} is not accepted; expected an integer >= 1")
    if not args.tol > 0:
        raise ValueError(f"--tol {args.tol} is not accepted; expected a positive number")
    if not args.eps > 0:
        raise ValueError(f"--eps {args.eps} is not accepted; expected a positive number")
    if not args.lr_scale > 0:
        raise ValueError(f"--lr-scale {args.lr_scale} is not accepted; expected a positive number")
    if args.rule is not None and args.rule not in RULES:
        raise ValueError(f"--rule {args.rule!r} is not accepted; expected one of {', '.join(RULES)}")
    out = run_update_spectrum(Path(args.run_dir), args.rule, args.k, batch=args.batch, seed=args.seed, tol=args.tol,
                              maxiter=args.maxiter, device=args.device, response=args.response,
                              horizon=args.horizon, eps=args.eps, frozen=not args.unfrozen, lr_scale=args.lr_scale)
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    note = " (frozen second moment)" if out["frozen_preconditioner"] else ""
    print(f"run      {out['run']} at step {out['step']}  (rule {out['rule']}{note}; the run trained with "
          f"{out['run_rule']}; linearised state n = {out['n']:,}; batch seed {out['batch_seed']})")
    print("eigenvalues of the update map (largest modulus first):")
    for re_, im in out["eigenvalues"]:
        mod = (re_**2 + im**2) ** 0.5
        print(f"    {re_:+.6f}{im:+.6f}j   |mu| {mod:.6f}")
    period = "none (real)" if out["period"] is None else f"{out['period']:.1f} steps"
    verdict = "grows" if out["rho"] > 1 else "decays"
    print(f"spectral radius {out['rho']:.6f}: a perturbation along the top direction {verdict} by "
          f"{out['log_growth']:+.3g} per step (log); rotation period {period}")
    if "linear_response" in out:
        r = out["linear_response"]
        print(f"linear response ({'frozen' if r['frozen'] else 'real'} optimiser, eps {r['eps']:g}; {r['message']}):")
        for label, row in (("10 steps", r["at_10"]), (f"e-folding ({r['e_folding']} steps)", r["at_e_folding"])):
            rel = abs(row["observed_log_growth"] - row["predicted_log_growth"]) / max(abs(row["predicted_log_growth"]), 1e-300)
            periods = ("" if row["predicted_period"] is None else
                       f"; period predicted {row['predicted_period']:.1f}, observed {row['observed_period']:.1f}")
            print(f"    {label:>24}: log-growth predicted {row['predicted_log_growth']:+.4g}, observed "
                  f"{row['observed_log_growth']:+.4g} ({100 * rel:.0f} % off), tangent "
                  f"{row['tangent_log_growth']:+.4g}{periods}")
    return 0
