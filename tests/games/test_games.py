"""Games: losses, fields, equilibria and bad input, against explicit formulas."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gamedyn as gd
from gamedyn.games import Bilinear, DiracGAN, Quadratic, safe_norm

RNG = np.random.default_rng(0)


# -- bilinear ------------------------------------------------------------------------------
def test_bilinear_losses_field_and_jacobian_match_explicit_matrices():
    A = RNG.normal(size=(3, 2))
    game = Bilinear(A)
    x, y = RNG.normal(size=3), RNG.normal(size=2)
    loss_x, loss_y = game.losses(x, y)
    np.testing.assert_allclose(loss_x, x @ A @ y, rtol=1e-14)
    np.testing.assert_allclose(loss_y, -x @ A @ y, rtol=1e-14)
    z = np.concatenate([x, y])
    np.testing.assert_allclose(gd.vector_field(game, z), np.concatenate([-A @ y, A.T @ x]), rtol=1e-14)
    expected = np.block([[np.zeros((3, 3)), -A], [A.T, np.zeros((2, 2))]])
    np.testing.assert_allclose(gd.jacobian(game, z), expected, atol=1e-15)


def test_explicit_fields_agree_with_autodiff_of_the_losses():
    # Bilinear and Quadratic override `field` with formulas; the base class differentiates
    # the losses. Both must give F = -(grad_x loss_x, grad_y loss_y).
    game = Quadratic(RNG.normal(size=(2, 3)), B=RNG.normal(size=(2, 2)), C=RNG.normal(size=(3, 3)),
                     x_star=RNG.normal(size=2), y_star=RNG.normal(size=3))
    x, y = RNG.normal(size=2), RNG.normal(size=3)
    by_autodiff = gd.games.Game.field(game, x, y)
    for got, want in zip(game.field(x, y), by_autodiff):
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_split_and_join_are_inverse_and_check_shapes():
    game = Bilinear(np.ones((2, 3)))
    z = jnp.arange(5.0)
    x, y = game.split(z)
    assert x.shape == (2,) and y.shape == (3,)
    np.testing.assert_array_equal(game.join(x, y), z)
    with pytest.raises(ValueError, match=r"z has shape \(4,\); expected \(5,\)"):
        game.split(jnp.zeros(4))
    with pytest.raises(ValueError, match=r"x has shape \(3,\); expected \(2,\)"):
        game.join(jnp.zeros(3), jnp.zeros(3))


@pytest.mark.parametrize(
    "bad, message",
    [
        ([1.0, 2.0], r"A has shape \(2,\); expected a non-empty 2-D matrix"),
        (np.zeros((0, 2)), "non-empty"),
        ([[1.0, np.nan]], "A=.*not accepted; expected a matrix of finite numbers"),
    ],
)
def test_bilinear_rejects_bad_matrices(bad, message):
    with pytest.raises(ValueError, match=message):
        Bilinear(bad)


# -- quadratic -----------------------------------------------------------------------------
def test_quadratic_jacobian_is_the_block_matrix_and_equilibrium_is_stationary():
    A = RNG.normal(size=(2, 2))
    B = RNG.normal(size=(2, 2))
    C = RNG.normal(size=(2, 2))
    x_star, y_star = np.array([1.0, -2.0]), np.array([0.5, 3.0])
    game = Quadratic(A, B=B, C=C, x_star=x_star, y_star=y_star)
    Bs, Cs = (B + B.T) / 2, (C + C.T) / 2  # only the symmetric parts enter the value
    expected = np.block([[-Bs, -A], [A.T, -Cs]])
    np.testing.assert_allclose(gd.jacobian(game, RNG.normal(size=4)), expected, atol=1e-14)
    np.testing.assert_allclose(game.equilibrium, np.concatenate([x_star, y_star]))
    np.testing.assert_allclose(gd.vector_field(game, game.equilibrium), 0.0, atol=1e-14)


def test_quadratic_rejects_mismatched_blocks():
    with pytest.raises(ValueError, match=r"B has shape \(3, 3\); expected \(2, 2\)"):
        Quadratic(np.ones((2, 1)), B=np.eye(3))
    with pytest.raises(ValueError, match=r"y_star has shape \(2,\); expected \(1,\)"):
        Quadratic(np.ones((2, 1)), y_star=[0.0, 1.0])


# -- Dirac GAN -----------------------------------------------------------------------------
def _f(loss, t):
    """The paper's f, written independently of the package."""
    return {
        "saturating": -np.log1p(np.exp(-t)),
        "nonsaturating": -np.log1p(np.exp(-t)),
        "wasserstein": t,
        "least_squares": -0.5 * (t - 1) ** 2,
        "hinge": -max(0.0, 1 - t),
    }[loss]


