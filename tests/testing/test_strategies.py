"""The strategies keep their promises (checked with numpy on every drawn example) and shrink
to small, readable examples."""

import numpy as np
import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

import gamedyn as gd
from gamedyn import testing as gt

# Shrinking is only complete with a budget; the ci profile's 20 examples can stop early.
SHRINK = settings(max_examples=200, database=None)


def singular_values(A):
    return np.linalg.svd(np.asarray(A), compute_uv=False)


@given(gt.bilinear_games(min_dim=1, max_dim=4, s_max=(0.5, 3.0), max_condition=5.0))
def test_bilinear_games_respect_scale_and_condition(game):
    s = singular_values(game.A)
    assert 1 <= game.n_x <= 4 and 1 <= game.n_y <= 4
    # A = U diag(s) V^T is formed in float64: singular values come back to ~1e-15 relative
    assert 0.5 - 1e-12 <= s.max() <= 3.0 + 1e-12
    assert s.max() / s.min() <= 5.0 * (1 + 1e-12)


@given(gt.bilinear_games(min_dim=2, max_dim=4, square=True, rank_deficient=True))
def test_rank_deficient_bilinear_games_are_square_and_never_zero(game):
    assert game.n_x == game.n_y
    s = singular_values(game.A)
    assert s.max() >= 0.5 - 1e-12  # at least one nonzero singular value


def test_rank_deficiency_actually_occurs():
    # the strategy can produce an exact kernel (a zero singular value)
    game = find(
        gt.bilinear_games(min_dim=3, max_dim=3, rank_deficient=True),
        lambda g: singular_values(g.A).min() < 1e-12,
        settings=SHRINK,
    )
    assert np.linalg.matrix_rank(np.asarray(game.A)) < 3


def test_games_shrink_to_readable_examples():
    assert np.asarray(find(gt.bilinear_games(), lambda g: True, settings=SHRINK).A).tolist() == [
        [1.0]
    ]
    # a 2x2 game with distinct singular values shrinks to a diagonal one (identity rotations)
    game = find(
        gt.bilinear_games(min_dim=2, max_dim=2),
        lambda g: singular_values(g.A).min() < 0.9 * singular_values(g.A).max(),
        settings=SHRINK,
    )
    A = np.asarray(game.A)
    assert A[0, 1] == A[1, 0] == 0.0
    dirac = find(gt.dirac_gans(), lambda g: True, settings=SHRINK)
    assert (dirac.loss, dirac.reg) == ("nonsaturating", None)
    quad = find(gt.quadratic_games("non_monotone"), lambda g: True, settings=SHRINK)
    assert quad.n_x == quad.n_y == 1


@given(gt.quadratic_games("strongly_monotone", max_dim=3, curvature=(0.2, 2.0)))
def test_strongly_monotone_games(game):
    # the symmetric part of -J is diag(B, C): its eigenvalues are in the curvature range
    eig = np.concatenate(
        [np.linalg.eigvalsh(np.asarray(game.B)), np.linalg.eigvalsh(np.asarray(game.C))]
    )
    assert eig.min() >= 0.2 - 1e-12 and eig.max() <= 2.0 + 1e-12
    A, B, C = (np.asarray(m) for m in (game.A, game.B, game.C))
    J = np.block([[-B, -A], [A.T, -C]])  # the Jacobian of F, written out
    assert np.linalg.eigvalsh(-(J + J.T) / 2).min() >= 0.2 - 1e-12


@given(gt.quadratic_games("monotone", max_dim=3))
def test_monotone_games_are_not_strongly_monotone(game):
    eig = np.concatenate(
        [np.linalg.eigvalsh(np.asarray(game.B)), np.linalg.eigvalsh(np.asarray(game.C))]
    )
    assert eig.min() >= -1e-12 and abs(eig.min()) <= 1e-12


@given(gt.quadratic_games("hamiltonian", max_dim=3))
def test_hamiltonian_games_are_purely_rotational(game):
    assert np.all(np.asarray(game.B) == 0) and np.all(np.asarray(game.C) == 0)
    assert game.n_x == game.n_y and singular_values(game.A).min() > 0
    # J antisymmetric: eigenvalues on the imaginary axis (Balduzzi et al. 2018)
    A = np.asarray(game.A)
    J = np.block([[np.zeros_like(A), -A], [A.T, np.zeros_like(A)]])
    assert np.abs(np.linalg.eigvals(J).real).max() < 1e-12


