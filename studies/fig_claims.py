"""Every shipped convergence claim, its verdict, and each refutation's counterexample.

Claim: the claims of ``gamedyn.testing.claims`` — results from the literature (extragradient
converges on bilinear games iff ``lr s_max < 1``, Korpelevich 1976 / Mokhtari et al. 2020;
optimism iff ``lr s_max < 1/sqrt(3)``; proximal point always, Rockafellar 1976; alternating
GDA cycles iff ``lr_x lr_y s_max^2 < 4``, Bailey, Gidel & Piliouras 2020; negative momentum
with alternating updates converges, Gidel et al. 2019; R1 and instance noise make the Dirac
GAN locally convergent, Mescheder, Geiger & Nowozin 2018; ...) are verified by a Hypothesis
search plus the spectral test, and the false folklore (small steps / TTUR / alternation /
k discriminator steps / positive momentum fix GDA; optimism converges for any
``lr s_max < 1``; unregularised or weight-clipped GANs converge locally; equal-step GDA finds
local minimax points) is refuted with a minimal counterexample. For each counterexample the
simulated distance to the equilibrium (solid) is drawn over the spectral prediction
``|z_0| rho^t`` (dashed).
"""

import re
import textwrap

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import LogLocator, MaxNLocator, NullFormatter

import gamedyn as gd
from gamedyn import testing
from gamedyn.testing import claims

# --fast: a handful of claims (both kinds), a smaller search.
FAST_CLAIMS = (
    "extragradient-bilinear",
    "optimism-any-step-below-1",
    "alternating-gda-converges",
    "simultaneous-gda-small-steps",
    "alternating-gda-cycles",
)


def short_source(text: str) -> str:
    """'Mokhtari, Ozdaglar & Pattathil 2020, ...' -> 'Mokhtari et al. 2020' (first of each)."""
    found = []
    word = r"[A-Z](?:[^\W\d]|-)+"  # a capitalised name, accents included (Schäfer)
    pattern = rf"({word})((?:,? (?:&|and)? ?{word})*)( et al\.)? (\d{{4}})"
    for match in re.finditer(pattern, text):
        name, others, etal, year = match.groups()
        entry = f"{name}{' et al.' if others or etal else ''} {year}"
        if entry not in found:
            found.append(entry)
    prefix = "folklore; " if text.startswith("folklore") else ""
    return prefix + "; ".join(found[:2])


def draw_trajectory(ax, verdict):
    example = verdict.example
    report = None if example is None else example.report
    if report is None or report.simulation is None:
        ax.set_axis_off()
        return
    distance = np.asarray(report.simulation.distance)
    steps = report.steps
    t = np.linspace(0, steps, len(distance))
    ok = np.isfinite(distance) & (distance > 0)
    ax.semilogy(t[ok], distance[ok], color="C1", lw=1.3)
    theory = np.linalg.norm(report.z0 - np.asarray(report.game.equilibrium)) * report.rho**t
    shown = (theory <= distance[ok].max() * 3) & (theory >= distance[ok].min() / 3)
    ax.semilogy(t[shown], theory[shown], "--", color="0.2", lw=0.9)
    ax.set_xlim(0, steps)
    low, high = distance[ok].min(), distance[ok].max()
    ax.set_ylim(low / 3, high * 3 if high / low > 10 else low * 30)
    ax.yaxis.set_major_locator(LogLocator(numticks=3))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.xaxis.set_major_locator(MaxNLocator(3))
    ax.tick_params(labelsize=6, length=2, pad=1)
    ax.grid(alpha=0.2)
    ax.set_title(
        f"rho = {report.rho:.6g}: simulated {report.simulated}",
        fontsize=6.5,
        color="0.25",
        loc="right",
        pad=1.5,
    )


