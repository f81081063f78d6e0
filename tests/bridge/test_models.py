"""The bridge's DCGAN-family models: shapes for every option, parameter counts against a hand
count, spectral norm against an SVD, and the attention / minibatch layers against their
formulas written out in numpy."""

import itertools

import numpy as np
import pytest
import torch

from gamedyn.bridge._models import (
    Discriminator,
    MinibatchDiscrimination,
    MinibatchStdDev,
    SelfAttention,
    SmoothLeaky,
    attention_sides,
    count_parameters,
    freeze_spectral_norm,
    make_models,
    power_iteration,
)

BATCH = 6
WIDTH = 4  # tiny networks keep every forward pass in milliseconds on a CPU


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    # Tiny tensors: thread start-up costs more than it saves, and on a shared 2-core machine
    # two threads per process slow these tests down twentyfold.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)

# -- shapes for every option ----------------------------------------------------------------


def _option_sets(arch, size):
    sides_g, sides_d = attention_sides(arch, size)
    sets = [
        dict(channels=1),
        dict(channels=3),
        dict(channels=3, norm="instance", spectral_norm=True),
        dict(channels=1, norm="none", spectral_norm=(False, True)),
        dict(channels=1, norm=("batch", "instance")),
        dict(channels=3, minibatch_std=True, minibatch_std_group=4),  # 6 samples: groups of 3
        dict(channels=1, minibatch_discrimination=(5, 3)),
        dict(channels=3, norm="none", spectral_norm=True, minibatch_std=True,
             minibatch_discrimination=(4, 2), attention=(sides_g[-1], sides_d[0])),
        dict(channels=1, activation="smooth"),
    ]
    for g, d in itertools.zip_longest(sides_g, sides_d):
        sets.append(dict(channels=1, attention=(g, d)))
    return sets


CASES = [(arch, size, opts) for arch in ("dcgan", "resnet") for size in (28, 32)
         for opts in _option_sets(arch, size)]


@pytest.mark.parametrize("arch, size, opts", CASES,
                         ids=[f"{a}-{s}-{i}" for i, (a, s, _) in enumerate(CASES)])
def test_shapes_for_every_option(arch, size, opts):
    G, D = make_models(arch, image_size=size, width=WIDTH, latent=7, seed=0, **opts)
    channels = opts["channels"]
    z = G.sample_latent(BATCH, generator=torch.Generator().manual_seed(1))
    images = G(z)
    assert images.shape == (BATCH, channels, size, size)
    assert float(images.detach().abs().max()) <= 1.0  # Tanh output
    logits, features = D.forward_with_features(images)
    assert logits.shape == (BATCH,)
    assert features.shape == (BATCH, D.feature_dim)
    assert torch.isfinite(logits).all() and torch.isfinite(features).all()
    # the attention blocks sit at the requested side lengths
    seen = []
    hooks = [m.register_forward_pre_hook(lambda mod, inp: seen.append(inp[0].shape[-1]))
             for net in (G, D) for m in net.modules() if isinstance(m, SelfAttention)]
    D(G(z))
    for h in hooks:
        h.remove()
    g_side, d_side = opts.get("attention", (None, None))
    assert seen == [s for s in (g_side, d_side) if s is not None]


def test_features_are_the_penultimate_layer():
    # Without minibatch layers the read-out is linear in the features: D(x) = w . f(x) + b.
    for arch in ("dcgan", "resnet"):
        G, D = make_models(arch, image_size=32, width=WIDTH, seed=0)
        x = torch.rand(3, 3, 32, 32) * 2 - 1
        logits, features = D.forward_with_features(x)
        expected = features @ D.head.weight[0] + D.head.bias
        # float32 sums in a different order: a few ulps of the logits' size
        torch.testing.assert_close(logits, expected, rtol=1e-5, atol=1e-5)


# -- parameter counts against a hand count --------------------------------------------------


