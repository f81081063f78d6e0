"""paired_difference: the mean difference of paired values and its bootstrap interval."""

import numpy as np
import pytest

import gamedyn as gd


def test_mean_and_sign_of_clear_differences():
    d = gd.metrics.paired_difference([3.0, 4.0, 5.0, 6.0], [1.0, 1.5, 2.0, 2.5])
    assert d.difference == pytest.approx(2.75, abs=1e-15) and d.n == 4
    # a percentile interval lies within the range of the resampled means: [min d, max d]
    assert 2.0 <= d.low <= d.difference <= d.high <= 3.5 and d.sign == 1
    assert gd.metrics.paired_difference([1.0, 1.5, 2.0], [3.0, 4.0, 6.0]).sign == -1


def test_interval_matches_the_normal_approximation_for_many_pairs():
    """For n = 400 normal differences the bootstrap distribution of the mean is close to
    normal with sd = (population sd) / sqrt(n): the 95 % interval is mean +- 1.96 s / sqrt(n).
    Tolerance 10 % of the half-width: the Monte Carlo error of 10,000 resamples' 2.5 % and
    97.5 % quantiles is about 2 %, the normal approximation's error at n = 400 smaller."""
    rng = np.random.default_rng(3)
    a, b = rng.normal(1.0, 2.0, 400), rng.normal(0.0, 1.0, 400)
    d = a - b
    half = 1.959964 * d.std() / np.sqrt(d.size)
    got = gd.metrics.paired_difference(a, b)
    assert got.low == pytest.approx(d.mean() - half, abs=0.1 * half)
    assert got.high == pytest.approx(d.mean() + half, abs=0.1 * half)


def test_no_spread_and_non_finite_pairs():
    same = gd.metrics.paired_difference([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    assert (same.difference, same.low, same.high, same.sign) == (0.0, 0.0, 0.0, 0)
    # a NaN on either side drops the pair: the differences left are 1 and 1
    kept = gd.metrics.paired_difference([2.0, np.nan, 3.0, 5.0], [1.0, 1.0, np.inf, 4.0])
    assert kept.n == 2 and (kept.difference, kept.low, kept.high) == (1.0, 1.0, 1.0) and kept.sign == 1
    empty = gd.metrics.paired_difference([np.nan], [1.0])
    assert empty.n == 0 and np.isnan(empty.difference) and empty.sign == 0


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="pair up"):
        gd.metrics.paired_difference([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="level=1.5 is not accepted"):
        gd.metrics.paired_difference([1.0, 2.0], [1.0, 0.0], level=1.5)
    with pytest.raises(ValueError, match="n_resamples"):
        gd.metrics.paired_difference([1.0, 2.0], [1.0, 0.0], n_resamples=5)
