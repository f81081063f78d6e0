"""The GAN loss family, written once: its closed forms, and the same values from JAX, sympy
and torch (each backend evaluates the one table with its own operations)."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sympy as sp
import torch

import gamedyn as gd
from gamedyn.bridge._losses import TORCH_LOSS_OPS
from gamedyn.games import GAN_LOSSES, JAX_LOSS_OPS
from gamedyn.symbolic._games import SYMPY_LOSS_OPS

POINTS = [-2.5, -0.3, 0.0, 0.4, 0.9]  # inside hinge's linear region t < 1 (sympy's local form)


def softplus(v):
    return math.log1p(math.exp(v))


# f(t) and g(u) written out by hand from the papers (module table of _gan_losses)
CLOSED_FORM = {
    "saturating": (lambda t: -softplus(-t), lambda u: -softplus(u)),
    "nonsaturating": (lambda t: -softplus(-t), lambda u: softplus(-u)),
    "wasserstein": (lambda t: t, lambda u: -u),
    "least_squares": (lambda t: -((t - 1) ** 2) / 2, lambda u: (u - 1) ** 2 / 2),
    "hinge": (lambda t: -max(0.0, 1 - t), lambda u: -u),
}


def test_the_table_is_the_dirac_gans_and_the_bridges_family():
    assert set(CLOSED_FORM) == set(GAN_LOSSES) == set(gd.games.DiracGAN.LOSSES)
    assert set(GAN_LOSSES) <= set(gd.games.MIXTURE_LOSSES)
    assert set(GAN_LOSSES) <= set(gd.bridge.LOSSES)


@pytest.mark.parametrize("loss", sorted(GAN_LOSSES))
def test_every_backend_evaluates_the_closed_form(loss):
    f, g = CLOSED_FORM[loss]
    entry = GAN_LOSSES[loss]
    t = sp.Symbol("t", real=True)
    f_sym, g_sym = entry.f(SYMPY_LOSS_OPS, t), entry.g(SYMPY_LOSS_OPS, t)
    for v in POINTS:
        for backend, ops, wrap in (("jax", JAX_LOSS_OPS, lambda v: jnp.asarray(v, jnp.float64)),
                                   ("torch", TORCH_LOSS_OPS, lambda v: torch.tensor(v, dtype=torch.float64))):
            # tolerance: a few float64 roundings of softplus
            assert float(entry.f(ops, wrap(v))) == pytest.approx(f(v), rel=1e-14, abs=1e-15), backend
            assert float(entry.g(ops, wrap(v))) == pytest.approx(g(v), rel=1e-14, abs=1e-15), backend
        assert float(f_sym.subs(t, v)) == pytest.approx(f(v), rel=1e-14, abs=1e-15)
        assert float(g_sym.subs(t, v)) == pytest.approx(g(v), rel=1e-14, abs=1e-15)


@pytest.mark.parametrize("loss", sorted(GAN_LOSSES))
def test_f_prime_at_zero(loss):
    # d/dt log sigmoid(t) = 1 - sigmoid(t) = 1/2 at 0; every other f has slope 1 there
    expected = 0.5 if loss in ("saturating", "nonsaturating") else 1.0
    gd.enable_x64()
    slope = jax.grad(lambda t: GAN_LOSSES[loss].f(JAX_LOSS_OPS, t))(0.0)
    assert GAN_LOSSES[loss].f_prime_0 == expected
    assert float(slope) == pytest.approx(expected, rel=1e-15)
    assert gd.games.DiracGAN(loss=loss).f_prime_0 == expected


def test_the_mixture_and_the_bridge_give_the_same_losses_on_the_same_logits():
    gd.enable_x64()
    rng = np.random.default_rng(0)
    d_real, d_fake = rng.normal(size=16), rng.normal(size=16)
    for loss in GAN_LOSSES:
        jx, jy = gd.games.adversarial_losses(loss, jnp.asarray(d_real), jnp.asarray(d_fake))
        ty = gd.bridge.discriminator_loss(loss, torch.tensor(d_real), torch.tensor(d_fake))
        tx = gd.bridge.generator_loss(loss, torch.tensor(d_real), torch.tensor(d_fake))
        # the same discriminator loss; the generator's differs by a constant for the minimax
        # losses (the mixture reports -loss_y, the game's value)
        assert float(jy) == pytest.approx(float(ty), rel=1e-14)
        if not GAN_LOSSES[loss].minimax:
            assert float(jx) == pytest.approx(float(tx), rel=1e-14)


def test_the_softplus_of_the_family_differentiates_to_the_exact_logistic():
    # gamedyn's softplus has the derivative sigmoid(t) written out (one logistic, no
    # primal; jax.nn.softplus differentiates to exp(t - softplus(t))). Against the exact
    # derivatives s, s (1 - s), s (1 - s)(1 - 2 s) of s = 1 / (1 + e^-t) in 50-digit
    # arithmetic (mpmath): the first is correctly rounded to a few ulps (rtol 1e-15 = 4.5
    # eps); the higher ones contain 1 - s, which cancels to an absolute error of ~eps for
    # t >> 1, so they are compared absolutely, to 4 eps. jax.nn.softplus's own derivative
    # is as far as 3.3e-15 from the exact value at t = 32 (exp(t - softplus(t)) cancels).
    import mpmath

    from gamedyn.games._gan_losses import softplus as family_softplus

    mpmath.mp.dps = 50
    t = np.concatenate([np.linspace(-40.0, 40.0, 401), [0.0, -1e-300, 1e-300, -700.0, 700.0]])
    s = [1 / (1 + mpmath.exp(-mpmath.mpf(v))) for v in t]
    exact = [np.array([float(v) for v in values]) for values in
             (s, [v * (1 - v) for v in s], [v * (1 - v) * (1 - 2 * v) for v in s])]
    eps = np.finfo(np.float64).eps
    derivative = family_softplus
    for order in range(3):
        derivative = jax.grad(derivative)
        ours = np.asarray(jax.vmap(derivative)(jnp.asarray(t)))
        if order == 0:
            np.testing.assert_allclose(ours, exact[0], rtol=1e-15, atol=0)
        else:
            np.testing.assert_allclose(ours, exact[order], rtol=0, atol=4 * eps)
    np.testing.assert_array_equal(family_softplus(t), jax.nn.softplus(t))  # the value is jax's own
