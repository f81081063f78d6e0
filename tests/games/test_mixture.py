"""The Gaussian-mixture game: the mixture against closed forms, every loss against its
formula on fixed tiny networks (an independent numpy forward pass), and the field and
equilibrium conventions."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.special import expit, logsumexp

import gamedyn as gd
from gamedyn.games import GaussianMixture, MixtureBatch
from gamedyn.games._mlp import spectral_norm, spectrally_normalised

KEY = jax.random.PRNGKey(0)

# A mixture with unequal weights and per-component spreads, so that no symmetry hides a bug.
CENTERS = np.array([[0.0, 0.0], [3.0, 1.0], [-2.0, 2.5]])
WEIGHTS = np.array([0.5, 0.2, 0.3])
STDS = np.array([0.3, 0.5, 0.25])


def mixture(**options):
    return GaussianMixture(**{"centers": CENTERS, "weights": WEIGHTS, "std": STDS, **options})


# -- the mixture as a distribution --------------------------------------------------------
def test_ring_and_grid_centres_are_the_veegan_pacgan_layouts():
    ring = GaussianMixture.ring()
    angles = 2 * np.pi * np.arange(8) / 8
    np.testing.assert_allclose(ring.centers, np.c_[np.cos(angles), np.sin(angles)], atol=1e-15)
    np.testing.assert_allclose(ring.weights, np.full(8, 1 / 8), rtol=1e-15)
    assert float(ring.std) == 0.01
    grid = GaussianMixture.grid()
    expected = {(float(a), float(b)) for a in (-4, -2, 0, 2, 4) for b in (-4, -2, 0, 2, 4)}
    assert {tuple(map(float, c)) for c in np.asarray(grid.centers)} == expected
    assert grid.k == 25 and float(grid.std) == 0.05


def test_samples_have_the_component_frequencies_means_and_covariances():
    n = 200_000
    points, labels = mixture().sample_with_labels(KEY, n)
    points, labels = np.asarray(points), np.asarray(labels)
    for k in range(3):
        mine = points[labels == k]
        n_k = len(mine)
        # Binomial count: 5 standard deviations sqrt(n w (1 - w)).
        assert abs(n_k - n * WEIGHTS[k]) < 5 * np.sqrt(n * WEIGHTS[k] * (1 - WEIGHTS[k]))
        # Mean of n_k samples of N(c_k, s_k^2 I): standard error s_k / sqrt(n_k); 5 of them.
        np.testing.assert_allclose(mine.mean(0), CENTERS[k], atol=5 * STDS[k] / np.sqrt(n_k))
        # Sample covariance: entries have standard error ~ s_k^2 sqrt(2 / n_k); 5 of them.
        np.testing.assert_allclose(
            np.cov(mine.T), STDS[k] ** 2 * np.eye(2), atol=5 * STDS[k] ** 2 * np.sqrt(2 / n_k)
        )


def test_log_density_matches_an_explicit_formula_and_integrates_to_one():
    game = mixture()
    rng = np.random.default_rng(1)
    pts = rng.normal(size=(50, 2)) * 2.0
    sq = ((pts[:, None, :] - CENTERS[None]) ** 2).sum(-1)
    comp = np.log(WEIGHTS) - np.log(2 * np.pi * STDS**2) - sq / (2 * STDS**2)
    np.testing.assert_allclose(game.log_prob(pts), logsumexp(comp, axis=1), rtol=1e-13)
    # Riemann sum on a grid of spacing h = min std / 10 over +-9 std of every centre: the
    # error of a Gaussian's Riemann sum is ~exp(-2 pi^2 s^2 / h^2) and the truncated tails
    # exp(-81/2); both far below the 1e-10 asked.
    h = STDS.min() / 10
    lo, hi = (CENTERS - 9 * STDS.max()).min(0), (CENTERS + 9 * STDS.max()).max(0)
    gx, gy = np.arange(lo[0], hi[0], h), np.arange(lo[1], hi[1], h)
    mesh = np.stack(np.meshgrid(gx, gy, indexing="ij"), -1)
    total = np.exp(np.asarray(game.log_prob(mesh))).sum() * h * h
    np.testing.assert_allclose(total, 1.0, atol=1e-10)


def test_bad_mixtures_and_options_are_rejected_by_name():
    with pytest.raises(ValueError, match=r"centers has shape \(2,\); expected a non-empty \(K, d\)"):
        GaussianMixture(centers=[1.0, 2.0])
    with pytest.raises(ValueError, match="weights=.*expected 3 finite numbers >= 0"):
        mixture(weights=[1.0, 2.0])
    with pytest.raises(ValueError, match="weights=.*expected 3 finite numbers >= 0"):
        GaussianMixture(centers=CENTERS, weights=[1.0, -1.0, 1.0])
    with pytest.raises(ValueError, match="std=.*expected a standard deviation > 0"):
        GaussianMixture(centers=CENTERS, std=0.0)
    with pytest.raises(ValueError, match="loss='gan' is not accepted"):
        mixture(loss="gan")
    with pytest.raises(ValueError, match="batch_size=10 is not accepted with pack=4"):
        mixture(batch_size=10, pack=4)
    with pytest.raises(ValueError, match="gen_hidden=.*expected a tuple"):
        mixture(gen_hidden=128)
    x, y = mixture(latent_dim=2, gen_hidden=(3,), disc_hidden=(3,)).init(KEY)
    with pytest.raises(ValueError, match="batch=None: GaussianMixture.losses needs a minibatch"):
        mixture(latent_dim=2, gen_hidden=(3,), disc_hidden=(3,)).losses(x, y)


def test_weights_are_normalised_and_defaults_uniform():
    game = GaussianMixture(centers=CENTERS, weights=[2.0, 1.0, 1.0])
    np.testing.assert_allclose(game.weights, [0.5, 0.25, 0.25], rtol=1e-15)
    np.testing.assert_allclose(GaussianMixture(centers=CENTERS).weights, np.full(3, 1 / 3), rtol=1e-15)


# -- an independent numpy forward pass of the players -------------------------------------
def relu(a):
    return np.maximum(a, 0.0)


def np_mlp(layers, h, last_linear, sn=False):
    for i, layer in enumerate(layers):
        w = np.asarray(layer["w"])
        if sn:
            w = w / np.linalg.svd(w, compute_uv=False)[0]
        h = h @ w + np.asarray(layer["b"])
        if not (last_linear and i == len(layers) - 1):
            h = relu(h)
    return h


def np_critic(game, params, packs):
    """D and its features on packed inputs, written out with numpy (explicit loops for
    minibatch discrimination)."""
    sn = game.spectral_norm
    feats = np_mlp(params["body"], packs, last_linear=False, sn=sn)
    cols = [feats]
    if game.minibatch_std:
        cols.append(np.full((len(feats), 1), np.sqrt(feats.var(0) + 1e-8).mean()))
    if game.minibatch_kernels:
        t = np.asarray(params["mbd"]).reshape(feats.shape[1], game.minibatch_kernels, game.minibatch_kernel_dim)
        m = np.einsum("na,abc->nbc", feats, t)
        o = np.zeros((len(feats), game.minibatch_kernels))
        for i in range(len(feats)):
            for j in range(len(feats)):
                o[i] += np.exp(-np.abs(m[i] - m[j]).sum(-1))
        cols.append(o)
    out = np_mlp(params["head"], np.concatenate(cols, 1), last_linear=True, sn=sn)
    return out[:, 0], feats


def np_input_gradient(params, packs):
    """d D / d input for a one-hidden-layer ReLU critic: W1 (1[h > 0] * w2)."""
    w1, b1 = np.asarray(params["body"][0]["w"]), np.asarray(params["body"][0]["b"])
    w2 = np.asarray(params["head"][0]["w"])[:, 0]
    active = (packs @ w1 + b1 > 0).astype(float)
    return (active * w2) @ w1.T


def log_sigmoid(a):
    return np.log(expit(a))


def np_losses(game, x, y):
    """The losses written from the papers' formulas, on the numpy forward pass."""
    batch = game.batch
    gp, dp = game.generator_params(x), game.discriminator_params(y)
    fake = np_mlp(gp, np.asarray(batch.latent), last_linear=True)
    pr = np.asarray(batch.real).reshape(-1, game.pack * game.dim)
    pf = fake.reshape(-1, game.pack * game.dim)
    dr, fr = np_critic(game, dp, pr)
    df, ff = np_critic(game, dp, pf)
    name = game.loss
    if name in ("saturating", "nonsaturating"):
        # Goodfellow et al. (2014): D = sigmoid(d); V = E log D(r) + E log(1 - D(g)).
        value = np.mean(np.log(expit(dr))) + np.mean(np.log(1 - expit(df)))
        ly = -value
        lx = value if name == "saturating" else -np.mean(np.log(expit(df)))
    elif name in ("wasserstein", "wgan_gp"):
        ly, lx = df.mean() - dr.mean(), dr.mean() - df.mean()
        if name == "wgan_gp":  # Gulrajani et al. (2017), eq. 3
            mix = np.asarray(batch.mix)
            grads = np_input_gradient(dp, mix * pr + (1 - mix) * pf)
            ly += float(game.gp_weight) * np.mean((np.linalg.norm(grads, axis=1) - 1) ** 2)
    elif name == "least_squares":  # Mao et al. (2017), eq. 2 with a = -1, b = c = 1
        ly = 0.5 * np.mean((dr - 1) ** 2) + 0.5 * np.mean((df + 1) ** 2)
        lx = 0.5 * np.mean((df - 1) ** 2)
    elif name == "hinge":
        ly = np.mean(np.maximum(0, 1 - dr)) + np.mean(np.maximum(0, 1 + df))
        lx = -df.mean()
    elif name == "relativistic":  # RSGAN: D(r, g) = sigmoid(d(r) - d(g))
        ly = -np.mean(log_sigmoid(dr - df))
        lx = -np.mean(log_sigmoid(df - dr))
    else:  # f-GAN, Nowozin et al. (2016), Table 2: activation g_f and conjugate f*
        g_f, f_star = {
            "forward_kl": (lambda v: v, lambda t: np.exp(t - 1)),
            "reverse_kl": (lambda v: -np.exp(-v), lambda t: -1 - np.log(-t)),
            "pearson": (lambda v: v, lambda t: t**2 / 4 + t),
            "js": (lambda v: np.log(2) - np.log1p(np.exp(-v)), lambda t: -np.log(2 - np.exp(t))),
        }[name]
        value = np.mean(g_f(dr)) - np.mean(f_star(g_f(df)))
        ly = -value
        lx = value if game.f_generator == "minimax" else -np.mean(g_f(df))
    if game.gen_objective == "feature_matching":  # Salimans et al. (2016), Sec. 3.1
        lx = np.sum((fr.mean(0) - ff.mean(0)) ** 2)
    return lx, ly