@pytest.mark.parametrize("loss", gd.games.DiracGAN.LOSSES)
def test_dirac_losses_match_the_objective(loss):
    theta, psi = 0.7, -1.3
    game = DiracGAN(loss=loss)
    loss_x, loss_y = game.losses(jnp.array([theta]), jnp.array([psi]))
    objective = _f(loss, psi * theta) + _f(loss, 0.0)  # L = f(psi theta) + f(0)
    np.testing.assert_allclose(loss_y, -objective, rtol=1e-14)
    generator = {
        "saturating": _f(loss, psi * theta),
        "nonsaturating": -_f(loss, -psi * theta),
        "least_squares": -_f(loss, -psi * theta),
        "wasserstein": psi * theta,
        "hinge": psi * theta,
    }[loss]
    np.testing.assert_allclose(loss_x, generator, rtol=1e-14)


@pytest.mark.parametrize("loss", gd.games.DiracGAN.LOSSES)
@pytest.mark.parametrize("reg", [None, "r1", "r2", "gp", "instance_noise"])
def test_dirac_equilibrium_is_stationary(loss, reg):
    game = DiracGAN(loss=loss, reg=reg, gamma=0.7)
    np.testing.assert_allclose(gd.vector_field(game, game.equilibrium), 0.0, atol=1e-15)


def test_gradient_penalty_has_the_unregularised_jacobian_at_the_equilibrium():
    # |psi| is not differentiable at 0; with the minimum-norm subgradient the WGAN-GP term
    # contributes nothing to the Jacobian there, so the eigenvalues stay +-i f'(0): the
    # penalty does not make the Dirac GAN locally convergent (Mescheder et al. 2018, Sec. 3.2).
    game = DiracGAN(loss="wasserstein", reg="gp", gamma=2.0)
    np.testing.assert_allclose(gd.jacobian(game), [[0.0, -1.0], [1.0, 0.0]], atol=1e-15)


def test_gradient_penalty_pulls_the_critic_slope_towards_the_target():
    game = DiracGAN(loss="wasserstein", reg="gp", gamma=2.0, gp_target=1.0)
    # loss_y = -(psi theta) + gamma/2 (|psi| - 1)^2 -> F_y = theta - gamma (|psi| - 1) sign(psi)
    for theta, psi in [(0.3, 0.4), (-0.2, -2.5)]:
        _, f_y = game.field(jnp.array([theta]), jnp.array([psi]))
        np.testing.assert_allclose(f_y, theta - 2.0 * (abs(psi) - 1) * np.sign(psi), rtol=1e-14)


def test_clipping_projects_the_critic():
    game = DiracGAN(loss="wasserstein", clip=0.1)
    np.testing.assert_allclose(game.project_y(jnp.array([0.5])), [0.1])
    np.testing.assert_allclose(game.project_y(jnp.array([-0.05])), [-0.05])
    result = gd.simulate(game, gd.optim.gda(0.1), [1.0, 0.0], 200)
    assert np.all(np.abs(np.asarray(result.trajectory[:, 1])) <= 0.1 + 1e-15)


def test_safe_norm_has_the_minimum_norm_subgradient_at_zero():
    assert float(jax.grad(safe_norm)(jnp.array(0.0))) == 0.0
    v = jnp.array([3.0, -4.0])
    np.testing.assert_allclose(jax.grad(safe_norm)(v), v / 5.0, rtol=1e-15)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(loss="bce"), r"loss='bce' is not accepted; expected one of 'saturating'"),
        (dict(reg="l2"), r"reg='l2' is not accepted; expected one of None, 'r1'"),
        (dict(gamma=-1.0), r"gamma=-1.0 is not accepted; expected a finite number >= 0"),
        (dict(gamma=float("inf")), "gamma=inf is not accepted"),
        (dict(clip=0.0), r"clip=0.0 is not accepted; expected a finite number > 0"),
        (dict(noise_nodes=1), r"noise_nodes=1 is not accepted; expected a whole number >= 2"),
    ],
)
def test_dirac_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DiracGAN(**kwargs)


def test_games_are_pytrees_that_vmap_over_parameters():
    gammas = jnp.linspace(0.0, 2.0, 5)
    traces = jax.vmap(lambda g: jnp.trace(gd.jacobian(DiracGAN(reg="r1", gamma=g))))(gammas)
    np.testing.assert_allclose(traces, -gammas, atol=1e-15)  # trace = -gamma (R1 block)
    leaves, treedef = jax.tree.flatten(DiracGAN(loss="hinge", reg="r2", gamma=0.5))
    rebuilt = jax.tree.unflatten(treedef, leaves)
    assert rebuilt.loss == "hinge" and rebuilt.reg == "r2" and rebuilt.gamma == 0.5


@pytest.mark.parametrize("value", ["abc", [["1", "2"]]])
def test_a_matrix_of_strings_is_refused_naming_the_argument(value):
    with pytest.raises(ValueError, match="A=.* is not accepted; expected a matrix of finite numbers"):
        gd.games.Bilinear(value)
