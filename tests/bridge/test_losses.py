"""The bridge's GAN losses, regularisers and training aids: each value against its formula
(written out in numpy in probability space, or in closed form), the Dirac GAN of the toy
layer as an independent computation of the same games, and a smoke test of every loss
trained by ``GameOptimizer``."""

import jax.numpy as jnp
import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

import gamedyn as gd
from gamedyn.bridge._augment import AugmentDraw, apply_augment, diff_augment, draw_augment
from gamedyn.bridge._backend import TorchOracle
from gamedyn.bridge._losses import (
    EMA,
    LOSSES,
    Adversarial,
    HistoricalAverage,
    adversarial_perturbation,
    discriminator_loss,
    feature_matching_loss,
    gan_losses,
    generator_loss,
    gradient_penalty,
    r1_penalty,
    r2_penalty,
)
from gamedyn.bridge._models import freeze_spectral_norm, make_models


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    # Tiny tensors: on a shared 2-core machine two torch threads per process are ~20x slower.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# -- loss values against their formulas -----------------------------------------------------

D_REAL = np.array([1.3, -0.4, 2.2, 0.1])
D_FAKE = np.array([-1.7, 0.6, -0.2, -2.5])


def sigmoid(t):
    return 1.0 / (1.0 + np.exp(-t))


def reference(loss, dr, df, s=0.0):
    """(loss_y, loss_x) written in the papers' probability form, independently of the code."""
    real_target = 1.0 - s
    if loss in ("saturating", "nonsaturating"):
        # Goodfellow et al. (2014): D maximises E log D(x) + E log(1 - D(G(z))), D = sigmoid
        p_real, p_fake = sigmoid(dr), sigmoid(df)
        ly = (-np.mean(real_target * np.log(p_real) + (1 - real_target) * np.log(1 - p_real))
              - np.mean(np.log(1 - p_fake)))
        lx = np.mean(np.log(1 - p_fake)) if loss == "saturating" else -np.mean(np.log(p_fake))
        return ly, lx
    if loss in ("wasserstein", "wgan_gp"):
        return np.mean(df) - np.mean(dr), -np.mean(df)
    if loss == "least_squares":
        # LSGAN (Mao et al. 2017) with a = -1, b = 1, c = 1 and factors 1/2
        return (0.5 * np.mean((dr - real_target) ** 2) + 0.5 * np.mean((df + 1) ** 2),
                0.5 * np.mean((df - 1) ** 2))
    if loss == "hinge":
        return np.mean(np.maximum(0, 1 - dr)) + np.mean(np.maximum(0, 1 + df)), -np.mean(df)
    if loss == "relativistic":
        # RSGAN (Jolicoeur-Martineau 2019, eq. 9-10): sigmoid of the paired difference
        p = sigmoid(dr - df)
        ly = -np.mean(real_target * np.log(p) + (1 - real_target) * np.log(1 - p))
        return ly, -np.mean(np.log(sigmoid(df - dr)))
    # RaGAN (Jolicoeur-Martineau 2019, Sec. 4.2): against the other batch's mean
    p_r, p_f = sigmoid(dr - df.mean()), sigmoid(df - dr.mean())
    ly = (-np.mean(real_target * np.log(p_r) + (1 - real_target) * np.log(1 - p_r))
          - np.mean(np.log(1 - p_f)))
    lx = -np.mean(np.log(p_f)) - np.mean(np.log(1 - p_r))
    return ly, lx


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_losses_match_their_formulas(loss, smoothing):
    smoothable = loss not in ("wasserstein", "wgan_gp", "hinge")
    if smoothing and not smoothable:
        with pytest.raises(ValueError, match="label_smoothing=0.1 is not accepted with loss="):
            discriminator_loss(loss, torch.zeros(2), torch.zeros(2), label_smoothing=smoothing)
        return
    dr, df = torch.tensor(D_REAL), torch.tensor(D_FAKE)
    ly = discriminator_loss(loss, dr, df, label_smoothing=smoothing).item()
    lx = generator_loss(loss, dr, df).item()
    expected_y, expected_x = reference(loss, D_REAL, D_FAKE, smoothing)
    # float64 with logits in [-2.5, 2.2]: softplus vs log(sigmoid) differ by round-off only
    np.testing.assert_allclose([ly, lx], [expected_y, expected_x], rtol=1e-12, atol=1e-14)