TINY = dict(latent_dim=3, gen_hidden=(4,), disc_hidden=(5,), batch_size=6)


def tiny_point(game, key=KEY):
    x, y = game.init(key)
    return game.with_key(jax.random.fold_in(key, 7)), x, y


@pytest.mark.parametrize("loss", gd.games.MIXTURE_LOSSES)
def test_every_loss_matches_its_formula(loss):
    game, x, y = tiny_point(mixture(loss=loss, **TINY))
    got = game.losses(x, y)
    want = np_losses(game, x, y)
    # Same arithmetic in another order (float64): agreement to ~1e-12 relative.
    np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-13)


@pytest.mark.parametrize(
    "options",
    [
        dict(loss="js", f_generator="nonsaturating"),
        dict(loss="reverse_kl", f_generator="nonsaturating"),
        dict(gen_objective="feature_matching"),
        dict(pack=3),
        dict(minibatch_std=True),
        dict(minibatch_kernels=4, minibatch_kernel_dim=2),
        dict(spectral_norm=True, sn_iterations=500),
        dict(loss="wgan_gp", pack=2, gp_weight=3.0),
        dict(loss="hinge", pack=2, minibatch_std=True, spectral_norm=True, sn_iterations=500,
             gen_objective="feature_matching"),
    ],
    ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()),
)
def test_generator_and_discriminator_options_match_their_formulas(options):
    game, x, y = tiny_point(mixture(**{**TINY, **options}))
    # 500 power iterations leave (s2/s1)^1000 of the spectral norm's error: none in float64.
    np.testing.assert_allclose(game.losses(x, y), np_losses(game, x, y), rtol=1e-10, atol=1e-13)


