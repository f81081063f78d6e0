"""TTUR: alternating GDA on a bilinear game over the two step sizes ``lr_x x lr_y``.

Claim: for ``loss_x = s x y`` alternating GDA has the update map
``[[1 - lr_x lr_y s^2, -lr_x s], [lr_y s, 1]]`` with determinant 1 and trace
``2 - lr_x lr_y s^2``, so it cycles (``|l| = 1``, bounded orbits, no convergence) exactly
when ``lr_x lr_y s^2 <= 4`` and diverges beyond (Bailey, Gidel & Piliouras 2020, "Finite
regret and cycles with fixed step-size via alternating gradient descent-ascent"; Gidel et
al. 2019, Sec. 3): only the *product* of the two step sizes matters. The simulated regime
(10000 steps from a random start) agrees with the spectral prediction away from the
boundary ``lr_x lr_y s^2 = 4`` (dash-dotted).
"""

import numpy as np
import sympy
from _phase_panels import agreement_text, require_agreement, three_panels

import gamedyn as gd

S = 1.5


def make(lr_x, lr_y):
    return gd.games.Bilinear([[S]]), gd.optim.gda((lr_x, lr_y), alternating=True)


def main():
    gd.enable_x64()
    gd.plots.use_style()
    n, steps = (60, 3000) if gd.plots.fast() else (300, 10000)
    lr = np.linspace(0.01, 2.5, n)
    ds = gd.phase_diagram(make, {"lr_x": lr, "lr_y": lr}, steps=steps)
    lr_x, lr_y = sympy.symbols("lr_x lr_y")
    boundary = sympy.Eq(lr_x * lr_y * S**2, 4)
    # the closed form says: cycling below the hyperbola, diverging above
    a = lr[:, None] * lr[None, :] * S**2
    clear = np.abs(a - 4) > 1e-6
    expected = np.where(a < 4, 1, 2)
    wrong = int(np.sum((ds.predicted.values != expected) & clear))
    fig = three_panels(
        ds, boundary,
        f"Alternating GDA on s x y (s = {S:g}): cycles iff lr_x lr_y s^2 <= 4 "
        f"(dash-dotted); {agreement_text(ds)}",
        boundary_label="lr_x lr_y s^2 = 4",
    )
    path = gd.plots.save_figure(fig, gd.plots.figures_dir() / "phase_ttur.png")
    agree = require_agreement(ds, "TTUR")
    print(f"wrote {path} (agreement {agree:.4f}, {wrong} cells off the closed form)")
    if wrong:
        raise SystemExit(f"{wrong} cells disagree with the closed form lr_x lr_y s^2 <= 4")


if __name__ == "__main__":
    main()
