"""A new rule, written in this module and registered through the public API, reaches every
layer with no other change: its spectrum, a phase diagram, a symbolic update matrix, a torch
GameOptimizer, command-line flags in ``gamedyn spectrum`` and ``gamedyn phase``, a
TrainConfig rule and a Hypothesis strategy.

The rule is weight-decayed GDA, ``p+ = p + lr (F_p - decay p)``. On the bilinear game
``x * s * y`` its update matrix is ``[[1 - lr d, -lr s], [lr s, 1 - lr d]]`` (with one
``lr`` and one ``d`` for both players), whose eigenvalues ``1 - lr d +- i lr s`` have modulus
``sqrt((1 - lr d)^2 + (lr s)^2)``: the closed form every layer is checked against.
"""

from typing import Any

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import gamedyn as gd
from gamedyn.cli import main


@gd.optim.pytree_dataclass
class DecayedGDA(gd.optim.Rule):
    """Simultaneous GDA with weight decay: ``p+ = p + lr (F_p - decay p)``."""

    lr: Any = gd.optim.hyper(kind="step", pair=True, help="step size")
    decay: Any = gd.optim.hyper(kind="nonnegative", pair=True, cli_default=0.5, draw=(0.0, 1.0),
                                help="weight decay of each player")
    base: Any = gd.optim.hyper(None, kind="base", help="per-player base transformation")

    def _step(self, oracle, state):
        x, y = state.x, state.y
        bx, by = state.base
        fx, fy = oracle.field(x, y)
        dx, dy = self.per_player("decay")
        x1, bx = self._move(oracle, "x", x, oracle.axpy(-dx, x, fx), bx, self.lr_x)
        y1, by = self._move(oracle, "y", y, oracle.axpy(-dy, y, fy), by, self.lr_y)
        return state._replace(x=x1, y=y1, base=(bx, by), count=state.count + 1)


def rho(lr, decay, s=1.0):
    return np.hypot(1 - lr * decay, lr * s)


@pytest.fixture(scope="module", autouse=True)
def registered():
    gd.enable_x64()
    gd.optim.register_rule("decayed_gda", DecayedGDA)
    yield
    del gd.optim.RULES["decayed_gda"]


def test_the_registry_lists_it_with_its_hyperparameters():
    assert gd.optim.RULES["decayed_gda"] is DecayedGDA
    assert list(gd.optim.hyperparameters("decayed_gda")) == ["lr", "decay", "base"]
    assert gd.optim.takes_base("decayed_gda")
    with pytest.raises(ValueError, match="decay=-1.0 is not accepted"):
        gd.optim.rule_named("decayed_gda", 0.1, decay=-1.0)
    with pytest.raises(ValueError, match="beta is not accepted by rule='decayed_gda'; it takes decay, base"):
        gd.optim.rule_named("decayed_gda", 0.1, beta=0.5)


def test_its_spectrum_matches_the_closed_form():
    game = gd.games.Bilinear([[2.0]])
    rule = gd.optim.rule_named("decayed_gda", 0.3, decay=0.5)
    # tolerance: a 2x2 eigenvalue problem in float64
    assert float(gd.spectral_radius(game, rule)) == pytest.approx(rho(0.3, 0.5, 2.0), rel=1e-12)


def test_a_phase_diagram_over_its_own_hyperparameter():
    game = gd.games.Bilinear([[1.0]])
    lrs, decays = np.array([0.1, 0.5, 1.0]), np.array([0.0, 0.5, 1.5])
    ds = gd.phase_diagram(lambda lr, decay: (game, DecayedGDA(lr, decay)), {"lr": lrs, "decay": decays}, steps=50)
    expected = rho(lrs[:, None], decays[None, :])
    # tolerance: eigenvalues of a 2x2 matrix in float64
    np.testing.assert_allclose(np.asarray(ds["spectral_radius"]).reshape(expected.shape), expected, rtol=1e-12)


def test_its_symbolic_update_matrix():
    from gamedyn import symbolic

    r = symbolic.rule("decayed_gda")
    M = symbolic.update_matrix(symbolic.bilinear(), r)
    assert {v.name for v in M.free_symbols} == {"lr", "decay", "s"}
    by_name = {v.name: v for v in M.free_symbols}
    lr, decay, s = by_name["lr"], by_name["decay"], by_name["s"]
    assert lr.is_positive and decay.is_positive  # the declared kinds decide the assumptions
    expected = sp.Matrix([[1 - lr * decay, -lr * s], [lr * s, 1 - lr * decay]])
    assert sp.simplify(M - expected) == sp.zeros(2, 2)


