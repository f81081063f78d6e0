"""KL, reverse KL, JS, TV and chi^2 against written-out formulas and closed forms."""

import math

import jax
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import norm

import gamedyn as gd

D = gd.divergences


def dirichlet(seed, k, zeros=0):
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.ones(k))
    if zeros:
        p[rng.choice(k, size=zeros, replace=False)] = 0.0
        p /= p.sum()
    return p


@given(seed=st.integers(0, 2**31 - 1), k=st.sampled_from([2, 7]))
def test_against_written_out_sums(seed, k):
    p, q = dirichlet(seed, k), dirichlet(seed + 1, k)
    m = (p + q) / 2
    # Each value is a sum of k terms of order 1 that may cancel: rounding is ~1e-16
    # absolute, 1e-13 relative.
    close = dict(rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(D.kl(p, q), np.sum(p * np.log(p / q)), **close)
    np.testing.assert_allclose(D.reverse_kl(p, q), np.sum(q * np.log(q / p)), **close)
    np.testing.assert_allclose(
        D.js(p, q), 0.5 * np.sum(p * np.log(p / m)) + 0.5 * np.sum(q * np.log(q / m)), **close
    )
    np.testing.assert_allclose(D.tv(p, q), 0.5 * np.abs(p - q).sum(), **close)
    # sum p^2/q - 1 cancels more (terms up to 1/q_min): 1e-11 relative.
    np.testing.assert_allclose(D.chi2(p, q), np.sum(p**2 / q) - 1.0, rtol=1e-11, atol=1e-14)


@given(seed=st.integers(0, 2**31 - 1))
def test_classical_inequalities(seed):
    p, q = dirichlet(seed, 6, zeros=seed % 3), dirichlet(seed + 7, 6)
    tv, kl, js = float(D.tv(p, q)), float(D.kl(p, q)), float(D.js(p, q))
    assert tv <= math.sqrt(kl / 2) + 1e-12  # Pinsker
    assert 0 <= js <= math.log(2) + 1e-15
    assert js <= tv * math.log(2) + 1e-12  # JS <= TV log 2 (Lin 1991)
    np.testing.assert_allclose(js, D.js(q, p), rtol=1e-14)
    assert float(D.kl(p, q)) <= float(D.chi2(p, q)) + 1e-12  # KL <= log(1 + chi^2) <= chi^2


@pytest.mark.parametrize("theta", [0.0, 0.5, -2.0])
def test_parallel_lines(theta):
    # Arjovsky et al. 2017, Example 1: P_0 uniform on {0} x [0, 1], P_theta on {theta} x
    # [0, 1]. On a grid whose x-axis holds 0 and theta, the supports are disjoint unless
    # theta = 0: JS = log 2, KL = KL reverse = chi^2 = inf, TV = 1.
    z_bins = 50
    xs = sorted({0.0, theta})
    p = np.zeros((len(xs), z_bins))
    q = np.zeros((len(xs), z_bins))
    p[xs.index(0.0)] = 1.0 / z_bins
    q[xs.index(theta)] = 1.0 / z_bins
    p, q = p.ravel(), q.ravel()
    if theta == 0:
        values = [D.js(p, q), D.kl(p, q), D.reverse_kl(p, q), D.tv(p, q), D.chi2(p, q)]
        assert [float(v) for v in values] == [0.0] * 5
    else:
        np.testing.assert_allclose(D.js(p, q), math.log(2), rtol=1e-15)
        assert float(D.kl(p, q)) == math.inf and float(D.reverse_kl(p, q)) == math.inf
        assert float(D.chi2(p, q)) == math.inf
        np.testing.assert_allclose(D.tv(p, q), 1.0, rtol=1e-15)


GRID = np.linspace(-14.0, 14.0, 5601)
DX = GRID[1] - GRID[0]


def density(mean, std):
    return norm.pdf(GRID, mean, std)


def test_gaussian_densities_on_a_grid_against_closed_forms():
    p, q = density(0.3, 1.0), density(-0.5, 1.7)
    # KL between Gaussians: log(s_q/s_p) + (s_p^2 + (m_p - m_q)^2) / (2 s_q^2) - 1/2. The
    # Riemann sum of a smooth, rapidly decaying integrand is exact to far below 1e-9 on a
    # grid of 0.005 that reaches 8 standard deviations.
    expected = math.log(1.7) + (1.0 + 0.8**2) / (2 * 1.7**2) - 0.5
    np.testing.assert_allclose(D.kl(p, q, dx=DX), expected, rtol=1e-9)
    np.testing.assert_allclose(D.gaussian_kl(0.3, 1.0, -0.5, 1.7**2), expected, rtol=1e-14)
    # Equal variances: TV = 2 Phi(|dm| / (2 s)) - 1, chi^2 = exp(dm^2 / s^2) - 1.
    p, q = density(0.0, 1.0), density(1.2, 1.0)
    # |p - q| has a kink where the densities cross: there the Riemann sum is only accurate
    # to O(dx^2) = 2.5e-5 times the jump in slope (~0.3).
    np.testing.assert_allclose(D.tv(p, q, dx=DX), 2 * norm.cdf(0.6) - 1, rtol=3e-5)
    np.testing.assert_allclose(D.chi2(p, q, dx=DX), math.exp(1.44) - 1, rtol=1e-9)


def test_two_dimensional_grid_against_the_multivariate_closed_form():
    axis = np.linspace(-9, 9, 721)
    step = axis[1] - axis[0]
    xx, yy = np.meshgrid(axis, axis, indexing="ij")
    pts = np.stack([xx, yy], -1)

    def gauss(mean, cov):
        diff = pts - mean
        inv = np.linalg.inv(cov)
        quad = np.einsum("...i,ij,...j->...", diff, inv, diff)
        return np.exp(-0.5 * quad) / (2 * np.pi * np.sqrt(np.linalg.det(cov)))

    mp, cp = np.array([0.5, 0.0]), np.array([[1.0, 0.3], [0.3, 0.8]])
    mq, cq = np.array([-0.2, 0.4]), np.array([[1.5, -0.2], [-0.2, 1.1]])
    # (tr(Sq^-1 Sp) + dm^T Sq^-1 dm - d + log det Sq / det Sp) / 2, written with explicit inverses.
    inv_q = np.linalg.inv(cq)
    expected = 0.5 * (
        np.trace(inv_q @ cp) + (mq - mp) @ inv_q @ (mq - mp) - 2 + np.log(np.linalg.det(cq) / np.linalg.det(cp))
    )
    np.testing.assert_allclose(D.gaussian_kl(mp, cp, mq, cq), expected, rtol=1e-13)
    grid_kl = D.kl(gauss(mp, cp), gauss(mq, cq), dx=step**2, axis=(-2, -1))
    np.testing.assert_allclose(grid_kl, expected, rtol=1e-6)  # Riemann sum on a 0.025 grid


def test_batches_broadcast_and_gradients_stay_finite():
    p = np.array([[0.5, 0.5, 0.0], [0.2, 0.3, 0.5]])
    q = np.array([0.25, 0.25, 0.5])
    np.testing.assert_allclose(D.kl(p, q), [math.log(2), np.sum(p[1] * np.log(p[1] / q))], rtol=1e-14)
    # d KL / d q_i = -p_i / q_i, finite (and 0) where p_i = 0 — no NaN from the 0 log 0 branch.
    grad = jax.grad(lambda w: D.kl(p[0], w))(q)
    np.testing.assert_allclose(grad, [-2.0, -2.0, 0.0], rtol=1e-14)
    grad_js = jax.grad(lambda w: D.js(w, q))(np.array([0.5, 0.5, 0.0]))
    assert np.all(np.isfinite(grad_js))


def test_traced_inputs_are_accepted_under_jit():
    value = jax.jit(D.js)(np.array([1.0, 0.0]), np.array([0.0, 1.0]))
    np.testing.assert_allclose(value, math.log(2), rtol=1e-15)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: D.kl([0.5, 0.6], [0.5, 0.5]), "p sums to 1.1"),
        (lambda: D.kl([0.5, 0.5], [-0.5, 1.5]), "q=array([-0.5,  1.5]) is not accepted"),
        (lambda: D.js([0.5, 0.5], [0.2, 0.3, 0.5]), "they must broadcast"),
        (lambda: D.tv(1.0, 1.0), "p is a scalar"),
        (lambda: D.kl(density(0, 1), density(0, 1), dx=2 * DX), "p integrates to 2."),
        (lambda: D.kl([0.5, 0.5], [0.5, 0.5], dx=-1.0), "dx=-1.0 is not accepted"),
        (lambda: D.gaussian_kl(0.0, -1.0, 0.0, 1.0), "cov_p=array([[-1.]]) is not accepted"),
        (lambda: D.gaussian_kl([0.0, 0.0], np.eye(3), [0.0, 0.0], np.eye(2)), "cov_p has shape (3, 3)"),
    ],
)
def test_bad_input_is_named(call, message):
    with pytest.raises(ValueError) as info:
        call()
    assert message in str(info.value)
