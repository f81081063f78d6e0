"""Fréchet distance against the closed forms of the Wasserstein-2 distance between Gaussians."""

import numpy as np
import pytest
import scipy.linalg
from hypothesis import given
from hypothesis import strategies as st

import gamedyn as gd


def random_cov(rng, d, rank=None):
    a = rng.normal(size=(d, rank or d))
    return a @ a.T + (0.0 if rank else 0.1 * np.eye(d))


def test_commuting_covariances_reduce_to_a_sum_over_eigenvalues():
    # Diagonal covariances commute: d^2 = |dmu|^2 + sum (sqrt(a_i) - sqrt(b_i))^2.
    a, b = np.array([4.0, 1.0, 0.25]), np.array([1.0, 9.0, 0.25])
    mu_a, mu_b = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    expected = np.sum((mu_a - mu_b) ** 2) + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    value = gd.metrics.frechet_distance_from_stats(mu_a, np.diag(a), mu_b, np.diag(b))
    np.testing.assert_allclose(value, expected, rtol=1e-14)


def test_one_dimension_is_the_difference_of_standard_deviations():
    value = gd.metrics.frechet_distance_from_stats(1.0, 4.0, -2.0, 0.25)
    np.testing.assert_allclose(value, 9.0 + (2.0 - 0.5) ** 2, rtol=1e-15)


@pytest.mark.parametrize("rank", [None, 2])  # full rank, and rank-deficient features
def test_general_covariances_agree_with_scipy_sqrtm(rank):
    rng = np.random.default_rng(7)
    cov_a, cov_b = random_cov(rng, 5, rank), random_cov(rng, 5)
    mu_a, mu_b = rng.normal(size=5), rng.normal(size=5)
    # Independent route: the principal square root of the (non-symmetric) product.
    root = scipy.linalg.sqrtm(cov_a @ cov_b).real
    expected = np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a + cov_b - 2 * root)
    value = gd.metrics.frechet_distance_from_stats(mu_a, cov_a, mu_b, cov_b)
    # sqrtm of a product with a zero eigenvalue is accurate to ~sqrt(eps) in that direction.
    np.testing.assert_allclose(value, expected, rtol=1e-10 if rank is None else 1e-6)


def test_from_features_uses_the_mean_and_unbiased_covariance():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(300, 4)), rng.normal(size=(200, 4)) @ rng.normal(size=(4, 4)) + 1.0
    mean_a, mean_b = a.sum(0) / len(a), b.sum(0) / len(b)
    cov_a = (a - mean_a).T @ (a - mean_a) / (len(a) - 1)
    cov_b = (b - mean_b).T @ (b - mean_b) / (len(b) - 1)
    np.testing.assert_allclose(
        gd.metrics.frechet_distance(a, b),
        gd.metrics.frechet_distance_from_stats(mean_a, cov_a, mean_b, cov_b),
        rtol=1e-12,
    )
    assert gd.metrics.frechet_distance(a, a) == pytest.approx(0.0, abs=1e-12)


@given(seed=st.integers(0, 2**31 - 1))
def test_its_square_root_is_a_metric(seed):
    # sqrt(d^2) is the Wasserstein-2 distance between Gaussians: symmetric and it obeys the
    # triangle inequality (up to rounding, 1e-9 of the scale).
    rng = np.random.default_rng(seed)
    g = [(rng.normal(size=3), random_cov(rng, 3)) for _ in range(3)]
    w = lambda i, j: np.sqrt(gd.metrics.frechet_distance_from_stats(*g[i], *g[j]))  # noqa: E731
    np.testing.assert_allclose(w(0, 1), w(1, 0), rtol=1e-9)
    assert w(0, 2) <= w(0, 1) + w(1, 2) + 1e-9


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: gd.metrics.frechet_distance(np.zeros((1, 2)), np.zeros((5, 2))), "feats_a has shape (1, 2)"),
        (lambda: gd.metrics.frechet_distance(np.zeros((5, 2)), np.zeros((5, 3))), "dimensions differ"),
        (lambda: gd.metrics.frechet_distance_from_stats([0, 0], [[1, 2], [0, 1]], [0, 0], np.eye(2)), "not symmetric"),
        (lambda: gd.metrics.frechet_distance_from_stats([0, 0], np.eye(3), [0, 0], np.eye(2)), "mean_a has shape"),
    ],
)
def test_bad_input_is_named(call, message):
    with pytest.raises(ValueError) as info:
        call()
    assert message in str(info.value)
