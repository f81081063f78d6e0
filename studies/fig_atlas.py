"""The stabiliser atlas: each trick's effect on modes captured, the high-quality fraction and
the oscillation of D(real) - D(fake) on the islands, with intervals, beside the sign the toy
model predicts.

Claims shown (from the committed runs of ``benchmarks/atlas.py``, not retrained here): each
row is one technique in one setting on PacGAN's 8-mode ring, trained with 8 seeds under the
islands schedule, against simultaneous Adam paired by seed (mean effect and bootstrap 95 %
interval); rows marked [images] are the image-only techniques on the bridge's DCGAN over the
10 image islands (5 seeds, no high-quality fraction). The column on the right is the toy prediction (``docs/stabilisers.md``: the Dirac
GAN's linearisation, sympy-checked; ``-`` where no toy model exists) and the literature's
claim with our verdict. Sources per row in ``results/atlas.md``.

Reads ``results/atlas.json``; techniques not yet run are named in the figure.
"""

import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import gamedyn as gd

ROOT = Path(__file__).resolve().parents[1]
PANELS = (("modes", "modes captured (of 8; image rows of 10)"), ("high_quality", "high-quality fraction (2-D rows)"),
          ("oscillation", "oscillation amplitude of D(real) - D(fake)"))
VERDICT_COLOURS = {"supports": "#2ca02c", "contradicts": "#d62728", "inconclusive": "0.5"}


def main():
    gd.plots.use_style()
    path = ROOT / "results" / "atlas.json"
    report = json.loads(path.read_text()) if path.exists() else {"rows": [], "missing": [], "seeds": 0}
    names = list(dict.fromkeys(r["name"] for r in report["rows"]))
    by = {(r["name"], r["metric"]): r for r in report["rows"]}
    height = max(3.0, 0.42 * len(names) + 1.6)
    fig, axes = plt.subplots(1, len(PANELS) + 1, figsize=(17, height), layout="constrained",
                             gridspec_kw=dict(width_ratios=[1, 1, 1, 1.25]))
    y = np.arange(len(names))[::-1]
    labels = [(f"{by[n, 'modes']['technique']} ({by[n, 'modes']['setting']})".replace(" ()", "")
               + (" [images]" if by[n, "modes"]["data"] != "ring" else "")) for n in names]
    for ax, (metric, title) in zip(axes, PANELS):
        for yi, name in zip(y, names):
            r = by.get((name, metric))
            if r is None:  # an image row has no high-quality fraction
                continue
            ax.errorbar(r["effect"], yi, xerr=[[r["effect"] - r["ci_low"]], [r["ci_high"] - r["effect"]]], fmt="o",
                        color=VERDICT_COLOURS[r["verdict"]], capsize=3)
        ax.axvline(0.0, color="0.3", lw=0.8)
        ax.set_yticks(y, labels if ax is axes[0] else [""] * len(y))
        ax.set_xlabel(f"effect on {metric} (treated - baseline)")
        ax.set_title(title)
    ax = axes[-1]
    ax.set_axis_off()
    ax.set_ylim(axes[0].get_ylim())
    ax.set_title("toy prediction | claim | verdict on modes", fontsize=9, loc="left")
    for yi, name in zip(y, names):
        r = by[name, "modes"]
        ax.text(0.0, yi, f"{r['toy_prediction'] or '-':7s} | {r['claim']:7s} | {r['verdict']}", fontsize=9,
                va="center", family="monospace", color=VERDICT_COLOURS[r["verdict"]])
    missing = report.get("missing", [])
    note = f"\nnot yet run: {', '.join(missing)}" if missing else ""
    seeds = report.get("seeds", 0)
    images = report.get("image_seeds") if report.get("image_baseline") else None
    image_note = (f"; [images]: the bridge's DCGAN on the 10 image islands, {images} seeds" if images else "")
    fig.suptitle("Stabiliser atlas on the islands (PacGAN's 8-mode ring, "
                 f"{seeds} seeds{image_note}; paired effects with bootstrap 95 % intervals; colour = verdict on the "
                 "literature's claim for that metric: green supports, red contradicts, grey inconclusive)" + note,
                 fontsize=10)
    if not names:
        axes[0].text(0.5, 0.5, "no technique run yet (benchmarks/atlas.py)", transform=axes[0].transAxes,
                     ha="center")
    out = gd.plots.save_figure(fig, gd.plots.figures_dir() / "atlas.png")
    print(f"wrote {out} ({len(names)} techniques, {len(missing)} not yet run)")


if __name__ == "__main__":
    main()
