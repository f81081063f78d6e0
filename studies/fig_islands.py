"""Islands over training: modes captured against step on the 8-mode ring and the 25-mode grid,
for a plain GAN (simultaneous and alternating Adam), extragradient, unrolled and packing.

Claims: a plain GAN trained by simultaneous gradient steps covers only a few islands at a
time and hops between them (Metz et al. 2017, "Unrolled generative adversarial networks",
Fig. 1 and Sec. 3.1; VEEGAN's Table 1: about 1 of 8 ring modes); letting the generator see
the discriminator's response (unrolling, Metz et al.) or letting the discriminator see
several samples at once (PacGAN, Lin et al. 2018, Table 1) keeps more islands covered.
Modes captured follow the VEEGAN / PacGAN protocol (``gd.metrics.mode_stats``: a mode counts
if it is the nearest centre of a sample within 3 standard deviations), 2,500 samples per
snapshot. Left: mean over seeds with the 10-90% band; right: the last snapshot of seed 0.
Set-ups: ``gd.islands.setup`` (non-saturating loss, Adam(b1 = 0.5), lr 5e-4, unrolling 5
steps, PacGAN2).
"""

import matplotlib.pyplot as plt
import numpy as np

import gamedyn as gd

METHODS = {
    "simultaneous": ("simultaneous (plain GAN)", "C3"),
    "alternating": ("alternating", "C1"),
    "extragradient": ("extragradient", "C4"),
    "unrolled": ("unrolled, 5 steps", "C0"),
    "pacgan2": ("PacGAN2 (packing)", "C2"),
}


def run(fast):
    # Fast mode (a smoke test): two methods, few steps and seeds, so that only four
    # programs compile.
    steps, every, seeds, n_eval = (40, 20, 2, 500) if fast else (1000, 100, 8, 2500)
    methods = ("simultaneous", "pacgan2") if fast else tuple(METHODS)
    out = {}
    for data in ("ring", "grid"):
        for method in methods:
            game, rule = gd.islands.setup(method, data)
            result = gd.islands.train(game, rule, steps, seeds=seeds, snapshot_every=every, n_eval=n_eval)
            out[data, method] = (game, result, result.mode_stats(game))
    return out


def main():
    gd.enable_x64()
    gd.plots.use_style()
    runs = run(gd.plots.fast())
    fig = plt.figure(figsize=(17, 7.2))
    grid = fig.add_gridspec(2, 7, width_ratios=[2.4, 0.25, 1, 1, 1, 1, 1], wspace=0.3, hspace=0.45)
    for row, data in enumerate(("ring", "grid")):
        ax = fig.add_subplot(grid[row, 0])
        for col, (method, (label, color)) in enumerate(METHODS.items()):
            if (data, method) not in runs:
                continue
            game, result, stats = runs[data, method]
            modes = np.asarray(stats.modes, float)
            steps = result.snapshot_steps
            lo, hi = np.percentile(modes, [10, 90], axis=0)
            ax.plot(steps, modes.mean(0), color=color, label=label)
            ax.fill_between(steps, lo, hi, color=color, alpha=0.15, lw=0)

            sub = fig.add_subplot(grid[row, 2 + col])
            centers = np.asarray(game.centers)
            sample = result.samples[0, -1]
            sub.scatter(sample[:, 0], sample[:, 1], s=1, color=color, alpha=0.3, rasterized=True)
            sub.scatter(centers[:, 0], centers[:, 1], s=12, marker="x", color="k", lw=0.8)
            span = np.abs(centers).max() * 1.5
            sub.set_xlim(-span, span)
            sub.set_ylim(-span, span)
            sub.set_aspect("equal")
            sub.set_xticks([])
            sub.set_yticks([])
            final = np.asarray(stats.modes)[:, -1]
            sub.set_title(f"{label.split(' (')[0]}\n{final.mean():.1f} modes (mean)", fontsize=8)
        k = runs[data, "simultaneous"][0].k
        ax.axhline(k, color="0.4", lw=0.8, ls=":")
        ax.set_ylim(0, k * 1.35)
        ax.set_xlabel("training step")
        ax.set_ylabel(f"modes captured (of {k})")
        n_seeds = len(runs[data, "simultaneous"][1].seeds)
        ax.set_title(f"{data}: {k} islands, mean and 10-90% band over {n_seeds} seeds")
        if row == 0:
            ax.legend(fontsize=8, loc="upper left", ncol=2)
    fig.suptitle(
        "Islands over training: a plain GAN covers few modes; unrolling (Metz et al. 2017) and "
        "packing (Lin et al. 2018) cover more (2,500 samples, modes within 3 std)"
    )
    path = gd.plots.save_figure(fig, gd.plots.figures_dir() / "islands.png")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