def test_relativistic_average_accepts_unequal_batches_and_rsgan_does_not():
    dr, df = torch.tensor(D_REAL), torch.tensor(D_FAKE[:3])
    ly = discriminator_loss("relativistic_average", dr, df).item()
    np.testing.assert_allclose(ly, reference("relativistic_average", D_REAL, D_FAKE[:3])[0], rtol=1e-12)
    with pytest.raises(ValueError, match="pairs real and generated samples; got 4 real and 3"):
        discriminator_loss("relativistic", dr, df)


# -- gradient penalties against closed forms ------------------------------------------------


def linear_critic(w):
    D = nn.Linear(len(w), 1).double()
    with torch.no_grad():
        D.weight.copy_(torch.tensor([w], dtype=torch.float64))
        D.bias.fill_(0.3)
    return D


def test_r1_r2_and_gp_of_a_linear_critic():
    # D(x) = w.x + b: grad_x D = w at every x, so R1 = R2 = gamma/2 |w|^2 and
    # GP = gamma/2 (|w| - 1)^2, whatever the samples (Mescheder et al. 2018 eq. 9-10;
    # Gulrajani et al. 2017 with lambda = gamma/2).
    w = [0.6, -1.2, 2.0]
    D = linear_critic(w)
    real = torch.randn(5, 3, dtype=torch.float64)
    fake = torch.randn(5, 3, dtype=torch.float64)
    norm = np.linalg.norm(w)
    np.testing.assert_allclose(r1_penalty(D, real, 3.0).item(), 1.5 * norm**2, rtol=1e-14)
    np.testing.assert_allclose(r2_penalty(D, fake, 3.0).item(), 1.5 * norm**2, rtol=1e-14)
    gp = gradient_penalty(D, real, fake, 20.0, generator=torch.Generator().manual_seed(0))
    np.testing.assert_allclose(gp.item(), 10 * (norm - 1) ** 2, rtol=1e-14)
    # the penalties are differentiable in the parameters: d/dw gamma/2 |w|^2 = gamma w,
    # d/dw gamma/2 (|w| - 1)^2 = gamma (|w| - 1) w / |w|
    (g_r1,) = torch.autograd.grad(r1_penalty(D, real, 3.0), D.weight)
    np.testing.assert_allclose(g_r1.numpy()[0], 3.0 * np.array(w), rtol=1e-14)
    (g_gp,) = torch.autograd.grad(gradient_penalty(D, real, fake, 20.0), D.weight)
    np.testing.assert_allclose(g_gp.numpy()[0], 20.0 * (norm - 1) * np.array(w) / norm, rtol=1e-13)


def test_r1_of_a_quadratic_critic_is_per_sample():
    # D(x) = x^T A x / 2: grad D(x_i) = A_sym x_i, so R1 = gamma/2 mean_i |A_sym x_i|^2
    A = np.array([[2.0, 1.0], [0.0, -1.0]])
    A_t = torch.tensor(A)

    def D(x):
        return 0.5 * torch.einsum("ni,ij,nj->n", x, A_t, x)

    x = np.array([[1.0, 2.0], [-0.5, 0.3], [0.0, 1.5]])
    A_sym = 0.5 * (A + A.T)
    expected = 0.5 * 4.0 * np.mean([np.sum((A_sym @ xi) ** 2) for xi in x])
    np.testing.assert_allclose(r1_penalty(D, torch.tensor(x), 4.0).item(), expected, rtol=1e-14)


