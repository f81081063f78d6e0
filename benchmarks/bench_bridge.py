"""Overhead of ``gd.bridge.GameOptimizer`` per step against a plain hand-written torch loop,
and extragradient's cost per step relative to GDA's on the same network.

Each side trains its own copy of the same DCGAN pair (same initial weights, same fixed batch,
same closure ``gd.bridge.gan_losses``); the hand-written loop differentiates each player's
loss with ``torch.autograd.grad`` and updates in place with ``torch._foreach_add_`` — the
cheapest correct way to write GDA by hand. Steps are interleaved one by one (hand, ours,
ours, hand, hand, ...) after warm-up, and the overhead is the median of the per-pair ratios, with
its quartiles: pairs run back to back, so a shared machine's changing load cancels in each
ratio. Target (issue 7): at most 5% overhead for simultaneous and alternating GDA.
Extragradient (two field evaluations per step, so about 2x) is interleaved with simultaneous
GDA in the same way. ``run()`` returns the section; the script prints it, and ``--write``
appends it to BENCHMARKS.md.

    .venv/bin/python benchmarks/bench_bridge.py [--width 32] [--batch 32] [--steps 20] [--rounds 10] [--write]
"""

import argparse
import copy
import statistics
import time

import torch

import gamedyn as gd
from _common import (THREADS_WHY, Section, append_section, interleaved, load_average, median_error, paired_ratio,
                     ratio, torch_threads)

DEFAULT = {"width": 32, "batch": 32, "pairs": 200, "threads": 1}
QUICK = {"width": 8, "batch": 16, "pairs": 8, "threads": 1}


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


def _percent(r):
    return f"{100 * (r - 1):+.1f}%"


def _overhead_row(name, rule, alternating, players, lr, pairs, sync):
    Gh, Dh, closure_h = players()
    Go, Do, closure_o = players()
    opt = gd.bridge.GameOptimizer(rule, Go.parameters(), Do.parameters())
    times = interleaved(
        {"hand": lambda: hand_written_step(Gh, Dh, closure_h, lr, alternating),
         "ours": lambda: opt.step(closure_o)},
        repeats=pairs, sync=sync, warmup=2,
    )
    mid, q1, q3 = paired_ratio(times["ours"], times["hand"])
    return [name, "plain torch loop", f"{1e3 * statistics.median(times['hand']):.1f}",
            f"{1e3 * statistics.median(times['ours']):.1f}", ratio(mid, 3), _percent(mid),
            f"{_percent(q1)} … {_percent(q3)}", f"± {100 * median_error(q1, q3, pairs):.1f}%"]


def run(width=DEFAULT["width"], batch=DEFAULT["batch"], pairs=DEFAULT["pairs"], device=None,
        threads=DEFAULT["threads"]) -> Section:
    start = time.perf_counter()
    with torch_threads(threads):
        return _run(width, batch, pairs, device, start)


def _run(width, batch, pairs, device, start) -> Section:
    device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    torch.manual_seed(0)
    G0, D0 = gd.bridge.make_models("dcgan", image_size=28, channels=1, width=width, seed=0)
    G0, D0 = G0.to(device), D0.to(device)
    real = torch.rand(batch, 1, 28, 28, device=device) * 2 - 1
    latent = G0.sample_latent(batch).to(device)
    lr = 1e-4
    sync = (lambda out: torch.cuda.synchronize()) if device.type == "cuda" else None

    def players():
        """A fresh copy of the initial pair and its closure: every contender trains its own,
        so none pays for resyncing parameters another one has moved."""
        G, D = copy.deepcopy(G0), copy.deepcopy(D0)

        def closure():
            return gd.bridge.gan_losses(G, D, real, latent, loss="nonsaturating")()

        return G, D, closure

    rows = [
        _overhead_row("gda (simultaneous)", gd.optim.gda(lr), False, players, lr, pairs, sync),
        _overhead_row("gda (alternating)", gd.optim.gda(lr, alternating=True), True, players, lr, pairs, sync),
    ]
    Gg, Dg, closure_g = players()
    Ge, De, closure_e = players()
    gda = gd.bridge.GameOptimizer(gd.optim.gda(lr), Gg.parameters(), Dg.parameters())
    eg = gd.bridge.GameOptimizer(gd.optim.extragradient(lr), Ge.parameters(), De.parameters())
    times = interleaved({"gda": lambda: gda.step(closure_g), "eg": lambda: eg.step(closure_e)},
                        repeats=pairs, sync=sync, warmup=2)
    mid, q1, q3 = paired_ratio(times["eg"], times["gda"])
    rows.append(["extragradient", "gda (simultaneous), GameOptimizer",
                 f"{1e3 * statistics.median(times['gda']):.1f}", f"{1e3 * statistics.median(times['eg']):.1f}",
                 ratio(mid, 3), _percent(mid), f"{ratio(q1, 3)} … {ratio(q3, 3)}",
                 f"± {median_error(q1, q3, pairs):.3f}x"])

    params = sum(p.numel() for p in list(G0.parameters()) + list(D0.parameters()))
    return Section(
        name="bridge",
        title="PyTorch bridge: GameOptimizer overhead and extragradient cost (bench_bridge.py)",
        setup=(
            f"DCGAN 28x28x1, width {width} ({params:,} parameters), batch {batch}, float32 on "
            f"{device.type} with {torch.get_num_threads()} torch intra-op thread(s) ({THREADS_WHY}), "
            "non-saturating loss, one fixed batch. Every contender trains its own copy of the "
            f"same initial pair; steps are interleaved one by one, the order flipping every pair "
            f"({pairs} pairs after 2 warm-up pairs). *Ratio* is the median of "
            "the per-pair ratios (candidate / baseline), *spread* their interquartile range, *s.e.* "
            "the standard error of that median (normal approximation, from the spread); the times "
            "are plain medians. The plain loop is `torch.autograd.grad` per player and "
            "`torch._foreach_add_` (the cheapest correct hand-written GDA)."
        ),
        columns=["rule", "baseline", "baseline (ms/step)", "candidate (ms/step)", "candidate / baseline",
                 "overhead", "spread (quartiles)", "s.e. of the ratio"],
        rows=rows,
        ratios=["candidate / baseline"],
        notes=(
            "Targets: GameOptimizer overhead <= 5% (issue 7), <= 2% (issue 24) for simultaneous and alternating GDA; "
            "extragradient evaluates the field twice per step, so about 2x GDA. Load average at "
            f"the end of this section: {load_average():.1f}."
        ),
        seconds=time.perf_counter() - start,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=DEFAULT["width"])
    parser.add_argument("--batch", type=int, default=DEFAULT["batch"])
    parser.add_argument("--steps", type=int, default=20, help="interleaved steps timed per side and round")
    parser.add_argument("--rounds", type=int, default=DEFAULT["pairs"] // 20, help="rounds of --steps steps")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--threads", type=int, default=DEFAULT["threads"],
                        help="torch intra-op threads (0: torch's default; see _common.torch_threads)")
    parser.add_argument("--write", action="store_true", help="append the table to BENCHMARKS.md")
    args = parser.parse_args()
    section = run(args.width, args.batch, args.steps * args.rounds, args.device, args.threads)
    print(section.markdown())
    if args.write:
        append_section(section)


if __name__ == "__main__":
    main()
