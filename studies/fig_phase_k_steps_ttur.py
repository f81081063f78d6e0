"""k discriminator steps and TTUR on the Dirac GAN: which combinations of ``k`` and
``lr_y / lr_x`` stabilise alternating GDA.

Claim: with the R1 penalty the linearised discriminator step is
``psi+ = (1 - lr_y gamma) psi + lr_y f' theta``; ``k`` of them followed by one generator
step ``theta+ = theta - lr_x f' psi_k`` give the update map
``[[1 - lr_x f' c, -lr_x f' a], [c, a]]`` with ``a = (1 - lr_y gamma)^k`` and
``c = f' (1 - a) / gamma`` (derived here from the Dirac GAN of Mescheder et al. 2018; the
``k``-step schedule is WGAN's n_critic, the ratio Heusel et al. 2017's TTUR). Its
determinant is ``a`` and its trace ``1 + a - lr_x f' c``, so by the Jury conditions it
converges iff ``|a| < 1`` and ``lr_x f'^2 (1 - a) / gamma < 2 (1 + a)``: with a large
generator step, *more* discriminator steps or a *larger* TTUR ratio destabilise once
``a = (1 - lr_y gamma)^k`` falls below ``(lr_x f'^2 - 2 gamma) / (lr_x f'^2 + 2 gamma)``.
The dash-dotted line is this boundary; the simulated regime agrees with the spectrum away
from it. The runs are 400 steps long: from a start 3e-103 from the equilibrium even the most
unstable cells (``log rho ~ 0.5``) stay in the region where the game is linear, so the
simulation tests the local claim (longer runs of unstable cells reach the nonlinear game's
limit cycles and read "cycling").
"""

import numpy as np
from _phase_panels import agreement_text, require_agreement, three_panels

import gamedyn as gd

F_PRIME, GAMMA, LR_X = 0.5, 0.1, 1.0


def margin(k, ratio):
    """Largest Jury violation: < 0 inside the convergence region (k may be fractional on the
    plotting grid; the base 1 - lr_y gamma stays positive on the ratio axis used here)."""
    a = (1 - ratio * LR_X * GAMMA) ** np.asarray(k, float)
    second = LR_X * F_PRIME**2 * (1 - a) / GAMMA - 2 * (1 + a)
    return np.maximum(np.abs(a) - 1, second)


def make(k, ratio):
    game = gd.games.DiracGAN(loss="nonsaturating", reg="r1", gamma=GAMMA)
    return game, gd.optim.gda((LR_X, ratio * LR_X), alternating=True, first="y", k=k)


def main():
    gd.enable_x64()
    gd.plots.use_style()
    n, steps = (40, 400) if gd.plots.fast() else (240, 400)
    axes = {"k": np.arange(1, 17), "ratio": np.geomspace(0.3, 9.5, n)}
    ds = gd.phase_diagram(make, axes, steps=steps)
    K, R = np.meshgrid(axes["k"], axes["ratio"], indexing="ij")
    m = margin(K, R)
    clear = np.abs(m) > 1e-6
    wrong = int(np.sum(((ds.spectral_radius.values < 1) != (m < 0)) & clear))
    fig = three_panels(
        ds, margin,
        f"Dirac GAN + R1 (gamma = {GAMMA:g}), alternating GDA with k discriminator steps, lr_x = "
        f"{LR_X:g}, lr_y = ratio lr_x: converges inside the Jury boundary (dash-dotted)\n"
        + agreement_text(ds),
        boundary_label="closed-form boundary",
    )
    for ax in fig.axes:
        if ax.get_ylabel() == "ratio":
            ax.set_yscale("log")
            ax.set_ylabel("TTUR ratio lr_y / lr_x")
        if ax.get_xlabel() == "k":
            ax.set_xlabel("discriminator steps k")
    path = gd.plots.save_figure(fig, gd.plots.figures_dir() / "phase_k_steps_ttur.png")
    agree = require_agreement(ds, "k steps x TTUR")
    print(f"wrote {path} (agreement {agree:.4f}, {wrong} cells off the closed form)")
    if wrong:
        raise SystemExit(f"{wrong} cells disagree with the closed-form Jury boundary")


if __name__ == "__main__":
    main()
