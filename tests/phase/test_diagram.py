"""Phase diagrams: closed forms, fast paths against the generic path, agreement of predicted
and observed regimes away from the boundary, static axes, errors, NetCDF and resuming."""

import warnings

import jax.numpy as jnp
import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

import gamedyn as gd
from gamedyn.phase import _diagram

CONVERGED, CYCLING, DIVERGED = 0, 1, 2

# The criterion of the issue ("agrees in at least 99% of cells away from the boundary"):
# a cell is away from the boundary when its log rho is at least AWAY_MARGIN / steps from
# both regime thresholds +-tol (gd.phase.away_from_boundary). The simulation's growth rate
# is a log-ratio of window maxima taken steps/4 apart, so an oscillation of |z_t| around
# rho^t by a factor kappa (the eigenvector condition number) moves it by ~4 log(kappa) /
# steps; AWAY_MARGIN = 8 allows kappa up to e^2.
assert gd.phase.AWAY_MARGIN == 8.0


def alternating_gda(lr_x, lr_y, s=1.5):
    return gd.games.Bilinear([[s]]), gd.optim.gda((lr_x, lr_y), alternating=True)


def test_ttur_alternating_gda_matches_the_closed_form_and_the_simulation():
    # Alternating GDA on s x y: det M = 1, tr M = 2 - a with a = lr_x lr_y s^2, so |l| = 1
    # (cycling) iff a <= 4 and rho = (a - 2 + sqrt(a (a - 4))) / 2 beyond (Bailey, Gidel &
    # Piliouras 2020). The cycling region (log rho = 0) is tol = 1e-3 from both thresholds,
    # which counts as away from them once 8 / steps <= 1e-3: 10000 steps.
    lr = np.linspace(0.05, 2.5, 36)
    ds = gd.phase_diagram(alternating_gda, {"lr_x": lr, "lr_y": lr}, steps=10000)
    assert ds.spectral_radius.dims == ("lr_x", "lr_y")
    a = lr[:, None] * lr[None, :] * 1.5**2
    clear = np.abs(a - 4) > 1e-6  # a = 4 exactly is a double root at -1
    predicted = ds.predicted.values
    assert np.all(predicted[clear & (a < 4)] == CYCLING)
    assert np.all(predicted[clear & (a > 4)] == DIVERGED)
    rho_closed = np.where(a > 4, (a - 2 + np.sqrt(np.abs(a * (a - 4)))) / 2, 1.0)
    # closed-form 2x2 path: one rounding in the discriminant and a square root
    np.testing.assert_allclose(ds.spectral_radius.values[clear], rho_closed[clear], rtol=1e-12)
    away = gd.phase.away_from_boundary(ds)
    assert int(away.sum()) >= 0.9 * ds.spectral_radius.size  # the criterion is not vacuous
    assert gd.phase.agreement(ds) >= 0.99
    assert set(np.unique(ds.observed.values[away.values])) == {CYCLING, DIVERGED}


def test_dirac_gan_with_r1_under_simultaneous_gda_matches_the_closed_form():
    # Jacobian at the equilibrium [[0, -f'], [f', -gamma]], f'(0) = 1/2 (Mescheder et al.
    # 2018, Sec. 3): mu = -gamma/2 +- sqrt(gamma^2/4 - 1/4); simultaneous GDA maps
    # l = 1 + lr mu.
    gamma = np.linspace(0.0, 2.0, 25)
    lr = np.linspace(0.05, 2.0, 24)
    ds = gd.phase_diagram(
        lambda gamma, lr: (gd.games.DiracGAN(reg="r1", gamma=gamma), gd.optim.gda(lr)),
        {"gamma": gamma, "lr": lr},
    )
    G, L = np.meshgrid(gamma, lr, indexing="ij")
    root = np.sqrt((G**2 / 4 - 0.25).astype(complex))
    mu = np.stack([-G / 2 + root, -G / 2 - root])
    rho = np.abs(1 + L * mu).max(axis=0)
    # 2x2 closed form vs complex numpy: ~1e-15 ...
    double = np.isclose(G, 1.0)
    np.testing.assert_allclose(ds.spectral_radius.values[~double], rho[~double], rtol=1e-12)
    # ... except at gamma = 1, a double eigenvalue of the Jacobian: the entries of the update
    # map carry one rounding (f'(0) comes from autodiff of log-sigmoid), which moves a double
    # root by sqrt(eps) ~ 1.5e-8
    np.testing.assert_allclose(ds.spectral_radius.values[double], rho[double], rtol=1e-7)
    assert gd.phase.agreement(ds) >= 0.99
    assert ds.attrs["simulation_path"] == "rule.step"


