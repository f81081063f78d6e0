"""f-divergences, conjugates and f-GAN's variational bound (Nowozin et al. 2016)."""

import math

import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.optimize import minimize_scalar

import gamedyn as gd

D = gd.divergences
NAMES = sorted(D.F_DIVERGENCES)


def numeric_conjugate(f, u):
    """sup_t (t u - f(t)) over t > 0 by a bounded scalar search on log t (independent of
    the closed forms in the registry)."""
    res = minimize_scalar(
        lambda s: -(math.exp(s) * u - float(f(jnp.asarray(math.exp(s))))),
        bounds=(-30.0, 12.0), method="bounded", options={"xatol": 1e-12},
    )
    # Also the boundary t -> 0+: value -f(0+).
    return max(-res.fun, -float(f(jnp.asarray(1e-300))))


@pytest.mark.parametrize("name", NAMES)
def test_generators_are_convex_vanish_at_one_and_conjugates_match_the_supremum(name):
    spec = D.F_DIVERGENCES[name]
    # The GAN generator keeps Nowozin et al.'s constant: f(1) = -log 4 (D_f = 2 JS - log 4).
    f_at_one = -math.log(4) if name == "gan" else 0.0
    assert float(spec.f(jnp.asarray(1.0))) == pytest.approx(f_at_one, abs=1e-15)
    t = np.linspace(0.05, 6.0, 400)
    values = np.asarray(spec.f(jnp.asarray(t)))
    assert np.all(np.diff(values, 2) >= -1e-12)  # convex: second differences >= 0
    low, high = spec.domain
    us = np.linspace(max(low, -4.0), min(high, 3.0), 13)[1:-1]
    for u in us:
        # The bounded search converges to ~1e-9 of the supremum's scale.
        np.testing.assert_allclose(spec.conjugate(jnp.asarray(u)), numeric_conjugate(spec.f, u), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", NAMES)
def test_the_activation_maps_every_real_into_the_domain(name):
    spec = D.F_DIVERGENCES[name]
    t = np.asarray(spec.activation(jnp.linspace(-30.0, 30.0, 601)))
    low, high = spec.domain
    assert np.all(t > low) or low == -np.inf
    # tanh saturates to +-1/2 in float64, which the closed interval [-1/2, 1/2] of TV allows.
    assert np.all(t <= high) if name == "tv" else np.all(t < high)


def test_named_divergences_agree_with_the_dedicated_functions_and_written_out_sums():
    rng = np.random.default_rng(0)
    p, q = rng.dirichlet(np.ones(5)), rng.dirichlet(np.ones(5))
    # rtol 1e-12: the same sum in another arrangement of the same terms.
    same = dict(rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(D.f_divergence(p, q, "kl"), D.kl(p, q), **same)
    np.testing.assert_allclose(D.f_divergence(p, q, "reverse_kl"), D.reverse_kl(p, q), **same)
    np.testing.assert_allclose(D.f_divergence(p, q, "pearson"), D.chi2(p, q), **same)
    np.testing.assert_allclose(D.f_divergence(p, q, "js"), D.js(p, q), **same)
    np.testing.assert_allclose(D.f_divergence(p, q, "tv"), D.tv(p, q), **same)
    np.testing.assert_allclose(D.f_divergence(p, q, "neyman"), np.sum((p - q) ** 2 / p), **same)
    np.testing.assert_allclose(D.f_divergence(p, q, "hellinger"), np.sum((np.sqrt(p) - np.sqrt(q)) ** 2), **same)
    # The original GAN's divergence is 2 JS - log 4 (Goodfellow et al. 2014, Thm 1).
    np.testing.assert_allclose(D.f_divergence(p, q, "gan"), 2 * D.js(p, q) - math.log(4), **same)


@pytest.mark.parametrize(
    "name, disjoint",
    [
        ("kl", math.inf), ("reverse_kl", math.inf), ("pearson", math.inf), ("neyman", math.inf),
        ("hellinger", 2.0), ("js", math.log(2)), ("gan", 0.0), ("tv", 1.0),
    ],
)
def test_disjoint_supports_use_the_limits_of_f(name, disjoint):
    # q f(p/q) at q = 0 is p lim f(t)/t, at p = 0 it is q f(0+): with disjoint supports the
    # divergence is f(0+) + lim f(t)/t.
    value = float(D.f_divergence([0.3, 0.7, 0.0, 0.0], [0.0, 0.0, 0.5, 0.5], name))
    assert value == pytest.approx(disjoint, rel=1e-14) if math.isfinite(disjoint) else value == math.inf
    at_equality = -math.log(4) if name == "gan" else 0.0
    assert float(D.f_divergence([0.2, 0.8], [0.2, 0.8], name)) == pytest.approx(at_equality, abs=1e-15)


@pytest.mark.parametrize("name", NAMES)
def test_the_optimal_critic_makes_the_bound_tight(name):
    rng = np.random.default_rng(1)
    p, q = rng.dirichlet(np.ones(6)), rng.dirichlet(np.ones(6))
    # On a discrete space, E_P[T] and E_Q[f*(T)] are weighted sums over the atoms.
    critic = D.optimal_critic(name, p / q)
    bound = D.variational_bound(name, critic, critic, weights_p=p, weights_q=q)
    np.testing.assert_allclose(bound, D.f_divergence(p, q, name), rtol=1e-12, atol=1e-15)


@given(seed=st.integers(0, 2**31 - 1), name=st.sampled_from(NAMES))
def test_every_critic_gives_a_lower_bound(seed, name):
    # Fenchel-Young: t u - f*(u) <= f(t) for every u, so E_P[T] - E_Q[f*(T)] <= D_f.
    rng = np.random.default_rng(seed)
    p, q = rng.dirichlet(np.ones(6)), rng.dirichlet(np.ones(6))
    raw = rng.normal(scale=3.0, size=6)
    bound = D.variational_bound(name, raw, raw, activated=False, weights_p=p, weights_q=q)
    assert float(bound) <= float(D.f_divergence(p, q, name)) + 1e-12


def test_the_gan_bound_is_the_original_gan_objective():
    # With T = log D (the activation -softplus(-v) = log sigmoid(v)): f*(T) = -log(1 - D),
    # so the bound is E_P[log D] + E_Q[log(1 - D)] (Goodfellow et al. 2014, Eq. 1).
    v_real, v_fake = np.array([0.3, 2.0, -1.0]), np.array([-0.5, 0.1])
    sigmoid = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    expected = np.mean(np.log(sigmoid(v_real))) + np.mean(np.log(1 - sigmoid(v_fake)))
    np.testing.assert_allclose(D.variational_bound("gan", v_real, v_fake, activated=False), expected, rtol=1e-13)


def test_a_critic_outside_the_domain_gives_minus_infinity():
    assert float(D.variational_bound("reverse_kl", [0.0], [0.5])) == -math.inf
    assert float(D.variational_bound("tv", [0.0], [0.7])) == -math.inf
    # Below -1/2 the TV conjugate is finite (the supremum over t >= 0 sits at t = 0).
    assert float(D.variational_bound("tv", [0.0], [-0.9])) == 0.5


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: D.f_divergence([0.5, 0.5], [0.5, 0.5], "renyi"), "divergence='renyi' is not accepted"),
        (lambda: D.variational_bound("kl", 1.0, [1.0]), "critic_p and critic_q"),
        (lambda: D.variational_bound("kl", [1.0, 2.0], [1.0], weights_p=[1.0]), "weights_p has shape (1,)"),
    ],
)
def test_bad_input_is_named(call, message):
    with pytest.raises(ValueError) as info:
        call()
    assert message in str(info.value)
