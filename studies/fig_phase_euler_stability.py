"""Explicit vs implicit Euler: stability regions in the complex plane with ``lr * mu`` of the
Dirac GAN and of a stiff quadratic game.

Claim: simultaneous GDA is the explicit Euler step of the flow ``dz/dt = F(z)``: an
eigenvalue ``mu`` of the Jacobian becomes ``1 + lr mu``, stable iff ``lr mu`` lies in the
disk ``|1 + w| < 1``. The proximal point step is implicit Euler: ``1 / (1 - lr mu)``,
stable iff ``|1 - w| > 1``, which contains the whole closed left half-plane minus 0
(A-stability; e.g. Hairer & Wanner, "Solving ODEs II", Sec. IV.3). Hence (left) the Dirac
GAN's purely imaginary ``mu = +-i f'(0)`` is outside the explicit disk for every step size
but inside the implicit region, and the stiff game ``1/2 b x^2 + x y - 1/2 c y^2``
(``b = 10``, ``c = 0.1``; stiffness ratio ``max|Re mu| / min|Re mu|`` annotated) leaves the
explicit disk once ``lr > 2 / |mu_stiff|`` while its slow mode converges only at
``|1 + lr mu_slow| ~ 1 - lr |mu_slow|``; implicit Euler is stable at every step size
(right: ``gd.phase_diagram`` over rule x lr, closed forms dashed; the simulated regimes
of 200-step runs agree with the predicted ones).
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Circle

import gamedyn as gd



def games():
    # built after gd.enable_x64(): arrays made at import time would be float32
    return {
        "Dirac GAN (non-saturating)": gd.games.DiracGAN(loss="nonsaturating"),
        "stiff quadratic (b = 10, c = 0.1)": gd.games.Quadratic([[1.0]], B=[[10.0]], C=[[0.1]]),
    }

RULES = {"explicit Euler (simultaneous GDA)": gd.optim.gda,
         "implicit Euler (proximal point)": gd.optim.proximal}
POINT_LRS = (0.05, 0.15, 0.25, 1.0)
# Short runs: from the default start (3e-103 from the equilibrium) even rho = 2.7 (lr = 5 on
# the Dirac GAN) stays in the linear region for 236 steps, so the simulated regime tests
# the local claim, not the nonlinear game's limit cycles.
STEPS = 200


def main():
    gd.enable_x64()
    gd.plots.use_style()
    lrs = np.geomspace(0.01, 5.0, 60 if gd.plots.fast() else 300)
    fig, (left, right) = plt.subplots(1, 2, figsize=(14, 6), layout="constrained")
    left.add_patch(Circle((-1, 0), 1, fc="C2", alpha=0.18, ec="C2", lw=1.5,
                          label="explicit stable: |1 + w| < 1"))
    left.add_patch(Circle((1, 0), 1, fc="white", ec="C3", lw=1.5, hatch="//", alpha=0.6,
                          label="implicit unstable: |1 - w| < 1"))
    markers = {"Dirac GAN (non-saturating)": "o", "stiff quadratic (b = 10, c = 0.1)": "s"}
    worst = 0.0
    for g, (gname, game) in enumerate(games().items()):
        mu = np.asarray(gd.eigenvalues(game))
        stiff = gd.stiffness(game)
        ratio = float(stiff.ratio)
        label = f"{gname}: stiffness ratio " + ("inf (pure rotation)" if np.isinf(ratio) else f"{ratio:.0f}")
        for i, lr in enumerate(POINT_LRS):
            w = lr * mu
            left.scatter(w.real, w.imag, marker=markers[gname], s=42, color=f"C{i}",
                         edgecolor="black", linewidth=0.5, zorder=5,
                         label=label if i == 0 else None)
            for wk in w:
                # label the points that are apart from the crowd near 0 and inside the view
                if abs(wk) > 0.3 and -3.2 < wk.real < 2.2 and wk.imag >= 0:
                    left.annotate(f"lr={lr:g}", (wk.real, wk.imag), fontsize=7,
                                  xytext=(4, 5), textcoords="offset points")
        ds = gd.phase_diagram(lambda rule, lr: (game, RULES[rule](lr)),
                              {"rule": list(RULES), "lr": lrs}, steps=STEPS)
        for r, rule in enumerate(RULES):
            rho = ds.spectral_radius.sel(rule=rule).values
            if r == 0:
                theory = np.abs(1 + lrs[:, None] * mu[None, :]).max(axis=1)
            else:
                theory = np.abs(1 / (1 - lrs[:, None] * mu[None, :])).max(axis=1)
            worst = max(worst, float(np.max(np.abs(rho - theory) / theory)))
            style = "-" if r == 0 else "-."
            right.plot(lrs, rho, style, color=f"C{2 * g + r}", lw=2.0,
                       label=f"{gname}, {rule.split(' (')[0]}")
            right.plot(lrs, theory, "--", color="black", lw=0.8)
        agree = gd.phase.agreement(ds)
        if agree < 0.99:
            raise SystemExit(f"{gname}: simulated and predicted regimes agree in {agree:.2%}")
    left.axhline(0, color="0.5", lw=0.6)
    left.axvline(0, color="0.5", lw=0.6)
    left.set_xlim(-3.2, 2.2)
    left.set_ylim(-1.6, 1.6)
    left.set_aspect("equal")
    left.set_xlabel("Re(lr mu)")
    left.set_ylabel("Im(lr mu)")
    left.set_title("stability regions of one step, w = lr mu (mu: Jacobian eigenvalues;\n"
                   f"colours: lr = {', '.join(f'{v:g}' for v in POINT_LRS)}; off-view: lr mu_stiff < -3.2)")
    left.legend(loc="lower left", fontsize=7, frameon=True)
    right.axhline(1.0, color="0.4", lw=0.8)
    right.set_xscale("log")
    right.set_ylim(0.0, 2.0)
    right.set_xlabel("step size lr")
    right.set_ylabel("spectral radius rho")
    right.set_title(f"rho vs lr (closed forms dashed, max relative gap {worst:.0e})")
    right.legend(loc="upper left", fontsize=8)
    fig.suptitle("Explicit Euler (GDA) is stable only inside the disk |1 + lr mu| < 1; implicit "
                 "Euler (proximal point) on the whole left half-plane")
    path = gd.plots.save_figure(fig, gd.plots.figures_dir() / "phase_euler_stability.png")
    print(f"wrote {path} (max relative gap to closed forms {worst:.2e})")
    if worst > 1e-8:
        raise SystemExit(f"gamedyn disagrees with the closed forms by {worst:.2e}")


if __name__ == "__main__":
    main()
