"""Gradient-penalty geometry: interpolates, the penalty's value, and where it reaches."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.spatial import Delaunay

import gamedyn as gd

L = gd.lipschitz


def test_interpolates_lie_on_the_segments():
    rng = np.random.default_rng(0)
    real, fake = rng.normal(size=(200, 2)), rng.normal(size=(200, 2))
    x_hat, eps = L.interpolates(real, fake, jax.random.PRNGKey(1))
    eps = np.asarray(eps)
    assert eps.min() >= 0 and eps.max() <= 1
    np.testing.assert_allclose(x_hat, eps[:, None] * real + (1 - eps[:, None]) * fake, rtol=1e-15)


@pytest.mark.parametrize("slope, two_sided, one_sided", [(3.0, 4.0, 4.0), (0.5, 0.25, 0.0)])
def test_the_penalty_of_a_linear_critic(slope, two_sided, one_sided):
    # D(x) = a . x has |grad D| = |a| everywhere: penalty (|a| - 1)^2, one-sided max(0, .)^2.
    a = jnp.array([0.6, 0.8]) * slope
    critic = lambda x: a @ x  # noqa: E731
    real, fake = np.ones((8, 2)), np.zeros((8, 2))
    key = jax.random.PRNGKey(0)
    np.testing.assert_allclose(L.gradient_penalty(critic, real, fake, key), two_sided, rtol=1e-14)
    np.testing.assert_allclose(L.gradient_penalty(critic, real, fake, key, one_sided=True), one_sided, rtol=1e-14, atol=0)


def test_the_penalty_is_differentiable_even_at_a_flat_critic():
    def penalty(scale):
        return L.gradient_penalty(lambda x: scale * jnp.sum(x), np.ones((4, 2)), np.zeros((4, 2)), jax.random.PRNGKey(0))

    # d/ds (sqrt(2) |s| - 1)^2 at s = 0.5: 2 (sqrt 2 / 2 - 1) sqrt 2; at s = 0 the
    # subgradient 0 of the norm is used, so the derivative is 0, not NaN.
    np.testing.assert_allclose(jax.grad(penalty)(0.5), 2 * (np.sqrt(2) / 2 - 1) * np.sqrt(2), rtol=1e-13)
    assert float(jax.grad(penalty)(0.0)) == 0.0


def hull(points):
    return Delaunay(points)


@pytest.mark.parametrize("p", [(2.0, 0.5), (0.3, -0.2), (-3.0, 2.5)])
def test_the_region_is_the_convex_hull_of_the_sample_and_the_disk(p):
    # Independent check with polygons: the hull of p and an inscribed polygon lies inside
    # the exact region, which lies inside the hull of p and a circumscribed polygon.
    n = 720
    angle = 2 * np.pi * np.arange(n) / n
    circle = np.c_[np.cos(angle), np.sin(angle)]
    inner, outer = hull(np.r_[circle, [p]]), hull(np.r_[circle / np.cos(np.pi / n), [p]])
    axis = np.linspace(-4, 4, 161)
    grid = np.stack(np.meshgrid(axis, axis), -1).reshape(-1, 2)
    region = L.penalty_region(grid, [p])
    assert np.all(region[inner.find_simplex(grid) >= 0])
    assert not np.any(region[outer.find_simplex(grid) < 0])


def test_sampled_interpolates_all_fall_in_the_region_and_union_over_samples():
    fake = np.array([[2.0, 0.0], [0.0, -2.5]])
    key1, key2 = jax.random.split(jax.random.PRNGKey(3))
    real = L.circle_samples(4000, key=key1)
    paired_fake = np.repeat(fake, 2000, axis=0)
    x_hat, _ = L.interpolates(real, paired_fake, key2)
    # A hair of slack on the radius: interpolates with real points at the tangent points
    # lie on the region's boundary, up to rounding.
    assert np.all(L.penalty_region(np.asarray(x_hat), fake, radius=1 + 1e-9))
    # The union: a point reached only through the second sample.
    assert L.penalty_region([[0.0, -2.0]], fake).tolist() == [True]
    assert L.penalty_region([[0.0, -2.0]], fake[:1]).tolist() == [False]
    # Beyond the circle, opposite to every sample: never constrained.
    assert L.penalty_region([[-1.5, 1.5]], fake).tolist() == [False]


def test_circle_samples_and_bad_input():
    x = np.asarray(L.circle_samples(100, radius=3.0, center=(1.0, -1.0), key=4))
    np.testing.assert_allclose(np.linalg.norm(x - [1.0, -1.0], axis=1), 3.0, rtol=1e-14)
    with pytest.raises(ValueError, match="real has shape"):
        L.interpolates(np.zeros((3, 2)), np.zeros((4, 2)), jax.random.PRNGKey(0))
    with pytest.raises(ValueError, match="points has shape"):
        L.penalty_region(np.zeros((3, 3)), np.zeros((1, 2)))
    with pytest.raises(ValueError, match="radius=0"):
        L.penalty_region(np.zeros((3, 2)), np.zeros((1, 2)), radius=0)
    with pytest.raises(ValueError, match="center="):
        L.circle_samples(3, center=(0.0,))
