"""Phase diagrams: gamedyn's cells per second against a per-cell numpy loop and hand-batched
numpy eigenvalues, and simulated cell-steps per second against a hand-batched numpy
simulation.

Two grids of SIZE x SIZE cells (the issue's 2000 x 2000 = 4M by default):

* alternating GDA on the scalar bilinear game ``x y`` over ``lr_x x lr_y``;
* simultaneous GDA on the Dirac GAN with R1 over ``gamma x lr``.

For each, in one run: ``gd.phase_diagram(..., steps=0)`` cold (first call, compilation
included) and warm (second call); the baseline a paper would write, a Python loop that
builds each cell's 2x2 update matrix by hand and calls ``numpy.linalg.eigvals`` (timed on
SAMPLE cells and extrapolated); the same matrices stacked into one array and passed to
``numpy.linalg.eigvals`` at once (hand-batched, the whole grid). Then, on a sub-grid of at
most 512 x 512 cells, a warm run with ``steps=STEPS``, whose extra time over the warm
prediction gives the simulated cell-steps per second, against numpy iterating the same
update (written by hand, checked against ``gd.simulate``) on the sub-grid at once for
``min(STEPS, 20)`` steps.
Targets (issues 4 and 25, on the 2-core CPU): >= 300x (issue 25: 2000x) the loop, faster
than hand-batched numpy, >= 5e8 simulated cell-steps per second and >= 3x the numpy simulation. ``run()`` returns the section; the script prints
it, and ``--write`` appends it to BENCHMARKS.md.

    .venv/bin/python benchmarks/bench_phase.py [--size 2000] [--steps 1000] [--write]
"""

import argparse
import time

import jax
import numpy as np

import gamedyn as gd
from _common import Section, append_section, load_average, ratio

DEFAULT = {"size": 2000, "steps": 1000, "sample": 20000}
QUICK = {"size": 300, "steps": 20, "sample": 2000}
SIM_SIDE = 512  # the simulation runs on at most 512 x 512 cells (4 chunks)
NUMPY_STEPS = 20  # steps of the numpy simulation actually timed (then scaled to `steps`)


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def _sigmoid(t):
    return 0.5 * (1.0 + np.tanh(0.5 * t))  # overflow-free logistic


# -- the two grids, with the hand-derived update a paper's script would use -----------------------
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

    def step(x, y, LX, LY):
        # loss_x = x y = -loss_y: F = (-y, x); y first, then x at the new y
        y = y + LY * x
        return x - LX * y, y

    return "alternating GDA, bilinear x y, lr_x x lr_y", make, {"lr_x": lr, "lr_y": lr}, matrix, stacked, step


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

    def step(theta, psi, G, L):
        # non-saturating loss with R1: F = (-psi s(psi theta), theta s(-psi theta) - gamma psi)
        t = psi * theta
        return theta - L * psi * _sigmoid(t), psi + L * (theta * _sigmoid(-t) - G * psi)

    return "simultaneous GDA, Dirac GAN + R1, gamma x lr", make, {"gamma": gamma, "lr": lr}, matrix, stacked, step


def check_step(make, step, a, b, rng):
    """The hand-written numpy step iterates exactly what ``gd.simulate`` does (a few cells,
    from a point where the Dirac GAN is visibly nonlinear)."""
    for _ in range(3):
        va, vb = rng.choice(a), rng.choice(b)
        game, rule = make(va, vb)
        z0 = np.array([0.5, -0.3])
        expected = np.asarray(gd.simulate(game, rule, z0, 5).trajectory[-1])
        x, y = z0
        for _ in range(5):
            x, y = step(x, y, va, vb)
        # same operations in another order: rounding only (1e-12 relative on O(1) values)
        np.testing.assert_allclose([x, y], expected, rtol=1e-10, atol=1e-12)


