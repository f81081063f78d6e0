"""Spectral radius of a rule on an n x n bilinear game: SVD block path vs dense matrix.

The SVD path (one SVD of A, then a vmapped 2x2 / 4x4 eigenproblem per singular value) is
timed against the dense path (eigenvalues of the full 2n x 2n or 4n x 4n update Jacobian) in
the same run, on the same game, after one warm-up call each. Prints a Markdown table of
times and ratios; `--write` appends it to BENCHMARKS.md with the machine and date.

    .venv/bin/python benchmarks/bench_spectra.py [--sizes 50 200 400] [--write]
"""

import argparse
import datetime
import os
import platform
import time
from pathlib import Path

import jax
import numpy as np

import gamedyn as gd


def best_of(fn, repeats=5):
    fn()  # compile / warm up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(fn())
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 200, 400])
    parser.add_argument("--write", action="store_true", help="append the table to BENCHMARKS.md")
    args = parser.parse_args()
    gd.enable_x64()
    rng = np.random.default_rng(0)
    rules = {
        "gda (alternating)": gd.optim.gda(0.1, alternating=True),
        "optimistic (memory)": gd.optim.optimistic(0.1),
    }
    rows = ["| rule | n | SVD path (ms) | dense (ms) | dense / SVD |", "|---|---|---|---|---|"]
    for name, rule in rules.items():
        for n in args.sizes:
            game = gd.games.Bilinear(rng.normal(size=(n, n)) / np.sqrt(n))
            fast = jax.jit(lambda g: gd.spectral_radius(g, rule, method="svd"))
            slow = jax.jit(lambda g: gd.spectral_radius(g, rule, method="dense"))
            np.testing.assert_allclose(fast(game), slow(game), rtol=1e-8)
            t_fast, t_slow = best_of(lambda: fast(game)), best_of(lambda: slow(game))
            rows.append(f"| {name} | {n} | {1e3 * t_fast:.2f} | {1e3 * t_slow:.1f} | {t_slow / t_fast:.0f}x |")
    header = (
        f"### bench_spectra.py — {datetime.date.today()} — {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, jax {jax.__version__}"
    )
    table = "\n".join([header, "", *rows, ""])
    print(table)
    if args.write:
        path = Path(__file__).resolve().parents[1] / "BENCHMARKS.md"
        existing = path.read_text() if path.exists() else "# Benchmarks\n\nRatios are measured within one run.\n\n"
        path.write_text(existing + table + "\n")


if __name__ == "__main__":
    main()