def test_a_torch_game_optimizer_takes_the_same_step():
    import torch

    x = torch.tensor([1.0, -0.5], dtype=torch.float64, requires_grad=True)
    y = torch.tensor([0.25, 2.0], dtype=torch.float64, requires_grad=True)
    A = torch.tensor([[1.0, 0.5], [-0.3, 2.0]], dtype=torch.float64)
    rule = DecayedGDA((0.1, 0.2), (0.3, 0.7))
    opt = gd.bridge.GameOptimizer(rule, [x], [y])
    opt.step(lambda: (x @ A @ y, -(x @ A @ y)))
    game = gd.games.Bilinear(A.numpy())
    state = rule.step(game, rule.init(np.array([1.0, -0.5]), np.array([0.25, 2.0])))
    # independent hand computation: F_x = -A y, F_y = A^T x
    x0, y0, An = np.array([1.0, -0.5]), np.array([0.25, 2.0]), A.numpy()
    np.testing.assert_allclose(x.detach().numpy(), x0 + 0.1 * (-An @ y0 - 0.3 * x0), rtol=1e-14)
    np.testing.assert_allclose(y.detach().numpy(), y0 + 0.2 * (An.T @ x0 - 0.7 * y0), rtol=1e-14)
    np.testing.assert_allclose(np.asarray(state.x), x.detach().numpy(), rtol=1e-14)

    # and the real-network update map: linearised through the torch executor (no new code)
    u = torch.tensor([0.3, -0.2, 0.1], dtype=torch.float64, requires_grad=True)
    v = torch.tensor([0.5, 0.4, -0.6], dtype=torch.float64, requires_grad=True)
    opt = gd.bridge.GameOptimizer(DecayedGDA(0.3, 0.5), [u], [v])
    spectrum = gd.bridge.update_spectrum(opt, lambda: (u @ v, -(u @ v)), k=2)
    # tolerance: ARPACK on a 6x6 map to its default 1e-8
    assert spectrum.rho == pytest.approx(rho(0.3, 0.5), rel=1e-7)


def test_command_line_flags_in_spectrum_and_phase(tmp_path, capsys):
    assert main(["spectrum", "--game", "bilinear", "--rule", "decayed_gda", "--lr", "0.3", "--decay", "0.5",
                 "--json"]) == 0
    import json

    out = json.loads(capsys.readouterr().out)
    assert out["spectral_radius"] == pytest.approx(rho(0.3, 0.5), rel=1e-12)
    assert main(["phase", "--game", "bilinear", "--rule", "decayed_gda", "--axis", "decay=0:1:3",
                 "--axis", "lr=0.1,0.5", "--steps", "20", "--data", str(tmp_path / "d.nc")]) == 0
    with pytest.raises(SystemExit) as stop:
        main(["spectrum", "--rule", "gda", "--decay", "0.5"])
    assert "--decay is not accepted with --rule gda" in str(stop.value.code)
    assert "decayed_gda: weight decay of each player" in _help(["spectrum", "--help"], capsys)


def _help(argv, capsys):
    with pytest.raises(SystemExit):
        main(argv)
    return capsys.readouterr().out


def test_a_train_config_names_it():
    config = gd.bridge.TrainConfig(rule="decayed_gda", rule_options={"decay": 0.2}, out="unused")
    from gamedyn.bridge._train import build_rule

    rule = build_rule(config)
    assert isinstance(rule, DecayedGDA) and rule.decay == 0.2 and rule.base is not None
    with pytest.raises(ValueError, match="beta=0.9 is not accepted with rule='decayed_gda'"):
        gd.bridge.TrainConfig(rule="decayed_gda", beta=0.9)


# deferred: the strategy is built when first drawn, after the fixture registered the rule
@settings(max_examples=25, deadline=None)
@given(rule=st.deferred(lambda: gd.testing.rule_strategy("decayed_gda", ttur=False)))
def test_a_hypothesis_strategy_draws_valid_rules(rule):
    assert isinstance(rule, DecayedGDA)
    assert 0.0 <= float(rule.decay) <= 1.0
    got = float(gd.spectral_radius(gd.games.Bilinear([[1.0]]), rule))
    # tolerance: 2x2 eigenvalues in float64
    assert got == pytest.approx(rho(float(rule.lr), float(rule.decay)), rel=1e-10)
