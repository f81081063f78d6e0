"""Extragradient's cost per step relative to GDA's in the toy (JAX) layer.

Extragradient evaluates the vector field twice per step (at ``z`` and at the extrapolated
point), GDA once, so where the field dominates the step extragradient should cost about 2x.
Three settings, each with both rules timed interleaved (gda, extragradient, extragradient, gda, ...) after a
warm-up call that compiles, float64:

* bare rule steps: ``rule.step`` under ``jax.lax.scan`` on an n x n bilinear game (the
  field is two n x n mat-vecs);
* ``gd.simulate`` on the same game (adds the distance and regime bookkeeping of every step);
* ``jax.vmap(gd.simulate)`` over a batch of starting points on the Dirac GAN with R1 (a
  scalar game: per-step work is a handful of elementwise operations per cell).

``run()`` returns the section; the script prints it, and ``--write`` appends it to
BENCHMARKS.md.

    .venv/bin/python benchmarks/bench_toy.py [--n 256] [--steps 2000] [--cells 4096] [--write]
"""

import argparse
import statistics
import time

import jax
import numpy as np

import gamedyn as gd
from _common import Section, append_section, interleaved, load_average, paired_ratio, ratio

DEFAULT = {"n": 256, "steps": 2000, "cells": 4096, "repeats": 7}
QUICK = {"n": 32, "steps": 200, "cells": 256, "repeats": 3}


def _bare_steps(game, rule, z0, steps):
    state = rule.init(*game.split(z0))

    def body(state, _):
        return rule.step(game, state), None

    final, _ = jax.lax.scan(body, state, None, length=steps)
    return final.x, final.y


def run(n=DEFAULT["n"], steps=DEFAULT["steps"], cells=DEFAULT["cells"], repeats=DEFAULT["repeats"]) -> Section:
    start = time.perf_counter()
    gd.enable_x64()
    rng = np.random.default_rng(0)
    lr = 0.05  # both rules are stable or slowly rotating here: no run blows up or stops early
    rules = {"gda": gd.optim.gda(lr), "extragradient": gd.optim.extragradient(lr)}

    bilinear = gd.games.Bilinear(rng.normal(size=(n, n)) / np.sqrt(n))
    z0 = rng.normal(size=2 * n)
    bare = {name: jax.jit(lambda g, z, rule=rule: _bare_steps(g, rule, z, steps)) for name, rule in rules.items()}

    dirac = gd.games.DiracGAN(loss="nonsaturating", reg="r1", gamma=0.3)
    starts = rng.normal(size=(cells, 2)) * 0.5
    batched = {
        name: jax.jit(jax.vmap(lambda z, rule=rule: gd.simulate(dirac, rule, z, steps, stride=steps)))
        for name, rule in rules.items()
    }

    settings = [
        (f"bare `rule.step` under `lax.scan`, bilinear n = {n}", steps,
         {name: (lambda f=f: f(bilinear, z0)) for name, f in bare.items()}),
        (f"`gd.simulate`, bilinear n = {n}", steps,
         {name: (lambda rule=rule: gd.simulate(bilinear, rule, z0, steps, stride=steps))
          for name, rule in rules.items()}),
        (f"`vmap(gd.simulate)`, Dirac GAN + R1, {cells:,} starts", steps * cells,
         {name: (lambda f=f: f(starts)) for name, f in batched.items()}),
    ]
    rows = []
    for label, work, fns in settings:
        times = interleaved(fns, repeats=repeats, sync=jax.block_until_ready, warmup=1)
        mid, q1, q3 = paired_ratio(times["extragradient"], times["gda"])
        t_gda, t_eg = statistics.median(times["gda"]), statistics.median(times["extragradient"])
        rows.append([label, f"{1e9 * t_gda / work:.1f}", f"{1e9 * t_eg / work:.1f}", ratio(mid, 2),
                     f"{ratio(q1, 2)} … {ratio(q3, 2)}"])
    return Section(
        name="toy",
        title="Toy layer: extragradient cost relative to GDA (bench_toy.py)",
        setup=(
            f"`gd.optim.gda(0.05)` and `gd.optim.extragradient(0.05)` (simultaneous), {steps:,} steps, "
            f"jitted, float64, on {jax.devices()[0].platform}; bilinear games use a random n x n "
            "matrix A / sqrt(n). The two rules are called in turn, "
            f"{repeats} times each after a compiling warm-up call; *ratio* is the median of the "
            "per-pair ratios, *spread* their quartiles (min / max below 4 pairs). Times are per "
            "step (per cell-step for the batched row)."
        ),
        columns=["setting", "gda (ns/step)", "extragradient (ns/step)", "extragradient / gda",
                 "spread (quartiles)"],
        rows=rows,
        ratios=["extragradient / gda"],
        notes=(
            "Expected: about 2x wherever the field's evaluation dominates a step (two field "
            "evaluations against one). Load average at the end of this section: "
            f"{load_average():.1f}."
        ),
        seconds=time.perf_counter() - start,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=DEFAULT["n"], help="bilinear game size")
    parser.add_argument("--steps", type=int, default=DEFAULT["steps"])
    parser.add_argument("--cells", type=int, default=DEFAULT["cells"], help="Dirac GAN starting points")
    parser.add_argument("--repeats", type=int, default=DEFAULT["repeats"])
    parser.add_argument("--write", action="store_true", help="append the table to BENCHMARKS.md")
    args = parser.parse_args()
    section = run(args.n, args.steps, args.cells, args.repeats)
    print(section.markdown())
    if args.write:
        append_section(section)


if __name__ == "__main__":
    main()