@given(gt.quadratic_games("non_monotone", max_dim=3))
def test_non_monotone_games_have_a_negative_curvature(game):
    eig = np.concatenate(
        [np.linalg.eigvalsh(np.asarray(game.B)), np.linalg.eigvalsh(np.asarray(game.C))]
    )
    assert eig.min() < 0


@given(gt.quadratic_games("local_minimax", max_dim=3))
def test_local_minimax_games(game):
    B, C, A = (np.asarray(m) for m in (game.B, game.C, game.A))
    assert np.linalg.eigvalsh(C).min() > 0
    assert np.linalg.eigvalsh(B).min() < 0  # not a local Nash equilibrium
    assert np.linalg.eigvalsh(B + A @ np.linalg.solve(C, A.T)).min() > 0  # Schur complement


@pytest.mark.slow  # gd.classify_point's first call costs ~10 s (eager Hessians)
def test_local_minimax_games_are_what_the_classifier_calls_them():
    # Jin, Netrapalli & Jordan 2020, Prop. 18, as gd.classify_point implements it
    game = find(
        gt.quadratic_games("local_minimax", min_dim=2, max_dim=2), lambda g: True, settings=SHRINK
    )
    point = gd.classify_point(game)
    assert (point.kind, point.strict) == ("local_minimax", True)


@given(
    gt.dirac_gans(
        losses=("wasserstein", "hinge"), regs=("r1", None), gamma=(0.5, 1.5), clip=(0.5, 2.0)
    )
)
def test_dirac_gans(game):
    assert game.loss in ("wasserstein", "hinge") and game.reg in ("r1", None)
    assert (game.gamma == 0.0) if game.reg is None else (0.5 <= game.gamma <= 1.5)
    assert 0.5 <= game.clip <= 2.0


@given(gt.step_sizes(0.1, 0.3, ttur=True))
def test_step_sizes(lr):
    values = lr if isinstance(lr, tuple) else (lr,)
    assert all(0.1 <= v <= 0.3 for v in values)


@given(st.data())
def test_every_rule_strategy_builds_valid_rules(data):
    name = data.draw(st.sampled_from(sorted(gt.LINEAR_RULES)))
    rule = data.draw(gt.rules(names=[name]))
    classes = {
        "gda": gd.optim.GDA,
        "extragradient": gd.optim.Extragradient,
        "optimistic": gd.optim.Optimistic,
        "momentum": gd.optim.Momentum,
        "consensus": gd.optim.Consensus,
        "sga": gd.optim.SGA,
        "proximal": gd.optim.Proximal,
        "unrolled": gd.optim.Unrolled,
        "cgd": gd.optim.CGD,
    }
    assert isinstance(
        rule, classes[name]
    )  # constructed, so its hyperparameters passed the rule's checks


def test_rule_strategies_shrink_to_simple_rules():
    assert gt.describe_rule(find(gt.gda_rules(), lambda r: True, settings=SHRINK)) == "gda(lr=0.5)"
    momentum = find(gt.momentum_rules(alternating=False), lambda r: True, settings=SHRINK)
    assert momentum.beta == 0.0 and not momentum.alternating


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: gt.bilinear_games(s_max=(2.0, 1.0)), r"s_max=\(2.0, 1.0\) is not accepted"),
        (lambda: gt.bilinear_games(max_condition=0.5), "max_condition=0.5 is not accepted"),
        (lambda: gt.bilinear_games(min_dim=0), "min_dim=0 is not accepted"),
        (lambda: gt.quadratic_games("convex"), "kind='convex' is not accepted"),
        (lambda: gt.quadratic_games(curvature=(0.0, 1.0)), "curvature=.* is not accepted"),
        (lambda: gt.dirac_gans(losses=("logistic",)), "losses='logistic' is not accepted"),
        (lambda: gt.gda_rules(lr=(-1.0, 1.0)), r"lr=\(-1.0, 1.0\) is not accepted"),
        (lambda: gt.unrolled_rules(k=(0.5, 2)), "k=.* is not accepted"),
        (lambda: gt.consensus_rules(gamma=(-1.0, 1.0)), "gamma=.* is not accepted"),
        (lambda: gt.rules(names=["newton"]), "names='newton' is not accepted"),
        (lambda: gt.step_sizes(ttur="sometimes"), "ttur='sometimes' is not accepted"),
    ],
)
def test_bad_arguments_are_named_when_the_strategy_is_built(make, message):
    with pytest.raises(ValueError, match=message):
        make()