def test_gradient_penalty_interpolates_with_the_given_weights():
    # D(x) = sum(x^2)/2 has grad D(x_hat) = x_hat: GP = gamma/2 mean(|x_hat_i| - 1)^2 with
    # x_hat_i = e_i real_i + (1 - e_i) fake_i, computed here in numpy
    real = np.array([[1.0, 0.0], [0.0, 2.0]])
    fake = np.array([[-1.0, 1.0], [3.0, 0.0]])
    e = np.array([0.25, 0.5])
    x_hat = e[:, None] * real + (1 - e[:, None]) * fake
    expected = 0.5 * 2.0 * np.mean((np.linalg.norm(x_hat, axis=1) - 1) ** 2)
    value = gradient_penalty(lambda x: 0.5 * (x**2).sum(dim=1), torch.tensor(real), torch.tensor(fake),
                             2.0, weights=torch.tensor(e))
    np.testing.assert_allclose(value.item(), expected, rtol=1e-14)


# -- the toy layer's Dirac GAN, computed by the bridge ---------------------------------------


class PointGenerator(nn.Module):
    """The Dirac GAN's generator: every sample is theta."""

    def __init__(self, theta):
        super().__init__()
        self.theta = nn.Parameter(torch.tensor([theta], dtype=torch.float64))

    def forward(self, z):
        return self.theta.expand(z.shape[0], 1)


class FlippedLinearCritic(nn.Module):
    """``D(x) = -psi x``: Mescheder et al.'s ``D_toy(x) = psi x`` under ``D = -D_toy``."""

    def __init__(self, psi):
        super().__init__()
        self.psi = nn.Parameter(torch.tensor([psi], dtype=torch.float64))

    def forward(self, x):
        return -self.psi * x[:, 0]


def dirac_closure(theta, psi, loss, reg, gamma):
    G, D = PointGenerator(theta), FlippedLinearCritic(psi)
    batch = torch.zeros(3, 1, dtype=torch.float64)  # data: a point mass at 0
    closure = gan_losses(G, D, batch, batch.clone(), loss=loss, reg=reg, gamma=gamma,
                         generator=torch.Generator().manual_seed(0))
    return G, D, closure


DIRAC_LOSSES = ("saturating", "nonsaturating", "wasserstein", "least_squares", "hinge")


def assert_same_losses(loss, reg, theta, psi, gamma):
    *_, closure = dirac_closure(theta, psi, loss, reg, gamma)
    lx, ly = closure()
    game = gd.games.DiracGAN(loss=loss, reg=reg, gamma=gamma)
    tx, ty = game.losses(jnp.array([theta]), jnp.array([psi]))
    # float64 on both sides, values of order 1-50; different operation order: round-off
    np.testing.assert_allclose([lx.item(), ly.item()], [float(tx), float(ty)], rtol=1e-12,
                               atol=1e-13)


@pytest.mark.parametrize("loss", DIRAC_LOSSES)
@pytest.mark.parametrize("reg", [None, "r1", "r2", "gp"])
def test_bridge_losses_are_the_dirac_gan_under_d_to_minus_d(loss, reg):
    for theta, psi in [(0.3, -0.4), (-1.1, 0.8), (0.5, 2.0)]:
        assert_same_losses(loss, reg, theta, psi, 0.7)


@given(loss=st.sampled_from(DIRAC_LOSSES), reg=st.sampled_from([None, "r1", "r2", "gp"]),
       theta=st.floats(-3, 3), psi=st.floats(-3, 3), gamma=st.floats(0, 5))
def test_bridge_losses_are_the_dirac_gan_everywhere(loss, reg, theta, psi, gamma):
    assert_same_losses(loss, reg, theta, psi, gamma)


@pytest.mark.parametrize("loss, reg", [("nonsaturating", "r1"), ("wasserstein", "gp"),
                                       ("hinge", None), ("least_squares", "r2")])
def test_bridge_game_jacobian_is_the_dirac_gan_jacobian(loss, reg):
    theta, psi = 0.3, -0.4
    G, D, closure = dirac_closure(theta, psi, loss, reg, 0.7)
    oracle = TorchOracle(closure, [G.theta], [D.psi])
    x, y = [G.theta.detach().clone()], [D.psi.detach().clone()]
    one, zero = torch.ones(1, dtype=torch.float64), torch.zeros(1, dtype=torch.float64)
    columns = [oracle.jvp(x, y, [one], [zero]), oracle.jvp(x, y, [zero], [one])]
    J = np.array([[col[0][0].item() for col in columns], [col[1][0].item() for col in columns]])
    game = gd.games.DiracGAN(loss=loss, reg=reg, gamma=0.7)
    expected = np.asarray(gd.jacobian(game, jnp.array([theta, psi])))
    np.testing.assert_allclose(J, expected, rtol=1e-12, atol=1e-14)  # float64 round-off


