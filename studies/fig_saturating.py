"""Saturating vs non-saturating generator loss: the per-sample gradient vanishes as D(G(z)) -> 0;
what that does to a trained generator is measured, not assumed.

Claim (Goodfellow et al. 2014, "Generative adversarial nets", Sec. 3): early in training the
discriminator rejects generated samples with confidence, D(G(z)) ~ 0, where the minimax
generator loss log(1 - D(G(z))) saturates; maximising log D(G(z)) instead gives the same
fixed points and strong early gradients. Per sample, with D = sigmoid(d),

* saturating:      |d/dd log(1 - D)| = D          (-> 0 as D -> 0)
* non-saturating:  |d/dd (-log D)|   = 1 - D      (-> 1 as D -> 0)

Left: the gradient of each loss with respect to the discriminator's logit, by autodiff of
``gd.games.adversarial_losses`` (solid) over these closed forms (dashed). Middle and right:
the consequence on the 8-mode ring (VEEGAN / PacGAN layout), same initialisations and
minibatches for both losses: the discriminator steps with Adam (it becomes confident fast),
the generator with plain gradient steps (so that the size of its gradient is the size of
its move; Adam's normalisation would hide it). With the saturating loss D(G(z)) falls
towards 0 and its samples stay away from the modes; with the non-saturating loss D(G(z))
stays near 1/2 and the samples approach the ring. Whether the *network's* gradient |F_x|
vanishes is panel (c)'s question, and its title states what the runs show: the fraction of
(seed, snapshot) pairs after the first 100 steps with |F_x| < 1e-2 for each loss, and the
largest |F_x| (spikes are instability, not vanishing). Median and 10-90% band over seeds.
"""

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np

import gamedyn as gd


def gradient_vs_d():
    """|d loss_x / d d_fake| per sample against D = sigmoid(d_fake), for both losses."""
    logits = jnp.linspace(-7.0, 7.0, 401)
    d_real = jnp.zeros(1)

    def per_sample(loss):
        def loss_x(d):
            return gd.games.adversarial_losses(loss, d_real, d[None])[0]

        return jnp.abs(jax.vmap(jax.grad(loss_x))(logits))

    return np.asarray(jax.nn.sigmoid(logits)), {
        "saturating": np.asarray(per_sample("saturating")),
        "nonsaturating": np.asarray(per_sample("nonsaturating")),
    }


def train_both(fast):
    steps, every, seeds = (60, 10, 4) if fast else (600, 20, 8)
    options = dict(latent_dim=8, gen_hidden=(64, 64), disc_hidden=(64,), batch_size=128)
    rule = gd.optim.gda((0.05, 1e-3), alternating=True, base=(None, gd.optim.adam(b1=0.5)))
    results = {}
    for loss in ("saturating", "nonsaturating"):
        game = gd.games.GaussianMixture.ring(loss=loss, **options)
        results[loss] = gd.islands.train_mixture(game, rule, steps, seeds=seeds, snapshot_every=every, n_eval=1000)
    return game, results


def distance_to_ring(game, samples):
    """Median distance from each snapshot's samples to their nearest mode: (S, R)."""
    centers = np.asarray(game.centers)
    d = np.linalg.norm(samples[..., None, :] - centers, axis=-1).min(-1)
    return np.median(d, axis=-1)


def band(ax, steps, values, color, label):
    mean = np.nanmedian(values, axis=0)
    lo, hi = np.nanpercentile(values, [10, 90], axis=0)
    ax.plot(steps, mean, color=color, label=label)
    ax.fill_between(steps, lo, hi, color=color, alpha=0.2, lw=0)


def main():
    gd.enable_x64()
    gd.plots.use_style()
    fast = gd.plots.fast()
    d_values, grads = gradient_vs_d()
    gap = max(
        np.max(np.abs(grads["saturating"] - d_values)),
        np.max(np.abs(grads["nonsaturating"] - (1 - d_values))),
    )
    game, results = train_both(fast)

    fig, axes = plt.subplots(1, 4, figsize=(16, 4.0))
    ax = axes[0]
    colors = {"saturating": "C1", "nonsaturating": "C0"}
    ax.plot(d_values, grads["saturating"], color=colors["saturating"], lw=2.5, label="saturating log(1 - D)")
    ax.plot(d_values, grads["nonsaturating"], color=colors["nonsaturating"], lw=2.5, label="non-saturating -log D")
    ax.plot(d_values, d_values, "--", color="k", lw=1, label="closed forms D, 1 - D")
    ax.plot(d_values, 1 - d_values, "--", color="k", lw=1)
    ax.set_xlabel("D(G(z))")
    ax.set_ylabel("|d loss_G / d logit|  per sample")
    ax.set_title(f"(a) gradient vs D(G(z))\nautodiff = closed form to {gap:.0e}")
    ax.legend(loc="upper center", fontsize=8)

    for loss, result in results.items():
        label = "saturating" if loss == "saturating" else "non-saturating"
        steps = result.snapshot_steps
        band(axes[1], steps, 1 / (1 + np.exp(-result.d_fake)), colors[loss], label)
        band(axes[2], steps, result.grad_x, colors[loss], label)
        band(axes[3], steps, distance_to_ring(game, result.samples), colors[loss], label)
    axes[1].set_ylabel("D(G(z))  (sigmoid of the mean logit)")
    axes[1].set_title("(b) the discriminator becomes confident\nonly against the saturating generator")
    axes[1].set_ylim(0, 1)
    axes[2].set_yscale("log")
    axes[2].set_ylabel("|F_x| = |grad_x loss_G|")
    small = {loss: float(np.mean(r.grad_x[:, r.snapshot_steps >= 100] < 1e-2)) for loss, r in results.items()}
    peak = float(np.nanmax(results["saturating"].grad_x))
    axes[2].set_title(f"(c) share of |F_x| < 1e-2 after step 100:\nsaturating {small['saturating']:.0%}, "
                      f"non-saturating {small['nonsaturating']:.0%} (max {peak:.0e})")
    axes[3].set_yscale("log")
    axes[3].set_ylabel("median distance of G(z) to nearest mode")
    axes[3].axhline(3 * float(game.std), color="0.4", lw=0.8, ls=":")
    axes[3].text(0, 3 * float(game.std) * 1.1, "3 std (high quality)", fontsize=8, color="0.3")
    axes[3].set_title("(d) and its samples stay off the ring")
    for ax in axes[1:]:
        ax.set_xlabel("training step")
        ax.legend(fontsize=8)
    n_seeds = len(next(iter(results.values())).seeds)
    fig.suptitle(
        "Saturating vs non-saturating generator loss (Goodfellow et al. 2014) on the 8-mode ring: "
        f"D with Adam, G with plain gradient steps; median and 10-90% band over {n_seeds} seeds",
        y=1.02,
    )
    path = gd.plots.save_figure(fig, gd.plots.figures_dir() / "saturating.png")
    print(f"wrote {path} (autodiff vs closed form: {gap:.1e}; |F_x| < 1e-2 after step 100: "
          f"saturating {small['saturating']:.1%}, non-saturating {small['nonsaturating']:.1%}; "
          f"saturating max |F_x| {peak:.1e})")
    if gap > 1e-12:
        raise SystemExit(f"gradient of the generator loss disagrees with the closed form by {gap:.2e}")


if __name__ == "__main__":
    main()
