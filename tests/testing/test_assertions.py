"""assert_converges / assert_cycles / assert_diverges: both judges, readable failures, and the
documented workflow of property-testing a new rule."""

import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

import gamedyn as gd
from gamedyn import testing as gt

ONE = gd.games.Bilinear([[1.0]])


def test_each_regime_passes_where_the_closed_form_says():
    # extragradient: |l|^2 = 1 - a + a^2 (a = lr^2 s^2); lr = 0.5 gives rho = sqrt(13/16)
    report = gt.assert_converges(ONE, gd.optim.extragradient(0.5))
    assert report.rho == pytest.approx(math.sqrt(13 / 16), rel=1e-12)
    assert (report.predicted, report.simulated, report.decisive) == ("converged", "converged", True)
    # alternating GDA: det = 1, |trace| < 2 for lr s < 2 (Bailey et al. 2020)
    report = gt.assert_cycles(ONE, gd.optim.gda(1.5, alternating=True))
    assert report.rho == pytest.approx(1.0, abs=1e-12)
    # simultaneous GDA: rho = sqrt(1 + lr^2 s^2)
    report = gt.assert_diverges(ONE, gd.optim.gda(0.3))
    assert report.rho == pytest.approx(math.sqrt(1.09), rel=1e-12)


def test_failure_message_shows_game_hyperparameters_rho_and_trajectory():
    game = gd.games.Bilinear([[1.0, 0.0], [0.0, 0.5]])
    with pytest.raises(AssertionError) as info:
        gt.assert_converges(game, gd.optim.gda((0.1, 0.2), alternating=True))
    message = str(info.value)
    assert "expected the rule to converge on the game" in message
    assert "[[1.  0. ]\n     [0.  0.5]]" in message  # the matrix
    assert "rule: gda(lr=(0.1, 0.2), alternating=True)" in message  # the hyperparameters
    assert "rho = 1 -> predicted cycling   <-- expected converged" in message
    assert "simulation:  cycling" in message
    assert "trajectory |z_t - z*| from z0 = [" in message and "t=0: 0.1" in message
    assert "update-map eigenvalues:" in message


def test_failure_when_only_the_spectrum_disagrees():
    # EG converges for lr s < 1; at lr s = 1.2 it diverges slowly? no: |l|^2 = 1 - 1.44 + 2.07
    with pytest.raises(AssertionError, match="predicted diverged   <-- expected cycling"):
        gt.assert_cycles(ONE, gd.optim.extragradient(1.2))


def test_dirac_gan_regimes_are_local():
    # Mescheder et al. 2018: R1 converges; unregularised simultaneous GDA diverges locally
    # (rho = sqrt(1 + lr^2 f'(0)^2)), although far from the equilibrium the logistic loss
    # saturates; the assertion simulates close to the equilibrium, where that is true.
    gt.assert_converges(gd.games.DiracGAN(reg="r1", gamma=1.0), gd.optim.gda(0.5))
    report = gt.assert_diverges(gd.games.DiracGAN(), gd.optim.gda(1.0))
    assert report.rho == pytest.approx(math.sqrt(1.25), rel=1e-12)
    assert np.linalg.norm(report.z0) < 1e-3  # started in the linear regime
    assert report.simulation.regime == "diverged"
    # alternating GDA on the unregularised GAN conserves energy: it cycles
    gt.assert_cycles(gd.games.DiracGAN(loss="wasserstein"), gd.optim.gda(0.3, alternating=True))


def test_stateful_bases_are_judged_by_simulation_only():
    rule = gd.optim.gda(0.05, base=gd.optim.adam())
    report = gt.regime_report(ONE, rule, steps=1000)
    assert report.rho is None and report.predicted is None and report.simulated in gd.REGIMES
    with pytest.raises(ValueError, match="spectrum=True, but gda.*has no linearisation"):
        gt.assert_converges(ONE, rule, spectrum=True)


