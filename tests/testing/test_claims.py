"""The claim checker: every verdict path, minimal counterexamples, reproducibility, and the
shipped library's bookkeeping (the full library runs in tests/cli/test_check_cli.py)."""

import json
import math

import jax.numpy as jnp
import pytest
from hypothesis import strategies as st

import gamedyn as gd
from gamedyn import testing as gt
from gamedyn.testing import claims

ONE_BY_ONE = gt.bilinear_games(max_dim=1, s_max=(0.5, 2.0))


def eg_claim(low, high, **kwargs):
    fields = dict(
        name="eg-test",
        statement="extragradient converges",
        games=ONE_BY_ONE,
        games_text="1x1 bilinear games",
        rule=lambda game, u: gd.optim.extragradient(u / float(abs(game.A[0, 0]))),
        rule_text="extragradient(lr)",
        region={"u": gt.Param("lr s", gt.Interval(low, high))},
        regime="converged",
        source="Korpelevich 1976",
    )
    fields.update(kwargs)
    return gt.Claim(**fields)


def test_a_true_claim_is_verified_and_its_tightest_example_simulated():
    verdict = gt.check(eg_claim(0.1, 0.9), examples=15)
    assert verdict.status == "verified" and verdict.matches and verdict.examples == 15
    assert verdict.role == "tightest"
    # the closest call: largest rho among the examples; |l|^2 = 1 - a + a^2 (a = (lr s)^2)
    u = verdict.example.coordinates["u"]
    assert verdict.example.rho == pytest.approx(math.sqrt(1 - u**2 + u**4), rel=1e-12)
    assert verdict.example.report.simulated == "converged"


def test_a_false_claim_is_refuted_with_a_minimal_counterexample():
    claim = eg_claim(0.5, 1.5, expected="refuted")
    verdict = gt.check(claim, examples=50)
    assert verdict.status == "refuted" and verdict.matches and verdict.role == "counterexample"
    example = verdict.example
    # a counterexample lies where lr s >= 1 (rho >= 1); shrinking makes it a short number
    assert example.coordinates["u"] >= 1.0 and len(repr(example.coordinates["u"])) <= 6
    assert example.predicted in ("cycling", "diverged")
    text = verdict.describe()
    assert "counterexample (minimal after shrinking)" in text
    assert "Bilinear game x^T A y, A =" in text and "rho = " in text and "t=0:" in text


def test_the_search_is_reproducible():
    claim = eg_claim(0.5, 1.5, expected="refuted")
    first = gt.check(claim, examples=30, seed=3)
    second = gt.check(claim, examples=30, seed=3)
    assert first.example.coordinates == second.example.coordinates
    assert jnp.array_equal(first.example.game.A, second.example.game.A)


def test_existential_claims_find_a_witness_or_report_none():
    some = dict(quantifier="some", statement="some step converges")
    verdict = gt.check(eg_claim(0.5, 1.5, **some), examples=30)
    assert verdict.status == "verified" and verdict.role == "witness"
    assert verdict.example.coordinates["u"] < 1
    # simultaneous GDA: rho = sqrt(1 + lr^2 s^2) > 1, so no witness exists
    none = eg_claim(
        0.1,
        1.0,
        expected="refuted",
        **some,
        rule=lambda game, u: gd.optim.gda(u / float(abs(game.A[0, 0]))),
    )
    verdict = gt.check(none, examples=20)
    assert verdict.status == "refuted" and verdict.matches and verdict.role == "closest"
    assert "no witness among 20 examples" in verdict.note


@gt.pytree_dataclass
class SmallBasin(gd.games.Game):
    """F(z) = -z + 1000 z^3 per coordinate (each player minimises its own loss): the
    equilibrium 0 attracts (J = -I) only within |z_i| < 1/sqrt(1000) ~ 0.03; a simulation
    started at distance 0.1 (the checker's default) runs away."""

    n_x = 1
    n_y = 1

    @property
    def equilibrium(self):
        return jnp.zeros(2)

    def losses(self, x, y):
        return (x**2 / 2 - 250 * x**4)[0], (y**2 / 2 - 250 * y**4)[0]


def test_a_simulation_that_contradicts_the_spectrum_makes_the_verdict_inconsistent():
    claim = gt.Claim(
        name="small-basin",
        statement="GDA converges",
        games=st.just(SmallBasin()),
        games_text="one game",
        rule=lambda game, u: gd.optim.gda(u),
        rule_text="gda(lr)",
        region={"u": gt.Param("lr", gt.Interval(0.1, 0.5))},
        regime="converged",
        source="test",
    )
    verdict = gt.check(claim, examples=5)
    assert verdict.status == "inconsistent" and not verdict.matches
    assert "the simulation says diverged where the spectrum says converged" in verdict.note


