"""k-NN precision / recall and density / coverage against brute force and known answers."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.spatial.distance import cdist

import gamedyn as gd


def brute_force(real, fake, k):
    """Kynkäänniemi et al. (2019) Eq. 1-3 and Naeem et al. (2020) Eq. 5-6, read literally
    with a full distance matrix and a sort."""
    d_rr, d_ff, d_fr = cdist(real, real), cdist(fake, fake), cdist(fake, real)
    r_real = np.sort(d_rr, axis=1)[:, k]  # column 0 is the point itself
    r_fake = np.sort(d_ff, axis=1)[:, k]
    inside_real = d_fr <= r_real[None, :]  # fake j in ball of real i
    precision = np.mean(inside_real.any(axis=1))
    recall = np.mean((d_fr.T <= r_fake[None, :]).any(axis=1))
    density = inside_real.sum() / (k * len(fake))
    coverage = np.mean(inside_real.any(axis=0))
    return precision, recall, density, coverage


@given(
    seed=st.integers(0, 2**31 - 1),
    n_real=st.integers(6, 40),
    n_fake=st.integers(6, 40),
    k=st.integers(1, 5),
    batch_size=st.sampled_from([None, 1, 7]),
)
def test_chunked_estimates_equal_the_brute_force_definitions(seed, n_real, n_fake, k, batch_size):
    rng = np.random.default_rng(seed)
    real = rng.normal(size=(n_real, 3))
    fake = rng.normal(loc=0.5, scale=1.3, size=(n_fake, 3))
    precision, recall, density, coverage = brute_force(real, fake, k)
    pr = gd.metrics.precision_recall(real, fake, k=k, batch_size=batch_size)
    dc = gd.metrics.density_coverage(real, fake, k=k, batch_size=batch_size)
    # Counts of points inside balls: exact, barring a distance within rounding of a radius
    # (measure zero for continuous data).
    assert (pr.precision, pr.recall) == (precision, recall)
    np.testing.assert_allclose(dc.density, density, rtol=1e-15)
    assert dc.coverage == coverage


def test_default_chunks_of_the_product_path_match_the_brute_force_definitions():
    # 3000 points of 20 features: the default chunk (2^23 entries, ~2,800 rows) splits each
    # pass into 2, with a partial last one; brute force reads one whole matrix.
    rng = np.random.default_rng(7)
    real, fake = rng.normal(size=(3000, 20)), rng.normal(loc=0.2, size=(2500, 20))
    from gamedyn.metrics._knn import _rows_for

    assert 1 < 3000 / _rows_for(None, 3000, 20) < 10  # the chunking under test happens
    precision, recall, density, coverage = brute_force(real, fake, 3)
    # counts of points inside balls, exact barring a distance within rounding of a radius
    assert gd.metrics.precision_recall(real, fake, k=3) == (precision, recall)
    dc = gd.metrics.density_coverage(real, fake, k=3)
    np.testing.assert_allclose(dc.density, density, rtol=1e-15)
    assert dc.coverage == coverage


@pytest.mark.parametrize("dim", [4, 20])  # explicit differences / BLAS expansion
def test_identical_sets_give_the_exact_values(dim):
    real = np.random.default_rng(0).normal(loc=3.0, size=(300, dim))
    assert gd.metrics.precision_recall(real, real) == (1.0, 1.0)
    # Without ties each real ball holds its centre and its k nearest neighbours: density
    # = N (k + 1) / (k N) = (k + 1) / k.
    density, coverage = gd.metrics.density_coverage(real, real, k=5)
    np.testing.assert_allclose(density, 6 / 5, rtol=1e-15)
    assert coverage == 1.0


def ring_samples(n, modes, seed, std=0.05, k=8):
    rng = np.random.default_rng(seed)
    labels = rng.choice(modes, size=n)
    angle = 2 * np.pi * labels / k
    return np.c_[np.cos(angle), np.sin(angle)] * 2.0 + std * rng.normal(size=(n, 2))


def test_mode_dropping_lowers_recall_like_the_kept_mass_and_leaves_precision():
    n = 2000
    real = ring_samples(n, np.arange(8), seed=0)
    full = gd.metrics.precision_recall(real, ring_samples(n, np.arange(8), seed=1))
    for m in (2, 5):
        dropped = gd.metrics.precision_recall(real, ring_samples(n, np.arange(m), seed=2))
        # Real samples of a dropped mode lie 0.77 (= 2 * 2 sin(pi/8)) from the nearest kept
        # sample, far beyond every k-NN radius (~0.03): recall = (m / 8) * full recall.
        # Tolerance: 5 binomial standard deviations on n real samples.
        expected = m / 8 * full.recall
        assert abs(dropped.recall - expected) < 5 * math.sqrt(expected * (1 - expected) / n)
        assert abs(dropped.precision - full.precision) < 5 * math.sqrt(full.precision * (1 - full.precision) / n) + 0.01
        coverage = gd.metrics.density_coverage(real, ring_samples(n, np.arange(m), seed=3)).coverage
        assert abs(coverage - m / 8) < 0.03  # coverage of a kept mode is ~1 at this sample size


def test_independent_samples_of_the_same_distribution_have_density_near_one():
    # E[density] = 1 when fake and real follow the same distribution (Naeem et al. 2020,
    # Sec. 3.2); at 3000 samples the estimate's spread is a few per cent.
    real = ring_samples(3000, np.arange(8), seed=4)
    fake = ring_samples(3000, np.arange(8), seed=5)
    density, coverage = gd.metrics.density_coverage(real, fake)
    assert abs(density - 1.0) < 0.06
    # Coverage of k = 5 balls: 1 - (1 - 1/(N+1))^... ~ 1 - 2^-k for large N (Naeem et al.,
    # Sec. 3.2: 1 - 1/2^k = 0.969 for k = 5).
    assert abs(coverage - (1 - 0.5**5)) < 0.02


def test_knn_radii_against_a_sorted_distance_matrix():
    x = np.random.default_rng(1).normal(size=(50, 3))
    for k in (1, 4):
        expected = np.sort(cdist(x, x), axis=1)[:, k]
        np.testing.assert_allclose(gd.metrics.knn_radii(x, k, batch_size=9), expected, rtol=1e-12)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: gd.metrics.precision_recall(np.zeros((5, 2)), np.zeros((5, 3))), "real has 2 features and fake has 3"),
        (lambda: gd.metrics.precision_recall(np.zeros((3, 2)), np.zeros((9, 2))), "k=3 is not accepted"),
        (lambda: gd.metrics.precision_recall(np.zeros(5), np.zeros(5)), "real has shape (5,)"),
        (lambda: gd.metrics.density_coverage(np.full((9, 2), np.nan), np.zeros((9, 2))), "real holds non-finite"),
        (lambda: gd.metrics.density_coverage(np.zeros((9, 2)), np.zeros((9, 2)), k=0), "k=0 is not accepted"),
        (lambda: gd.metrics.knn_radii(np.zeros((9, 2)), 2, batch_size=0), "batch_size=0 is not accepted"),
        (lambda: gd.metrics.support_metrics(np.zeros((9, 2)), np.zeros((9, 2)), k_density=9),
         "k_density=9 is not accepted; expected k_density < the number of real samples (9)"),
        (lambda: gd.metrics.support_metrics(np.zeros((9, 2)), np.zeros((3, 2))),
         "k_precision=3 is not accepted; expected k_precision < the number of fake samples (3)"),
        (lambda: gd.metrics.support_metrics(np.zeros((9, 2)), np.zeros((9, 2)), k_precision=0), "k_precision=0"),
    ],
)
def test_bad_input_is_named(call, message):
    with pytest.raises(ValueError) as info:
        call()
    assert message in str(info.value)


@given(
    seed=st.integers(0, 2**31 - 1),
    n=st.integers(8, 40),
    k_precision=st.integers(1, 5),
    k_density=st.integers(1, 6),
    dim=st.sampled_from([3, 20]),  # explicit differences / BLAS expansion
    batch_size=st.sampled_from([None, 1, 7]),
)
def test_support_metrics_equal_the_brute_force_definitions(seed, n, k_precision, k_density, dim, batch_size):
    # the three shared passes give what each definition gives with its own full matrices
    rng = np.random.default_rng(seed)
    real = rng.normal(size=(n, dim))
    fake = rng.normal(loc=0.3, scale=1.2, size=(n + 3, dim))
    precision, recall, _, _ = brute_force(real, fake, k_precision)
    _, _, density, coverage = brute_force(real, fake, k_density)
    m = gd.metrics.support_metrics(real, fake, k_precision, k_density, batch_size=batch_size)
    # counts of points inside balls: exact, barring a distance within rounding of a radius
    assert (m.precision, m.recall, m.coverage) == (precision, recall, coverage)
    np.testing.assert_allclose(m.density, density, rtol=1e-15)
    assert m[:2] == gd.metrics.precision_recall(real, fake, k_precision, batch_size=batch_size)
    assert m[2:] == gd.metrics.density_coverage(real, fake, k_density, batch_size=batch_size)
