"""Wasserstein-1 against scipy's 1-D implementation, closed forms and the three exact solvers."""

import math
import os

# POT probes backends at import; torch's costs seconds and is of no use here (numpy arrays).
os.environ.setdefault("POT_BACKEND_DISABLE_PYTORCH", "1")
os.environ.setdefault("POT_BACKEND_DISABLE_TENSORFLOW", "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from scipy.stats import wasserstein_distance  # noqa: E402

import gamedyn as gd  # noqa: E402
from gamedyn.divergences import _wasserstein  # noqa: E402

D = gd.divergences


@given(seed=st.integers(0, 2**31 - 1), n=st.integers(1, 30), m=st.integers(1, 30), weighted=st.booleans())
def test_one_dimension_matches_scipy(seed, n, m, weighted):
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=n), rng.normal(1.0, 2.0, size=m)
    wa = rng.uniform(0.1, 1.0, size=n) if weighted else None
    wb = rng.uniform(0.1, 1.0, size=m) if weighted else None
    # Two implementations of the same integral of |F_a - F_b|: rounding only.
    np.testing.assert_allclose(
        D.w1(a, b, weights_a=wa, weights_b=wb), wasserstein_distance(a, b, wa, wb), rtol=1e-12, atol=1e-14
    )


@pytest.mark.parametrize("method", ["auto", "assignment", "pot", "linprog"])
@pytest.mark.parametrize("theta", [0.0, 0.37, -1.5])
def test_parallel_lines_give_the_absolute_offset(method, theta):
    # Arjovsky et al. 2017, Example 1: W1(P_0, P_theta) = |theta|. Matching (0, z) with
    # (theta, z) costs |theta| per pair, and no plan costs less (W1 >= |E x - E x'|).
    z = np.linspace(0.0, 1.0, 40)
    a, b = np.c_[np.zeros_like(z), z], np.c_[np.full_like(z, theta), z[::-1]]
    np.testing.assert_allclose(D.w1(a, b, method=method), abs(theta), rtol=1e-12, atol=1e-12)


def test_the_solvers_agree_and_the_plan_has_the_right_marginals():
    rng = np.random.default_rng(5)
    a, b = rng.normal(size=(30, 2)), rng.normal(0.5, 1.0, size=(30, 2))
    values = {m: D.w1(a, b, method=m) for m in ("assignment", "pot", "linprog")}
    # Three exact solvers of one linear programme: agreement to the LP tolerance (1e-9).
    np.testing.assert_allclose(list(values.values()), values["assignment"], rtol=1e-9)
    wa, wb = rng.dirichlet(np.ones(30)), rng.dirichlet(np.ones(25))
    b = b[:25]
    for method in ("pot", "linprog"):
        value, plan = D.w1(a, b, weights_a=wa, weights_b=wb, method=method, return_plan=True)
        np.testing.assert_allclose(plan.sum(axis=1), wa, atol=1e-9)
        np.testing.assert_allclose(plan.sum(axis=0), wb, atol=1e-9)
        assert plan.min() >= -1e-12
        np.testing.assert_allclose(value, np.sum(plan * np.linalg.norm(a[:, None] - b[None], axis=-1)), rtol=1e-12)
    np.testing.assert_allclose(
        D.w1(a, b, weights_a=wa, weights_b=wb, method="pot"),
        D.w1(a, b, weights_a=wa, weights_b=wb, method="linprog"),
        rtol=1e-8,
    )


def test_a_point_mass_against_a_circle_is_the_radius():
    angles = np.linspace(0, 2 * np.pi, 64, endpoint=False)
    circle = 2.5 * np.c_[np.cos(angles), np.sin(angles)]
    np.testing.assert_allclose(D.w1([[0.0, 0.0]], circle), 2.5, rtol=1e-12)


def test_auto_falls_back_to_linprog_without_pot(monkeypatch):
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(12, 3)), rng.normal(size=(9, 3))
    monkeypatch.setattr(_wasserstein, "_SMALL_PLAN", 0)  # make "auto" prefer POT
    with_pot = D.w1(a, b)
    monkeypatch.setattr(_wasserstein, "_pot_available", lambda: False)
    np.testing.assert_allclose(D.w1(a, b), with_pot, rtol=1e-8)
    with pytest.raises(ValueError, match="needs the POT package"):
        D.w1(a, b, method="pot")


@given(seed=st.integers(0, 2**31 - 1))
def test_triangle_inequality(seed):
    rng = np.random.default_rng(seed)
    a, b, c = (rng.normal(loc=i, size=(8, 2)) for i in range(3))
    assert D.w1(a, c) <= D.w1(a, b) + D.w1(b, c) + 1e-12


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: D.w1(np.zeros((3, 2)), np.zeros((3, 3))), "a has dimension 2 and b has dimension 3"),
        (lambda: D.w1(np.zeros((3, 2)), np.zeros((3, 2)), method="sinkhorn"), "method='sinkhorn'"),
        (lambda: D.w1(np.zeros((3, 2)), np.zeros((3, 2)), method="sorted"), "exact for 1-D samples only"),
        (lambda: D.w1(np.zeros((3, 2)), np.zeros((4, 2)), method="assignment"), "needs equal sample sizes"),
        (lambda: D.w1([0.0, math.nan], [0.0]), "a holds non-finite values"),
        (lambda: D.w1([0.0, 1.0], [0.0], weights_a=[1.0, -1.0]), "weights_a=array([ 1., -1.])"),
        (lambda: D.w1(np.zeros((0, 2)), np.zeros((3, 2))), "a has shape (0, 2)"),
    ],
)
def test_bad_input_is_named(call, message):
    with pytest.raises(ValueError) as info:
        call()
    assert message in str(info.value)


def test_oversized_plans_are_refused(monkeypatch):
    monkeypatch.setattr(_wasserstein, "MAX_PLAN_ENTRIES", 50)
    with pytest.raises(ValueError, match="subsample them"):
        D.w1(np.zeros((10, 2)), np.zeros((10, 2)))
