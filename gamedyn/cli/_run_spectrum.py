"""``gamedyn run-spectrum``: the top eigenvalues of a trained GAN's game Jacobian."""

from __future__ import annotations

import argparse
import json

HELP = "top-k eigenvalues of the game Jacobian of a trained run (gamedyn train --out) at its checkpoint"

EXAMPLES = """examples:
  gamedyn run-spectrum runs/alt-gda                        # 6 most rotational eigenvalues, 3 batches
  gamedyn run-spectrum runs/alt-gda --k 10 --which LM --batches 5 --json
  gamedyn run-spectrum runs/alt-gda --path-angle             # + the path angle, init -> checkpoint
  gamedyn run-spectrum runs/alt-gda --device cuda --no-cache

The Jacobian is that of the run's own losses (same loss, regulariser and models, in float64,
spectral norms frozen) on a fixed batch of real images and latents, from Jacobian-vector
products and ARPACK (Berard et al. 2020). |Im| / |Re| >> 1 marks rotational directions, the
ones behind oscillating training; an eigenvalue with positive real part is a direction that
gradient flow leaves. Each batch's result is kept in RUN/spectrum.json as soon as it is found
(the cache bridge-check uses), so repeating or extending a call recomputes nothing.
"""


def add_parser(sub) -> None:
    parser = sub.add_parser("run-spectrum", help=HELP, description=HELP + ".", epilog=EXAMPLES,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_dir", metavar="RUN", help="a training folder with config.json and checkpoint.pt")
    parser.add_argument("--k", type=int, default=6, help="eigenvalues per batch (default 6)")
    parser.add_argument("--which", choices=("LI", "LM", "LR"), default="LI",
                        help="ARPACK's selection: LI largest |Im| (rotation, the default), "
                             "LM largest modulus (stiffness), LR largest real part (instability)")
    parser.add_argument("--batches", type=int, default=3,
                        help="independent batches, to tell a property of the game from batch noise (default 3)")
    parser.add_argument("--batch", type=int, default=32, help="images per batch (default 32)")
    parser.add_argument("--seed", type=int, default=None, help="seed of the first batch (default: the run's seed + 3)")
    parser.add_argument("--tol", type=float, default=1e-4, help="ARPACK tolerance (default 1e-4)")
    parser.add_argument("--maxiter", type=int, default=100,
                        help="ARPACK restarts; eigenvalues not converged by then are left out (default 100)")
    parser.add_argument("--device", default="cpu", help="'cpu' (default), 'cuda' or 'auto'")
    parser.add_argument("--no-cache", action="store_true", help="neither read nor write RUN/spectrum.json")
    parser.add_argument("--path-angle", action="store_true",
                        help="also Berard et al.'s path angle from the initialisation to the checkpoint "
                             "(41 points of alpha in -0.5..1.5; text shows every fifth)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(run=run)


def _fmt(pair) -> str:
    return f"{pair[0]:+.4g}{pair[1]:+.4g}j"


def _stat(value, spec: str = ".3g") -> str:
    return "-" if value is None else format(value, spec)


def _print_path_angle(angle: dict) -> None:
    print(f"path angle, initialisation (alpha 0) to the checkpoint at step {angle['step']} (alpha 1), "
          f"batch seed {angle['batch_seed']}:")
    print("    alpha   cos(F, path)   |F|")
    for i, (alpha, cosine, norm) in enumerate(zip(angle["alphas"], angle["cosine"], angle["norm"])):
        if i % 5 == 0:
            print(f"    {alpha:+5.2f}   {cosine:+12.4f}   {norm:.4g}")
    print("    (near a stationary end point cos switches from + to - at alpha 1 as |F| dips: near +-1 "
          "for a minimisation, near 0 where rotation dominates)")


def run(args) -> int:
    from pathlib import Path

    from ..bridge import run_path_angle, run_spectrum

    for name in ("k", "batches", "batch", "maxiter"):
        if getattr(args, name) < 1:
            raise ValueError(f"--{name} {getattr(args, name)} is not accepted; expected an integer >= 1")
    if not args.tol > 0:
        raise ValueError(f"--tol {args.tol} is not accepted; expected a positive number")
    run_dir = Path(args.run_dir)
    spectrum = run_spectrum(run_dir, args.k, which=args.which, batch=args.batch, batches=args.batches,
                            tol=args.tol, maxiter=args.maxiter, seed=args.seed, device=args.device,
                            cache=None if args.no_cache else run_dir / "spectrum.json")
    angle = None
    if args.path_angle:
        angle = run_path_angle(run_dir, batch=args.batch, seed=args.seed, device=args.device)
    if args.json:
        print(json.dumps({"run": str(run_dir), "spectrum": spectrum, "path_angle": angle}, indent=2))
        return 0
    if spectrum is None:
        print(f"{run_dir}: ARPACK converged on no eigenvalue within --maxiter {args.maxiter} on any "
              f"of the {args.batches} batches; raise --maxiter or --tol")
    else:
        _print_spectrum(run_dir, spectrum, args)
    if angle is not None:
        _print_path_angle(angle)
    return 0


def _print_spectrum(run_dir, spectrum: dict, args) -> None:
    config = json.loads((run_dir / "config.json").read_text())
    print(f"run      {run_dir}  ({spectrum['n_parameters']:,} parameters; loss {config['loss']}, "
          f"reg {config['reg'] or 'none'}, rule {config['rule']})")
    print(f"which    {args.which}, k = {args.k}, {args.batches} batch(es) of {args.batch}")
    for b in spectrum["batches"]:
        values = ", ".join(_fmt(p) for p in b["eigenvalues"]) or "none converged"
        print(f"batch (seed {b['seed']}): {values}")
        print(f"    max Re {_stat(b['max_real'])}, max |Im| {_stat(b['max_abs_imag'])}, "
              f"median |Im|/|Re| {_stat(b['median_rotation'])}")
    medians = [b["median_rotation"] for b in spectrum["batches"] if b["median_rotation"] is not None]
    reals = [b["max_real"] for b in spectrum["batches"] if b["max_real"] is not None]
    print(f"median |Im|/|Re| per batch: {min(medians):.3g} to {max(medians):.3g}  "
          "(>> 1: rotational, oscillation-prone directions)")
    unstable = sum(r > 0 for r in reals)
    print(f"largest real part found per batch: {min(reals):.3g} to {max(reals):.3g}  ({unstable} of "
          f"{len(reals)} batches show a direction gradient flow leaves{'' if args.which == 'LR' else '; --which LR looks for them'})")
