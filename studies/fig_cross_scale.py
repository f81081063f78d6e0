"""Mode collapse across scales: does the islands' ranking of the rules predict the
convolutional GAN's on Stacked digits?

Claims shown (from the committed runs of ``benchmarks/stacked_digits.py``, not retrained
here): (a) each rule's modes captured on the islands (VEEGAN's 8-mode ring, 8 seeds) against
its modes captured on Stacked digits (1,000 modes, DCGAN bridge, 3 seeds); every seed is a
small point and each rule's mean carries its standard error on both axes. The title gives
Kendall's tau between the two rankings with its bootstrap 95 % interval over seeds. (b) The
same for KL of the mode histogram against uniform. (c) Modes missed (1,000 minus modes
captured) and (d) KL on Stacked digits over training, one line per seed, on log axes, where
a run still improving keeps falling: whether the runs had flattened out when they were scored.

Reads ``results/cross_scale.json`` and ``results/stacked_digits.json``; says so where the
study has not been run.
"""

import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import gamedyn as gd

ROOT = Path(__file__).resolve().parents[1]
METRICS = (("modes", "modes captured"), ("kl", "KL(mode histogram || uniform)"))


def _read(name):
    path = ROOT / "results" / name
    return json.loads(path.read_text()) if path.exists() else None


def _tau_text(cross, metric):
    tau, ci = cross.get(f"kendall_tau_{metric}"), cross.get(f"kendall_tau_{metric}_ci") or [None, None]
    if tau is None:
        return "Kendall's tau undefined"
    return f"Kendall's tau {tau:+.2f} [{ci[0]:+.2f}, {ci[1]:+.2f}]"


def main():
    gd.plots.use_style()
    cross, study = _read("cross_scale.json"), _read("stacked_digits.json")
    fig, axes = plt.subplots(2, 2, figsize=(13, 9.5), layout="constrained")
    axes = axes.ravel()
    palette = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    rules = cross["rules"] if cross else []
    methods = [r["method"] for r in study["rows"]] if study else []
    methods += [r for r in rules if r not in methods]
    colours = {m: palette[i % len(palette)] for i, m in enumerate(methods)}  # one colour per rule, every panel
    for ax, (metric, label) in zip(axes[:2], METRICS):
        for rule in rules:
            toy = np.asarray(cross["islands"][rule][metric], float)
            img = np.asarray(cross["images"][rule][metric], float)
            colour = colours[rule]
            # every seed pairing would be a product; show each side's seeds along its own axis
            ax.scatter(toy, np.full(toy.size, img.mean()), s=10, color=colour, alpha=0.45, lw=0)
            ax.scatter(np.full(img.size, toy.mean()), img, s=10, color=colour, alpha=0.45, lw=0)
            se = lambda v: v.std(ddof=1) / np.sqrt(v.size) if v.size > 1 else 0.0  # noqa: E731
            ax.errorbar(toy.mean(), img.mean(), xerr=se(toy), yerr=se(img), fmt="o", color=colour, capsize=3,
                        label=rule)
        ax.set_xlabel(f"islands: {label} (VEEGAN ring, of 8)" if metric == "modes" else f"islands: {label}")
        ax.set_ylabel(f"Stacked digits: {label}" + (" (of 1,000)" if metric == "modes" else ""))
        ax.set_title(f"({'ab'[metric == 'kl']}) {label}: {_tau_text(cross, metric) if cross else 'not yet run'}",
                     fontsize=10)
    if rules:
        axes[0].legend(fontsize=8, loc="best")
    n_modes = next((r["n_modes"] for r in study["rows"] if r.get("n_modes")), 1000) if study else 1000
    for ax, metric in zip(axes[2:], ("missed", "kl")):
        for row in study["rows"] if study else []:
            for j, curve in enumerate(row["curves"]):
                values = np.asarray([np.nan if v is None else v for v in curve["modes" if metric == "missed" else "kl"]],
                                    float)
                ax.plot(curve["steps"], n_modes - values if metric == "missed" else values,
                        color=colours[row["method"]], lw=1.2, alpha=0.8, label=row["method"] if j == 0 else None)
        ax.set_xlabel("training step")
        # modes missed reaches 0 (every mode found): linear below 1, logarithmic above
        ax.set_yscale("symlog", linthresh=1) if metric == "missed" else ax.set_yscale("log")
    axes[2].set_ylabel(f"modes missed (of {n_modes:,}; 26,000 samples)")
    axes[2].set_title("(c) Stacked digits over training: modes missed, one line per seed", fontsize=10)
    axes[3].set_ylabel("KL(mode histogram || uniform)")
    axes[3].set_title("(d) Stacked digits over training: KL, one line per seed", fontsize=10)
    if study:
        axes[2].legend(fontsize=8, loc="upper right")
    else:
        for a in axes:
            a.text(0.5, 0.5, "not yet run (benchmarks/stacked_digits.py)", transform=a.transAxes, ha="center")
    seeds = f"{study['seeds']} image seeds per rule" if study else ""
    fig.suptitle("Mode collapse across scales: islands (2-D MLP GAN) against Stacked digits (DCGAN); "
                 f"small points are seeds, bars one standard error; {seeds}", fontsize=10)
    out = gd.plots.save_figure(fig, gd.plots.figures_dir() / "cross_scale.png")
    print(f"wrote {out} ({len(rules)} rules ranked on both sides)")


if __name__ == "__main__":
    main()
