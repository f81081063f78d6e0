"""Dirac GAN vector fields and trajectories for six training methods (Mescheder et al. 2018
style).

Claim (Mescheder, Geiger & Nowozin 2018, "Which training methods for GANs do actually
converge?", Sec. 3 and Fig. 3-5): on the Dirac GAN (data at 0, generator ``theta``, linear
discriminator ``psi``), the unregularised GAN (non-saturating loss), the WGAN (weight
clipping ``|psi| <= 1``) and WGAN-GP have purely rotational (or non-attracting) dynamics at
the equilibrium and do not converge, while instance noise, the R1 gradient penalty and
consensus optimization make the equilibrium attracting. Each panel shows the field the
update rule follows (streamlines, colour = speed), 500 steps of it with ``lr = 0.1`` from
``(1, 1)`` (simultaneous updates), the eigenvalues ``mu`` of the field's Jacobian at the
equilibrium and the spectral radius of the update map; the title's regime is
``gd.simulate``'s.
"""

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np

import gamedyn as gd

LR, STEPS, START = 0.1, 500, (1.0, 1.0)

METHODS = {
    "unregularised (non-saturating)": (dict(loss="nonsaturating"), "gda", 0.0),
    "WGAN (clipping |psi| <= 1)": (dict(loss="wasserstein", clip=1.0), "gda", 0.0),
    "WGAN-GP (gamma = 1)": (dict(loss="wasserstein", reg="gp", gamma=1.0), "gda", 0.0),
    "instance noise (sigma = 0.7)": (dict(loss="nonsaturating", reg="instance_noise", gamma=0.7), "gda", 0.0),
    "R1 (gamma = 1)": (dict(loss="nonsaturating", reg="r1", gamma=1.0), "gda", 0.0),
    "consensus (gamma = 1)": (dict(loss="nonsaturating"), "consensus", 1.0),
}


def rule_for(kind, weight):
    return gd.optim.gda(LR) if kind == "gda" else gd.optim.consensus(LR, weight)


def followed_field(game, kind, weight):
    """The direction the rule moves along: F, or F - gamma J^T F for consensus."""

    def field(z):
        f = gd.vector_field(game, z)
        if kind == "consensus":
            _, pull = jax.vjp(lambda w: gd.vector_field(game, w), z)
            f = f - weight * pull(f)[0]
        return f

    return field


def main():
    gd.enable_x64()
    gd.plots.use_style()
    n = 25 if gd.plots.fast() else 41
    grid = np.linspace(-2.0, 2.0, n)
    T, P = np.meshgrid(grid, grid)
    points = jnp.stack([T.ravel(), P.ravel()], axis=1)
    fig, axes = plt.subplots(2, 3, figsize=(13.5, 9), layout="constrained")
    outcomes = {}
    for ax, (name, (params, kind, weight)) in zip(axes.flat, METHODS.items()):
        game = gd.games.DiracGAN(**params)
        rule = rule_for(kind, weight)
        field = followed_field(game, kind, weight)
        vectors = np.asarray(jax.vmap(field)(points))
        U, V = vectors[:, 0].reshape(T.shape), vectors[:, 1].reshape(T.shape)
        speed = np.hypot(U, V)
        ax.streamplot(grid, grid, U, V, color=speed, cmap="Greys", density=1.1, linewidth=0.7,
                      arrowsize=0.8)
        result = gd.simulate(game, rule, START, STEPS)
        z = np.asarray(result.trajectory)
        ax.plot(z[:, 0], z[:, 1], color="C0", lw=1.3)
        ax.plot(*START, "o", color="black", ms=4)
        ax.plot(0, 0, "*", color="C1", ms=11, zorder=5)
        jac = jax.jacfwd(field)(jnp.zeros(2))
        mu = np.linalg.eigvals(np.asarray(jac))
        rho = float(gd.spectral_radius(game, rule))
        outcomes[name] = result.regime
        ax.set_title(f"{name}: {result.regime}", fontsize=10)
        ax.text(0.02, 0.02,
                "mu = " + ", ".join(f"{m.real:+.2f}{m.imag:+.2f}i" for m in mu)
                + f"\nrho(lr = {LR:g}) = {rho:.4f}",
                transform=ax.transAxes, fontsize=8, va="bottom",
                bbox=dict(boxstyle="round", fc="white", ec="0.7", alpha=0.9))
        ax.set_xlim(-2, 2)
        ax.set_ylim(-2, 2)
        ax.set_aspect("equal")
        ax.set_xlabel("theta (generator)")
        ax.set_ylabel("psi (discriminator)")
    fig.suptitle(
        "Dirac GAN: vector fields and simultaneous-GDA trajectories (lr = 0.1, 500 steps from "
        "(1, 1)); unregularised, WGAN and WGAN-GP do not converge, instance noise, R1 and "
        "consensus do (Mescheder et al. 2018)", fontsize=10)
    path = gd.plots.save_figure(fig, gd.plots.figures_dir() / "phase_dirac_fields.png", dpi=100)  # streamlines: 0.6 MB (1.1 MB at 150 dpi)
    print(f"wrote {path}: " + ", ".join(f"{k}: {v}" for k, v in outcomes.items()))
    expected_converged = {"instance noise (sigma = 0.7)", "R1 (gamma = 1)", "consensus (gamma = 1)"}
    for name, regime in outcomes.items():
        if (regime == "converged") != (name in expected_converged):
            raise SystemExit(f"{name}: {regime}, contrary to Mescheder et al. 2018")


if __name__ == "__main__":
    main()
