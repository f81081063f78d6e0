"""gd.metrics.rank_agreement against Kendall's tau counted by hand and bootstrap intervals
whose answer is known by construction."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gamedyn as gd


def tau_by_counting(x, y):
    """Kendall's tau-a from concordant and discordant pairs (no ties in the tests using it)."""
    pairs = list(itertools.combinations(range(len(x)), 2))
    s = sum(np.sign(x[i] - x[j]) * np.sign(y[i] - y[j]) for i, j in pairs)
    return s / len(pairs)


def constant(values):
    return {f"m{i}": [v, v, v] for i, v in enumerate(values)}


def test_identical_and_reversed_rankings():
    up = constant([1.0, 2.0, 3.0, 4.0, 5.0])
    # scipy's tau-b divides by a square root of pair counts: equal to the exact value to rounding
    same = gd.metrics.rank_agreement(up, constant([10.0, 20.0, 30.0, 40.0, 50.0]))
    assert (same.tau, same.low, same.high) == pytest.approx((1.0, 1.0, 1.0), abs=1e-12)
    down = gd.metrics.rank_agreement(up, constant([5.0, 4.0, 3.0, 2.0, 1.0]))
    assert (down.tau, down.low, down.high) == pytest.approx((-1.0, -1.0, -1.0), abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.permutations(range(6)))
def test_tau_equals_counted_pairs_for_any_permutation(perm):
    first = constant(list(range(6)))
    second = constant([float(p) for p in perm])
    r = gd.metrics.rank_agreement(first, second, n_resamples=100)
    expected = tau_by_counting(np.arange(6.0), np.asarray(perm, float))
    assert r.tau == pytest.approx(expected, abs=1e-12)  # no spread over seeds: every draw is the point
    assert r.low == pytest.approx(expected, abs=1e-12) and r.high == pytest.approx(expected, abs=1e-12)


def test_well_separated_noisy_methods_keep_the_interval_at_one():
    # seeds spread by 0.1 around means 1 apart: no resample can swap two methods
    rng = np.random.default_rng(1)
    first = {m: m + 0.1 * rng.uniform(-1, 1, 8) for m in range(5)}
    second = {m: 10 * m + rng.uniform(-1, 1, 3) for m in range(5)}
    r = gd.metrics.rank_agreement(first, second)
    assert (r.tau, r.low, r.high) == pytest.approx((1.0, 1.0, 1.0), abs=1e-12) and r.n_resamples == 2000


def test_overlapping_methods_widen_the_interval():
    # two methods whose seeds overlap completely: the bootstrap swaps them about half the time
    first = {"a": [0.0, 1.0, 2.0, 3.0], "b": [0.5, 1.5, 2.5, 3.5], "c": [10.0] * 4, "d": [20.0] * 4}
    second = {"a": [1.0] * 3, "b": [2.0] * 3, "c": [3.0] * 3, "d": [4.0] * 3}
    r = gd.metrics.rank_agreement(first, second)
    assert r.tau == pytest.approx(1.0, abs=1e-12)
    # one swap of the four gives tau = 2/3 (5 concordant, 1 discordant of 6 pairs)
    assert r.low == pytest.approx(2 / 3, abs=1e-12) and r.high == pytest.approx(1.0, abs=1e-12)


def test_only_shared_finite_methods_are_ranked():
    first = {"a": [1.0], "b": [2.0], "c": [3.0], "x": [9.0], "nan": [np.nan, np.nan]}
    second = {"c": [30.0, np.nan], "b": [20.0], "a": [10.0], "nan": [1.0], "y": [0.0]}
    r = gd.metrics.rank_agreement(first, second)
    assert r.methods == ("a", "b", "c") and r.tau == pytest.approx(1.0, abs=1e-12)


def test_a_side_that_ties_everything_has_no_tau():
    r = gd.metrics.rank_agreement(constant([1.0, 2.0, 3.0]), constant([5.0, 5.0, 5.0]), n_resamples=100)
    assert np.isnan(r.tau) and r.n_resamples == 0 and np.isnan(r.low)


@pytest.mark.parametrize("kwargs, match", [
    (dict(first=[1, 2, 3]), "first must map"),
    (dict(second={"a": [1.0], "b": [2.0]}), "at least 3 methods"),
    (dict(level=1.5), "level=1.5"),
    (dict(n_resamples=10), "n_resamples"),
])
def test_bad_input_is_named(kwargs, match):
    args = dict(first=constant([1.0, 2.0, 3.0]), second=constant([1.0, 2.0, 3.0]))
    args.update(kwargs)
    with pytest.raises((TypeError, ValueError), match=match):
        gd.metrics.rank_agreement(**args)