def main():
    gd.enable_x64()
    gd.plots.use_style()
    fast = gd.plots.fast()
    selected = [claims.get(n) for n in FAST_CLAIMS] if fast else list(claims.CLAIMS)
    examples = 10 if fast else 100
    verdicts = [testing.check(c, examples=examples) for c in selected]

    rows = len(verdicts)
    height = 0.62 * rows + 1.0
    fig = plt.figure(figsize=(15, height))
    grid = fig.add_gridspec(
        rows + 1,
        2,
        width_ratios=[4.6, 1.0],
        hspace=0.55,
        wspace=0.09,
        height_ratios=[0.5] + [1.0] * rows,
        top=1 - 0.55 / height,
        bottom=0.15 / height,
    )
    header = fig.add_subplot(grid[0, 0])
    header.set_axis_off()
    columns = [(0.0, "claim"), (0.60, "source"), (0.83, "expected"), (0.915, "verdict")]
    for x, label in columns:
        header.text(x, 0.2, label, fontsize=9, weight="bold", transform=header.transAxes)
    side = fig.add_subplot(grid[0, 1])
    side.set_axis_off()
    side.text(
        0.0,
        0.2,
        "counterexample: |z_t - z*| vs t (dashed: |z_0| rho^t)",
        fontsize=8,
        weight="bold",
        transform=side.transAxes,
    )

    for i, verdict in enumerate(verdicts):
        claim = verdict.claim
        ax = fig.add_subplot(grid[i + 1, 0])
        ax.set_axis_off()
        shade = "#f2f7fb" if i % 2 == 0 else "white"
        ax.add_patch(
            plt.Rectangle(
                (-0.005, -0.25),
                1.01,
                1.4,
                transform=ax.transAxes,
                color=shade,
                zorder=-1,
                clip_on=False,
            )
        )
        statement = textwrap.shorten(claim.statement, 150, placeholder="...")
        wrapped = textwrap.wrap(statement, 108)
        ax.text(
            0.0, 0.78, claim.name, fontsize=8.2, weight="bold", transform=ax.transAxes, va="center"
        )
        ax.text(
            0.0,
            0.22,
            "\n".join(wrapped[:2]),
            fontsize=6.8,
            transform=ax.transAxes,
            va="center",
            color="0.15",
        )
        ax.text(
            0.60,
            0.5,
            "\n".join(textwrap.wrap(short_source(claim.source), 34)[:2]),
            fontsize=6.8,
            transform=ax.transAxes,
            va="center",
            color="0.25",
        )
        ax.text(0.83, 0.5, claim.expected, fontsize=8, transform=ax.transAxes, va="center")
        color = "#1a7f37" if verdict.matches else "#cf222e"
        mark = "as expected" if verdict.matches else "MISMATCH"
        ax.text(
            0.915,
            0.62,
            verdict.status,
            fontsize=8.5,
            weight="bold",
            color=color,
            transform=ax.transAxes,
            va="center",
        )
        ax.text(
            0.915,
            0.18,
            f"{mark}, {verdict.examples} ex.",
            fontsize=6.3,
            color=color,
            transform=ax.transAxes,
            va="center",
        )
        side = fig.add_subplot(grid[i + 1, 1])
        if verdict.status == "refuted" and verdict.role == "counterexample":
            draw_trajectory(side, verdict)
        else:
            side.set_axis_off()
            text = {
                "witness": "witness found",
                "tightest": f"no counterexample in {verdict.examples}",
                "closest": "no witness exists in the search",
            }.get(verdict.role, "")
            side.text(
                0.02, 0.5, text, fontsize=6.8, color="0.45", va="center", transform=side.transAxes
            )

    verified = sum(v.status == "verified" for v in verdicts)
    refuted = sum(v.status == "refuted" for v in verdicts)
    as_expected = sum(v.matches for v in verdicts)
    fig.suptitle(
        f"Convergence claims checked by gamedyn (Hypothesis search, {examples} examples each, plus the "
        f"spectral test): {verified} verified, {refuted} refuted, {as_expected} of {len(verdicts)} "
        "verdicts as expected",
        fontsize=10.5,
        y=1 - 0.12 / height,
    )
    path = gd.plots.save_figure(fig, gd.plots.figures_dir() / "claims.png", dpi=110)  # a tall figure
    print(f"wrote {path} ({as_expected} of {len(verdicts)} verdicts as expected)")
    if as_expected != len(verdicts):
        mismatched = [v.claim.name for v in verdicts if not v.matches]
        raise SystemExit(f"verdicts differ from the expected ones: {', '.join(mismatched)}")


if __name__ == "__main__":
    main()
