"""Dirac GAN with R1: ``gamma x lr`` phase diagram of simultaneous GDA against the
closed-form step limit.

Claim: at the Dirac GAN's equilibrium the Jacobian with the R1 penalty is
``[[0, -f'], [f', -gamma]]`` (``f'(0) = 1/2`` for the non-saturating loss), with eigenvalues
``mu = -gamma/2 +- sqrt(gamma^2/4 - f'^2)`` (Mescheder, Geiger & Nowozin 2018, "Which
training methods for GANs do actually converge?", Sec. 3 and Thm. 4.1). Simultaneous GDA
maps them to ``1 + lr mu``, so it converges iff

* ``lr < gamma / f'^2`` when ``gamma < 2 f'`` (complex pair: ``|1 + lr mu|^2 =
  1 - lr gamma + lr^2 f'^2``), and
* ``lr < 2 / (gamma/2 + sqrt(gamma^2/4 - f'^2))`` when ``gamma >= 2 f'`` (real pair: the
  stiff eigenvalue must stay inside ``(-2, 0)``);

without regularisation (``gamma = 0``) it never does. The dash-dotted line is this step
limit; the simulated regime (1000 steps from a start 3e-103 from the equilibrium, so that
the run follows the linearisation) agrees with the spectrum away from the boundary; the
few cycling islands deep in the divergent region are the limit cycles of the nonlinear game
that strongly unstable runs reach once they leave the linear region.
"""

import numpy as np
from _phase_panels import agreement_text, require_agreement, three_panels

import gamedyn as gd

F_PRIME = 0.5  # f'(0) of the logistic losses


def step_limit(gamma):
    gamma = np.asarray(gamma, float)
    disc = np.maximum(gamma**2 / 4 - F_PRIME**2, 0.0)
    real = 2.0 / np.maximum(gamma / 2 + np.sqrt(disc), 1e-300)
    return np.where(gamma < 2 * F_PRIME, gamma / F_PRIME**2, real)


def make(gamma, lr):
    return gd.games.DiracGAN(loss="nonsaturating", reg="r1", gamma=gamma), gd.optim.gda(lr)


def main():
    gd.enable_x64()
    gd.plots.use_style()
    n, steps = (60, 1000) if gd.plots.fast() else (300, 1000)
    gamma = np.linspace(0.0, 3.0, n)
    lr = np.linspace(0.01, 4.0, n)
    ds = gd.phase_diagram(make, {"gamma": gamma, "lr": lr}, steps=steps)
    G, L = np.meshgrid(gamma, lr, indexing="ij")
    clear = np.abs(L - step_limit(G)) > 1e-6
    # the closed form: rho < 1 exactly below the step limit
    wrong = int(np.sum(((ds.spectral_radius.values < 1) != (L < step_limit(G))) & clear))
    fig = three_panels(
        ds, lambda gamma, lr: lr - step_limit(gamma),
        "Dirac GAN, non-saturating loss + R1, simultaneous GDA: converges iff lr < step limit "
        f"(dash-dotted, Mescheder et al. 2018)\n{agreement_text(ds)}",
        boundary_label="closed-form step limit",
    )
    path = gd.plots.save_figure(fig, gd.plots.figures_dir() / "phase_dirac_r1.png")
    agree = require_agreement(ds, "Dirac R1")
    print(f"wrote {path} (agreement {agree:.4f}, {wrong} cells off the closed-form limit)")
    if wrong:
        raise SystemExit(f"{wrong} cells disagree with the closed-form step limit")


if __name__ == "__main__":
    main()
