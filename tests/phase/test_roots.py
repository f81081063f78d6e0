"""Closed-form characteristic polynomials and roots against numpy.linalg.eigvals."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

import gamedyn as gd
from gamedyn.phase import charpoly, eigvals_small, poly_roots, spectral_radius_small

finite = dict(allow_nan=False, allow_infinity=False)


def matched_gap(a, b):
    """Largest distance between two eigenvalue multisets under the best pairing."""
    cost = np.abs(np.asarray(a)[:, None] - np.asarray(b)[None, :])
    rows, cols = linear_sum_assignment(cost)
    return cost[rows, cols].max()


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_charpoly_is_the_polynomial_of_the_eigenvalues(n):
    M = np.random.default_rng(n).normal(size=(500, n, n))
    ours = np.asarray(charpoly(M))
    reference = np.array([np.poly(np.linalg.eigvals(m))[1:].real for m in M])
    # numpy's np.poly multiplies out computed eigenvalues: a few ulps of |M|^k per
    # coefficient; the principal-minor sums are exact polynomials in the entries
    np.testing.assert_allclose(ours, reference, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_closed_form_eigenvalues_match_numpy_on_random_matrices(n):
    M = np.random.default_rng(10 + n).normal(size=(4000, n, n))
    ours = np.asarray(eigvals_small(M))
    reference = np.linalg.eigvals(M)
    gaps = np.array([matched_gap(o, r) for o, r in zip(ours, reference)])
    # Random Gaussian matrices have well separated eigenvalues (the closest pair in 4000
    # samples is ~1e-3 apart): every root is then well conditioned, and the closed forms
    # (Cardano/Viete + Ferrari, real arithmetic) agree with LAPACK to ~1e-13; 1e-9 leaves
    # room for the occasional closer pair.
    assert gaps.max() <= 1e-9
    rho = np.abs(reference).max(axis=-1)
    np.testing.assert_allclose(np.asarray(spectral_radius_small(M)), rho, rtol=1e-9)


def test_memory_blocks_match_numpy():
    # the 4x4 maps of rules with memory: [[A, B], [I, 0]] on (z_t, z_{t-1})
    rng = np.random.default_rng(3)
    M = np.zeros((3000, 4, 4))
    M[:, :2, :2] = rng.normal(size=(3000, 2, 2))
    M[:, :2, 2:] = 0.5 * rng.normal(size=(3000, 2, 2))
    M[:, 2:, :2] = np.eye(2)
    gaps = [matched_gap(o, r) for o, r in zip(np.asarray(eigvals_small(M)), np.linalg.eigvals(M))]
    assert max(gaps) <= 1e-9  # as above: separated roots, well conditioned


def test_alternating_gda_block_has_spectral_radius_exactly_one_below_the_threshold():
    # M = [[1 - a, -lr s], [lr s, 1]], det 1, |tr| < 2 for a = lr^2 s^2 < 4: |l| = 1
    # (Bailey, Gidel & Piliouras 2020); beyond, rho = (a - 2 + sqrt(a (a - 4))) / 2.
    lr = np.linspace(0.01, 3.0, 300)
    a = lr**2
    M = np.stack([np.stack([1 - a, -lr], -1), np.stack([lr, np.ones_like(lr)], -1)], -2)
    rho = np.asarray(spectral_radius_small(M))
    inside = a < 4 - 1e-6
    # one rounding in tr^2/4 - D (= det = 1) and one square root: a few ulps
    np.testing.assert_allclose(rho[inside], 1.0, atol=1e-14)
    beyond = a > 4 + 1e-6
    np.testing.assert_allclose(rho[beyond], (a[beyond] - 2 + np.sqrt(a[beyond] * (a[beyond] - 4))) / 2,
                               rtol=1e-13)


def test_multiple_roots_are_resolved_to_the_expected_order():
    # identity and zero: exact; a double rotation (two equal complex pairs, 4x4): a double
    # root is determined only to ~sqrt(eps) ~ 1.5e-8 (Wilkinson), 1e-6 covers the constant
    np.testing.assert_array_equal(np.asarray(eigvals_small(np.eye(4)[None])), np.ones((1, 4)))
    np.testing.assert_array_equal(np.asarray(eigvals_small(np.zeros((1, 4, 4)))), np.zeros((1, 4)))
    theta = np.linspace(0.3, 2.8, 50)
    c, s = np.cos(theta), np.sin(theta)
    M = np.zeros((50, 4, 4))
    for off in (0, 2):
        M[:, off, off], M[:, off, off + 1], M[:, off + 1, off], M[:, off + 1, off + 1] = c, -s, s, c
    np.testing.assert_allclose(np.abs(np.asarray(eigvals_small(M))), 1.0, atol=1e-6)


def test_poly_roots_of_known_polynomials():
    # (x - 1)(x - 2)(x - 3)(x - 4) and (x^2 + 1)(x - 2): simple roots, machine precision
    roots = np.sort_complex(np.asarray(poly_roots([-10.0, 35.0, -50.0, 24.0])))
    np.testing.assert_allclose(roots, [1, 2, 3, 4], atol=1e-12)
    roots = np.sort_complex(np.asarray(poly_roots([-2.0, 1.0, -2.0])))
    np.testing.assert_allclose(roots, [-1j, 1j, 2], atol=1e-12)
    np.testing.assert_allclose(np.asarray(poly_roots([3.0])), [-3.0])


@given(
    n=st.integers(1, 4),
    entries=st.lists(st.floats(-2.0, 2.0, **finite), min_size=16, max_size=16),
)
def test_spectral_radius_matches_numpy_for_any_small_matrix(n, entries):
    M = np.array(entries[: n * n]).reshape(n, n)
    ours = float(spectral_radius_small(M[None])[0])
    reference = float(np.abs(np.linalg.eigvals(M)).max())
    # Hypothesis favours degenerate matrices (repeated entries, zeros: rank one, Jordan
    # blocks), whose roots of multiplicity m are determined only to ~(eps |M|)^(1/m), up to
    # eps^(1/4) ~ 1e-4 |M| for m = 4 (numpy's answer has the same uncertainty); 1e-3 |M| is
    # above that and catches any wrong branch of the formulas.
    scale = max(1.0, np.abs(M).sum(axis=1).max())
    assert abs(ours - reference) <= 1e-3 * scale


def test_bad_shapes_are_named():
    with pytest.raises(ValueError, match="M has shape"):
        charpoly(np.ones((2, 3)))
    with pytest.raises(ValueError, match="closed forms for n <= 4"):
        charpoly(np.ones((5, 5)))
    with pytest.raises(ValueError, match="coeffs has shape"):
        poly_roots(np.ones(5))
    # beyond 4x4 the eigen-solver takes over
    M = np.random.default_rng(0).normal(size=(6, 6))
    np.testing.assert_allclose(float(gd.phase.spectral_radius_small(M)),
                               np.abs(np.linalg.eigvals(M)).max(), rtol=1e-12)


@given(seed=st.integers(0, 2**31 - 1), m=st.sampled_from([1, 2, 3, 4]))
def test_spectral_radius_of_entries_equals_that_of_the_matrix(seed, m):
    # the entries form (the phase diagram's prediction) against numpy's eigenvalues: ~1e-15
    # relative for simple roots; near a double root either side resolves it only to
    # ~sqrt(eps) = 1e-8 (as in the fast-path tests), hence 1e-7
    M = np.random.default_rng(seed).normal(size=(m, m))
    expected = np.max(np.abs(np.linalg.eigvals(M)))
    got = float(gd.phase.spectral_radius_entries(M.tolist()))
    np.testing.assert_allclose(got, expected, rtol=1e-7)
    np.testing.assert_allclose(got, float(gd.phase.spectral_radius_small(M)), rtol=1e-13)


@pytest.mark.parametrize("rule", [gd.optim.gda(0.3, alternating=True), gd.optim.optimistic(0.2),
                                  gd.optim.extragradient(0.4)])
def test_update_map_entries_are_the_update_jacobian(rule):
    # one JVP per column (the phase path) and jacfwd (gd.update_jacobian): the same numbers
    from gamedyn.phase._cells import _entries

    game = gd.games.DiracGAN(reg="r1", gamma=0.4)
    np.testing.assert_array_equal(np.array(_entries(game, rule), dtype=float),
                                  np.asarray(gd.update_jacobian(game, rule)))
