"""Hypothesis properties over random linear games and every linear rule.

1. The SVD block path for bilinear games gives the same spectrum as the dense matrix.
2. On linear games the simulated iterates are exactly powers of ``update_jacobian``.
3. The growth rate of simulated trajectories is ``log spectral_radius``.
"""

import numpy as np
from hypothesis import assume, given
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

import gamedyn as gd

finite = dict(allow_nan=False, allow_infinity=False)


@st.composite
def matrices(draw, min_dim=1, max_dim=3, low=-1.5, high=1.5):
    n_x = draw(st.integers(min_dim, max_dim))
    n_y = draw(st.integers(min_dim, max_dim))
    entries = draw(st.lists(st.floats(low, high, **finite), min_size=n_x * n_y, max_size=n_x * n_y))
    return np.array(entries).reshape(n_x, n_y)


@st.composite
def rank_deficient_matrices(draw):
    """Sometimes zero a row or column, so singular values 0 and uncoupled modes appear."""
    A = draw(matrices())
    if draw(st.booleans()):
        A[draw(st.integers(0, A.shape[0] - 1))] = 0.0
    return A


@st.composite
def symmetric(draw, n, low=-1.0, high=1.0):
    M = np.array(draw(st.lists(st.floats(low, high, **finite), min_size=n * n, max_size=n * n))).reshape(n, n)
    return (M + M.T) / 2


@st.composite
def linear_games(draw):
    A = draw(matrices(low=-1.2, high=1.2))
    if draw(st.booleans()):
        return gd.games.Bilinear(A)
    return gd.games.Quadratic(A, B=draw(symmetric(A.shape[0])), C=draw(symmetric(A.shape[1])))


LR = st.floats(0.05, 0.4, **finite)


@st.composite
def rules(draw, lr=LR):
    """Every rule whose update map is linear on a linear game, with valid hyperparameters."""
    lr_x = draw(lr)
    lr_ = (lr_x, draw(lr)) if draw(st.booleans()) else lr_x
    kind = draw(st.sampled_from(
        ["gda", "gda_alt", "extragradient", "optimistic", "momentum", "momentum_alt",
         "consensus", "sga", "proximal", "unrolled"]))
    if kind == "gda":
        return gd.optim.gda(lr_)
    if kind == "gda_alt":
        return gd.optim.gda(lr_, alternating=True, first=draw(st.sampled_from("xy")), k=draw(st.integers(1, 3)))
    if kind == "extragradient":
        return gd.optim.extragradient(lr_)
    if kind == "optimistic":
        return gd.optim.optimistic(lr_)
    if kind in ("momentum", "momentum_alt"):
        beta = draw(st.floats(-0.8, 0.8, **finite))
        return gd.optim.momentum(lr_, beta, alternating=kind == "momentum_alt")
    if kind == "consensus":
        return gd.optim.consensus(lr_, draw(st.floats(0.0, 1.0, **finite)))
    if kind == "sga":
        return gd.optim.sga(lr_, draw(st.floats(-1.0, 1.0, **finite)))
    if kind == "proximal":
        return gd.optim.proximal(lr_)
    return gd.optim.unrolled(lr_, draw(st.integers(1, 3)))


def matched_gap(a, b):
    """Largest distance between two eigenvalue multisets under the best pairing."""
    cost = np.abs(np.asarray(a)[:, None] - np.asarray(b)[None, :])
    rows, cols = linear_sum_assignment(cost)
    return cost[rows, cols].max()


@given(A=rank_deficient_matrices(), rule=rules(lr=st.floats(0.01, 1.5, **finite)))
def test_svd_block_spectrum_equals_the_dense_spectrum(A, rule):
    game = gd.games.Bilinear(A)
    dense = np.asarray(gd.eigenvalues(game, rule, method="dense"))
    blocks = np.asarray(gd.eigenvalues(game, rule, method="svd"))
    assert dense.shape == blocks.shape
    # Defective (Jordan) eigenvalues are resolved only to sqrt(eps * |M|) ~ 1e-8 |M| by any
    # eigen-solver; 1e-6 |M| is well above that and far below any real discrepancy.
    scale = max(1.0, float(np.abs(dense).max()))
    assert matched_gap(dense, blocks) <= 1e-6 * scale
    rho_dense = float(gd.spectral_radius(game, rule, method="dense"))
    rho_svd = float(gd.spectral_radius(game, rule))
    assert abs(rho_dense - rho_svd) <= 1e-6 * scale


@given(game=linear_games(), rule=rules(), seed=st.integers(0, 2**16))
def test_iterates_are_powers_of_the_update_jacobian(game, rule, seed):
    M = np.asarray(gd.update_jacobian(game, rule))
    assume(np.all(np.isfinite(M)) and np.abs(M).max() < 10)  # proximal may hit I - eta J singular
    z0 = np.random.default_rng(seed).normal(size=game.n)
    steps = 40
    result = gd.simulate(game, rule, z0, steps, blowup=1e300)
    w = np.concatenate([z0, z0]) if rule.memory else z0  # z_{-1} = z_0: zero velocity
    expected = [w[: game.n]]
    for _ in range(steps):
        w = M @ w
        expected.append(w[: game.n])
    expected = np.array(expected)
    # 40 products of O(1) matrices: relative error ~ 40 * n * eps * growth; 1e-9 is ample.
    scale = np.maximum(1.0, np.abs(expected).max(axis=1, keepdims=True))
    assert np.all(np.abs(np.asarray(result.trajectory) - expected) <= 1e-9 * scale)


def identifiable(values, steps):
    """Whether ``steps`` iterations can reveal the growth rate from the distance envelope:
    the dominant eigenvalues either do not rotate or rotate within a quarter of the run, and
    no other eigenvalue has nearly (but not exactly) the same modulus."""
    mod = np.abs(values)
    rho = mod.max()
    top = values[mod >= rho * (1 - 1e-9)]
    rotation = np.abs(np.angle(top))
    slow = (rotation > 1e-9) & (rotation < 2 * np.pi / (steps / 8)) & (np.abs(rotation - np.pi) > 1e-9)
    near = (mod < rho * (1 - 1e-9)) & (mod > rho * (1 - 2e-3))
    return not slow.any() and not near.any()


@given(game=linear_games(), rule=rules(), seed=st.integers(0, 2**16))
def test_growth_rate_of_simulation_is_log_spectral_radius(game, rule, seed):
    steps = 4000
    values = np.asarray(gd.eigenvalues(game, rule))
    assume(np.all(np.isfinite(values)))
    rho = np.abs(values).max()
    # keep |z|^2 ~ rho^(2 steps) inside float64's range (the norm squares), and the rate
    # identifiable from the envelope
    assume(0 < rho and abs(np.log(rho)) < 0.08 and identifiable(values, steps))
    z0 = np.random.default_rng(seed).normal(size=game.n)
    result = gd.simulate(game, rule, z0, steps, blowup=1e300)
    # The estimator compares envelope maxima over steps (2000, 3000] and (3000, 4000], 1000
    # steps apart: a Jordan factor t^m (m <= 3 for 4x4 blocks) shifts it by at most
    # m log(7/5) / 1000 ~ 1e-3, and a rotation within 500 steps is resolved by each window.
    assert abs(float(result.rate) - np.log(rho)) <= 2e-3
