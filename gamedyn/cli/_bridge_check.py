"""``gamedyn bridge-check``: the toy layer's predictions against real GAN trainings."""

from __future__ import annotations

import argparse

HELP = "train pairs of real GANs where the toy layer predicts different behaviour, and report"

EXAMPLES = """examples:
  gamedyn bridge-check --size smoke --out runs/bridge-check     # 4 runs x 5 seeds, minutes each on a CPU
  gamedyn bridge-check --size smoke --seeds 8 --backend ray     # the runs as Ray tasks, one CPU each
  gamedyn bridge-check --size medium --seeds 3 --out runs/bridge-check-medium   # Stacked digits
  gamedyn bridge-check --size full --device cuda --out runs/bridge-check-full

Writes report.md (toy prediction | real-network prediction | observation | agreement, with
95 % bootstrap intervals over seeds), report.json and bridge_check.png into --out, next to
one folder per run and seed (out/<run>/seed=<seed>). Finished runs are reused when the
command is repeated (--fresh retrains them); interrupted ones resume from their checkpoints.
"""


#: The sizes of gamedyn.bridge._check.SIZES, named here so that building the parser does not
#: import torch (a test checks they match).
SIZE_NAMES = ("smoke", "medium", "full")


def add_parser(sub) -> None:
    parser = sub.add_parser("bridge-check", help=HELP, description=HELP + ".", epilog=EXAMPLES,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", choices=SIZE_NAMES, default="smoke",
                        help="smoke: islands, tiny networks, minutes per run on a CPU; medium: stacked digits, "
                             "width-16 DCGAN, 2,000 steps, about 1 h of one core for --seeds 3 (measured 2026-12-06); full: stacked digits, "
                             "width-64 DCGAN, 20,000 steps, GPU")
    parser.add_argument("--steps", type=int, default=None, help="training steps of every run (default: the size's)")
    parser.add_argument("--spectrum-batches", type=int, default=None,
                        help="batches on which the trained game's spectrum is taken, to tell a "
                             "difference from batch noise (default: the size's, 3 or 5)")
    parser.add_argument("--out", default="runs/bridge-check", help="output folder")
    parser.add_argument("--device", default="auto", help="'auto' (CUDA when present), 'cpu' or 'cuda'")
    parser.add_argument("--seed", type=int, default=0, help="first seed (the runs use seed, seed + 1, ...)")
    parser.add_argument("--seeds", type=int, default=None,
                        help="seeds per run (default 5 at smoke, 3 at medium and full)")
    parser.add_argument("--backend", choices=("local", "ray"), default="local",
                        help="train the runs one after another here, or as Ray tasks")
    parser.add_argument("--address", default=None, help="Ray cluster address (with --backend ray)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads of each run")
    parser.add_argument("--fresh", action="store_true", help="retrain runs that already finished")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.set_defaults(run=run)


def run(args) -> int:
    from pathlib import Path

    from ..bridge import bridge_check

    overrides = {name: value for name, value in (("steps", args.steps),
                                                 ("spectrum_batches", args.spectrum_batches))
                 if value is not None}
    pairs = bridge_check(args.size, out=args.out, device=args.device, seed=args.seed, seeds=args.seeds,
                         backend=args.backend, address=args.address, threads=args.threads,
                         progress=not args.quiet, reuse=not args.fresh, **overrides)
    for pair in pairs:
        print(f"{pair.name}: {pair.verdict.upper() if pair.agree is False else pair.verdict} — {pair.reason}")
    print(f"report: {Path(args.out) / 'report.md'}")
    return 0
