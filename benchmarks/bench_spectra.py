"""Spectral radius of a rule on an n x n bilinear game: SVD block path vs dense matrix.

The SVD path (one SVD of A, then a vmapped 2x2 / 4x4 eigenproblem per singular value) is
timed against the dense path (eigenvalues of the full 2n x 2n or 4n x 4n update Jacobian) in
the same run, on the same game, called in turn after one warm-up call each (median of the
per-pair ratios). The two agree to 1e-8 relative before they are timed. ``run()`` returns
the section; the script prints it, and ``--write`` appends it to BENCHMARKS.md.

    .venv/bin/python benchmarks/bench_spectra.py [--sizes 50 200 400] [--write]
"""

import argparse
import statistics
import time

import jax
import numpy as np

import gamedyn as gd
from _common import Section, append_section, interleaved, paired_ratio, ratio

DEFAULT = {"sizes": (50, 200, 400)}
QUICK = {"sizes": (20, 50)}


def _time_paths(game, rule, repeats):
    fast = jax.jit(lambda g: gd.spectral_radius(g, rule, method="svd"))
    slow = jax.jit(lambda g: gd.spectral_radius(g, rule, method="dense"))
    # the two paths compute the same number (closed-form blocks vs LAPACK on the full
    # matrix; both ~1e-14, 1e-8 leaves room for eigenvalues of multiplicity 2)
    np.testing.assert_allclose(fast(game), slow(game), rtol=1e-8)
    jax.block_until_ready(slow(game))
    tic = time.perf_counter()
    jax.block_until_ready(slow(game))
    # at least `repeats` pairs, and more when they are fast, so that the pairs span about a
    # second: a load spike of a shared machine then hits a few pairs, not the median
    pairs = max(repeats, min(50, int(1.0 / max(time.perf_counter() - tic, 1e-6))))
    times = interleaved({"svd": lambda: fast(game), "dense": lambda: slow(game)}, pairs,
                        sync=jax.block_until_ready)
    mid, _, _ = paired_ratio(times["dense"], times["svd"])
    return statistics.median(times["svd"]), statistics.median(times["dense"]), mid


def run(sizes=DEFAULT["sizes"], repeats: int = 5) -> Section:
    start = time.perf_counter()
    gd.enable_x64()
    rng = np.random.default_rng(0)
    rules = {
        "gda (alternating)": gd.optim.gda(0.1, alternating=True),
        "optimistic (memory)": gd.optim.optimistic(0.1),
    }
    rows = []
    for name, rule in rules.items():
        for n in sizes:
            game = gd.games.Bilinear(rng.normal(size=(n, n)) / np.sqrt(n))
            t_fast, t_slow, dense_over_svd = _time_paths(game, rule, repeats)
            rows.append([name, n, f"{1e3 * t_fast:.2f}", f"{1e3 * t_slow:.1f}", ratio(dense_over_svd)])
    return Section(
        name="spectra",
        title="Spectral radius on an n x n bilinear game: SVD blocks vs dense (bench_spectra.py)",
        setup=(
            "`gd.spectral_radius(game, rule, method=\"svd\")` (one SVD of A, then a 2x2 / 4x4 "
            "eigenproblem per singular value) against `method=\"dense\"` (eigenvalues of the full "
            "2n x 2n, or 4n x 4n with memory, update Jacobian), both jitted, float64, called in "
            f"turn after a warm-up call, {repeats} to 50 times each (enough pairs to span about a "
            "second); times are medians, the ratio the median of the per-pair ratios. The two "
            "agree to 1e-8 before they are timed."
        ),
        columns=["rule", "n", "SVD path (ms)", "dense (ms)", "dense / SVD"],
        rows=rows,
        ratios=["dense / SVD"],
        seconds=time.perf_counter() - start,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT["sizes"]))
    parser.add_argument("--write", action="store_true", help="append the table to BENCHMARKS.md")
    args = parser.parse_args()
    section = run(args.sizes)
    print(section.markdown())
    if args.write:
        append_section(section)


if __name__ == "__main__":
    main()