def test_observed_equals_gd_simulate_cell_by_cell():
    # the Dataset's 'observed' and 'rate' are gd.simulate's regime and rate for the same
    # start (the default radius on a game with z* = 0 is tiny^(1/3))
    lr = np.array([0.1, 0.7, 1.9])
    ds = gd.phase_diagram(lambda lr: alternating_gda(lr, 1.2), {"lr": lr}, steps=500, seed=3)
    g = np.random.default_rng(3).standard_normal(2)
    z0 = np.finfo(float).tiny ** (1 / 3) * g / np.linalg.norm(g)
    for i, value in enumerate(lr):
        game, rule = alternating_gda(value, 1.2)
        result = gd.simulate(game, rule, z0, 500, stride=500)
        assert int(ds.observed[i]) == int(result.regime_code)
        rate = np.inf if int(result.failure) else float(result.rate)
        np.testing.assert_allclose(float(ds.rate[i]), rate, rtol=1e-9, atol=1e-15)


CONFIGS = {
    # the scalar game x y (the benchmark's grid, issue 25): its own 2x2 block, no SVD axis
    "bilinear-1x1-alternating": (
        lambda lr_x, lr_y: (gd.games.Bilinear([[1.0]]), gd.optim.gda((lr_x, lr_y), alternating=True)),
        {"lr_x": np.linspace(0.05, 3.0, 5), "lr_y": np.linspace(0.05, 3.0, 4)},
    ),
    # bilinear with unmatched coordinates (2x3), a rule with memory: 4x4 SVD blocks
    "bilinear-2x3-momentum": (
        lambda lr, beta: (gd.games.Bilinear([[1.0, 0.4, 0.0], [0.2, 0.6, 0.3]]),
                          gd.optim.momentum(lr, beta, alternating=True)),
        {"lr": np.linspace(0.1, 1.4, 5), "beta": np.linspace(-0.8, 0.4, 4)},
    ),
    # n = 3 quadratic game: a 3x3 update map (Cardano/Viete) and a dense linear simulation
    "quadratic-3-extragradient": (
        lambda lr, b: (gd.games.Quadratic([[1.0], [0.5]], B=[[b, 0.0], [0.0, 0.3]], C=[[0.1]]),
                       gd.optim.extragradient((lr, 0.8 * lr))),
        {"lr": np.linspace(0.1, 1.5, 5), "b": np.linspace(-0.2, 1.0, 4)},
    ),
    # n = 4 with memory: an 8x8 map (general eigen-solver)
    "quadratic-4-optimistic": (
        lambda lr, c: (gd.games.Quadratic(np.eye(2), B=0.2 * np.eye(2), C=c * np.eye(2),
                                          x_star=[0.5, -1.0]),
                       gd.optim.optimistic(lr)),
        {"lr": np.linspace(0.1, 1.2, 5), "c": np.linspace(-0.3, 0.5, 4)},
    ),
    # nonlinear games: the rule's own step
    "dirac-consensus": (
        lambda lr, gamma: (gd.games.DiracGAN(loss="wasserstein"), gd.optim.consensus(lr, gamma)),
        {"lr": np.linspace(0.1, 2.0, 5), "gamma": np.linspace(0.0, 1.5, 4)},
    ),
    # the benchmark's grid (issue 25): non-saturating loss + R1, simultaneous GDA
    "dirac-r1-simultaneous": (
        lambda gamma, lr: (gd.games.DiracGAN(reg="r1", gamma=gamma), gd.optim.gda(lr)),
        {"gamma": np.linspace(0.0, 2.0, 5), "lr": np.linspace(0.05, 1.5, 4)},
    ),
    "dirac-gp-alternating-ttur": (
        lambda lr_x, ratio: (gd.games.DiracGAN(reg="gp", gamma=0.5),
                             gd.optim.gda((lr_x, ratio * lr_x), alternating=True)),
        {"lr_x": np.linspace(0.1, 2.0, 5), "ratio": np.geomspace(0.3, 4.0, 4)},
    ),
}