# -- DiffAugment ----------------------------------------------------------------------------


def test_diff_augment_keeps_shapes_is_deterministic_given_a_draw_and_differentiable():
    x = torch.rand(4, 3, 8, 8, dtype=torch.float64) * 2 - 1
    draw = draw_augment(4, 8, "color,translation,cutout", generator=torch.Generator().manual_seed(3),
                        dtype=torch.float64)
    out = apply_augment(x, draw)
    assert out.shape == x.shape
    assert torch.equal(out, apply_augment(x, draw))
    # piecewise affine in x with the draw fixed: gradcheck compares autograd with finite
    # differences (its default tolerances are for float64)
    assert torch.autograd.gradcheck(lambda t: apply_augment(t, draw), (x.clone().requires_grad_(),),
                                    fast_mode=True)
    y = diff_augment(x.float().requires_grad_(), generator=torch.Generator().manual_seed(0))
    assert y.shape == x.shape and y.requires_grad


def test_translation_and_cutout_move_and_mask_the_right_pixels():
    x = torch.arange(2 * 1 * 8 * 8, dtype=torch.float64).reshape(2, 1, 8, 8) + 1
    shift = torch.tensor([[2, -1], [0, 3]])
    out = apply_augment(x, AugmentDraw(shift=shift)).numpy()
    xs = x.numpy()
    for n, (dy, dx) in enumerate(shift.tolist()):
        expected = np.zeros((8, 8))
        for i in range(8):
            for j in range(8):
                if 0 <= i - dy < 8 and 0 <= j - dx < 8:
                    expected[i, j] = xs[n, 0, i - dy, j - dx]
        np.testing.assert_array_equal(out[n, 0], expected)
    centres = torch.tensor([[4, 4], [0, 7]])
    cut = apply_augment(x, AugmentDraw(cutout=centres, cutout_size=(4, 4))).numpy()
    assert (cut[0, 0, 2:6, 2:6] == 0).all() and np.count_nonzero(cut[0] == 0) == 16
    # a square centred on a corner is clipped to 2 x 2 (rows -2..1 and columns 5..8)
    assert (cut[1, 0, 0:2, 5:8] == 0).all() and np.count_nonzero(cut[1] == 0) == 2 * 3


def test_colour_follows_brightness_saturation_contrast():
    x = torch.rand(2, 3, 4, 4, dtype=torch.float64)
    b, s, c = np.array([0.2, -0.3]), np.array([1.5, 0.0]), np.array([0.7, 1.2])
    draw = AugmentDraw(brightness=torch.tensor(b), saturation=torch.tensor(s), contrast=torch.tensor(c))
    out = apply_augment(x, draw).numpy()
    for n in range(2):
        v = x.numpy()[n] + b[n]
        gray = v.mean(axis=0)
        v = gray + (v - gray) * s[n]
        v = v.mean() + (v - v.mean()) * c[n]
        np.testing.assert_allclose(out[n], v, rtol=1e-13)  # float64 round-off


def test_augment_draws_stay_in_the_papers_ranges():
    d = draw_augment(4000, (28, 32), generator=torch.Generator().manual_seed(0))
    assert -0.5 <= d.brightness.min() and d.brightness.max() <= 0.5
    assert 0.0 <= d.saturation.min() and d.saturation.max() <= 2.0
    assert 0.5 <= d.contrast.min() and d.contrast.max() <= 1.5
    # shifts up to 1/8 of each side (28/8 = 3.5 rounds to 4, 32/8 = 4), every value drawn
    assert set(d.shift[:, 0].tolist()) == set(range(-4, 5))
    assert set(d.shift[:, 1].tolist()) == set(range(-4, 5))
    assert d.cutout_size == (14, 16)
    with pytest.raises(ValueError, match="augment='flip' is not accepted"):
        draw_augment(2, 8, "color,flip")


