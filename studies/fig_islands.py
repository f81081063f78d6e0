"""Islands over training under PacGAN's protocol: modes captured and the high-quality fraction
against step on the 8-mode ring and the 25-mode grid, and each method's final samples.

Claims shown (from the committed runs of ``benchmarks/islands_table.py``, not retrained here):
how many islands each update rule and remedy covers once training has converged (Lin et al.
2018, "PacGAN", Table 1; Metz et al. 2017, "Unrolled GANs"; Srivastava et al. 2017,
"VEEGAN", Table 1 define the protocol), and whether the scores have flattened out by the end
of the step-size schedule. Scored by ``gd.metrics.mode_stats``: 2,500 samples per seed, high
quality within 3 std of the nearest centre, a mode captured by >= 1 high-quality sample.
Curves: mean over seeds with the 10-90 % band; the dotted lines are the calibration rows (the
best single Gaussian's high-quality fraction; all modes). Scatter: every seed's final samples
(one colour per seed), the true centres (x) and their 3-std circles.

Reads ``results/islands_curves.npz``, ``results/islands_samples.npz`` and
``results/islands_table.json``; a method not yet run is left out and named in the figure.
"""

import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import gamedyn as gd

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "results"
PROTOCOL = "pacgan"
METHODS = {
    "gan": ("GAN (simultaneous)", "C3"),
    "gan_alternating": ("GAN (alternating)", "C1"),
    "extragradient": ("Extra-Adam", "C4"),
    "optimistic": ("optimistic Adam", "C5"),
    "unrolled": ("unrolled (5 Adam steps)", "C0"),
    "pacgan2": ("PacGAN2", "C2"),
    "pacgan3": ("PacGAN3", "C8"),
    "pacgan4": ("PacGAN4", "C9"),
}
SCATTER = ("gan", "unrolled", "pacgan2", "pacgan4")


def load():
    curves = dict(np.load(RESULTS / "islands_curves.npz")) if (RESULTS / "islands_curves.npz").exists() else {}
    samples = dict(np.load(RESULTS / "islands_samples.npz")) if (RESULTS / "islands_samples.npz").exists() else {}
    rows = json.loads((RESULTS / "islands_table.json").read_text())["rows"] if (RESULTS / "islands_table.json").exists() else []
    return curves, samples, rows


def main():
    gd.enable_x64()
    gd.plots.use_style()
    curves, samples, rows = load()
    fig = plt.figure(figsize=(18, 8.4))
    grid = fig.add_gridspec(2, 7, width_ratios=[1.5, 1.5, 0.15, 1, 1, 1, 1], wspace=0.35, hspace=0.45)
    missing = []
    for r, data in enumerate(("ring", "grid")):
        game, _ = gd.islands.setup("gan", data, protocol=PROTOCOL)
        k = game.k
        ax_m, ax_q = fig.add_subplot(grid[r, 0]), fig.add_subplot(grid[r, 1])
        blob = next((row for row in rows if row["protocol"] == "calibration" and row["data"] == data
                     and row["method"] == "blob"), None)
        n_seeds = 0
        for method, (label, color) in METHODS.items():
            key = f"{PROTOCOL}/{data}/{method}"
            if f"{key}/steps" not in curves:
                missing.append(f"{data}/{method}")
                continue
            steps = curves[f"{key}/steps"]
            for ax, name, scale in ((ax_m, "modes", 1.0), (ax_q, "high_quality", 100.0)):
                values = scale * curves[f"{key}/{name}"]
                lo, hi = np.percentile(values, [10, 90], axis=0)
                ax.plot(steps, values.mean(0), color=color, label=label)
                ax.fill_between(steps, lo, hi, color=color, alpha=0.12, lw=0)
            n_seeds = curves[f"{key}/modes"].shape[0]
        ax_m.axhline(k, color="0.4", lw=0.8, ls=":")
        ax_m.set_ylim(0, k * 1.1)
        ax_m.set_ylabel(f"modes captured (of {k})")
        ax_q.set_ylim(0, 100)
        ax_q.set_ylabel("high-quality samples (%)")
        if blob is not None:
            ax_q.axhline(100 * blob["high_quality"], color="0.4", lw=0.8, ls=":")
            ax_q.annotate(f"best single Gaussian: {100 * blob['high_quality']:.2f} %", (0.02, 100 * blob["high_quality"] + 2),
                          xycoords=("axes fraction", "data"), fontsize=7, color="0.3")
        for ax in (ax_m, ax_q):
            ax.set_xlabel("training step")
        ax_m.set_title(f"{data}: {k} modes, std {float(game.std):g} — mean, 10-90 % band over {n_seeds} seeds", fontsize=9)
        if r == 0:
            ax_q.legend(fontsize=7, loc="upper left", ncol=2)

        centers = np.asarray(game.centers)
        radius = 3 * float(game.std)
        for c, method in enumerate(SCATTER):
            sub = fig.add_subplot(grid[r, 3 + c])
            key = f"{PROTOCOL}/{data}/{method}"
            span = np.abs(centers).max() * 1.4
            if key in samples:
                s = samples[key].astype(np.float64)
                for seed in range(s.shape[0]):
                    sub.scatter(s[seed, :, 0], s[seed, :, 1], s=0.5, alpha=0.3, rasterized=True)
                row = next((x for x in rows if x["protocol"] == PROTOCOL and x["data"] == data and x["method"] == method), None)
                title = METHODS[method][0]
                if row is not None:
                    title += f"\n{row['modes']:.1f} modes, {100 * row['high_quality']:.0f} % HQ (mean of {row['seeds']})"
                sub.set_title(title, fontsize=8)
            else:
                sub.set_title(f"{METHODS[method][0]}\nnot yet run", fontsize=8)
            sub.scatter(centers[:, 0], centers[:, 1], s=10, marker="x", color="k", lw=0.7)
            for cx, cy in centers:
                sub.add_patch(plt.Circle((cx, cy), radius, fill=False, lw=0.4, color="k"))
            sub.set_xlim(-span, span)
            sub.set_ylim(-span, span)
            sub.set_aspect("equal")
            sub.tick_params(labelsize=6)
    total = 2 * len(METHODS)
    note = f"\n({len(set(missing))} of {total} runs not yet trained: see results/islands_table.md)" if missing else ""
    fig.suptitle(
        "Islands under PacGAN's protocol (Lin et al. 2018): modes captured and high-quality fraction over "
        f"training, then every seed's final 2,500 samples (3-std circles: radius 0.03 on the ring, 0.15 on the grid){note}",
        fontsize=10,
    )
    path = gd.plots.save_figure(fig, gd.plots.figures_dir() / "islands.png")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
