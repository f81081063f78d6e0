"""Composition and parallel-branch bounds against exact SVDs and attained examples."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import gamedyn as gd

L = gd.lipschitz


def mlp(weights, activation=jax.nn.relu):
    def f(x):
        for w in weights[:-1]:
            x = activation(w @ x)
        return weights[-1] @ x

    return f


def random_weights(seed, sizes=(2, 16, 16, 1)):
    rng = np.random.default_rng(seed)
    return [jnp.asarray(rng.normal(size=(b, a)) / math.sqrt(a)) for a, b in zip(sizes[:-1], sizes[1:])]


@given(seed=st.integers(0, 2**31 - 1))
def test_mlp_bound_is_the_product_of_svd_norms_and_bounds_every_gradient(seed):
    weights = random_weights(seed)
    out = L.mlp_lipschitz_bound(weights)
    exact = [np.linalg.svd(np.asarray(w), compute_uv=False)[0] for w in weights]
    np.testing.assert_allclose(out.layer_norms, exact, rtol=1e-9)  # power iteration, tol 1e-12
    np.testing.assert_allclose(out.bound, np.prod(exact), rtol=1e-9)
    x = np.random.default_rng(seed + 1).normal(scale=3.0, size=(256, 2))
    f = lambda p: mlp(weights)(p)[0]  # noqa: E731
    assert L.empirical_lipschitz(f, x) <= out.bound * (1 + 1e-12)


def test_a_linear_network_reaches_the_norm_of_its_product_not_of_its_factors():
    # With the identity activation f(x) = W2 W1 x: Lip = sigma_max(W2 W1) <= s(W2) s(W1),
    # equality iff the top singular directions line up.
    w1, w2 = np.array([[2.0, 0.0], [0.0, 1.0]]), np.array([[0.0, 1.0]])  # misaligned
    f = lambda p: (jnp.asarray(w2) @ (jnp.asarray(w1) @ p))[0]  # noqa: E731
    assert L.empirical_lipschitz(f, [[0.3, -0.2]]) == pytest.approx(1.0, rel=1e-14)
    assert L.mlp_lipschitz_bound([w1, w2], activation="identity").bound == pytest.approx(2.0, rel=1e-12)
    aligned = np.array([[1.0, 0.0]])
    g = lambda p: (jnp.asarray(aligned) @ (jnp.asarray(w1) @ p))[0]  # noqa: E731
    assert L.empirical_lipschitz(g, [[0.3, -0.2]]) == pytest.approx(2.0, rel=1e-14)


def normalised(weights):
    return [w / np.linalg.svd(np.asarray(w), compute_uv=False)[0] for w in weights]


def test_parallel_normalised_branches_are_2_lipschitz_and_attain_it():
    x = np.random.default_rng(0).normal(size=(512, 2))
    b1, b2 = normalised(random_weights(1)), normalised(random_weights(2))
    assert L.mlp_lipschitz_bound(b1).bound == pytest.approx(1.0, rel=1e-9)
    summed = lambda p: mlp(b1)(p)[0] + mlp(b2)(p)[0]  # noqa: E731
    assert L.empirical_lipschitz(summed, x) <= L.parallel_bound([1.0, 1.0]) * (1 + 1e-12)
    # Attained: two copies of one linear normalised branch, f = 2 W x / s(W): Lip exactly 2.
    w = np.random.default_rng(3).normal(size=(1, 2))
    w = w / np.linalg.norm(w)
    twice = lambda p: 2 * (jnp.asarray(w) @ p)[0]  # noqa: E731
    assert L.empirical_lipschitz(twice, x[:4]) == pytest.approx(2.0, rel=1e-14)
    # And for a ReLU branch: Lip(f + f) = 2 Lip(f), measured at the same points.
    single = L.empirical_lipschitz(lambda p: mlp(b1)(p)[0], x)
    doubled = L.empirical_lipschitz(lambda p: 2 * mlp(b1)(p)[0], x)
    assert doubled == pytest.approx(2 * single, rel=1e-14)


def test_stacked_branches_are_sqrt2_lipschitz_and_attain_it():
    w = np.array([[0.6, 0.8]])
    stacked = lambda p: jnp.concatenate([jnp.asarray(w) @ p, jnp.asarray(w) @ p])  # noqa: E731
    assert L.empirical_lipschitz(stacked, [[1.0, 2.0]]) == pytest.approx(math.sqrt(2), rel=1e-14)
    assert L.stacked_bound([1.0, 1.0]) == pytest.approx(math.sqrt(2), rel=1e-15)


def test_gradient_norms_and_difference_quotients():
    x = np.array([[1.0, 2.0], [0.0, -1.0]])
    norms = L.gradient_norms(lambda p: 0.5 * jnp.sum(p**2), x)
    np.testing.assert_allclose(norms, np.linalg.norm(x, axis=1), rtol=1e-15)
    a = np.array([[1.0, 2.0], [0.0, 3.0], [1.0, 1.0]])
    jac_norms = L.gradient_norms(lambda p: jnp.asarray(a) @ jnp.tanh(p), x)
    for point, value in zip(x, np.asarray(jac_norms)):
        explicit = a @ np.diag(1 - np.tanh(point) ** 2)
        np.testing.assert_allclose(value, np.linalg.svd(explicit, compute_uv=False)[0], rtol=1e-13)
    # |x| is 1-Lipschitz; its quotients reach 1 along rays, its gradient norm is 1 off 0.
    y = 2.0 * x
    assert L.empirical_lipschitz(lambda p: jnp.linalg.norm(p), x + 0.1, y) == pytest.approx(1.0, rel=1e-12)


def test_composition_bound_and_activation_constants():
    assert L.composition_bound([2.0, 3.0]) == 6.0
    assert L.composition_bound([2.0, 3.0], [L.ACTIVATION_LIPSCHITZ["sigmoid"]]) == 1.5
    # sigmoid' peaks at 1/4 (at 0); tanh' at 1.
    t = jnp.linspace(-5.0, 5.0, 2001)
    np.testing.assert_allclose(jnp.max(jax.vmap(jax.grad(jax.nn.sigmoid))(t)), 0.25, rtol=1e-12)
    np.testing.assert_allclose(jnp.max(jax.vmap(jax.grad(jnp.tanh))(t)), 1.0, rtol=1e-12)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: L.mlp_lipschitz_bound([np.eye(2)], activation="swish"), "activation='swish'"),
        (lambda: L.mlp_lipschitz_bound([]), "weights is empty"),
        (lambda: L.parallel_bound([1.0, -1.0]), "branch_constants=[1.0, -1.0]"),
        (lambda: L.gradient_norms(jnp.sum, np.zeros(3)), "x has shape (3,)"),
        (lambda: L.empirical_lipschitz(jnp.sum, np.zeros((2, 2)), np.zeros((3, 2))), "y has shape (3, 2)"),
    ],
)
def test_bad_input_is_named(call, message):
    with pytest.raises(ValueError) as info:
        call()
    assert message in str(info.value)