def test_a_rule_that_cannot_be_built_is_an_error_verdict():
    claim = eg_claim(0.1, 0.9, rule=lambda game, u: gd.optim.gda(-u))
    verdict = gt.check(claim, examples=5)
    assert verdict.status == "error" and not verdict.matches
    assert "lr=" in verdict.note and "is not accepted" in verdict.note


def test_verdicts_are_valid_json():
    verdict = gt.check(claims.get("optimism-any-step-below-1"), examples=20)
    data = json.loads(json.dumps(verdict.to_dict(), allow_nan=False))
    assert data["verdict"] == "refuted" and data["matches"] is True
    example = data["example"]
    assert example["game"]["type"] == "Bilinear" and example["rule"]["type"] == "Optimistic"
    assert example["simulated"] == "diverged" and len(example["trajectory_norms"]) >= 2


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(name="Bad Name"), "name='Bad Name' is not accepted"),
        (dict(regime="stable"), "regime='stable' is not accepted"),
        (dict(expected="true"), "expected='true' is not accepted"),
        (dict(quantifier="most"), "quantifier='most' is not accepted"),
        (dict(games=[1, 2]), "games=.* is not accepted"),
        (dict(region={"u": gt.Interval(0.0, 1.0)}), r"region\['u'\]=.* is not accepted"),
    ],
)
def test_claims_name_bad_fields(change, message):
    with pytest.raises(ValueError, match=message):
        eg_claim(0.1, 0.9, **change)


def test_intervals_and_check_arguments_are_validated():
    with pytest.raises(ValueError, match="expected finite low < high"):
        gt.Interval(1.0, 0.5)
    with pytest.raises(ValueError, match="examples=0 is not accepted"):
        gt.check(eg_claim(0.1, 0.9), examples=0)
    with pytest.raises(ValueError, match="claim='eg' is not accepted"):
        gt.check("eg")
    with pytest.raises(ValueError, match="did you mean optimistic-bilinear"):
        claims.get("optimistic-bilinar")


def test_the_library():
    library = claims.CLAIMS
    assert len(library) >= 15
    assert len({c.name for c in library}) == len(library)
    expected = [c.expected for c in library]
    assert expected.count("verified") >= 8 and expected.count("refuted") >= 8
    for c in library:
        assert c.source and c.equation and c.statement.endswith(".")
        if c.expected == "refuted":
            assert "folklore" in c.source  # false claims say so, and who refutes them
    # the four folklore claims issue 5 names
    for name in (
        "simultaneous-gda-small-steps",
        "alternating-gda-converges",
        "positive-momentum-helps",
        "optimism-any-step-below-1",
    ):
        assert claims.get(name).expected == "refuted"
    for name in (
        "extragradient-bilinear",
        "proximal-point-bilinear",
        "r1-dirac-simultaneous",
        "negative-momentum-alternating",
    ):
        assert claims.get(name).expected == "verified"


def test_game_quantities_from_closed_forms():
    # Dirac GAN with R1: J = [[0, -a], [a, -gamma]]; sim GDA limit gamma / a^2 for gamma < 2a
    # (Mescheder et al. 2017, |1 + lr l| < 1; a = 1/2)
    game = gd.games.DiracGAN(reg="r1", gamma=0.6)
    assert claims.gda_step_limit(claims.field_jacobian(game)) == pytest.approx(
        0.6 / 0.25, rel=1e-12
    )
    # real eigenvalues (gamma > 2a): 2 / |l_min| with l = -gamma/2 - sqrt(gamma^2/4 - a^2)
    game = gd.games.DiracGAN(reg="r1", gamma=3.0)
    assert claims.gda_step_limit(claims.field_jacobian(game)) == pytest.approx(
        2 / (1.5 + math.sqrt(2.25 - 0.25)), rel=1e-12
    )
    quad = gd.games.Quadratic([[1.0]], B=[[0.5]], C=[[2.0]])
    assert claims.monotonicity(quad) == pytest.approx(0.5)
    # J = [[-0.5, -1], [1, -2]]: J^T J has trace 6.25 and determinant 4, so
    # |J|_2^2 = (6.25 + sqrt(6.25^2 - 16)) / 2
    assert claims.lipschitz(quad) == pytest.approx(
        math.sqrt((6.25 + math.sqrt(6.25**2 - 16)) / 2), rel=1e-12
    )
