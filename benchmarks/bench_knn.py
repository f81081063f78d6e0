"""k-NN support metrics: ``gd.metrics.precision_recall`` + ``density_coverage`` at their
default chunking, against the same functions with chunks of 2^17 distance entries at every
dimension (the default before the matrix-product path got larger chunks), and against the
script a paper would write: the whole distance matrices from ``scipy.spatial.distance.cdist``
(``n x n`` doubles each, 800 MB at n = 10,000), then ``numpy.partition`` and comparisons.

Features are seeded Gaussians: ``real`` standard normal, ``fake`` shifted by 0.1 in every
coordinate, n each (10,000 is the number Naeem et al. 2020 use, and what
``gamedyn.bridge`` evaluates; 384 is the Stacked-digits classifier's feature dimension).
The three give the same four numbers (checked on the timed calls' results). ``run()`` returns the
section; the script prints it, and ``--write`` appends it to BENCHMARKS.md.

    .venv/bin/python benchmarks/bench_knn.py [--n 10000] [--dims 32 384] [--write]
"""

import argparse
import statistics
import time

import numpy as np
from scipy.spatial.distance import cdist

import gamedyn as gd
from _common import Section, append_section, interleaved, load_average, ratio

DEFAULT = {"n": 10_000, "dims": (32, 384), "repeats": 1}
QUICK = {"n": 1_000, "dims": (8, 64), "repeats": 1}
PREVIOUS_ENTRIES = 2**17  # distance entries per chunk of the previous default, at every dimension
K_PRECISION, K_DENSITY = 3, 5  # the papers' k (Kynkäänniemi et al. 2019; Naeem et al. 2020)


def features(n: int, d: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)), rng.normal(size=(n, d)) + 0.1


def gamedyn_metrics(real, fake, batch_size=None):
    pr = gd.metrics.precision_recall(real, fake, K_PRECISION, batch_size=batch_size)
    dc = gd.metrics.density_coverage(real, fake, K_DENSITY, batch_size=batch_size)
    return (*pr, *dc)


def cdist_metrics(real, fake):
    """Written from the papers' definitions with whole distance matrices (no chunks)."""
    rr = cdist(real, real)  # a point's 0-th neighbour is itself (distance 0)
    real_radius_3 = np.partition(rr, K_PRECISION, axis=1)[:, K_PRECISION]
    real_radius_5 = np.partition(rr, K_DENSITY, axis=1)[:, K_DENSITY]
    del rr
    fake_radius = np.partition(cdist(fake, fake), K_PRECISION, axis=1)[:, K_PRECISION]
    fr = cdist(fake, real)  # fake j (rows) to real i (columns)
    precision = np.mean((fr <= real_radius_3[None, :]).any(axis=1))
    recall = np.mean((fr <= fake_radius[:, None]).any(axis=0))
    in_balls = fr <= real_radius_5[None, :]
    density = in_balls.sum() / (K_DENSITY * len(fake))
    coverage = np.mean(in_balls.any(axis=0))
    return float(precision), float(recall), float(density), float(coverage)


def run(n=DEFAULT["n"], dims=DEFAULT["dims"], repeats=DEFAULT["repeats"]) -> Section:
    start = time.perf_counter()
    rows = []
    for d in dims:
        real, fake = features(n, d)
        previous_rows = max(8, PREVIOUS_ENTRIES // n)
        values = {}

        def kept(name, fn):  # each call's numbers are kept for the check after timing
            return lambda: values.__setitem__(name, fn())

        fns = {"default": kept("default", lambda: gamedyn_metrics(real, fake)),
               "previous": kept("previous", lambda: gamedyn_metrics(real, fake, batch_size=previous_rows)),
               "cdist": kept("cdist", lambda: cdist_metrics(real, fake))}
        times = {k: statistics.median(v) for k, v in interleaved(fns, repeats, warmup=0).items()}
        # Counts of points inside balls: the same integers unless a distance falls within
        # rounding of a radius (cdist differences vs gamedyn's expansion beyond 16
        # features), which moves a count by one sample in n: 2 / n allows two.
        for name in ("previous", "cdist"):
            np.testing.assert_allclose(values[name], values["default"], rtol=0, atol=2 / n, err_msg=name)
        rows.append([d, f"{times['default']:.2f}", f"{times['previous']:.2f}", f"{times['cdist']:.2f}",
                     ratio(times["previous"] / times["default"]), ratio(times["cdist"] / times["default"]),
                     ", ".join(f"{v:.4f}" for v in values["default"])])
    return Section(
        name="knn",
        title="k-NN support metrics: chunked distances vs whole matrices (bench_knn.py)",
        setup=(f"`gd.metrics.precision_recall` (k = {K_PRECISION}) + `gd.metrics.density_coverage` "
               f"(k = {K_DENSITY}) on n = {n:,} real and n fake features (seeded Gaussians, fake shifted "
               "by 0.1), float64. *Default*: their default chunks (2^17 distance entries up to 16 "
               "features, built coordinate by coordinate; 2^21 beyond, one matrix product per chunk). "
               f"*Chunks of 2^17*: `batch_size={max(8, PREVIOUS_ENTRIES // n)}` rows, the previous default "
               "at every dimension. *cdist*: whole `scipy.spatial.distance.cdist` matrices, "
               "`numpy.partition`, comparisons (written from the papers' definitions). The three "
               f"agree on the four numbers (to 2 samples in {n:,}; checked on the timed calls); "
               f"{repeats} interleaved call(s) each, median."),
        columns=["features d", "default (s)", "chunks of 2^17 (s)", "cdist (s)",
                 "2^17 / default", "cdist / default", "precision, recall, density, coverage"],
        rows=rows,
        ratios=["2^17 / default", "cdist / default"],
        notes=(f"Load average at the end of this section: {load_average():.1f} (the machine is shared; "
               "timings under load are pessimistic)."),
        seconds=time.perf_counter() - start,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=DEFAULT["n"])
    parser.add_argument("--dims", type=int, nargs="+", default=list(DEFAULT["dims"]))
    parser.add_argument("--repeats", type=int, default=DEFAULT["repeats"])
    parser.add_argument("--write", action="store_true", help="append the section to BENCHMARKS.md")
    args = parser.parse_args()
    section = run(args.n, tuple(args.dims), args.repeats)
    print(section.markdown())
    if args.write:
        append_section(section)


if __name__ == "__main__":
    main()
