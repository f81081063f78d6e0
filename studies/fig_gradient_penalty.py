"""Gradient penalty on a curved manifold: where WGAN-GP constrains the critic, and where not.

Claim (Gulrajani et al. 2017, "Improved training of Wasserstein GANs", Algorithm 1 and
Proposition 1; the geometry discussed by Petzka, Fischer & Lukovnikov 2018 and Mescheder,
Geiger & Nowozin 2018, Sec. 4): the penalty ``(|grad D(x_hat)| - 1)^2`` acts only at
interpolates ``x_hat = eps x_real + (1 - eps) x_fake`` of randomly paired samples. With data
on a circle (radius 1) and generator samples in a blob off the circle, those interpolates
fill exactly the union of the convex hulls of each generator sample with the disk
(``gd.lipschitz.penalty_region``, drawn from its closed form); outside it — beyond the
circle on the far side, around the blob's flanks — the critic is unconstrained. Random
pairs are not the optimal-transport pairs along which the optimal critic has unit slope
(drawn: the exact OT rays, ``gd.divergences.w1(..., return_plan=True)``).

A WGAN-GP critic (MLP 2-64-64-1, tanh, lambda = 10, Adam as in the paper) trained against
the fixed samples has ``|grad D|`` tightly concentrated (near 1, a little above it, where the
Wasserstein term pulls against the penalty) inside the region and spread widely outside it:
the penalty shapes the critic only where the interpolates fall.
"""

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
import optax

import gamedyn as gd

FAST = gd.plots.fast()
N = 128 if FAST else 512
STEPS = 200 if FAST else 3000
GRID = 41 if FAST else 141
LAMBDA = 10.0
FAKE_CENTRE, FAKE_STD = np.array([1.7, 1.1]), 0.12


def init_critic(key, sizes=(2, 64, 64, 1)):
    keys = jax.random.split(key, len(sizes) - 1)
    return [
        (jax.random.normal(k, (b, a)) * jnp.sqrt(1.0 / a), jnp.zeros(b))
        for k, a, b in zip(keys, sizes[:-1], sizes[1:])
    ]


def critic_fn(params):
    def critic(x):
        for w, b in params[:-1]:
            x = jnp.tanh(w @ x + b)
        w, b = params[-1]
        return (w @ x + b)[0]

    return critic


def train(real, fake, key):
    optimiser = optax.adam(1e-3, b1=0.5, b2=0.9)  # Gulrajani et al.'s settings
    key, init_key = jax.random.split(key)
    params = init_critic(init_key)

    def loss(params, key):
        critic = critic_fn(params)
        shuffle_key, gp_key = jax.random.split(key)
        paired = jax.random.permutation(shuffle_key, real)  # random pairs, as in a minibatch
        wasserstein = jnp.mean(jax.vmap(critic)(fake)) - jnp.mean(jax.vmap(critic)(real))
        return wasserstein + LAMBDA * gd.lipschitz.gradient_penalty(critic, paired, fake, gp_key)

    def step(carry, key):
        params, state = carry
        value, grads = jax.value_and_grad(loss)(params, key)
        updates, state = optimiser.update(grads, state)
        return (optax.apply_updates(params, updates), state), value

    keys = jax.random.split(key, STEPS)
    (params, _), losses = jax.jit(lambda p, s: jax.lax.scan(step, (p, s), keys))(params, optimiser.init(params))
    return params, np.asarray(losses)