@pytest.mark.parametrize("name", list(CONFIGS))
def test_fast_paths_agree_with_the_generic_path(name):
    make, axes = CONFIGS[name]
    fast = gd.phase_diagram(make, axes, steps=300)
    generic = gd.phase_diagram(make, axes, steps=300, method="generic")
    # closed-form roots vs LAPACK: ~1e-13 for simple roots; a double root (these grids cross
    # a few real/complex transitions) is resolved by either only to ~sqrt(eps) ~ 1e-8
    np.testing.assert_allclose(fast.spectral_radius, generic.spectral_radius, rtol=1e-7)
    np.testing.assert_array_equal(fast.predicted, generic.predicted)
    # the linear-map simulation and rule.step differ only by rounding; a regime can differ
    # only where the growth rate ties a threshold (+-tol) to that rounding
    differ = fast.observed.values != generic.observed.values
    tie = np.minimum(np.abs(generic.rate.values - 1e-3), np.abs(generic.rate.values + 1e-3)) < 1e-9
    assert not np.any(differ & ~tie)
    finite = np.isfinite(generic.rate.values)
    np.testing.assert_array_equal(np.isfinite(fast.rate.values), finite)
    # Rates: logs of maxima of iterates that agree to ~1e-13 relative, over steps/4 = 75
    # steps. Compared where the run shrinks by less than e^20: rule.step iterates z itself,
    # whose rounding floor (~eps |z*| when z* != 0, start 1e-3 |z*|) a faster decay reaches,
    # while the linear map iterates the deviation and has none.
    resolved = finite & (np.abs(generic.rate.values) * 300 < 20)
    np.testing.assert_allclose(fast.rate.values[resolved], generic.rate.values[resolved], atol=1e-10)