def _attention_count(c):
    inner = max(c // 8, 1)
    return 4 * c * inner + 1  # W_f, W_g, W_h (c -> c/8), W_v (c/8 -> c), gamma


def _norm_count(norm, c):
    return 0 if norm == "none" else 2 * c  # affine scale and shift


def hand_count_dcgan(size, c, w, latent, norm_g="batch", norm_d="batch", att_g=None, att_d=None,
                     mbstd=False, mbdisc=None):
    k = 4 if size == 32 else 3  # the first two G kernels and the third D kernel
    r = 4 if size == 32 else 3  # side of the first G / last D feature map
    g = 0
    # generator: transposed convolutions latent -> 4w -> 2w -> w -> c
    for cin, cout, kk in ((latent, 4 * w, k), (4 * w, 2 * w, k), (2 * w, w, 4)):
        g += cin * cout * kk * kk + _norm_count(norm_g, cout) + (cout if norm_g == "none" else 0)
    g += w * c * 16 + c  # output layer has a bias, no norm
    g_channels = {r: 4 * w, 2 * r + (size == 28): 2 * w, size // 2: w}
    if att_g is not None:
        g += _attention_count(g_channels[att_g])
    d = c * w * 16 + w  # input layer: bias, no norm
    for cin, cout, kk in ((w, 2 * w, 4), (2 * w, 4 * w, k)):
        d += cin * cout * kk * kk + _norm_count(norm_d, cout) + (cout if norm_d == "none" else 0)
    d_channels = {size // 2: w, size // 4: 2 * w, r: 4 * w}
    if att_d is not None:
        d += _attention_count(d_channels[att_d])
    flat = (4 * w + (1 if mbstd else 0)) * r * r
    head_in = flat
    if mbdisc is not None:
        d += flat * mbdisc[0] * mbdisc[1]
        head_in += mbdisc[0]
    d += head_in + 1
    return g, d


def hand_count_resnet(size, c, w, latent, norm_g="batch", norm_d="none", mbstd=False):
    cg, cd = 4 * w, 2 * w
    start = 4 if size == 32 else 7
    conv3 = lambda cin, cout: 9 * cin * cout + cout  # noqa: E731 - every SNGAN conv has a bias
    conv1 = lambda cin, cout: cin * cout + cout  # noqa: E731
    g = latent * cg * start * start + cg * start * start
    ups = (True, True, True) if size == 32 else (False, True, True)
    for up in ups:
        g += 2 * _norm_count(norm_g, cg) + 2 * conv3(cg, cg) + (conv1(cg, cg) if up else 0)
    g += _norm_count(norm_g, cg) + conv3(cg, c)
    # D: optimised block (c -> cd, down), block (down), two plain blocks
    d = conv3(c, cd) + conv3(cd, cd) + _norm_count(norm_d, cd) + conv1(c, cd)
    d += 2 * _norm_count(norm_d, cd) + 2 * conv3(cd, cd) + conv1(cd, cd)
    d += 2 * (2 * _norm_count(norm_d, cd) + 2 * conv3(cd, cd))
    d += cd + (1 if mbstd else 0) + 1
    return g, d


COUNT_CASES = [
    ("dcgan", 32, 3, 3, 5, dict()),
    ("dcgan", 28, 1, 3, 5, dict()),
    ("dcgan", 32, 1, 2, 4, dict(norm=("none", "instance"))),
    ("dcgan", 28, 3, 16, 6, dict(norm=("instance", "none"), attention=(7, 14), minibatch_std=True,
                                minibatch_discrimination=(3, 2))),
    ("dcgan", 32, 3, 16, 6, dict(attention=(16, 4), minibatch_discrimination=(4, 5))),
    ("resnet", 32, 3, 3, 5, dict()),
    ("resnet", 28, 1, 3, 5, dict(norm=("instance", "batch"), minibatch_std=True)),
]


@pytest.mark.parametrize("arch, size, c, w, latent, opts", COUNT_CASES)
def test_parameter_counts_match_a_hand_count(arch, size, c, w, latent, opts):
    G, D = make_models(arch, image_size=size, channels=c, width=w, latent=latent, seed=0, **opts)
    if arch == "dcgan":
        norm = opts.get("norm", ("batch", "batch"))
        att = opts.get("attention", (None, None))
        expected = hand_count_dcgan(size, c, w, latent, *norm, *att,
                                    mbstd=opts.get("minibatch_std", False),
                                    mbdisc=opts.get("minibatch_discrimination"))
    else:
        norm = opts.get("norm", ("batch", "none"))
        expected = hand_count_resnet(size, c, w, latent, *norm, mbstd=opts.get("minibatch_std", False))
    assert (count_parameters(G), count_parameters(D)) == expected


@pytest.mark.parametrize("arch, size, c, latent, documented", [
    ("dcgan", 32, 3, 100, (1_068_931, 663_361)),
    ("dcgan", 28, 1, 100, (658_305, 430_145)),
    ("resnet", 32, 3, 128, (4_276_739, 1_053_825)),
    ("resnet", 28, 1, 128, (5_296_129, 1_051_265)),
])
def test_documented_default_counts_are_the_hand_counts(arch, size, c, latent, documented):
    # the table in gamedyn/bridge/_models.py's docstring, against the hand count at w = 64
    hand = (hand_count_dcgan if arch == "dcgan" else hand_count_resnet)(size, c, 64, latent)
    assert hand == documented
    # spectral norm adds buffers (u, v), not parameters
    G, D = make_models(arch, image_size=size, channels=c, width=8, spectral_norm=True, seed=0)
    G0, D0 = make_models(arch, image_size=size, channels=c, width=8, spectral_norm=False, seed=0)
    assert count_parameters(D) == count_parameters(D0)
    assert count_parameters(G) == count_parameters(G0)


# -- spectral norm --------------------------------------------------------------------------


def _normalised_matrices(net):
    """Each spectral-normalised weight as Miyato et al.'s matrix (out, in * k * k), numpy."""
    out = []
    for m in net.modules():
        if hasattr(m, "parametrizations") and "weight" in m.parametrizations:
            w = m.weight.detach().double().numpy()
            if isinstance(m, torch.nn.ConvTranspose2d):  # stored (in, out, k, k)
                w = np.swapaxes(w, 0, 1)
            out.append(w.reshape(w.shape[0], -1))
    return out


@pytest.mark.parametrize("arch", ["dcgan", "resnet"])
def test_spectral_norm_is_one_after_power_iterations(arch):
    G, D = make_models(arch, image_size=32, width=WIDTH, spectral_norm=True, attention=(8, 8),
                       seed=0)
    for net in (G, D):
        n_layers = power_iteration(net, 300)
        matrices = _normalised_matrices(net)
        assert n_layers == len(matrices) > 0
        sigmas = np.array([np.linalg.norm(m, 2) for m in matrices])  # LAPACK SVD
        # 300 power iterations shrink the error of the estimate by (s2/s1)^600; the remaining
        # error is float32 round-off in W v (relative ~1e-6), so 1e-4 has margin.
        np.testing.assert_allclose(sigmas, 1.0, atol=1e-4)
        # the raw weights were not unit-norm to begin with (so the test can fail)
        raw = [p.detach().numpy() for n, p in net.named_parameters() if n.endswith("original")]
        assert max(abs(np.linalg.norm(r.reshape(r.shape[0], -1), 2) - 1) for r in raw) > 0.1


def test_training_mode_forward_passes_run_the_power_iteration():
    G, D = make_models("dcgan", image_size=28, channels=1, width=WIDTH, norm="none",
                       spectral_norm=(False, True), seed=0)
    x = torch.rand(4, 1, 28, 28)
    for _ in range(300):
        D(x)  # one power iteration each (torch's parametrisation, training mode)
    sigmas = np.array([np.linalg.norm(m, 2) for m in _normalised_matrices(D)])
    np.testing.assert_allclose(sigmas, 1.0, atol=1e-4)  # as above


def test_frozen_spectral_norm_makes_the_forward_pass_a_function_of_the_parameters():
    G, D = make_models("dcgan", image_size=32, width=WIDTH, spectral_norm=True, seed=0)
    x = torch.rand(4, 3, 32, 32)
    # live power iteration: the same input gives (slightly) different outputs
    assert not torch.equal(D(x), D(x))
    assert freeze_spectral_norm(D) == 4 and freeze_spectral_norm(G) == 4
    first = D(x)
    assert torch.equal(first, D(x))  # batch norm still in training mode, but deterministic
    assert D.training and all(m.training for m in D.modules() if isinstance(m, torch.nn.BatchNorm2d))
    u_before = [b.clone() for n, b in D.named_buffers() if n.endswith("_u")]
    power_iteration(D, 1)  # the explicit once-per-step iteration still moves u
    u_after = [b for n, b in D.named_buffers() if n.endswith("_u")]
    assert any(not torch.equal(a, b) for a, b in zip(u_before, u_after))
    freeze_spectral_norm(D, frozen=False)
    assert not torch.equal(D(x), D(x))


# -- building blocks against their formulas -------------------------------------------------


def test_self_attention_matches_the_sagan_equations():
    torch.manual_seed(0)
    block = SelfAttention(16).double()
    with torch.no_grad():
        block.gamma.fill_(0.7)
    x = torch.randn(2, 16, 3, 3, dtype=torch.float64)
    out = block(x).detach().numpy()
    Wf, Wg, Wh, Wv = (getattr(block, k).weight.detach().numpy()[:, :, 0, 0] for k in "fghv")
    xs = x.numpy().reshape(2, 16, 9)  # positions i = 0..8
    for n in range(2):
        expected = np.empty((16, 9))
        for j in range(9):
            s = np.array([(Wf @ xs[n, :, i]) @ (Wg @ xs[n, :, j]) for i in range(9)])
            beta = np.exp(s - s.max()) / np.exp(s - s.max()).sum()  # softmax over i
            o_j = Wv @ sum(beta[i] * (Wh @ xs[n, :, i]) for i in range(9))
            expected[:, j] = 0.7 * o_j + xs[n, :, j]
        # float64 throughout; sums in a different order: round-off
        np.testing.assert_allclose(out[n].reshape(16, 9), expected, rtol=1e-12, atol=1e-12)


def test_minibatch_std_matches_its_formula():
    x = torch.randn(6, 3, 2, 2, dtype=torch.float64)
    out = MinibatchStdDev(group_size=4, eps=1e-8)(x).numpy()  # 6 samples: 2 groups of 3
    xs = x.numpy()
    for group in (slice(0, 3), slice(3, 6)):
        std = np.sqrt(xs[group].var(axis=0) + 1e-8)  # population variance over the group
        np.testing.assert_allclose(out[group, 3], std.mean(), rtol=1e-12)
    np.testing.assert_array_equal(out[:, :3], xs)


def test_minibatch_discrimination_matches_salimans_et_al():
    torch.manual_seed(0)
    layer = MinibatchDiscrimination(4, kernels=3, kernel_dim=2).double()
    with torch.no_grad():
        layer.T.normal_()
    f = torch.randn(5, 4, dtype=torch.float64)
    out = layer(f).detach().numpy()
    T = layer.T.detach().numpy().reshape(4, 3, 2)
    M = np.einsum("na,abc->nbc", f.numpy(), T)
    o = np.array([[sum(np.exp(-np.abs(M[i, b] - M[j, b]).sum()) for j in range(5)) for b in range(3)]
                  for i in range(5)])
    np.testing.assert_allclose(out, np.concatenate([f.numpy(), o], axis=1), rtol=1e-12)


def test_dcgan_initialisation_is_normal_0_02():
    G, D = make_models("dcgan", image_size=32, width=64, seed=0)
    w = G.net[1].weight.detach().numpy().ravel()  # 100 * 256 * 16 = 409,600 draws
    # the sample std of N draws has relative standard error 1/sqrt(2N) ~ 1.1e-3; 5 sigma
    assert abs(w.std() / 0.02 - 1) < 5 * (2 * w.size) ** -0.5
    assert abs(w.mean()) < 5 * 0.02 / w.size ** 0.5
    bn = G.net[2].weight.detach().numpy()  # N(1, 0.02)
    assert abs(bn.mean() - 1) < 5 * 0.02 / bn.size ** 0.5


def test_seed_makes_models_reproducible_and_leaves_the_global_rng_alone():
    torch.manual_seed(123)
    state = torch.get_rng_state()
    G1, D1 = make_models("resnet", image_size=28, channels=1, width=WIDTH, seed=5)
    assert torch.equal(torch.get_rng_state(), state)
    G2, D2 = make_models("resnet", image_size=28, channels=1, width=WIDTH, seed=5)
    for a, b in zip(list(G1.state_dict().values()) + list(D1.state_dict().values()),
                    list(G2.state_dict().values()) + list(D2.state_dict().values())):
        assert torch.equal(a, b)


def test_models_differentiate_twice_through_every_layer():
    # R1 and the game Jacobian need double backward through attention, SN, norms, minibatch
    G, D = make_models("dcgan", image_size=28, channels=1, width=WIDTH, norm=("batch", "instance"),
                       spectral_norm=True, attention=(7, 7), minibatch_std=True,
                       minibatch_discrimination=(3, 2), seed=0)
    x = (torch.rand(4, 1, 28, 28) * 2 - 1).requires_grad_()
    (grad,) = torch.autograd.grad(D(x).sum(), x, create_graph=True)
    second = torch.autograd.grad(grad.pow(2).sum(), list(D.parameters()), allow_unused=True)
    assert any(g is not None and float(g.abs().sum()) > 0 for g in second)


# -- the smooth activation ------------------------------------------------------------------


def test_smooth_leaky_is_gelu_based_and_twice_differentiable_at_zero():
    # GELU(x) = x Phi(x): far from 0 it is ReLU (Phi(8) = 1 - 6.2e-16), so SmoothLeaky(a) is
    # LeakyReLU(a) there; at 0 its second derivative is (1 - a) 2 phi(0) = (1 - a) sqrt(2 / pi),
    # finite where ReLU's is a Dirac delta.
    from math import erf, pi, sqrt

    x = torch.tensor([-9.0, -8.0, 8.0, 9.0, 0.3, -0.7], dtype=torch.float64)
    for leak in (0.0, 0.2):
        act = SmoothLeaky(leak)
        far = act(x[:4])
        torch.testing.assert_close(far, torch.nn.LeakyReLU(leak)(x[:4]), rtol=0, atol=1e-14)
        near = [leak * v + (1 - leak) * v * 0.5 * (1 + erf(v / sqrt(2))) for v in x[4:].tolist()]
        torch.testing.assert_close(act(x[4:]), torch.tensor(near, dtype=torch.float64), rtol=1e-15, atol=0)
        zero = torch.zeros(1, dtype=torch.float64, requires_grad=True)
        (first,) = torch.autograd.grad(act(zero).sum(), zero, create_graph=True)
        (second,) = torch.autograd.grad(first.sum(), zero)
        assert abs(float(first) - (leak + (1 - leak) * 0.5)) < 1e-15  # Phi(0) = 1/2
        assert abs(float(second) - (1 - leak) * sqrt(2 / pi)) < 1e-15


@pytest.mark.parametrize("arch", ["dcgan", "resnet"])
def test_smooth_models_have_the_relu_models_parameters_and_no_relu(arch):
    # the activation has no parameters: the same seed gives the same weights, and a checkpoint
    # of one loads into the other
    relu = make_models(arch, image_size=28, channels=1, width=WIDTH, seed=0)
    smooth = make_models(arch, image_size=28, channels=1, width=WIDTH, activation="smooth", seed=0)
    for a, b in zip(relu, smooth):
        assert list(a.state_dict()) == list(b.state_dict())
        assert all(torch.equal(u, v) for u, v in zip(a.state_dict().values(), b.state_dict().values()))
        kinds = {type(m) for m in b.modules()}
        assert SmoothLeaky in kinds and not kinds & {torch.nn.ReLU, torch.nn.LeakyReLU}
        z = torch.randn(3, 128 if arch == "resnet" else 100) if a is relu[0] else torch.randn(3, 1, 28, 28)
        assert not torch.equal(a(z), b(z))  # and they compute something else
    leaks = {m.leak for m in smooth[1].modules() if isinstance(m, SmoothLeaky)}
    assert leaks == ({0.2} if arch == "dcgan" else {0.0})  # DCGAN's D is leaky, SNGAN's is not


# -- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs, message", [
    (dict(arch="stylegan"), "arch='stylegan' is not accepted"),
    (dict(image_size=64), "image_size=64 is not accepted"),
    (dict(channels=2), "channels=2 is not accepted"),
    (dict(width=0), "width=0 is not accepted"),
    (dict(norm="layer"), "norm='layer' is not accepted"),
    (dict(norm=("batch", "none", "none")), "expected one value or a pair (G, D)"),
    (dict(spectral_norm="yes"), "spectral_norm='yes' is not accepted"),
    (dict(attention=32), "attention (generator)=32 is not accepted; expected one of None, 4, 8, 16"),
    (dict(attention=(None, 2)), "attention (discriminator)=2 is not accepted"),
    (dict(minibatch_discrimination=50), "minibatch_discrimination=50 is not accepted"),
    (dict(init="he"), "init='he' is not accepted"),
    (dict(activation="tanh"), "activation='tanh' is not accepted; expected one of 'relu', 'smooth'"),
])
def test_bad_options_are_named(kwargs, message):
    with pytest.raises(ValueError) as info:
        make_models(**{"width": WIDTH, **kwargs})
    assert message in str(info.value)


def test_bad_batches_are_named():
    G, D = make_models(image_size=28, channels=1, width=WIDTH, latent=5, seed=0)
    with pytest.raises(ValueError, match=r"z has shape \(2, 4\); expected \(n, 5\)"):
        G(torch.zeros(2, 4))
    with pytest.raises(ValueError, match=r"expected \(n, 1, 28, 28\) images"):
        D(torch.zeros(2, 3, 28, 28))
    with pytest.raises(ValueError, match="norm='group' is not accepted"):
        Discriminator(arch="dcgan", image_size=28, channels=1, width=WIDTH, norm="group")
    with pytest.raises(ValueError, match=r"attention \(discriminator\)=28 is not accepted"):
        Discriminator(arch="resnet", image_size=28, channels=1, width=WIDTH, norm="none", attention=28)