def test_wasserstein_clips_the_critic_and_other_losses_do_not():
    wgan = mixture(loss="wasserstein", **TINY)
    assert float(wgan.clip) == 0.01  # Arjovsky et al. (2017), Algorithm 1
    y = jnp.linspace(-1, 1, wgan.n_y)
    np.testing.assert_array_equal(wgan.project_y(y), np.clip(np.asarray(y), -0.01, 0.01))
    np.testing.assert_array_equal(mixture(**TINY).project_y(y), y)


def test_parameter_counts_and_unflattening():
    game = mixture(**TINY, minibatch_kernels=2, minibatch_kernel_dim=3, minibatch_std=True, pack=2)
    # G: 3->4->2; D body: 4->5, head: (5 + 1 std + 2 kernels)->1, T: 5 x 6.
    assert game.n_x == 3 * 4 + 4 + 4 * 2 + 2
    assert game.n_y == 4 * 5 + 5 + 8 + 1 + 5 * 6
    x, y = game.init(KEY)
    assert x.shape == (game.n_x,) and y.shape == (game.n_y,)
    params = game.discriminator_params(y)
    assert params["head"][0]["w"].shape == (8, 1) and params["mbd"].shape == (5, 6)
    flat = jnp.concatenate([v.ravel() for v in jax.tree.leaves(params)])
    np.testing.assert_array_equal(np.sort(flat), np.sort(y))