# -- averages ------------------------------------------------------------------------------


def test_ema_follows_its_recursion_and_copies_buffers():
    G = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    ema = EMA(G, beta=0.8, warmup=1)
    rng = np.random.default_rng(0)
    thetas = []
    for _ in range(5):
        with torch.no_grad():
            for p in G.parameters():
                p.copy_(torch.tensor(rng.normal(size=p.shape)))
        G(torch.randn(4, 2))  # moves the batch-norm running statistics
        ema.update()
        thetas.append([p.detach().clone().numpy() for p in G.parameters()])
    # warm-up step copies theta_1, then theta_EMA <- 0.8 theta_EMA + 0.2 theta_t
    expected = thetas[0]
    for t in thetas[1:]:
        expected = [0.8 * e + 0.2 * v for e, v in zip(expected, t)]
    for got, want in zip(ema.model.parameters(), expected):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-6)  # float32 round-off
    np.testing.assert_array_equal(ema.model[1].running_mean.numpy(), G[1].running_mean.numpy())
    assert not ema.model.training


def test_historical_average_is_the_running_mean_and_its_penalty_the_distance():
    p = nn.Parameter(torch.zeros(3, dtype=torch.float64))
    hist = HistoricalAverage([p], weight=0.5)
    values = [np.zeros(3)]
    rng = np.random.default_rng(1)
    for _ in range(4):
        v = rng.normal(size=3)
        with torch.no_grad():
            p.copy_(torch.tensor(v))
        hist.update()
        values.append(v)
    mean = np.mean(values, axis=0)  # Salimans et al.: (1/t) sum_{i=1}^t theta[i]
    np.testing.assert_allclose(hist.average[0].numpy(), mean, rtol=1e-14)
    penalty = hist.penalty()
    np.testing.assert_allclose(penalty.item(), 0.5 * np.sum((values[-1] - mean) ** 2), rtol=1e-14)
    (grad,) = torch.autograd.grad(penalty, p)
    np.testing.assert_allclose(grad.numpy(), 2 * 0.5 * (values[-1] - mean), rtol=1e-14)


# -- adversarial perturbation ---------------------------------------------------------------


def test_adversarial_perturbation_of_a_linear_critic_is_the_signed_corner():
    # D(x) = w.x + b: loss_y = E D_f - E D_r (Wasserstein) rises fastest along -sign(w) on real
    # and +sign(w) on generated inputs; PGD ends on that corner of the eps-ball, and the
    # loss rises by eps |w|_1 on each side.
    w = [0.5, -2.0, 0.0, 1.0]
    D = linear_critic(w)
    real, fake = torch.randn(3, 4, dtype=torch.float64), torch.randn(3, 4, dtype=torch.float64)
    attack = Adversarial(0.05, steps=4)
    dr, df = adversarial_perturbation(D, "wasserstein", real, fake, attack)
    sign = np.sign(w)
    np.testing.assert_array_equal(dr.numpy(), np.tile(-0.05 * sign, (3, 1)))
    np.testing.assert_array_equal(df.numpy(), np.tile(0.05 * sign, (3, 1)))
    only_real = adversarial_perturbation(D, "nonsaturating", real, fake, Adversarial(0.05, targets="real"))
    np.testing.assert_array_equal(only_real[0].numpy(), np.tile(-0.05 * sign, (3, 1)))
    assert not only_real[1].any()

    closure = gan_losses(lambda z: fake, D, real, torch.zeros(3, 1), loss="wasserstein",
                         adversarial=attack)
    _, ly = closure()
    clean = (D(fake).mean() - D(real).mean()).item()
    np.testing.assert_allclose(ly.item(), clean + 2 * 0.05 * np.abs(w).sum(), rtol=1e-13)


# -- the closure ----------------------------------------------------------------------------


def tiny_pair(**kwargs):
    opts = dict(image_size=28, channels=1, width=4, latent=8, seed=0)
    return make_models(**{**opts, **kwargs})


