"""Overhead of ``gd.bridge.GameOptimizer`` per step against a plain hand-written torch loop.

Both train the same DCGAN pair on the same fixed batch with the same closure
(``gd.bridge.gan_losses``); the hand-written loop differentiates each player's loss with
``torch.autograd.grad`` and updates in place with ``torch._foreach_add_`` — the cheapest
correct way to write GDA by hand. The two are timed alternately (to share the machine's
state), after warm-up, and the ratio of medians is reported. Target (issue 7): at most 5%
overhead for simultaneous and alternating GDA. Extragradient's cost relative to GDA (two
field evaluations per step, so about 2x) is reported too.

    .venv/bin/python benchmarks/bench_bridge.py [--width 64] [--batch 64] [--steps 20] [--write]
"""

import argparse
import datetime
import os
import platform
import statistics
import time
from pathlib import Path

import torch

import gamedyn as gd


def hand_written_step(G, D, closure, lr, alternating):
    gp, dp = list(G.parameters()), list(D.parameters())
    if alternating:  # discriminator first, then the generator at the updated discriminator
        _, loss_y = closure()
        gy = torch.autograd.grad(loss_y, dp)
        with torch.no_grad():
            torch._foreach_add_(dp, gy, alpha=-lr)
        loss_x, _ = closure()
        gx = torch.autograd.grad(loss_x, gp)
        with torch.no_grad():
            torch._foreach_add_(gp, gx, alpha=-lr)
        return
    loss_x, loss_y = closure()
    gx = torch.autograd.grad(loss_x, gp, retain_graph=True)
    gy = torch.autograd.grad(loss_y, dp)
    with torch.no_grad():
        torch._foreach_add_(gp, gx, alpha=-lr)
        torch._foreach_add_(dp, gy, alpha=-lr)


def timed(fn, steps):
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        fn()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--write", action="store_true", help="append the table to BENCHMARKS.md")
    args = parser.parse_args()
    device = torch.device(args.device)
    torch.manual_seed(0)
    G, D = gd.bridge.make_models("dcgan", image_size=28, channels=1, width=args.width, seed=0)
    G, D = G.to(device), D.to(device)
    real = (torch.rand(args.batch, 1, 28, 28, device=device) * 2 - 1)
    latent = G.sample_latent(args.batch).to(device)
    lr = 1e-4

    def closure():
        return gd.bridge.gan_losses(G, D, real, latent, loss="nonsaturating")()

    rows = ["| rule | hand-written (ms/step) | GameOptimizer (ms/step) | overhead |", "|---|---|---|---|"]
    medians = {}
    for name, rule, alternating in [
        ("gda (simultaneous)", gd.optim.gda(lr), False),
        ("gda (alternating)", gd.optim.gda(lr, alternating=True), True),
    ]:
        opt = gd.bridge.GameOptimizer(rule, G.parameters(), D.parameters())
        ours, theirs = [], []
        for _ in range(2):  # warm-up
            opt.step(closure)
            hand_written_step(G, D, closure, lr, alternating)
        for _ in range(args.rounds):
            theirs += timed(lambda: hand_written_step(G, D, closure, lr, alternating), args.steps)
            ours += timed(lambda: opt.step(closure), args.steps)
        t_hand, t_ours = statistics.median(theirs), statistics.median(ours)
        medians[name] = t_ours
        rows.append(f"| {name} | {1e3 * t_hand:.1f} | {1e3 * t_ours:.1f} | {100 * (t_ours / t_hand - 1):+.1f}% |")
    opt = gd.bridge.GameOptimizer(gd.optim.extragradient(lr), G.parameters(), D.parameters())
    opt.step(closure)
    t_eg = statistics.median(timed(lambda: opt.step(closure), args.steps * args.rounds))
    ratio = t_eg / medians["gda (simultaneous)"]
    rows.append(f"| extragradient | — | {1e3 * t_eg:.1f} | {ratio:.2f}x simultaneous GDA |")

    params = sum(p.numel() for p in list(G.parameters()) + list(D.parameters()))
    header = (
        f"### bench_bridge.py — {datetime.date.today()} — {device.type}, "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, "
        f"DCGAN 28x28 width {args.width} ({params:,} parameters), batch {args.batch}, "
        f"median of {args.rounds * args.steps} steps"
    )
    table = "\n".join([header, "", *rows, ""])
    print(table)
    if args.write:
        path = Path(__file__).resolve().parents[1] / "BENCHMARKS.md"
        path.write_text(path.read_text() + table + "\n")


if __name__ == "__main__":
    main()
