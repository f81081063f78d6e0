"""Phase diagrams: gamedyn's cells per second against a per-cell numpy loop and hand-batched
numpy eigenvalues, and simulated cell-steps per second.

Two grids of SIZE x SIZE cells (default 2000 x 2000 = 4M), as the issue asks:

* alternating GDA on the scalar bilinear game ``x y`` over ``lr_x x lr_y``;
* simultaneous GDA on the Dirac GAN with R1 over ``gamma x lr``.

For each, in one run: ``gd.phase_diagram(..., steps=0)`` cold (first call, compilation
included) and warm (second call); the baseline a paper would write, a Python loop that
builds each cell's 2x2 update matrix by hand and calls ``numpy.linalg.eigvals`` (timed on
SAMPLE cells and extrapolated); the same matrices stacked into one array and passed to
``numpy.linalg.eigvals`` at once (hand-batched, the whole grid); and one run with ``steps=STEPS``, whose extra time over
the warm prediction gives the simulated cell-steps per second.
Targets (issue 4, on the 2-core CPU): >= 300x the loop, faster than hand-batched numpy,
>= 5e8 simulated cell-steps per second. Prints a Markdown table; ``--write`` appends it to
BENCHMARKS.md with the machine and date.

    .venv/bin/python benchmarks/bench_phase.py [--size 2000] [--steps 1000] [--write]
"""

import argparse
import datetime
import os
import platform
import time
from pathlib import Path

import numpy as np

import gamedyn as gd


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


# -- the two grids, with the hand-derived update matrices a paper's loop would use ---------------
def bilinear_case(size):
    lr = np.linspace(0.01, 3.0, size)

    def make(lr_x, lr_y):
        return gd.games.Bilinear([[1.0]]), gd.optim.gda((lr_x, lr_y), alternating=True)

    def matrix(lr_x, lr_y):
        # y moves first, then x at the new y (s = 1): [[1 - lr_x lr_y, -lr_x], [lr_y, 1]]
        return np.array([[1.0 - lr_x * lr_y, -lr_x], [lr_y, 1.0]])

    def stacked(LX, LY):
        M = np.empty(LX.shape + (2, 2))
        M[..., 0, 0] = 1.0 - LX * LY
        M[..., 0, 1] = -LX
        M[..., 1, 0] = LY
        M[..., 1, 1] = 1.0
        return M

    return "alternating GDA, bilinear x y, lr_x x lr_y", make, {"lr_x": lr, "lr_y": lr}, matrix, stacked


def dirac_case(size):
    gamma = np.linspace(0.0, 2.0, size)
    lr = np.linspace(0.01, 2.0, size)

    def make(gamma, lr):
        return gd.games.DiracGAN(loss="nonsaturating", reg="r1", gamma=gamma), gd.optim.gda(lr)

    def matrix(gamma, lr):
        # I + lr J with J = [[0, -f'], [f', -gamma]], f'(0) = 1/2 (Mescheder et al. 2018)
        return np.array([[1.0, -0.5 * lr], [0.5 * lr, 1.0 - lr * gamma]])

    def stacked(G, L):
        M = np.empty(G.shape + (2, 2))
        M[..., 0, 0] = 1.0
        M[..., 0, 1] = -0.5 * L
        M[..., 1, 0] = 0.5 * L
        M[..., 1, 1] = 1.0 - L * G
        return M

    return "simultaneous GDA, Dirac GAN + R1, gamma x lr", make, {"gamma": gamma, "lr": lr}, matrix, stacked


def measure(case, size, steps, sample, rng):
    name, make, axes, matrix, stacked = case
    a, b = (np.asarray(v) for v in axes.values())
    cells = a.size * b.size
    result = {"name": name, "cells": cells}

    ds, result["cold"] = timed(lambda: gd.phase_diagram(make, axes, steps=0, progress=False))
    ds, result["warm"] = timed(lambda: gd.phase_diagram(make, axes, steps=0, progress=False))

    # per-cell Python loop (a paper's script), on a random sample of cells
    i = rng.integers(0, a.size, sample)
    j = rng.integers(0, b.size, sample)

    def loop():
        out = np.empty(sample)
        for k in range(sample):
            out[k] = np.abs(np.linalg.eigvals(matrix(a[i[k]], b[j[k]]))).max()
        return out

    looped, t_loop = timed(loop)
    result["loop"] = t_loop * cells / sample
    # the loop and gamedyn compute the same numbers (closed form vs LAPACK: ~1e-14; 1e-9
    # leaves room for the double roots on these grids, resolved to ~sqrt(eps))
    np.testing.assert_allclose(ds.spectral_radius.values[i, j], looped, rtol=1e-7)

    A, B = np.meshgrid(a, b, indexing="ij")

    def batched():
        return np.abs(np.linalg.eigvals(stacked(A, B))).max(axis=-1)

    rho, result["batched"] = timed(batched)
    np.testing.assert_allclose(ds.spectral_radius.values, rho, rtol=1e-7)
    del rho, A, B

    if steps:
        # one run (4e9 cell-steps at the default size): its compilation, ~1 s, is included,
        # which only understates the simulation rate
        _, result["simulate"] = timed(lambda: gd.phase_diagram(make, axes, steps=steps, progress=False))
        result["steps"] = steps
    return result


def table(results, args):
    header = (
        f"### bench_phase.py — {datetime.date.today()} — {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, jax {gd.__dict__.get('jax', __import__('jax')).__version__}, "
        f"{args.size} x {args.size} grid, {args.steps} steps"
    )
    rows = [
        "| grid | gamedyn warm (cells/s) | incl. compile (cells/s) | numpy loop (cells/s) "
        "| numpy batched (cells/s) | vs loop | vs batched | simulation (cell-steps/s) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        c = r["cells"]
        sim = ""
        if "simulate" in r:
            extra = max(r["simulate"] - r["warm"], 1e-9)
            sim = f"{c * r['steps'] / extra:.3g} ({c * r['steps'] / r['simulate']:.3g} incl. prediction)"
        rows.append(
            f"| {r['name']} | {c / r['warm']:.3g} | {c / r['cold']:.3g} | {c / r['loop']:.3g} "
            f"| {c / r['batched']:.3g} | {r['loop'] / r['warm']:.0f}x | {r['batched'] / r['warm']:.1f}x "
            f"| {sim} |"
        )
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    notes = (
        f"\nTargets: >= 300x the loop, > 1x hand-batched numpy, >= 5e8 simulated cell-steps/s. "
        f"Load average at the end of the run: {load:.1f} (the machine is shared; timings under "
        "load are pessimistic)."
    )
    return "\n".join([header, "", *rows, notes, ""])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2000, help="grid side (default 2000)")
    parser.add_argument("--steps", type=int, default=1000, help="simulation steps (0: skip)")
    parser.add_argument("--sample", type=int, default=20000, help="cells timed in the loop")
    parser.add_argument("--write", action="store_true", help="append the table to BENCHMARKS.md")
    args = parser.parse_args()
    gd.enable_x64()
    rng = np.random.default_rng(0)
    results = [measure(case(args.size), args.size, args.steps, args.sample, rng)
               for case in (bilinear_case, dirac_case)]
    text = table(results, args)
    print(text)
    if args.write:
        path = Path(__file__).resolve().parents[1] / "BENCHMARKS.md"
        existing = path.read_text() if path.exists() else "# Benchmarks\n\nRatios are measured within one run.\n\n"
        path.write_text(existing + text + "\n")


if __name__ == "__main__":
    main()