def test_closure_is_a_deterministic_function_of_the_parameters():
    G, D = tiny_pair(spectral_norm=(False, True))
    freeze_spectral_norm(D)
    real = torch.rand(6, 1, 28, 28) * 2 - 1
    closure = gan_losses(G, D, real, G.sample_latent(6), loss="wgan_gp", instance_noise=0.1,
                         augment="color,translation,cutout", generator=torch.Generator().manual_seed(0))
    first = [t.item() for t in closure()]
    saved = [p.detach().clone() for p in D.parameters()]
    with torch.no_grad():  # move the parameters and come back: same game, same values
        for p in D.parameters():
            p.add_(0.1)
        moved = [t.item() for t in closure()]  # the penalty still gets its input gradient
    with torch.no_grad():
        for p, s in zip(D.parameters(), saved):
            p.copy_(s)
    assert first != moved
    assert [t.item() for t in closure()] == first


def test_instance_noise_has_the_requested_scale():
    seen = []

    def D(x):
        seen.append(x.detach().clone())
        return x.flatten(1).sum(dim=1)

    real = torch.zeros(500, 1, 4, 4, dtype=torch.float64)
    z = torch.zeros(500, 1, dtype=torch.float64)
    closure = gan_losses(lambda z: torch.zeros(len(z), 1, 4, 4, dtype=torch.float64), D, real, z,
                         reg="instance_noise", gamma=0.3, generator=torch.Generator().manual_seed(0))
    closure()
    real_in, fake_in = seen
    for noise in (real_in, fake_in):
        # 8000 draws: the sample std's relative standard error is 1/sqrt(2 * 8000) = 0.8%; 5 sigma
        assert abs(noise.std().item() / 0.3 - 1) < 5 / np.sqrt(2 * noise.numel())
    assert not torch.equal(real_in, fake_in)  # independent draws for the two batches


def test_feature_matching_replaces_the_generator_loss():
    G, D = tiny_pair()
    real = torch.rand(4, 1, 28, 28) * 2 - 1
    z = G.sample_latent(4, generator=torch.Generator().manual_seed(0))
    closure = gan_losses(G, D, real, z, feature_matching=True)
    lx, ly = closure()
    # the same forward passes made by hand; batch norm in training mode sees the same batches
    expected = ((D.features(real).mean(0) - D.features(G(z)).mean(0)) ** 2).sum()
    torch.testing.assert_close(lx, expected, rtol=1e-5, atol=1e-7)  # float32 round-off
    torch.testing.assert_close(feature_matching_loss(D.features(real), D.features(G(z))), expected)


SMOKE = [
    dict(loss="saturating"),
    dict(loss="nonsaturating", reg="r1", gamma=1.0, label_smoothing=0.1),
    dict(loss="wasserstein"),  # with clipping, below
    dict(loss="wgan_gp"),
    dict(loss="least_squares", reg="r2", gamma=1.0),
    dict(loss="hinge", augment="color,translation,cutout"),
    dict(loss="relativistic", instance_noise=0.1),
    dict(loss="relativistic_average", feature_matching=True),
    dict(loss="nonsaturating", adversarial=Adversarial(0.01, steps=2)),
    dict(loss="hinge", history=True),
]


@pytest.mark.parametrize("opts", SMOKE, ids=[str(o) for o in SMOKE])
def test_every_loss_trains_a_few_steps_without_nan(opts):
    opts = dict(opts)
    G, D = tiny_pair(spectral_norm=(False, opts.get("loss") == "hinge"))
    history = opts.pop("history", False)
    hx = HistoricalAverage(G.parameters(), 0.1) if history else None
    hy = HistoricalAverage(D.parameters(), 0.1) if history else None
    project = gd.bridge.clip_projection(0.01) if opts["loss"] == "wasserstein" else None
    rule = gd.optim.gda(2e-4, alternating=True, base=gd.optim.adam(b1=0.5, b2=0.999))
    opt = gd.bridge.GameOptimizer(rule, G.parameters(), D.parameters(), project_y=project)
    rng = torch.Generator().manual_seed(0)
    before = [p.detach().clone() for p in G.parameters()]
    for _ in range(3):
        real = torch.rand(6, 1, 28, 28, generator=rng) * 2 - 1
        closure = gan_losses(G, D, real, G.sample_latent(6, generator=rng), history_x=hx,
                             history_y=hy, generator=rng, **opts)
        loss_x, loss_y = opt.step(closure)
        assert torch.isfinite(loss_x) and torch.isfinite(loss_y)
        if history:
            hx.update()
            hy.update()
    assert all(torch.isfinite(p).all() for p in list(G.parameters()) + list(D.parameters()))
    assert any(not torch.equal(a, b) for a, b in zip(before, G.parameters()))
    if project is not None:
        assert max(float(p.detach().abs().max()) for p in D.parameters()) <= 0.01