@pytest.mark.parametrize("m, unroll", [(2, 16), (3, 4), (4, 16), (5, 1)])
def test_packed_loop_carries_give_bitwise_the_same_windows(m, unroll):
    """The simulation's loop carries its real numbers two by two as complex ones (issue 25):
    the same operations on the same numbers, so every window's maxima are equal bit for bit."""
    import jax
    import jax.numpy as jnp

    from gamedyn.phase._cells import _windows

    rng = np.random.default_rng(m)
    cells = 64
    M = jnp.asarray(rng.normal(size=(cells, m, m)) / np.sqrt(m) * 1.05)
    w0 = jnp.asarray(rng.normal(size=(cells, m)))

    def one_cell(M, w0, packed):  # as a phase diagram runs it: per cell, vmapped over the grid
        def advance(w):
            return tuple(sum(M[i, j] * w[j] for j in range(m)) for i in range(m))

        def sq_distance(w):
            return sum(v * v for v in w[:2])

        def sq_step(old, new):
            return sum((b - a) ** 2 for a, b in zip(old[:2], new[:2]))

        return _windows(advance, sq_distance, sq_step, tuple(w0[i] for i in range(m)), 203, unroll, packed)

    def run(packed):
        return jax.jit(jax.vmap(lambda M, w: one_cell(M, w, packed)))(M, w0)

    for a, b in zip(run(False), run(True)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_steps_zero_predicts_only():
    ds = gd.phase_diagram(alternating_gda, {"lr_x": [0.5, 2.0], "lr_y": [1.0]}, steps=0)
    assert sorted(ds.data_vars) == ["predicted", "spectral_radius"]
    assert ds.attrs["simulation_path"] == "none"


def test_static_axes_select_rules_and_integer_trip_counts():
    rules = {
        "simultaneous": lambda lr, k: gd.optim.gda(lr),
        "extragradient": lambda lr, k: gd.optim.extragradient(lr),
        "unrolled": lambda lr, k: gd.optim.unrolled(lr, k),
    }
    game = gd.games.Bilinear([[1.0]])

    def make(rule, lr, k):
        return game, rules[rule](lr, k)

    axes = {"rule": list(rules), "lr": [0.2, 0.6], "k": np.array([1, 3])}
    ds = gd.phase_diagram(make, axes, steps=0)
    # names are static automatically; unrolled's k must be concrete (its trip count is
    # static), so the integer axis becomes static when make cannot trace it
    assert ds.attrs["static_axes"] == "rule,k"
    assert ds.spectral_radius.dims == ("rule", "lr", "k")
    for rule in rules:
        for lr in axes["lr"]:
            for k in axes["k"]:
                expected = float(gd.spectral_radius(game, rules[rule](lr, int(k))))
                got = float(ds.spectral_radius.sel(rule=rule, lr=lr, k=k))
                assert got == pytest.approx(expected, rel=1e-12)  # same 2x2 blocks


def test_memory_bounded_chunks_give_the_same_dataset():
    axes = {"lr_x": np.linspace(0.1, 2.0, 7), "lr_y": np.linspace(0.1, 2.0, 5)}
    whole = gd.phase_diagram(alternating_gda, axes, steps=200)
    chunked = gd.phase_diagram(alternating_gda, axes, steps=200, chunk=4, workers=2)
    xr.testing.assert_equal(whole, chunked)  # 4 cells: not whole rows of 5, gathered by index
    rows = gd.phase_diagram(alternating_gda, axes, steps=200, chunk=10, workers=2)
    xr.testing.assert_equal(whole, rows)  # 2 whole rows, the last chunk partial
    # three dynamic axes: blocks of whole (lr_y, s) planes, and cells gathered one by one
    axes3 = {**axes, "s": np.array([0.5, 1.5, 2.5])}
    planes = gd.phase_diagram(alternating_gda, axes3, steps=100, chunk=30)
    single = gd.phase_diagram(alternating_gda, axes3, steps=100, chunk=7)
    xr.testing.assert_equal(planes, single)
    expected = [[float(gd.spectral_radius(*alternating_gda(a, b, 1.5))) for b in axes["lr_y"]] for a in axes["lr_x"]]
    np.testing.assert_allclose(planes.spectral_radius.sel(s=1.5), expected, rtol=1e-12)  # closed form vs eigvals


def test_progress_bar_is_drawn_on_request(capsys):
    gd.phase_diagram(alternating_gda, {"lr_x": [0.5, 1.0, 3.0], "lr_y": [1.0]}, steps=0,
                     chunk=1, progress=True)
    err = capsys.readouterr().err
    assert "phase diagram 100%" in err and "3/3 cells" in err


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(axes={}), "axes={} is not accepted"),
        (dict(axes={"lr_x": [], "lr_y": [1.0]}), r"axes\['lr_x'\] has shape \(0,\)"),
        (dict(axes={"lr_x": [[1.0]], "lr_y": [1.0]}), r"axes\['lr_x'\] has shape \(1, 1\)"),
        (dict(axes={"lr_x": [np.nan], "lr_y": [1.0]}), "expected finite real values"),
        (dict(axes={"lr x": [1.0]}), "expected parameter names of make"),
        (dict(axes={"lr_x": [1.0], "lr_z": [1.0]}), "must accept every axis name"),
        (dict(steps=-1), "steps=-1 is not accepted"),
        (dict(backend="dask"), "backend='dask' is not accepted"),
        (dict(method="fast"), "method='fast' is not accepted"),
        (dict(chunk=0), "chunk=0 is not accepted"),
        (dict(static=("beta",)), "names 'beta', which is not an axis"),
        (dict(radius=-1.0), "radius=-1.0 is not accepted"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    call = dict(make=alternating_gda, axes={"lr_x": [1.0], "lr_y": [1.0]}, steps=10)
    call.update(kwargs)
    with pytest.raises(ValueError, match=message):
        gd.phase_diagram(**call)


def test_make_must_return_a_game_and_a_rule_with_a_linearisation():
    with pytest.raises(ValueError, match="expected a pair"):
        gd.phase_diagram(lambda lr: gd.optim.gda(lr), {"lr": [0.1]})
    with pytest.raises(ValueError, match="expected a gamedyn.games.Game"):
        gd.phase_diagram(lambda lr: ("game", gd.optim.gda(lr)), {"lr": [0.1]})
    with pytest.raises(ValueError, match="stateful base"):
        gd.phase_diagram(lambda lr: (gd.games.Bilinear([[1.0]]), gd.optim.gda(lr, base=gd.optim.adam())),
                         {"lr": [0.1]})


# -- NetCDF output and resuming --------------------------------------------------------------
AXES = {"lr_x": np.linspace(0.1, 2.5, 6), "lr_y": np.linspace(0.2, 2.0, 5)}


def test_out_writes_netcdf_that_reads_back_identical(tmp_path):
    path = tmp_path / "sweep.nc"
    ds = gd.phase_diagram(alternating_gda, AXES, steps=200, out=path)
    assert path.exists() and not (tmp_path / "sweep.nc.parts").exists()
    back = gd.phase._store.read_netcdf(path)
    xr.testing.assert_identical(ds, back)
    assert back.agree.dtype == bool and back.predicted.dtype == np.int8


def test_an_interrupted_sweep_resumes_from_its_finished_chunks(tmp_path, monkeypatch):
    path = tmp_path / "sweep.nc"
    reference = gd.phase_diagram(alternating_gda, AXES, steps=200, chunk=4)
    n_parts = int(np.ceil(30 / 4))
    real = _diagram.compute_part
    calls = []

    def interrupted(sweep, part):
        if len(calls) == 3:
            raise KeyboardInterrupt  # the user presses Ctrl-C after three chunks
        calls.append(part)
        return real(sweep, part)

    monkeypatch.setattr(_diagram, "compute_part", interrupted)
    with pytest.raises(KeyboardInterrupt):
        gd.phase_diagram(alternating_gda, AXES, steps=200, chunk=4, out=path, workers=1)
    assert not path.exists()
    parts = sorted((tmp_path / "sweep.nc.parts").glob("part_*.npz"))
    assert len(parts) == 3

    calls.clear()
    monkeypatch.setattr(_diagram, "compute_part", lambda s, p: (calls.append(p), real(s, p))[1])
    resumed = gd.phase_diagram(alternating_gda, AXES, steps=200, chunk=4, out=path, workers=1)
    assert len(calls) == n_parts - 3  # only the unfinished chunks ran
    xr.testing.assert_equal(resumed, reference)
    assert path.exists() and not (tmp_path / "sweep.nc.parts").exists()

    calls.clear()
    again = gd.phase_diagram(alternating_gda, AXES, steps=200, chunk=4, out=path)
    assert calls == []  # the finished file is loaded, nothing recomputed
    xr.testing.assert_identical(again, resumed)

    # a different sweep at the same path is computed, not mistaken for the old one
    other = gd.phase_diagram(alternating_gda, AXES, steps=300, chunk=4, out=path)
    assert calls and other.attrs["steps"] == 300


def test_stale_chunks_of_another_sweep_are_discarded_with_a_warning(tmp_path):
    path = tmp_path / "sweep.nc"
    parts = tmp_path / "sweep.nc.parts"
    parts.mkdir()
    (parts / "sweep.json").write_text('{"fingerprint": "someone-else"}')
    np.savez(parts / "part_0000000.npz", spectral_radius=np.zeros(3))
    with pytest.warns(UserWarning, match="belong to a different sweep"):
        ds = gd.phase_diagram(alternating_gda, AXES, steps=200, out=path)
    assert float(ds.spectral_radius.min()) >= 1.0 - 1e-12  # real values, not the stale zeros


def test_a_damaged_chunk_is_computed_again_and_nothing_else_is_lost(tmp_path, monkeypatch):
    path = tmp_path / "sweep.nc"
    reference = gd.phase_diagram(alternating_gda, AXES, steps=200, chunk=4)
    real = _diagram.compute_part
    calls = []

    def interrupted(sweep, part):
        if len(calls) == 3:
            raise KeyboardInterrupt
        calls.append(part)
        return real(sweep, part)

    monkeypatch.setattr(_diagram, "compute_part", interrupted)
    with pytest.raises(KeyboardInterrupt):
        gd.phase_diagram(alternating_gda, AXES, steps=200, chunk=4, out=path, workers=1)
    parts = sorted((tmp_path / "sweep.nc.parts").glob("part_*.npz"))
    parts[1].write_bytes(parts[1].read_bytes()[:50])  # a truncated chunk file
    calls.clear()
    monkeypatch.setattr(_diagram, "compute_part", lambda s, p: (calls.append(p), real(s, p))[1])
    with pytest.warns(UserWarning, match=r"part_0000001.npz is damaged .*computing that chunk again"):
        resumed = gd.phase_diagram(alternating_gda, AXES, steps=200, chunk=4, out=path, workers=1)
    assert 1 in calls and 0 not in calls and 2 not in calls  # only the damaged and the unfinished
    xr.testing.assert_equal(resumed, reference)


def test_out_is_checked_before_any_work(tmp_path):
    foreign = tmp_path / "notes.nc"
    foreign.write_text("my notes")
    with pytest.raises(ValueError, match="exists and is not a phase diagram written by gamedyn"):
        gd.phase_diagram(alternating_gda, AXES, steps=200, out=foreign)
    assert foreign.read_text() == "my notes"
    gd.phase_diagram(alternating_gda, AXES, steps=20, out=foreign, overwrite=True)
    assert gd.phase._store.read_netcdf(foreign).attrs["steps"] == 20
    with pytest.raises(ValueError, match="expected a file path in an existing folder"):
        gd.phase_diagram(alternating_gda, AXES, steps=20, out=tmp_path)


# -- Ray -------------------------------------------------------------------------------------
@pytest.mark.slow
def test_ray_backend_gives_the_same_dataset():
    ray = pytest.importorskip("ray", reason="Ray is an optional extra (pip install 'gamedyn[ray]')")
    with warnings.catch_warnings():
        # Ray starts its processes by fork + exec; JAX's fork hook warns, but nothing runs in
        # the child before exec
        warnings.filterwarnings("ignore", message="os.fork", category=RuntimeWarning)
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        local = gd.phase_diagram(alternating_gda, AXES, steps=200, chunk=8)
        remote = gd.phase_diagram(alternating_gda, AXES, steps=200, chunk=8, backend="ray")
    finally:
        ray.shutdown()
    xr.testing.assert_identical(local, remote)


# -- a property over games and rules (slow: every example compiles its own grid) ---------------
finite = dict(allow_nan=False, allow_infinity=False)


@st.composite
def games_and_rules(draw):
    n_x, n_y = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    A = np.array(draw(st.lists(st.floats(-1.5, 1.5, **finite), min_size=n_x * n_y,
                               max_size=n_x * n_y))).reshape(n_x, n_y)
    kind = draw(st.sampled_from(["gda", "gda_alt", "extragradient", "optimistic", "momentum_alt",
                                 "consensus", "proximal"]))
    beta = draw(st.floats(-0.8, 0.5, **finite))

    def make(lr, ratio):
        lr_pair = (lr, ratio * lr)
        rule = {
            "gda": lambda: gd.optim.gda(lr_pair),
            "gda_alt": lambda: gd.optim.gda(lr_pair, alternating=True),
            "extragradient": lambda: gd.optim.extragradient(lr_pair),
            "optimistic": lambda: gd.optim.optimistic(lr_pair),
            "momentum_alt": lambda: gd.optim.momentum(lr_pair, beta, alternating=True),
            "consensus": lambda: gd.optim.consensus(lr_pair, 0.5),
            "proximal": lambda: gd.optim.proximal(lr_pair),
        }[kind]()
        return gd.games.Bilinear(A), rule

    return make


@pytest.mark.slow
@settings(max_examples=15)
@given(make=games_and_rules())
def test_any_bilinear_game_and_rule_matches_spectral_radius_and_simulate(make):
    axes = {"lr": np.array([0.05, 0.4, 1.1]), "ratio": np.array([0.5, 2.0])}
    ds = gd.phase_diagram(make, axes, steps=200, radius=1.0)
    for i, lr in enumerate(axes["lr"]):
        for j, ratio in enumerate(axes["ratio"]):
            game, rule = make(lr, ratio)
            rho = float(gd.spectral_radius(game, rule, method="dense"))
            # dense LAPACK vs SVD blocks in closed form; multiple roots (s = 0 blocks, rank-
            # deficient A) are resolved only to ~sqrt(eps) by either
            assert float(ds.spectral_radius[i, j]) == pytest.approx(rho, rel=1e-6, abs=1e-6)
            g = np.random.default_rng(0).standard_normal(game.n)
            result = gd.simulate(game, rule, g / np.linalg.norm(g), 200, stride=200)
            rate = float(result.rate)
            tie = min(abs(rate - 1e-3), abs(rate + 1e-3)) < 1e-9  # a tie with the threshold
            assert tie or int(ds.observed[i, j]) == int(result.regime_code)


FUSED = {
    # a rule's own step on a nonlinear game, from a start far in the nonlinear region
    "dirac-r1-step": (gd.games.DiracGAN(reg="r1", gamma=0.3), gd.optim.gda(0.4), 0.5),
    "dirac-ns-alternating-step": (gd.games.DiracGAN(), gd.optim.gda(0.7, alternating=True), 0.8),
    # the linear map of a bilinear game, memory rule (4x4 blocks)
    "bilinear-optimistic-linear": (gd.games.Bilinear([[1.0, 0.3], [0.0, 0.8]]), gd.optim.optimistic(0.3), 1.0),
}


@pytest.mark.parametrize("name", list(FUSED))
def test_fused_simulation_steps_follow_gd_simulate_trajectory(name):
    # The phase path fuses several steps into one loop iteration (lax.scan's unroll) and
    # keeps only window maxima; those maxima, taken from gd.simulate's full float64
    # trajectory by hand, agree to 1e-12 relative (the same operations step by step; what
    # XLA contracts into fused multiply-adds differs, ~1e-16 per step over 400 steps of a
    # non-chaotic run).
    from gamedyn.phase import _cells

    game, rule, radius = FUSED[name]
    steps = 400
    u = np.ones(game.n) / np.sqrt(game.n)
    z_star = np.asarray(game.equilibrium)
    traj = np.asarray(gd.simulate(game, rule, z_star + radius * u, steps).trajectory)
    d = np.sum((traj - z_star) ** 2, axis=1)
    s = np.sum(np.diff(traj, axis=0) ** 2, axis=1)  # s[t - 1]: step from z_{t-1} to z_t
    a, b = steps // 2, (3 * steps) // 4
    expected = [d[1:].max(), d[a + 1 : b + 1].max(), d[b + 1 :].max(), s[a:b].max(), s[b:].max(), d[-1]]
    if gd.games.Bilinear is type(game) and _cells.linear_rule(rule):
        got = _cells._observe_bilinear(game, rule, jnp.asarray(u), radius, steps)
    else:
        got = _cells._observe_step(game, rule, jnp.asarray(z_star), jnp.asarray(u), radius, steps)
    np.testing.assert_allclose(np.array([float(v) for v in got]), expected, rtol=1e-12)
