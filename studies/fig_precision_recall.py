"""Precision and recall tell mode dropping from within-mode collapse, from off-manifold
samples and from samples between the modes.

Claim (Kynkäänniemi et al. 2019, "Improved precision and recall metric for assessing
generative models", Sec. 2-3; Naeem et al. 2020 for density / coverage): on the 25-mode grid
(VEEGAN / PacGAN's 2-D grid, std 0.05), with synthetic generators

* **mode dropping** (exact samples of ``m`` of the 25 modes): recall falls exactly like the
  kept mass, ``recall = (m / 25) * recall_full`` (a real sample of a dropped mode is 2 apart
  from every fake sample, far outside every k-NN ball), coverage likewise, while precision
  stays at its full value; modes captured (``mode_stats``) fall to ``m``;
* **within-mode collapse** (every mode kept, each shrunk towards its centre, std x s, s < 1):
  precision stays, recall falls — but all 25 modes are still captured, so the pair
  (recall, modes captured) separates collapse from dropping where neither alone does;
* **off-manifold samples** (each mode blurred, std x s, s > 1): precision falls, recall stays;
* **between modes** (a fraction ``f`` of the samples on the segments joining neighbouring
  modes, at 25-75 % of the way, as a generator whose connected support must bridge the
  modes produces; Kynkäänniemi et al.'s low-precision, low-recall case): precision falls
  like ``1 - f`` while recall holds as long as some samples still sit on every mode; at
  ``f = 1`` both are 0 and no mode is captured.

The dashed line is the closed form for dropping, from the measured full-data recall.
"""

import math

import matplotlib.pyplot as plt
import numpy as np

import gamedyn as gd

FAST = gd.plots.fast()
N = 600 if FAST else 2500  # VEEGAN / PacGAN evaluate 2,500 samples
AXIS = 2.0 * (np.arange(5) - 2)
CENTERS = np.array([(a, b) for a in AXIS for b in AXIS])
STD = 0.05
K = len(CENTERS)
KEPT = [25, 20, 15, 10, 5, 2, 1]
SHRINK = np.geomspace(1.0, 0.01, 5 if FAST else 7)
BLUR = np.geomspace(1.0, 10.0, 5 if FAST else 7)
BETWEEN = np.linspace(0.0, 1.0, 5)
#: Pairs of neighbouring modes on the 5 x 5 grid (right and up).
EDGES = np.array([(i, j) for i in range(K) for j in range(K)
                  if np.isclose(np.linalg.norm(CENTERS[i] - CENTERS[j]), 2.0) and i < j])


class Grid:
    centers = CENTERS
    weights = np.full(K, 1.0 / K)
    std = STD


def sample(rng, n, modes, scale=1.0):
    labels = rng.choice(modes, size=n)
    return CENTERS[labels] + scale * STD * rng.normal(size=(n, 2))


def sample_between(rng, n, fraction):
    """``n`` samples: a ``fraction`` of them on segments between neighbouring modes (25-75 %
    of the way), the rest exact samples of the data."""
    out = sample(rng, n, np.arange(K))
    moved = rng.random(n) < fraction
    edges = EDGES[rng.integers(len(EDGES), size=int(moved.sum()))]
    t = rng.uniform(0.25, 0.75, size=(len(edges), 1))
    start, end = CENTERS[edges[:, 0]], CENTERS[edges[:, 1]]
    out[moved] = start + t * (end - start) + STD * rng.normal(size=(len(edges), 2))
    return out


def evaluate(real, fake):
    m = gd.metrics.support_metrics(real, fake, k_precision=3, k_density=5)  # = precision_recall + density_coverage
    stats = gd.metrics.mode_stats(fake, Grid())
    return dict(precision=m.precision, recall=m.recall, density=m.density, coverage=m.coverage,
                modes=int(stats.modes), quality=float(stats.high_quality))