def test_spectral_norm_against_the_exact_svd():
    rng = np.random.default_rng(3)
    u, _ = np.linalg.qr(rng.normal(size=(6, 6)))
    v, _ = np.linalg.qr(rng.normal(size=(4, 4)))
    w = u[:, :4] @ np.diag([2.0, 1.0, 0.5, 0.1]) @ v.T
    # Power iteration error ~ (s2/s1)^(2 n) = 0.5^40 ~ 1e-12.
    np.testing.assert_allclose(spectral_norm(jnp.asarray(w)), 2.0, rtol=1e-11)
    np.testing.assert_allclose(np.linalg.svd(spectrally_normalised(jnp.asarray(w)), compute_uv=False)[0], 1.0, rtol=1e-11)
    # Miyato et al. (2018), eq. 12: d sigma / d W = u1 v1^T (the top singular vectors).
    grad = jax.grad(lambda m: spectral_norm(m, 100))(jnp.asarray(w))
    np.testing.assert_allclose(np.abs(grad), np.abs(np.outer(u[:, 0], v[:, 0])), atol=1e-12)


# -- field and equilibrium conventions ----------------------------------------------------
def test_field_is_minus_each_players_own_gradient():
    game, x, y = tiny_point(mixture(loss="hinge", **TINY))
    z = game.join(x, y)
    field = np.asarray(gd.vector_field(game, z))
    rng = np.random.default_rng(5)
    for player in ("x", "y"):
        idx = slice(0, game.n_x) if player == "x" else slice(game.n_x, game.n)
        own = 0 if player == "x" else 1
        v = np.zeros(game.n)
        v[idx] = rng.normal(size=idx.stop - idx.start)

        def own_loss(t):
            return float(game.losses(*game.split(jnp.asarray(z + t * v)))[own])

        h = 1e-5
        slope = (own_loss(h) - own_loss(-h)) / (2 * h)
        # Central difference: error ~ h^2 |third derivative| ~ 1e-10 (piecewise-linear
        # ReLU/hinge kinks are not crossed at this h for a generic point).
        np.testing.assert_allclose(-slope, field @ v, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("loss", ["saturating", "wasserstein", "forward_kl", "reverse_kl", "js", "pearson"])
def test_minimax_losses_are_zero_sum(loss):
    game, x, y = tiny_point(mixture(loss=loss, **TINY))
    loss_x, loss_y = game.losses(x, y)
    np.testing.assert_allclose(loss_x, -loss_y, rtol=1e-14)


# At P = Q the optimal f-GAN critic is T* = f'(1) (Nowozin et al. 2016, Sec. 2.3:
# T*(t) = f'(p(t)/q(t))), i.e. a raw output v* with g_f(v*) = f'(1): v* = 1 for KL
# (f'(1) = 1, g_f(v) = v) and v* = 0 for the others; for the GAN losses, LSGAN (labels +-1),
# hinge and RSGAN the optimal output at P = Q is 0 as well.
OPTIMAL_OUTPUT = {loss: 0.0 for loss in gd.games.MIXTURE_LOSSES} | {"forward_kl": 1.0}


@pytest.mark.parametrize("loss", gd.games.MIXTURE_LOSSES)
def test_a_generator_matching_the_data_with_the_optimal_critic_is_a_fixed_point(loss):
    # The Dirac-GAN picture (Mescheder et al. 2018) on the MLP game: every generated sample
    # sits at the data point c, the critic's head is zero (constant output v*); then
    # F(z*) = 0 exactly.
    game = mixture(loss=loss, **TINY)
    c = np.array([0.7, -0.2])
    x, y = game.init(KEY)
    gen = game.generator_params(x)
    gen = jax.tree.map(jnp.zeros_like, gen)
    gen[-1]["b"] = jnp.asarray(c)
    disc = game.discriminator_params(y)
    disc["head"][0]["w"] = jnp.zeros_like(disc["head"][0]["w"])
    disc["head"][0]["b"] = jnp.full((1,), OPTIMAL_OUTPUT[loss])
    x_star = jax.flatten_util.ravel_pytree(gen)[0]
    y_star = jax.flatten_util.ravel_pytree(disc)[0]
    batch = game.sample_batch(KEY)
    game = game.with_batch(MixtureBatch(jnp.tile(c, (6, 1)), batch.latent, batch.mix))
    np.testing.assert_allclose(gd.vector_field(game, game.join(x_star, y_star)), 0.0, atol=1e-15)
    # Any other head bias is not stationary for the critic.
    disc["head"][0]["b"] = jnp.full((1,), OPTIMAL_OUTPUT[loss] + 0.3)
    moved = game.join(x_star, jax.flatten_util.ravel_pytree(disc)[0])
    if loss not in ("wasserstein", "wgan_gp", "relativistic", "hinge"):  # flat in the bias there
        assert np.abs(np.asarray(gd.vector_field(game, moved))).max() > 1e-3


def test_the_jacobian_of_the_mlp_game_is_available_to_the_analysis_layer():
    game, x, y = tiny_point(mixture(**TINY))
    jac = np.asarray(gd.jacobian(game, game.join(x, y)))
    assert jac.shape == (game.n, game.n)
    # The discriminator's own block is the negative Hessian of its loss: symmetric.
    yy = jac[game.n_x :, game.n_x :]
    np.testing.assert_allclose(yy, yy.T, atol=1e-12)


# -- the f-GAN objectives are variational lower bounds of their divergences -------------
F_OF_U = {  # f with D_f(P || Q) = sum_i q_i f(p_i / q_i) (Nowozin et al. 2016, Table 1)
    "forward_kl": lambda u: u * np.log(u),
    "reverse_kl": lambda u: -np.log(u),
    "pearson": lambda u: (u - 1) ** 2,
    "js": lambda u: u * np.log(u) - (u + 1) * np.log((u + 1) / 2),
}
# The raw output v* with g_f(v*) = f'(u), u = p/q: the optimal critic (Nowozin et al., eq. 5).
V_STAR = {
    "forward_kl": lambda u: np.log(u) + 1,
    "reverse_kl": np.log,
    "pearson": lambda u: 2 * (u - 1),
    "js": np.log,
}


@given(
    counts=st.lists(st.tuples(st.integers(1, 5), st.integers(1, 5)), min_size=2, max_size=5),
    noise=st.lists(st.floats(-2.0, 2.0), min_size=5, max_size=5),
    loss=st.sampled_from(gd.games.F_DIVERGENCES),
)
def test_f_gan_objective_is_a_lower_bound_attained_by_the_optimal_critic(counts, noise, loss):
    # P and Q on the same atoms: atom i appears a_i times in the real batch and b_i times in
    # the fake one, so the losses' sample means are expectations under p_i = a_i / sum a,
    # q_i = b_i / sum b. Then -loss_y(v) <= D_f(P || Q) for every critic v, with equality at
    # v* (Fenchel-Young; Nguyen, Wainwright & Jordan 2010; Nowozin et al. 2016, eq. 4).
    a, b = np.array(counts).T
    p, q = a / a.sum(), b / b.sum()
    divergence = np.sum(q * F_OF_U[loss](p / q))
    v_star = V_STAR[loss](p / q)

    def objective(v):
        d_real = jnp.asarray(np.repeat(v, a))
        d_fake = jnp.asarray(np.repeat(v, b))
        return -float(gd.games.adversarial_losses(loss, d_real, d_fake)[1])

    # Equality at the optimum, to rounding of a few terms of size ~|log u| (float64).
    np.testing.assert_allclose(objective(v_star), divergence, rtol=1e-10, atol=1e-12)
    other = v_star + np.asarray(noise[: len(a)])
    assert objective(other) <= divergence + 1e-12


# -- PacGAN's players: maxout discriminator, batch-normalised generator ---------------------
def np_maxout_critic(params, packs, pieces):
    """Goodfellow et al. (2013), eq. 1: h_i = max_j (x W_{.ij} + b_ij), written with explicit
    loops over units and pieces (the package reshapes and reduces)."""
    h = packs
    for layer in params["body"]:
        w, b = np.asarray(layer["w"]), np.asarray(layer["b"])
        z = h @ w + b
        units = z.shape[1] // pieces
        out = np.empty((len(h), units))
        for i in range(units):
            out[:, i] = np.max([z[:, i * pieces + j] for j in range(pieces)], axis=0)
        h = out
    head = params["head"][0]
    return (h @ np.asarray(head["w"]) + np.asarray(head["b"]))[:, 0]


def np_batchnorm_generator(params, latent):
    """Ioffe & Szegedy (2015), Algorithm 1 in training mode, then ReLU; linear output."""
    h = latent
    dense, norms = params["dense"], params["norm"]
    for layer, norm in zip(dense[:-1], norms):
        z = h @ np.asarray(layer["w"]) + np.asarray(layer["b"])
        mu, var = z.mean(axis=0), z.var(axis=0)  # biased variance, as in the paper
        z = (z - mu) / np.sqrt(var + 1e-5) * np.asarray(norm["scale"]) + np.asarray(norm["shift"])
        h = relu(z)
    return h @ np.asarray(dense[-1]["w"]) + np.asarray(dense[-1]["b"])


def test_maxout_discriminator_and_batchnorm_generator_match_their_formulas():
    game = mixture(latent_dim=2, gen_hidden=(6, 5), disc_hidden=(4, 3), disc_activation="maxout",
                   maxout_pieces=3, gen_batchnorm=True, pack=2, batch_size=8)
    x, y = game.init(KEY)
    # Perturb batch norm away from its identity initialisation, so the test sees scale/shift.
    x = x + 0.1 * jax.random.normal(jax.random.PRNGKey(3), x.shape, x.dtype)
    latent = np.asarray(jax.random.normal(jax.random.PRNGKey(4), (8, 2), x.dtype))
    # float64 throughout; the two forward passes differ only in summation order.
    np.testing.assert_allclose(game.generate(x, latent), np_batchnorm_generator(game.generator_params(x), latent),
                               rtol=1e-12, atol=1e-12)
    packs = np.asarray(jax.random.normal(jax.random.PRNGKey(5), (4, 4), x.dtype))
    np.testing.assert_allclose(game.critic(y, packs)[0], np_maxout_critic(game.discriminator_params(y), packs, 3),
                               rtol=1e-12, atol=1e-12)


def test_pacgan_players_parameter_counts_and_initialisation():
    game = mixture(latent_dim=2, gen_hidden=(6, 5), disc_hidden=(4, 3), disc_activation="maxout",
                   maxout_pieces=3, gen_batchnorm=True, init_std=0.02, pack=2, batch_size=8)
    # G: 2->6->5->2 plus (scale, shift) per hidden unit; D: maxout 4->4x3->3x3 pieces, head 3->1.
    assert game.n_x == (2 * 6 + 6) + (6 * 5 + 5) + (5 * 2 + 2) + 2 * (6 + 5)
    assert game.n_y == (4 * 12 + 12) + (4 * 9 + 9) + (3 + 1)
    x, y = game.init(KEY)
    assert x.shape == (game.n_x,) and y.shape == (game.n_y,)
    g = game.generator_params(x)
    for norm in g["norm"]:  # batch norm starts as the identity map
        np.testing.assert_array_equal(norm["scale"], 1.0)
        np.testing.assert_array_equal(norm["shift"], 0.0)
    weights = np.concatenate([np.ravel(layer["w"]) for layer in game.discriminator_params(y)["body"]])
    # 84 draws of N(0, 0.02^2): the sample std is within 25 % of 0.02 with probability
    # > 0.999 (chi-square with 84 degrees of freedom).
    assert 0.015 < weights.std() < 0.025


def test_maxout_is_a_discriminator_option_only():
    with pytest.raises(ValueError, match="activation='maxout' is not accepted.*disc_activation='maxout'"):
        mixture(activation="maxout")
    with pytest.raises(ValueError, match="maxout_pieces=0 is not accepted"):
        mixture(disc_activation="maxout", maxout_pieces=0)
    with pytest.raises(ValueError, match="disc_activation='swish' is not accepted"):
        mixture(disc_activation="swish")
    with pytest.raises(ValueError, match="init_std=-1"):
        mixture(init_std=-1.0)
