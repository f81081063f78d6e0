"""Bilinear game: simultaneous vs alternating GDA vs extragradient vs optimistic vs proximal.

Claim: on ``loss_x = s x y`` (here ``s = 1``) the five classic rules behave as their
closed-form update maps say (top row: 150 steps from ``(1, 0)`` at ``lr = 0.3``; bottom:
the spectral radius of every rule against the step size from one ``gd.phase_diagram`` over
``rule x lr``, with the closed forms dashed over it):

* simultaneous GDA ``rho = sqrt(1 + lr^2 s^2) > 1``: spirals out for every step size
  (e.g. Gidel et al. 2019, "Negative momentum for improved game dynamics", Sec. 3);
* alternating GDA ``rho = 1`` while ``lr s <= 2``: bounded cycles (Bailey, Gidel &
  Piliouras 2020), the larger root of ``l^2 - (2 - a) l + 1`` (``a = lr^2 s^2``) beyond;
* extragradient ``|l|^2 = 1 - a + a^2``: converges iff ``lr s < 1`` (Korpelevich 1976;
  Mokhtari, Ozdaglar & Pattathil 2020);
* optimistic GDA ``l = (1 + 2i lr s +- sqrt(1 - 4 lr^2 s^2)) / 2``: converges iff
  ``lr s < 1/sqrt(3)`` (Daskalakis et al. 2018; Mokhtari et al. 2020);
* proximal point ``rho = (1 + a)^(-1/2) < 1``: converges for every step (Rockafellar 1976).
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Patch

import gamedyn as gd
from gamedyn.plots._phase import REGIME_COLORS

S = 1.0
RULES = {
    "simultaneous GDA": lambda lr: gd.optim.gda(lr),
    "alternating GDA": lambda lr: gd.optim.gda(lr, alternating=True),
    "extragradient": lambda lr: gd.optim.extragradient(lr),
    "optimistic GDA": lambda lr: gd.optim.optimistic(lr),
    "proximal point": lambda lr: gd.optim.proximal(lr),
}


def closed_form(name, lr):
    a = (lr * S) ** 2
    if name == "simultaneous GDA":
        return np.sqrt(1 + a)
    if name == "alternating GDA":
        return np.where(a <= 4, 1.0, (a - 2 + np.sqrt(np.abs(a * (a - 4)))) / 2)
    if name == "extragradient":
        return np.sqrt(1 - a + a**2)
    if name == "optimistic GDA":
        root = np.sqrt((1 - 4 * a).astype(complex))
        return np.maximum(np.abs((1 + 2j * lr * S + root) / 2), np.abs((1 + 2j * lr * S - root) / 2))
    return (1 + a) ** -0.5


def make(rule, lr):
    return gd.games.Bilinear([[S]]), RULES[rule](lr)


def main():
    gd.enable_x64()
    gd.plots.use_style()
    fast = gd.plots.fast()
    lrs = np.geomspace(0.01, 3.0, 60 if fast else 400)
    steps = 400 if fast else 2000
    ds = gd.phase_diagram(make, {"rule": list(RULES), "lr": lrs}, steps=steps)
    game = gd.games.Bilinear([[S]])

    fig = plt.figure(figsize=(15, 6.4), layout="constrained")
    grid = fig.add_gridspec(2, len(RULES), height_ratios=[1, 1.05])
    worst = 0.0
    for i, name in enumerate(RULES):
        ax = fig.add_subplot(grid[0, i])
        result = gd.simulate(game, RULES[name](0.3), [1.0, 0.0], 150)
        z = np.asarray(result.trajectory)
        ax.plot(z[:, 0], z[:, 1], lw=1.0, color="C0")
        ax.plot(*z[0], "o", color="black", ms=4)
        ax.plot(0, 0, "*", color="C1", ms=9)
        ax.set_aspect("equal")
        ax.set_xlim(-2.2, 2.2)
        ax.set_ylim(-2.2, 2.2)
        ax.set_title(f"{name}\nlr = 0.3: {result.regime}", fontsize=9)
        ax.set_xlabel("x (generator)")
        if i == 0:
            ax.set_ylabel("y (discriminator)")

        ax = fig.add_subplot(grid[1, i])
        cell = ds.sel(rule=name)
        rho = cell.spectral_radius.values
        theory = closed_form(name, lrs)
        worst = max(worst, float(np.max(np.abs(rho - theory) / theory)))
        ax.plot(lrs, rho, color="C0", lw=2.2, label="gd.phase_diagram")
        ax.plot(lrs, theory, "--", color="C1", lw=1.4, label="closed form")
        # the simulated regime of every cell as a strip along the bottom
        colors = np.array(REGIME_COLORS)[cell.observed.values]
        ax.scatter(lrs, np.full_like(lrs, 0.47), c=colors, marker="s", s=14, linewidths=0)
        ax.axhline(1.0, color="0.4", lw=0.8)
        ax.set_xscale("log")
        ax.set_ylim(0.4, 1.8)
        ax.set_xlabel("step size lr")
        if i == 0:
            ax.set_ylabel("spectral radius rho")
            handles = ax.get_legend_handles_labels()[0] + [
                Patch(color=c, label=f"simulated: {n}") for c, n in zip(REGIME_COLORS, gd.REGIMES)
            ]
            ax.legend(handles=handles, loc="upper left", fontsize=7)
    agree = gd.phase.agreement(ds)
    fig.suptitle(
        f"Bilinear game s x y (s = {S:g}): trajectories at lr = 0.3 (top); spectral radius vs step "
        f"size (bottom), closed forms dashed (max relative gap {worst:.1e})\n"
        f"simulated regime ({steps} steps, strip at the bottom) = predicted in {100 * agree:.1f}% "
        "of the cells away from the boundary"
    )
    path = gd.plots.save_figure(fig, gd.plots.figures_dir() / "phase_bilinear_rules.png")
    print(f"wrote {path} (max relative gap to closed forms {worst:.2e}, agreement {agree:.4f})")
    if worst > 1e-8:
        raise SystemExit(f"gamedyn disagrees with the closed forms by {worst:.2e}")
    if agree < 0.99:
        raise SystemExit(f"predicted and observed regimes agree in only {agree:.2%} of the cells")


if __name__ == "__main__":
    main()
