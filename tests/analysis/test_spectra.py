"""Spectra against the closed forms of the literature (each cited where it is checked)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gamedyn as gd

# Eigenvalues of small dense matrices are computed to a few ulps of the matrix norm; 1e-12
# leaves room for the O(1) entries and the squaring in |lambda|.
TIGHT = 1e-12


def bilinear(*singular_values, shape=None):
    """A random bilinear game with prescribed singular values (A = U diag(s) V^T)."""
    rng = np.random.default_rng(len(singular_values))
    n_x, n_y = shape or (len(singular_values), len(singular_values))
    U = np.linalg.qr(rng.normal(size=(n_x, n_x)))[0]
    V = np.linalg.qr(rng.normal(size=(n_y, n_y)))[0]
    S = np.zeros((n_x, n_y))
    S[np.arange(len(singular_values)), np.arange(len(singular_values))] = singular_values
    return gd.games.Bilinear(U @ S @ V.T)


GAME = bilinear(1.5, 0.4, 0.9)
S_MAX, S_MIN = 1.5, 0.4


# -- bilinear closed forms -------------------------------------------------------------------
@pytest.mark.parametrize("lr", [(0.01, 0.01), (0.3, 0.1), (1.0, 2.0)])
def test_simultaneous_gda_diverges_for_every_step(lr):
    # per singular value the map is [[1, -lr_x s], [lr_y s, 1]], |l|^2 = 1 + lr_x lr_y s^2
    # (e.g. Gidel et al. 2019, Sec. 3): rho = sqrt(1 + lr_x lr_y s_max^2) > 1.
    rho = gd.spectral_radius(GAME, gd.optim.gda(lr))
    np.testing.assert_allclose(rho, np.sqrt(1 + lr[0] * lr[1] * S_MAX**2), rtol=TIGHT)
    assert rho > 1


@pytest.mark.parametrize("first", ["x", "y"])
def test_alternating_gda_cycles_below_the_threshold_and_diverges_beyond(first):
    # det = 1 and trace = 2 - a (a = lr_x lr_y s^2): |l| = 1 iff a <= 4 (Bailey, Gidel &
    # Piliouras 2020, "Finite regret and cycles with fixed step-size via alternating GDA").
    for lr_x, lr_y in [(0.2, 0.3), (1.0, 1.7), (1.3, 1.0)]:
        a = lr_x * lr_y * S_MAX**2
        rho = float(gd.spectral_radius(GAME, gd.optim.gda((lr_x, lr_y), alternating=True, first=first)))
        if a < 4:
            assert abs(rho - 1) < 1e-12
        else:
            np.testing.assert_allclose(rho, (a - 2 + np.sqrt(a * (a - 4))) / 2, rtol=TIGHT)
            assert rho > 1


def test_extragradient_converges_iff_lr_s_max_below_one():
    # l = 1 + i lr s - lr^2 s^2, |l|^2 = 1 - a + a^2 (Mokhtari, Ozdaglar & Pattathil 2020).
    for lr in [0.1, 0.5, 0.9, 1.2]:
        a = (lr * np.array([S_MAX, 0.9, S_MIN])) ** 2
        rho = gd.spectral_radius(GAME, gd.optim.extragradient(lr / S_MAX * S_MAX))
        np.testing.assert_allclose(rho, np.sqrt(1 - a + a**2).max(), rtol=TIGHT)
    boundary = gd.max_stable_lr(GAME, gd.optim.extragradient)
    np.testing.assert_allclose(boundary, 1 / S_MAX, rtol=1e-8)


def test_optimistic_converges_iff_lr_s_max_below_one_over_sqrt3():
    # l^2 - (1 + 2 i lr s) l + i lr s = 0: converges iff lr s < 1/sqrt(3)
    # (Daskalakis et al. 2018; Mokhtari et al. 2020). The bisection stops where rho = 1 - 1e-9,
    # and d rho / d lr is O(1) there, so the boundary is found to about 1e-9.
    boundary = gd.max_stable_lr(GAME, gd.optim.optimistic)
    np.testing.assert_allclose(boundary, 1 / (np.sqrt(3) * S_MAX), rtol=1e-8)
    alpha = 0.3 * S_MAX
    root = np.sqrt(complex(1 - 4 * alpha**2))
    expected = max(abs((1 + 2j * alpha + root) / 2), abs((1 + 2j * alpha - root) / 2))
    rho = gd.spectral_radius(bilinear(S_MAX), gd.optim.optimistic(0.3))
    np.testing.assert_allclose(rho, expected, rtol=TIGHT)


@pytest.mark.parametrize("lr", [0.01, 0.5, 3.0, 100.0])
def test_proximal_point_always_converges(lr):
    # (I - lr J)^{-1} has |l| = (1 + lr^2 s^2)^{-1/2}, largest for s_min (Rockafellar 1976).
    rho = gd.spectral_radius(GAME, gd.optim.proximal(lr))
    np.testing.assert_allclose(rho, (1 + lr**2 * S_MIN**2) ** -0.5, rtol=TIGHT)


def test_max_stable_lr_edge_cases():
    assert float(gd.max_stable_lr(GAME, gd.optim.gda)) == 0.0  # never stable
    assert float(gd.max_stable_lr(GAME, gd.optim.proximal)) == np.inf  # always stable
    marginal = gd.max_stable_lr(GAME, lambda lr: gd.optim.gda(lr, alternating=True), marginal=True)
    np.testing.assert_allclose(marginal, 2 / S_MAX, rtol=1e-8)  # lr^2 s_max^2 = 4


def test_memory_rules_act_on_the_augmented_state():
    # Optimistic: z+ = z + 2 eta J z - eta J z_prev; heavy ball: z+ = (I + eta J + beta) z
    # - beta z_prev. In (z_t, z_{t-1}) coordinates the maps are these block matrices.
    J = np.asarray(gd.jacobian(GAME))
    n = J.shape[0]
    I, O = np.eye(n), np.zeros((n, n))
    lr, beta = 0.3, -0.4
    np.testing.assert_allclose(
        gd.update_jacobian(GAME, gd.optim.optimistic(lr)),
        np.block([[I + 2 * lr * J, -lr * J], [I, O]]), atol=TIGHT)
    np.testing.assert_allclose(
        gd.update_jacobian(GAME, gd.optim.momentum(lr, beta)),
        np.block([[(1 + beta) * I + lr * J, -beta * I], [I, O]]), atol=TIGHT)


def test_stateful_bases_have_no_update_jacobian():
    with pytest.raises(ValueError, match="stateful base"):
        gd.update_jacobian(GAME, gd.optim.gda(0.1, base=gd.optim.adam()))


# -- Dirac GAN closed forms (Mescheder, Geiger & Nowozin 2018) --------------------------------
@pytest.mark.parametrize("loss, fp0", [("saturating", 0.5), ("nonsaturating", 0.5), ("wasserstein", 1.0),
                                       ("least_squares", 1.0), ("hinge", 1.0)])
def test_unregularised_dirac_gan_is_purely_rotational(loss, fp0):
    # Sec. 3.1 / Lemma 2.2: J = [[0, -f'(0)], [f'(0), 0]], eigenvalues +-i f'(0).
    values = gd.eigenvalues(gd.games.DiracGAN(loss=loss))
    np.testing.assert_allclose(values, [1j * fp0, -1j * fp0], atol=TIGHT)


@pytest.mark.parametrize("reg", ["r1", "r2"])
@pytest.mark.parametrize("loss", ["nonsaturating", "wasserstein"])
@pytest.mark.parametrize("gamma", [0.3, 1.0, 5.0])
def test_zero_centred_penalties_give_negative_real_parts(reg, loss, gamma):
    # Sec. 4.1: with R1 or R2 the eigenvalues are -gamma/2 +- sqrt(gamma^2/4 - f'(0)^2).
    game = gd.games.DiracGAN(loss=loss, reg=reg, gamma=gamma)
    fp0 = game.f_prime_0
    root = np.sqrt(complex(gamma**2 / 4 - fp0**2))
    expected = np.array([-gamma / 2 + root, -gamma / 2 - root])
    got = np.asarray(gd.eigenvalues(game))
    # double eigenvalues (gamma = 2 f'(0), here 1.0 with f'(0) = 1/2) are only resolved to
    # sqrt(machine eps) by any eigen-solver
    tol = 1e-7 if abs(gamma**2 / 4 - fp0**2) < 1e-12 else TIGHT
    np.testing.assert_allclose(np.sort_complex(got), np.sort_complex(expected), atol=tol)


@pytest.mark.parametrize("loss, fpp0", [("nonsaturating", -0.25), ("least_squares", -1.0)])
def test_instance_noise_damps_with_f_second_derivative(loss, fpp0):
    # Sec. 3.3: with noise std sigma, l = f''(0) sigma^2 +- sqrt(f''(0)^2 sigma^4 - f'(0)^2).
    sigma = 0.8
    game = gd.games.DiracGAN(loss=loss, reg="instance_noise", gamma=sigma)
    fp0 = game.f_prime_0
    root = np.sqrt(complex(fpp0**2 * sigma**4 - fp0**2))
    expected = np.array([fpp0 * sigma**2 + root, fpp0 * sigma**2 - root])
    np.testing.assert_allclose(np.sort_complex(np.asarray(gd.eigenvalues(game))),
                               np.sort_complex(expected), atol=TIGHT)


@pytest.mark.parametrize("gamma", [0.2, 1.0])
def test_consensus_on_the_dirac_gan(gamma):
    # The consensus field F - gamma J^T F has Jacobian J - gamma J^T J at the equilibrium;
    # with J = a [[0, -1], [1, 0]], J^T J = a^2 I: eigenvalues -gamma a^2 +- i a
    # (Mescheder et al. 2017). One step is z + lr (that field), so it is (M - I) / lr.
    lr = 0.05
    game = gd.games.DiracGAN()
    a = game.f_prime_0
    field_jac = (np.asarray(gd.update_jacobian(game, gd.optim.consensus(lr, gamma))) - np.eye(2)) / lr
    np.testing.assert_allclose(np.sort_complex(np.linalg.eigvals(field_jac)),
                               np.sort_complex([-gamma * a**2 - 1j * a, -gamma * a**2 + 1j * a]), atol=1e-10)


@pytest.mark.parametrize("gamma", [0.2, 0.5, 0.9, 1.0, 3.0])
def test_dirac_r1_step_limit_of_simultaneous_gda(gamma):
    # |1 + lr l| < 1 for l = -gamma/2 +- sqrt(gamma^2/4 - a^2): complex l (gamma < 2a) gives
    # lr < -2 Re l / |l|^2 = gamma / a^2; real l gives lr < 2 / |l_min|.
    game = gd.games.DiracGAN(reg="r1", gamma=gamma)
    a = game.f_prime_0
    if gamma < 2 * a:
        expected = gamma / a**2
    else:
        expected = 2 / (gamma / 2 + np.sqrt(gamma**2 / 4 - a**2))
    np.testing.assert_allclose(gd.max_stable_lr(game, gd.optim.gda), expected, rtol=1e-7)


def test_max_stable_lr_vmaps_over_game_parameters():
    gammas = jnp.array([0.2, 0.5, 0.8])
    limits = jax.vmap(lambda g: gd.max_stable_lr(gd.games.DiracGAN(reg="r1", gamma=g), gd.optim.gda))(gammas)
    np.testing.assert_allclose(limits, gammas / 0.25, rtol=1e-7)


# -- stiffness --------------------------------------------------------------------------------
def test_stiffness_of_a_decoupled_quadratic_game():
    # A = 0: eigenvalues -b and -c, no rotation; ratio = max / min of the decay rates.
    game = gd.games.Quadratic(np.zeros((2, 1)), B=np.diag([10.0, 0.5]), C=[[0.1]])
    st = gd.stiffness(game)
    np.testing.assert_allclose(st.ratio, 100.0, rtol=TIGHT)
    np.testing.assert_allclose(st.rotation, 0.0, atol=TIGHT)


def test_stiffness_and_rotation_of_the_dirac_gan():
    # Unregularised: Re l = 0, so the ratio is inf by definition and the rotation inf.
    st = gd.stiffness(gd.games.DiracGAN())
    assert float(st.ratio) == np.inf and np.all(np.asarray(st.rotation) == np.inf)
    # R1, gamma < 2 f'(0): l = -gamma/2 +- i sqrt(a^2 - gamma^2/4); rotation |Im| / |Re|.
    gamma, a = 0.5, 0.5
    st = gd.stiffness(gd.games.DiracGAN(reg="r1", gamma=gamma))
    np.testing.assert_allclose(st.ratio, 1.0, rtol=TIGHT)
    np.testing.assert_allclose(st.rotation, np.sqrt(a**2 - gamma**2 / 4) / (gamma / 2), rtol=TIGHT)


# -- point classification --------------------------------------------------------------------
@pytest.mark.parametrize(
    "A, B, C, kind, strict",
    [
        ([[1.0]], [[1.0]], [[2.0]], "local_nash", True),  # both players at strict minima
        ([[1.0]], [[0.0]], [[0.0]], "local_nash", False),  # bilinear: indifferent players
        ([[2.0]], [[-1.0]], [[1.0]], "local_minimax", True),  # Schur: -1 + 4/1 = 3 > 0
        ([[0.5]], [[-1.0]], [[1.0]], "saddle", False),  # Schur: -1 + 0.25 < 0
        ([[1.0]], [[1.0]], [[-1.0]], "saddle", False),  # the follower sits on a maximum
    ],
)
def test_classify_point_on_quadratic_games(A, B, C, kind, strict):
    # Jin, Netrapalli & Jordan (2020), Prop. 18: strict local minimax iff grad^2_yy f < 0 and
    # grad^2_xx f - grad^2_xy f (grad^2_yy f)^{-1} grad^2_yx f > 0; here f = loss_x, so
    # grad^2_yy f = -C and the Schur complement is B + A C^{-1} A^T.
    point = gd.classify_point(gd.games.Quadratic(A, B=B, C=C))
    assert (point.kind, point.strict) == (kind, strict)


def test_classify_point_off_the_equilibrium_is_none():
    point = gd.classify_point(gd.games.Bilinear([[1.0]]), [1.0, 0.0])
    assert point.kind == "none" and point.residual == pytest.approx(1.0)


def test_dirac_gan_with_r1_is_a_non_strict_nash_equilibrium():
    point = gd.classify_point(gd.games.DiracGAN(reg="r1", gamma=2.0))
    assert (point.kind, point.strict) == ("local_nash", False)
    np.testing.assert_allclose(point.eig_yy, [2.0])  # the penalty's curvature gamma


# -- bad input --------------------------------------------------------------------------------
def test_spectral_functions_name_bad_arguments():
    with pytest.raises(ValueError, match=r"z has shape \(3,\); expected \(6,\)"):
        gd.jacobian(GAME, np.zeros(3))
    with pytest.raises(ValueError, match="rule='gda' is not accepted; expected an update rule"):
        gd.spectral_radius(GAME, "gda")
    with pytest.raises(ValueError, match="method='svd' needs a Bilinear game"):
        gd.eigenvalues(gd.games.DiracGAN(), gd.optim.gda(0.1), method="svd")
    with pytest.raises(ValueError, match="method='fast' is not accepted"):
        gd.eigenvalues(GAME, gd.optim.gda(0.1), method="fast")


# -- regime_of_rho without a logarithm per cell ------------------------------------------
def _by_log(rho, tol):
    """The definition, with the logarithm taken per value under jit (as regime_of_rho did)."""
    rate = jax.jit(jnp.log)(rho)
    code = jnp.where(rate < -tol, 0, jnp.where(rate > tol, 2, 1))
    return np.asarray(jnp.where(jnp.isnan(rate), 2, code))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("tol", [0.0, 1e-300, 1e-9, 1e-6, 1e-3, 0.5, 20.0, 800.0])
def test_regime_of_rho_equals_the_logarithm_on_every_float_near_the_thresholds(tol, dtype):
    """log is monotone, so the classification changes only at two floats; every float within
    300 of each threshold found, on both sides, plus random and special values, classifies as
    the per-value logarithm does (in one large array, so XLA's vectorised loop runs)."""
    from gamedyn.analysis._spectra import _log_thresholds

    if dtype == "float64" and not jax.config.jax_enable_x64:
        pytest.skip("float64 needs x64")
    t = np.dtype(dtype).type
    low, high = _log_thresholds(tol, dtype)
    around = []
    for edge in (low, high):
        v = np.asarray(edge, dtype)
        for direction in (t(0), t(np.inf)):
            w = v
            with np.errstate(over="ignore"):  # past the largest float: inf, a value like any other
                for _ in range(300):
                    w = np.nextafter(w, direction)
                    around.append(w)
        around.append(v)
    rng = np.random.default_rng(0)
    values = np.concatenate([np.asarray(around, dtype), rng.uniform(0, 3, 100_000).astype(dtype),
                             np.exp(rng.uniform(-700 if dtype == "float64" else -87, 700 if dtype == "float64" else 88,
                                                10_000)).astype(dtype),
                             np.asarray([0, np.inf, np.nan, 1e-320 if dtype == "float64" else 1e-40, 1], dtype)])
    rho = jnp.asarray(values)
    fast = np.asarray(jax.jit(lambda r: gd.regime_of_rho(r, tol))(rho))
    np.testing.assert_array_equal(fast, _by_log(rho, tol))