def measure(case, size, steps, sample, rng):
    name, make, axes, matrix, stacked, step = case
    a, b = (np.asarray(v) for v in axes.values())
    cells = a.size * b.size
    result = {"name": name, "cells": cells}

    ds, result["cold"] = timed(lambda: gd.phase_diagram(make, axes, steps=0, progress=False))
    warm = [timed(lambda: gd.phase_diagram(make, axes, steps=0, progress=False)) for _ in range(3)]
    ds, result["warm"] = warm[-1][0], min(seconds for _, seconds in warm)

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
    # the loop and gamedyn compute the same numbers (closed form vs LAPACK: ~1e-14; 1e-7
    # leaves room for the double roots on these grids, resolved to ~sqrt(eps))
    np.testing.assert_allclose(ds.spectral_radius.values[i, j], looped, rtol=1e-7)

    A, B = np.meshgrid(a, b, indexing="ij")

    def batched():
        return np.abs(np.linalg.eigvals(stacked(A, B))).max(axis=-1)

    rho, result["batched"] = timed(batched)
    np.testing.assert_allclose(ds.spectral_radius.values, rho, rtol=1e-7)
    del rho

    del A, B
    if steps:
        # the simulation's rate does not depend on the grid beyond one compiled chunk (65,536
        # cells), so it is measured on a sub-grid of at most SIM_SIDE^2 cells, called twice
        # (the first call compiles) at the same arguments
        idx_a = np.unique(np.linspace(0, a.size - 1, min(a.size, SIM_SIDE)).astype(int))
        idx_b = np.unique(np.linspace(0, b.size - 1, min(b.size, SIM_SIDE)).astype(int))
        sub = dict(zip(axes, (a[idx_a], b[idx_b])))
        sub_cells = idx_a.size * idx_b.size
        for _ in range(2):
            _, predict = timed(lambda: gd.phase_diagram(make, sub, steps=0, progress=False))
        _, result["sim_cold"] = timed(lambda: gd.phase_diagram(make, sub, steps=steps, progress=False))
        _, simulate = timed(lambda: gd.phase_diagram(make, sub, steps=steps, progress=False))
        result["sim_extra"] = max(simulate - predict, 1e-9)
        result["sim_cell_steps"] = sub_cells * steps
        check_step(make, step, a, b, rng)
        # the hand-batched baseline: iterates only (no growth rate, no regime), on the same
        # sub-grid at once, from the same kind of tiny start; timed on a few steps
        numpy_steps = min(steps, NUMPY_STEPS)
        A, B = np.meshgrid(*sub.values(), indexing="ij")

        def numpy_simulation():
            x = np.full(A.shape, 1e-3)
            y = np.full(A.shape, -1e-3)
            for _ in range(numpy_steps):
                x, y = step(x, y, A, B)
            return x, y

        _, t_numpy = timed(numpy_simulation)
        result["numpy_sim"] = t_numpy * steps / numpy_steps
    return result