def main():
    gd.enable_x64()
    gd.plots.use_style()
    rng = np.random.default_rng(0)
    real = sample(rng, N, np.arange(K))
    order = rng.permutation(K)
    drop = [evaluate(real, sample(rng, N, order[:m])) for m in KEPT]
    collapse = [evaluate(real, sample(rng, N, np.arange(K), s)) for s in SHRINK]
    blur = [evaluate(real, sample(rng, N, np.arange(K), s)) for s in BLUR]
    between = [evaluate(real, sample_between(rng, N, f)) for f in BETWEEN]
    column = lambda rows, key: np.array([r[key] for r in rows])  # noqa: E731

    full = drop[0]
    kept = np.array(KEPT) / K
    expected = kept * full["recall"]
    # Each recall is a fraction of N real samples: 5 binomial standard deviations.
    tolerance = 5 * np.sqrt(expected * (1 - expected) / N) + 1e-12
    recall_gap = np.abs(column(drop, "recall") - expected)
    dropping_ok = bool(np.all(recall_gap <= tolerance)) and bool(
        np.all(column(drop, "precision") >= full["precision"] - 5 * math.sqrt(full["precision"] * (1 - full["precision"]) / N) - 0.01)
    ) and column(drop, "modes").tolist() == KEPT
    collapse_ok = bool(np.all(column(collapse, "modes") == K)) and collapse[-1]["recall"] < 0.5 * full["recall"]
    blur_ok = blur[-1]["precision"] < 0.5 * full["precision"] and blur[-1]["recall"] > 0.9 * full["recall"]
    between_ok = (between[-1]["precision"] < 0.1 * full["precision"] and between[-1]["recall"] < 0.1 * full["recall"]
                  and between[-1]["modes"] == 0)

    fig, axes = plt.subplots(2, 2, figsize=(12, 9), gridspec_kw=dict(hspace=0.35, wspace=0.25))
    styles = dict(precision=("C0", "o"), recall=("C1", "s"), coverage=("C2", "^"), density=("C3", "v"))

    ax = axes[0, 0]
    for key, (color, marker) in styles.items():
        ax.plot(kept, column(drop, key), marker=marker, color=color, label=key)
    ax.plot(kept, expected, "--", color="k", lw=1, label="closed form: recall = (m/25) x full recall")
    ax.set_xlabel("fraction of modes kept, m / 25")
    ax.set_ylabel("metric")
    ax.set_title("Mode dropping: recall and coverage fall with the\nkept mass, precision stays")
    ax.legend(fontsize=7)

    ax = axes[0, 1]
    scales = np.r_[SHRINK[::-1], BLUR[1:]]
    rows = collapse[::-1] + blur[1:]
    for key, (color, marker) in styles.items():
        ax.plot(scales, column(rows, key), marker=marker, color=color, label=key)
    ax.axvline(1.0, color="0.4", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("std of each fake mode / std of the data (< 1: collapse, > 1: off-manifold)")
    ax.set_title("Collapse within modes: recall falls, precision stays;\nblurred modes: precision falls, recall stays")
    ax.legend(fontsize=7)

    ax = axes[1, 0]
    for rows, label, color in ((drop, "mode dropping", "C1"), (collapse, "within-mode collapse", "C3"),
                               (blur, "off-manifold", "C0"), (between, "between modes (fraction f)", "C4")):
        ax.plot(column(rows, "recall"), column(rows, "precision"), "o-", color=color, label=label)
        ax.annotate("", xy=(rows[-1]["recall"], rows[-1]["precision"]), xytext=(rows[-2]["recall"], rows[-2]["precision"]),
                    arrowprops=dict(arrowstyle="->", color=color))
    ax.plot(full["recall"], full["precision"], "*", color="k", ms=12, label="fake = data distribution")
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.05)
    ax.set_title("Precision-recall plane: dropping and collapse move left, off-manifold\nsamples down; all samples between modes (f = 1): both near 0")
    ax.legend(fontsize=7, loc="lower left")

    ax = axes[1, 1]
    ax.plot(column(drop, "recall"), column(drop, "modes"), "o-", color="C1", label="mode dropping: modes fall with recall")
    ax.plot(column(collapse, "recall"), column(collapse, "modes"), "o-", color="C3", label="within-mode collapse: all 25 modes kept")
    ax.plot(column(blur, "recall"), column(blur, "modes"), "o-", color="C0", label="off-manifold")
    ax.plot(column(between, "recall"), column(between, "modes"), "o-", color="C4", label="between modes")
    ax.set_xlabel("recall")
    ax.set_ylabel("modes captured (VEEGAN protocol, 3 std)")
    ax.set_title("Recall with modes captured tells dropping from collapse")
    ax.legend(fontsize=7, loc="lower right")
    fig.suptitle(
        f"Precision / recall (k = 3) and density / coverage (k = 5) on the 25-mode grid, {N} samples each; "
        f"dropping matches the closed form within {recall_gap.max():.3f}",
        y=0.98,
    )
    path = gd.plots.save_figure(fig, gd.plots.figures_dir() / "precision_recall.png")
    print(
        f"wrote {path} (full: precision {full['precision']:.3f}, recall {full['recall']:.3f}; dropping ok "
        f"{dropping_ok}, collapse ok {collapse_ok}, off-manifold ok {blur_ok}; between modes at f = 1: precision "
        f"{between[-1]['precision']:.3f}, recall {between[-1]['recall']:.3f}, modes {between[-1]['modes']}, ok "
        f"{between_ok})"
    )
    if not (dropping_ok and collapse_ok and blur_ok and between_ok):
        raise SystemExit("precision / recall do not behave as Kynkäänniemi et al. describe")


if __name__ == "__main__":
    main()