def test_extragradient_sees_one_batch_per_step():
    # extragradient evaluates the closure twice per step; both must see the same game, so
    # the step equals the one computed by hand from the closure's gradients
    G, D = tiny_pair(norm="none")
    real = torch.rand(4, 1, 28, 28) * 2 - 1
    closure = gan_losses(G, D, real, G.sample_latent(4), loss="hinge", augment="translation",
                         instance_noise=0.05)
    params = list(G.parameters()) + list(D.parameters())
    n_g = len(list(G.parameters()))
    start = [p.detach().clone() for p in params]

    def field():
        lx, ly = closure()
        gx = torch.autograd.grad(lx, params[:n_g], retain_graph=True)  # G's graph is shared
        gy = torch.autograd.grad(ly, params[n_g:])
        return [-g for g in gx + gy]

    lr = 0.01
    half = [s + lr * f for s, f in zip(start, field())]
    with torch.no_grad():
        for p, h in zip(params, half):
            p.copy_(h)
    f_half = field()
    expected = [s + lr * f for s, f in zip(start, f_half)]
    with torch.no_grad():
        for p, s in zip(params, start):
            p.copy_(s)
    gd.bridge.GameOptimizer(gd.optim.extragradient(lr), G.parameters(), D.parameters()).step(closure)
    for p, e in zip(params, expected):
        torch.testing.assert_close(p.detach(), e, rtol=1e-5, atol=1e-7)  # float32 round-off


# -- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs, message", [
    (dict(loss="minimax"), "loss='minimax' is not accepted"),
    (dict(reg="r3"), "reg='r3' is not accepted"),
    (dict(loss="wgan_gp", reg="r1"), "reg='r1' is not accepted with loss='wgan_gp'"),
    (dict(loss="hinge", label_smoothing=0.1), "label_smoothing=0.1 is not accepted with loss='hinge'"),
    (dict(label_smoothing=1.0), "label_smoothing=1.0 is not accepted; expected 0 <= s < 1"),
    (dict(reg="instance_noise"), "reg='instance_noise' needs gamma"),
    (dict(reg="r1", gamma=-1.0), "gamma=-1.0 is not accepted"),
    (dict(instance_noise=-0.1), "instance_noise=-0.1 is not accepted"),
    (dict(augment="rotate"), "augment='rotate' is not accepted"),
    (dict(adversarial=0.1), "adversarial=0.1 is not accepted"),
    (dict(history_x=[1.0]), "history_x=[1.0] is not accepted"),
])
def test_bad_options_are_named(kwargs, message):
    G, D = tiny_pair()
    with pytest.raises(ValueError) as info:
        gan_losses(G, D, torch.zeros(4, 1, 28, 28), torch.zeros(4, 8), **kwargs)
    assert message in str(info.value)


def test_batches_that_cannot_be_paired_are_named():
    G, D = tiny_pair()
    real, z = torch.zeros(4, 1, 28, 28), torch.zeros(3, 8)
    with pytest.raises(ValueError, match="gradient penalty pairs real and generated samples"):
        gan_losses(G, D, real, z, loss="wgan_gp")
    with pytest.raises(ValueError, match="loss='relativistic' pairs real and generated samples"):
        gan_losses(G, D, real, z, loss="relativistic")
    with pytest.raises(ValueError, match="feature_matching=True needs D.forward_with_features"):
        gan_losses(G, lambda x: x.sum(), real, z, feature_matching=True)
    with pytest.raises(ValueError, match="epsilon=0 is not accepted"):
        Adversarial(0)
