"""Simulation: trajectories, regimes, failures as results, and vectorisation."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gamedyn as gd
from gamedyn._pytree import pytree_dataclass
from gamedyn.games import Game

GAME = gd.games.Bilinear([[1.0]])


def test_trajectory_rows_follow_the_stride_and_match_manual_steps():
    rule = gd.optim.extragradient(0.3)
    z0 = np.array([1.0, -0.5])
    result = gd.simulate(GAME, rule, z0, 23, stride=5)
    assert result.trajectory.shape == (23 // 5 + 1, 2)
    np.testing.assert_array_equal(result.trajectory[0], z0)
    state = rule.init(*GAME.split(jnp.asarray(z0)))
    manual = [z0]
    for t in range(1, 24):
        state = rule.step(GAME, state)
        if t % 5 == 0:
            manual.append(np.concatenate([state.x, state.y]))
    np.testing.assert_allclose(result.trajectory, np.array(manual), atol=1e-14)
    np.testing.assert_allclose(result.distance, np.linalg.norm(manual, axis=1), atol=1e-14)
    # the run still makes all 23 steps: the final state is step 23, not 20
    np.testing.assert_allclose(result.final_state.x, state.x, atol=1e-14)


@pytest.mark.parametrize(
    "rule, regime",
    [
        (gd.optim.gda(0.1), "diverged"),  # rho = sqrt(1.01) > 1
        (gd.optim.gda(0.1, alternating=True), "cycling"),  # rho = 1, lr s < 2
        (gd.optim.extragradient(0.3), "converged"),  # lr s < 1
        (gd.optim.optimistic(0.3), "converged"),  # lr s < 1/sqrt(3)
        (gd.optim.optimistic(0.7), "diverged"),  # lr s > 1/sqrt(3)
        (gd.optim.proximal(0.5), "converged"),
        (gd.optim.momentum(0.5, -0.3, alternating=True), "converged"),
        (gd.optim.momentum(0.1, 0.5), "diverged"),  # positive momentum hurts
    ],
)
def test_regimes_on_the_bilinear_game(rule, regime):
    result = gd.simulate(GAME, rule, [1.0, 1.0], 3000)
    assert result.regime == regime
    assert result.message.startswith(regime)
    predicted = gd.regime_name(gd.regime_of_rho(gd.spectral_radius(GAME, rule)))
    assert predicted == regime


def test_blow_up_is_reported_at_the_step_it_happens():
    # Simultaneous GDA on s x y scales |z| by exactly sqrt(1 + lr^2) per step (a scaled
    # rotation), so the first step beyond blowup * max(|z0|, 1) is known in closed form.
    lr, z0 = 0.5, np.array([0.3, 0.4])  # |z0| = 0.5
    growth = np.sqrt(1 + lr**2)
    expected = int(np.ceil(np.log(1e6 / 0.5) / np.log(growth)))
    assert 0.5 * growth**expected > 1e6 > 0.5 * growth ** (expected - 1)
    result = gd.simulate(GAME, gd.optim.gda(lr), z0, 200)
    assert result.regime == "diverged"
    assert int(result.step_of_failure) == expected
    assert gd.analysis.FAILURES[int(result.failure)] == "blow-up"
    assert f"step {expected}" in result.message
    assert np.all(np.isnan(np.asarray(result.trajectory[expected:])))
    np.testing.assert_allclose(result.final_distance, 0.5 * growth ** (expected - 1), rtol=1e-12)


@pytree_dataclass
class SqrtGame(Game):
    """loss_x = sqrt(x): F_x = -1 / (2 sqrt(x)) is NaN once x < 0. y plays no role."""

    scale: float = 1.0
    n_x = 1
    n_y = 1

    def losses(self, x, y):
        return self.scale * jnp.sqrt(x[0]), 0.0 * y[0]

    @property
    def equilibrium(self):
        return None


def test_nan_is_a_classified_result_with_its_step():
    # x0 = 1, lr = 1: x1 = 1 - 1/2 = 0.5, x2 = 0.5 - 1/(2 sqrt(0.5)) = -0.207, x3 = NaN.
    result = gd.simulate(SqrtGame(), gd.optim.gda(1.0), [1.0, 0.0], 10)
    assert result.regime == "diverged"
    assert int(result.step_of_failure) == 3
    assert result.message == "diverged: non-finite value at step 3"
    x2 = 0.5 - 1 / (2 * np.sqrt(0.5))
    np.testing.assert_allclose(result.final_state.x, [x2], rtol=1e-14)
    np.testing.assert_allclose(result.trajectory[:3, 0], [1.0, 0.5, x2], rtol=1e-14)
    assert np.all(np.isnan(np.asarray(result.trajectory[3:])))


def test_convergence_to_a_point_other_than_the_equilibrium_is_converged():
    # A game with no known equilibrium: distances are measured from z0, and the steps
    # shrinking geometrically is what shows convergence.
    game = gd.games.Quadratic([[0.0]], B=[[1.0]], C=[[1.0]], x_star=[2.0], y_star=[-1.0])

    @pytree_dataclass
    class Hidden(Game):
        inner: Game
        n_x = 1
        n_y = 1

        def losses(self, x, y):
            return self.inner.losses(x, y)

    result = gd.simulate(Hidden(game), gd.optim.gda(0.2), [0.0, 0.0], 500)
    assert result.regime == "converged"
    np.testing.assert_allclose(result.trajectory[-1], [2.0, -1.0], atol=1e-12)


def test_simulate_vmaps_over_starts_and_hyperparameters():
    z0s = jnp.array([[1.0, 0.0], [0.0, 2.0], [0.5, 0.5]])
    batched = jax.vmap(lambda z: gd.simulate(GAME, gd.optim.extragradient(0.3), z, 100))(z0s)
    assert batched.trajectory.shape == (3, 101, 2)
    for i in range(3):
        single = gd.simulate(GAME, gd.optim.extragradient(0.3), z0s[i], 100)
        np.testing.assert_allclose(batched.trajectory[i], single.trajectory, atol=1e-15)
    lrs = jnp.array([0.1, 0.5, 2.5])
    by_lr = jax.vmap(lambda lr: gd.simulate(GAME, gd.optim.gda(lr, alternating=True), jnp.ones(2), 2000))(lrs)
    # alternating GDA: cycling while lr^2 s^2 < 4, diverging beyond (lr = 2.5)
    assert list(by_lr.regime) == ["cycling", "cycling", "diverged"]
    assert len(by_lr.message) == 3


def test_starting_at_the_equilibrium_is_converged():
    result = gd.simulate(GAME, gd.optim.gda(0.1), [0.0, 0.0], 50)
    assert result.regime == "converged" and float(result.final_distance) == 0.0


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(z0=[np.nan, 0.0]), r"z0=.*not accepted; expected finite numbers"),
        (dict(z0=[0.0, 0.0, 0.0]), r"z has shape \(3,\); expected \(2,\)"),
        (dict(steps=0), r"steps=0 is not accepted; expected a whole number >= 1"),
        (dict(stride=20), r"stride=20 is not accepted; expected 1 <= stride <= steps=10"),
        (dict(tol=-1.0), r"tol=-1.0 is not accepted"),
        (dict(rule="extragradient"), r"rule='extragradient' is not accepted"),
    ],
)
def test_simulate_names_bad_arguments(kwargs, message):
    args = dict(game=GAME, rule=gd.optim.gda(0.1), z0=[1.0, 0.0], steps=10)
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        gd.simulate(**args)


def test_a_run_at_rest_away_from_the_equilibrium_says_so():
    # A = [[1, 0]]: y_2 never enters the game, so extragradient (lr s = 0.1 < 1 converges on
    # the coupled pair, Korpelevich 1976) leaves y_2 where it started: the run comes to rest
    # at distance |y_2(0)| = 1 from z* = 0, up to the coupled pair's remainder: it decays
    # like |l|^t with |l|^2 = 1 - h^2 + h^4 (h = 0.1), ~5e-5 at t = 2000, so the distance is
    # 1 + O((5e-5)^2) ~ 1 + 1e-9.
    result = gd.simulate(gd.games.Bilinear([[1.0, 0.0]]), gd.optim.extragradient(0.1), [1.0, 1.0, 1.0], 2000)
    assert result.regime == "converged" and bool(result.elsewhere)
    assert float(result.final_distance) == pytest.approx(1.0, abs=1e-8)
    assert result.message.startswith("converged away from the equilibrium: at rest at distance 1 ")
    square = gd.simulate(gd.games.Bilinear([[1.0]]), gd.optim.extragradient(0.1), [1.0, 1.0], 2000)
    assert square.regime == "converged" and not bool(square.elsewhere)