def main():
    gd.enable_x64()
    gd.plots.use_style()
    key = jax.random.PRNGKey(0)
    k_real, k_fake, k_train, k_show = jax.random.split(key, 4)
    real = np.asarray(gd.lipschitz.circle_samples(N, key=k_real))
    fake = FAKE_CENTRE + FAKE_STD * np.asarray(jax.random.normal(k_fake, (N, 2)))

    # The region, exactly, and a check against sampled interpolates.
    x_hat, _ = gd.lipschitz.interpolates(np.asarray(jax.random.permutation(k_show, real)), fake, k_show)
    x_hat = np.asarray(x_hat)
    # Interpolates towards a tangent point lie on the boundary, up to rounding: 1e-9 of slack.
    all_inside = bool(np.all(gd.lipschitz.penalty_region(x_hat, fake, radius=1 + 1e-9)))
    xs = np.linspace(-2.2, 3.0, GRID)
    ys = np.linspace(-2.2, 2.6, GRID)
    mesh = np.stack(np.meshgrid(xs, ys), -1).reshape(-1, 2)
    region = gd.lipschitz.penalty_region(mesh, fake)

    params, losses = train(jnp.asarray(real), jnp.asarray(fake), k_train)
    critic = critic_fn(params)
    norms = np.asarray(gd.lipschitz.gradient_norms(critic, mesh))
    inside, outside = norms[region], norms[~region]
    # Spread of |grad D| (interquartile range): the penalty pins it inside the region. Its
    # level sits a little above 1 there, as the Wasserstein term of the loss pulls against the
    # penalty (the critic's optimum balances the two at |grad D| ~ 1 + O(1/lambda)).
    iqr = lambda v: float(np.subtract(*np.percentile(v, [75, 25])))  # noqa: E731
    spread_in, spread_out = iqr(inside), iqr(outside)

    # Exact OT rays between subsets of equal size (the optimal critic's unit-slope lines).
    m = 24 if FAST else 48
    _, plan = gd.divergences.w1(fake[:m], real[:m], return_plan=True)
    pairs = np.argwhere(plan > 0)

    fig, axes = plt.subplots(1, 3, figsize=(17, 5.2), gridspec_kw=dict(wspace=0.3))
    ax = axes[0]
    ax.contourf(xs, ys, region.reshape(GRID, GRID), levels=[0.5, 1.5], colors=["C4"], alpha=0.18)
    ax.contour(xs, ys, region.reshape(GRID, GRID).astype(float), levels=[0.5], colors=["C4"], linewidths=1)
    ax.plot([], [], color="C4", lw=6, alpha=0.3, label="penalty region (closed form)")
    ax.plot(x_hat[:600, 0], x_hat[:600, 1], ".", ms=2, color="0.35", label="sampled interpolates x_hat")
    for i, j in pairs:
        ax.plot([fake[i, 0], real[j, 0]], [fake[i, 1], real[j, 1]], color="C2", lw=0.7, alpha=0.8)
    ax.plot([], [], color="C2", lw=1, label="optimal-transport rays (unit slope of D*)")
    ax.plot(real[:, 0], real[:, 1], ".", ms=3, color="C0", label="data: circle")
    ax.plot(fake[:, 0], fake[:, 1], ".", ms=3, color="C1", label="generator samples")
    ax.set_aspect("equal")
    ax.set_title("Where the interpolates fall: hull of the\ngenerator samples and the disk")
    ax.legend(fontsize=7, loc="lower left")

    ax = axes[1]
    image = ax.pcolormesh(xs, ys, norms.reshape(GRID, GRID), cmap="RdBu_r", vmin=0, vmax=2, shading="auto")
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.03, label="|grad D(x)| of the trained critic")
    ax.contour(xs, ys, region.reshape(GRID, GRID).astype(float), levels=[0.5], colors=["k"], linewidths=1.2)
    ax.plot(real[:, 0], real[:, 1], ".", ms=1.5, color="k")
    ax.plot(fake[:, 0], fake[:, 1], ".", ms=1.5, color="C1")
    ax.set_aspect("equal")
    ax.set_title(f"|grad D|, WGAN-GP critic, {STEPS} steps\n(white = 1; black = penalty region)")

    ax = axes[2]
    bins = np.linspace(0, 2.5, 51)
    ax.hist(inside, bins=bins, density=True, alpha=0.6, color="C4",
            label=f"inside the region: median {np.median(inside):.2f}, IQR {spread_in:.3f}")
    ax.hist(outside, bins=bins, density=True, alpha=0.6, color="C1",
            label=f"outside: median {np.median(outside):.2f}, IQR {spread_out:.3f}")
    ax.axvline(1.0, color="k", lw=1)
    ax.set_xlabel("|grad D(x)| on the grid")
    ax.set_ylabel("density")
    ax.set_title("The penalty pins |grad D| (near 1) only where it acts;\noutside the region it spreads freely")
    ax.legend(fontsize=7)
    fig.suptitle("Gradient penalty on a curved data manifold (Gulrajani et al. 2017): random-pair "
                 "interpolates constrain the critic only inside the hull of the samples and the disk", y=1.02)
    path = gd.plots.save_figure(fig, gd.plots.figures_dir() / "gradient_penalty.png")
    print(
        f"wrote {path} (interpolates inside the closed-form region: {all_inside}; IQR of |grad D| "
        f"{spread_in:.3f} inside vs {spread_out:.3f} outside; final critic loss {losses[-1]:.3f})"
    )
    if not all_inside:
        raise SystemExit("a sampled interpolate fell outside the closed-form penalty region")


if __name__ == "__main__":
    main()