def test_spectrum_or_simulation_can_be_skipped():
    report = gt.assert_diverges(ONE, gd.optim.gda(0.3), simulation=False)
    assert report.simulation is None
    report = gt.assert_diverges(ONE, gd.optim.gda(0.3), spectrum=False, steps=2000)
    assert report.rho is None and report.simulated == "diverged"


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="regime='stable' is not accepted"):
        gt.assert_regime(ONE, gd.optim.gda(0.1), "stable")
    with pytest.raises(ValueError, match="rule='gda' is not accepted"):
        gt.assert_converges(ONE, "gda")
    with pytest.raises(ValueError, match="steps=3 is not accepted"):
        gt.assert_converges(ONE, gd.optim.extragradient(0.5), steps=3)
    with pytest.raises(ValueError, match="z0=None needs a known equilibrium"):
        gt.assert_converges(_NoEquilibrium(), gd.optim.gda(0.1))


@gt.pytree_dataclass
class _NoEquilibrium(gd.games.Game):
    n_x = 1
    n_y = 1

    def losses(self, x, y):
        return (x * y)[0], -(x * y)[0]


# -- property tests, as a user writes them -----------------------------------------------------
@given(game=gt.bilinear_games(square=True, max_dim=2, max_condition=4.0), u=st.floats(0.05, 0.95))
def test_extragradient_converges_below_one_over_s_max(game, u):
    # Korpelevich 1976 / Mokhtari et al. 2020: converges iff lr s_max < 1
    s_max = np.linalg.svd(np.asarray(game.A), compute_uv=False).max()
    gt.assert_converges(game, gd.optim.extragradient(u / s_max), steps=2000)


@given(
    # 1x1 games: each size compiles the proximal solver again; the claim
    # proximal-point-bilinear covers larger games
    game=gt.bilinear_games(max_dim=1),
    rule=gt.proximal_rules(lr=(0.1, 10.0), ttur=False),
)
def test_proximal_point_always_converges(game, rule):
    # rho = (1 + lr^2 s_min^2)^{-1/2} < 1 for every lr (Rockafellar 1976)
    gt.assert_converges(game, rule, steps=2000)


@gt.pytree_dataclass
class Lookahead(gd.optim.Rule):
    """Lookahead-minimax (Chavdarova et al. 2021): k GDA steps, then move alpha of the way."""

    lr: float
    alpha: float = 0.5
    k: int = 5

    def _step(self, oracle, state):
        def gda(z):
            fx, fy = oracle.field(*z)
            return oracle.axpy(self.lr, fx, z[0]), oracle.axpy(self.lr, fy, z[1])

        xk, yk = oracle.repeat(self.k, gda, (state.x, state.y))
        x = oracle.axpy(self.alpha, oracle.sub(xk, state.x), state.x)
        y = oracle.axpy(self.alpha, oracle.sub(yk, state.y), state.y)
        return state._replace(x=x, y=y, count=state.count + 1)


# The exact region of the new rule, derived once by gd.symbolic from its own code.
_REGION = gd.symbolic.in_terms_of(
    gd.symbolic.convergence_region(
        gd.symbolic.bilinear(), gd.symbolic.rule(Lookahead(lr=0.1), alpha=0.5)
    )
)
LOOKAHEAD_LIMIT = float(_REGION[1].sup)  # region: 0 < lr s < LOOKAHEAD_LIMIT


def test_the_new_rules_symbolic_region_is_an_interval_of_lr_s():
    combination, values = _REGION
    assert combination == sp.Symbol("lr", positive=True) * sp.Symbol("s", positive=True)
    assert values.inf == 0 and 0.3 < LOOKAHEAD_LIMIT < 1.5


@given(game=gt.bilinear_games(square=True, max_dim=2, max_condition=3.0), u=st.floats(0.1, 0.95))
def test_lookahead_converges_inside_its_symbolic_region(game, u):
    s = np.linalg.svd(np.asarray(game.A), compute_uv=False)
    lr = u * LOOKAHEAD_LIMIT / s.max()
    gt.assert_converges(game, Lookahead(lr=lr), steps=2000)


def test_lookahead_diverges_beyond_its_symbolic_region():
    gt.assert_diverges(ONE, Lookahead(lr=1.2 * LOOKAHEAD_LIMIT))