def section(results, size, steps, sample, seconds) -> Section:
    rows = []
    for r in results:
        c = r["cells"]
        row = [r["name"], f"{c / r['warm']:.3g}", f"{c / r['cold']:.3g}", f"{c / r['loop']:.3g}",
               f"{c / r['batched']:.3g}", ratio(r["loop"] / r["warm"]), ratio(r["batched"] / r["warm"])]
        if "sim_extra" in r:
            cell_steps = r["sim_cell_steps"]
            row += [f"{cell_steps / r['sim_extra']:.3g} ({cell_steps / r['sim_cold']:.3g} incl. compile)",
                    f"{cell_steps / r['numpy_sim']:.3g}", ratio(r["numpy_sim"] / r["sim_extra"])]
        else:
            row += ["—", "—", "—"]
        rows.append(row)
    return Section(
        name="phase",
        title="Phase diagrams and simulation (bench_phase.py)",
        setup=(
            f"`gd.phase_diagram` on {size} x {size} grids ({size * size:,} cells), float64. "
            "*Warm*: the fastest of three calls with `steps=0` after the first (prediction only); *incl. "
            "compile*: first call. "
            f"*numpy loop*: a Python loop over cells building each 2x2 update matrix and calling "
            f"`numpy.linalg.eigvals` (timed on {sample:,} random cells, extrapolated); *numpy "
            "batched*: the whole grid's matrices stacked into one `numpy.linalg.eigvals` call. "
            f"*Simulation*: on a sub-grid of at most {SIM_SIDE} x {SIM_SIDE} cells, the extra time "
            f"of a warm `steps={steps}` call over the warm prediction (first call, compilation "
            "included, in parentheses), against numpy iterating the same update rule by hand on "
            f"the sub-grid at once ({min(steps, NUMPY_STEPS)} steps timed and scaled; iterates only "
            "— no growth rate or regime classification, which favours numpy). The loop, the "
            "batched eigenvalues and the hand-written steps are checked against gamedyn before "
            "timing."
        ),
        columns=["grid", "gamedyn warm (cells/s)", "incl. compile (cells/s)", "numpy loop (cells/s)",
                 "numpy batched (cells/s)", "vs loop", "vs batched", "simulation (cell-steps/s)",
                 "numpy simulation (cell-steps/s)", "simulation vs numpy"],
        rows=rows,
        ratios=["vs loop", "vs batched", "simulation vs numpy"],
        notes=(
            "Targets: >= 300x the loop, > 1x hand-batched numpy, >= 5e8 simulated cell-steps/s "
            "(issue 4); >= 2000x the loop, simulation >= 3x the hand-written numpy on both grids "
            "(issue 25). The simulation fuses 16 steps per loop iteration on the linear maps and "
            "2 on a rule's own step (`gamedyn/phase/_cells.py`). The profile behind the numbers "
            "(2026-12-06): XLA's CPU backend emits one loop per output of a fused loop body, each "
            "recomputing the fused steps (3 outputs, 3x the arithmetic, on the scalar bilinear "
            "game); the linear maps' loop carries its real numbers two by two as complex ones, so "
            "one loop computes both parts (6.0e8 -> 1.9e9 cell-steps/s, bitwise the same numbers). "
            "On the Dirac GAN the step's logistic dominates and packing gains nothing (2.6e8 both "
            "ways), so its carry stays real. The prediction: a grid of up to 2^22 cells is one XLA "
            "call whose outputs become the Dataset's arrays without a copy, the scalar bilinear "
            "game is its own 2x2 block (no axis of blocks, which split the fusion into a pass per "
            "output), and the regime comes from two float thresholds instead of a logarithm per "
            "cell (the logarithm was 12 of 18 ms on 4M cells; the thresholds are the floats where "
            "jnp.log crosses +-tol, so every float is classified as before). What remains of a "
            "warm prediction is building the plan and the xarray Dataset (a few ms). "
            f"Load average at the end of this section: {load_average():.1f} "
            "(the machine is shared; timings under load are pessimistic)."
        ),
        seconds=seconds,
    )


def run(size=DEFAULT["size"], steps=DEFAULT["steps"], sample=DEFAULT["sample"]) -> Section:
    start = time.perf_counter()
    gd.enable_x64()
    rng = np.random.default_rng(0)
    results = [measure(case(size), size, steps, sample, rng) for case in (bilinear_case, dirac_case)]
    jax.clear_caches()  # the 4M-cell programs are not needed by the next benchmark
    return section(results, size, steps, sample, time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=DEFAULT["size"], help="grid side (default 2000)")
    parser.add_argument("--steps", type=int, default=DEFAULT["steps"], help="simulation steps (0: skip)")
    parser.add_argument("--sample", type=int, default=DEFAULT["sample"], help="cells timed in the loop")
    parser.add_argument("--write", action="store_true", help="append the table to BENCHMARKS.md")
    args = parser.parse_args()
    result = run(args.size, args.steps, args.sample)
    print(result.markdown())
    if args.write:
        append_section(result)


if __name__ == "__main__":
    main()
