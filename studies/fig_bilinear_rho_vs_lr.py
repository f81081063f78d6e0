"""Spectral radius of every update rule against the step size on a bilinear game.

Claim: on ``loss_x = x^T A y`` (here ``A = diag(1, 0.5)``, so ``s_max = 1``, ``s_min = 0.5``)
the spectral radius ``rho`` of the one-step update map computed by gamedyn (solid lines,
``gd.spectral_radius``, SVD block path) equals the closed forms of the literature (dashed):

* simultaneous GDA ``rho = sqrt(1 + lr^2 s_max^2) > 1`` for every step (e.g. Gidel et al.
  2019, "Negative momentum for improved game dynamics", Sec. 3);
* alternating GDA ``rho = 1`` while ``lr^2 s_max^2 <= 4`` (Bailey, Gidel & Piliouras 2020),
  the larger root of ``l^2 - (2 - a) l + 1`` beyond (``a = lr^2 s^2``);
* extragradient ``|l|^2 = 1 - a + a^2``: converges iff ``lr s_max < 1`` (Korpelevich 1976;
  Mokhtari, Ozdaglar & Pattathil 2020);
* optimistic GDA ``l = (1 + 2i lr s +- sqrt(1 - 4 lr^2 s^2)) / 2``: converges iff
  ``lr s_max < 1/sqrt(3)`` (Daskalakis et al. 2018; Mokhtari et al. 2020);
* proximal point ``rho = (1 + lr^2 s_min^2)^(-1/2) < 1`` (Rockafellar 1976);
* consensus and SGA (equal on bilinear games, Balduzzi et al. 2018):
  ``|l|^2 = (1 - lr c s^2)^2 + lr^2 s^2`` with ``c = gamma`` or ``lam``;
* alternating heavy ball: the roots of ``(l^2 - (1 + beta) l + beta)^2 + lr^2 s^2 l^3``
  (Gidel et al. 2019), converging for some negative ``beta``;
* unrolled GAN with ``k`` look-ahead steps: eigenvalues of
  ``[[1 - 2k a, -lr s], [lr s, 1]]`` (derived from Metz et al. 2017's surrogate).
"""

import jax
import matplotlib.pyplot as plt
import numpy as np

import gamedyn as gd

S = np.array([1.0, 0.5])
LRS = np.geomspace(1e-2, 10.0, 300)
GAMMA, BETA, K = 0.5, -0.3, 3


def roots_rho(coeffs_per_s):
    """max |root| over singular values of the polynomials with the given coefficients."""
    return max(np.abs(np.roots(c)).max() for c in coeffs_per_s)


def closed_forms():
    a = lambda lr: (lr * S) ** 2  # noqa: E731
    forms = {}
    forms["gda (simultaneous)"] = lambda lr: np.sqrt(1 + lr**2 * S.max() ** 2)

    def alternating(lr):
        big = a(lr).max()
        return 1.0 if big <= 4 else (big - 2 + np.sqrt(big * (big - 4))) / 2

    forms["gda (alternating)"] = alternating
    forms["extragradient"] = lambda lr: np.sqrt(1 - a(lr) + a(lr) ** 2).max()

    def optimistic(lr):
        alpha = lr * S
        root = np.sqrt((1 - 4 * alpha**2).astype(complex))
        lam = np.concatenate([(1 + 2j * alpha + root) / 2, (1 + 2j * alpha - root) / 2])
        return np.abs(lam).max()

    forms["optimistic"] = optimistic
    forms["proximal"] = lambda lr: (1 + lr**2 * S.min() ** 2) ** -0.5
    forms[f"consensus (gamma={GAMMA})"] = lambda lr: np.sqrt(
        (1 - lr * GAMMA * S**2) ** 2 + lr**2 * S**2
    ).max()
    forms[f"sga (lam={GAMMA})"] = forms[f"consensus (gamma={GAMMA})"]
    forms[f"momentum (alternating, beta={BETA})"] = lambda lr: roots_rho(
        np.polyadd(
            np.polymul([1, -(1 + BETA), BETA], [1, -(1 + BETA), BETA]), [(lr * s) ** 2, 0, 0, 0]
        )
        for s in S
    )
    forms[f"unrolled (k={K})"] = lambda lr: roots_rho(
        [1, -(2 - 2 * K * (lr * s) ** 2), 1 - (2 * K - 1) * (lr * s) ** 2] for s in S
    )
    return forms


def rules():
    return {
        "gda (simultaneous)": lambda lr: gd.optim.gda(lr),
        "gda (alternating)": lambda lr: gd.optim.gda(lr, alternating=True),
        "extragradient": lambda lr: gd.optim.extragradient(lr),
        "optimistic": lambda lr: gd.optim.optimistic(lr),
        "proximal": lambda lr: gd.optim.proximal(lr),
        f"consensus (gamma={GAMMA})": lambda lr: gd.optim.consensus(lr, GAMMA),
        f"sga (lam={GAMMA})": lambda lr: gd.optim.sga(lr, GAMMA),
        f"momentum (alternating, beta={BETA})": lambda lr: gd.optim.momentum(
            lr, BETA, alternating=True
        ),
        f"unrolled (k={K})": lambda lr: gd.optim.unrolled(lr, K),
    }


def main():
    gd.enable_x64()
    gd.plots.use_style()
    game = gd.games.Bilinear(np.diag(S))
    forms = closed_forms()
    fig, axes = plt.subplots(3, 3, figsize=(10, 8.4), sharex=True)
    worst = 0.0
    for ax, (name, make) in zip(axes.flat, rules().items()):
        rho = np.asarray(jax.vmap(lambda lr: gd.spectral_radius(game, make(lr)))(LRS))
        theory = np.array([forms[name](lr) for lr in LRS])
        worst = max(worst, float(np.max(np.abs(rho - theory) / theory)))
        ax.plot(LRS, rho, label="gamedyn", color="C0")
        ax.plot(LRS, theory, "--", label="closed form", color="C1")
        ax.axhline(1.0, color="0.4", lw=0.8)
        ax.set_xscale("log")
        ax.set_ylim(0.55, 1.6)
        ax.set_title(name)
        stable = rho < 1 - 1e-9
        if stable.any():
            ax.axvspan(LRS[stable].min(), LRS[stable].max(), color="C2", alpha=0.12, lw=0)
    for ax in axes[-1]:
        ax.set_xlabel("step size lr")
    for ax in axes[:, 0]:
        ax.set_ylabel("spectral radius rho")
    axes[0, 0].legend(loc="upper left")
    fig.suptitle(
        "Bilinear game, A = diag(1, 0.5): spectral radius vs step size "
        f"(shaded: rho < 1; max relative gap to closed form {worst:.1e})"
    )
    path = gd.plots.save_figure(fig, gd.plots.figures_dir() / "bilinear_rho_vs_lr.png")
    print(f"wrote {path} (max relative gap to closed forms {worst:.2e})")
    if worst > 1e-8:
        raise SystemExit(f"gamedyn disagrees with the closed forms by {worst:.2e}")


if __name__ == "__main__":
    main()
