"""A new toy game, written in this module and registered through the public API, reaches
every layer with no other change: its spectrum, a phase diagram (over its own parameter and
a derived axis), a sympy Jacobian and exact update matrix, and command-line flags in
``gamedyn spectrum`` and ``gamedyn phase``.

The game couples a saturated generator to a linear discriminator,
``loss_x = tanh(x)^T A y + mu |x|^2 / 2``, ``loss_y = -tanh(x)^T A y``. Since ``tanh(0) = 0``,
``tanh'(0) = 1`` and ``tanh''(0) = 0``, its Jacobian at the equilibrium ``0`` is
``[[-mu I, -A], [A^T, 0]]`` (the quadratic game's with ``B = mu I``, ``C = 0``): for one
coordinate each and ``A = (a)``, eigenvalues ``(-mu +- sqrt(mu^2 - 4 a^2)) / 2``, and simultaneous
GDA's update matrix ``I + lr J`` has spectral radius ``max |1 + lr lambda|``. Those closed
forms are what every layer is checked against.
"""

import json
from typing import Any

import numpy as np
import pytest
import sympy as sp
import xarray as xr

import gamedyn as gd
from gamedyn.cli import main
from gamedyn.testing.claims import field_jacobian


@gd.games.pytree_dataclass
class TanhBilinear(gd.games.Game):
    """A saturated generator against a linear discriminator."""

    A: Any = gd.games.hyper(kind="matrix", flag="matrix", cli_default="1", help="coupling matrix A")
    mu: Any = gd.games.hyper(0.0, kind="nonnegative", help="ridge on the generator")
    AXES = {"s": gd.games.Axis("coupling scale: A = s * MATRIX",
                               lambda params, s: {**params, "A": s * np.asarray(params["A"])})}

    @property
    def n_x(self):
        return np.shape(self.A)[0]

    @property
    def n_y(self):
        return np.shape(self.A)[1]

    @property
    def equilibrium(self):
        return np.zeros(self.n_x + self.n_y)

    def _losses(self, ops, x, y):
        coupling = ops.tanh(x) @ self.A @ y
        return coupling + self.mu * ops.sum(x * x) / 2, -coupling


def eigenvalues(a, mu):
    root = np.sqrt(complex(mu**2 - 4 * a**2))
    return np.array([(-mu + root) / 2, (-mu - root) / 2])


def rho_gda(lr, a, mu):
    return np.max(np.abs(1 + lr * eigenvalues(a, mu)))


@pytest.fixture(scope="module", autouse=True)
def registered():
    gd.enable_x64()
    gd.games.register_game("tanh_bilinear", TanhBilinear)
    yield
    del gd.games.GAMES["tanh_bilinear"]


def test_the_registry_lists_it_with_its_parameters_and_axes():
    assert gd.games.GAMES["tanh_bilinear"] is TanhBilinear
    assert list(gd.games.game_parameters("tanh_bilinear")) == ["A", "mu"]
    assert list(gd.games.game_axes("tanh_bilinear")) == ["mu", "s"]
    with pytest.raises(ValueError, match="already the game TanhBilinear"):
        gd.games.register_game("tanh_bilinear", gd.games.Bilinear)


def test_its_spectrum_matches_the_closed_form():
    game = TanhBilinear(np.array([[2.0]]), 0.5)
    got = np.sort_complex(np.asarray(gd.eigenvalues(game)))
    # tolerance: a 2x2 eigenvalue problem in float64
    np.testing.assert_allclose(got, np.sort_complex(eigenvalues(2.0, 0.5)), rtol=1e-12)
    assert float(gd.spectral_radius(game, gd.optim.gda(0.3))) == pytest.approx(rho_gda(0.3, 2.0, 0.5), rel=1e-12)


def test_a_phase_diagram_over_its_own_parameter():
    lrs, mus = np.array([0.1, 0.5, 1.0]), np.array([0.0, 0.5, 1.5])
    ds = gd.phase_diagram(lambda lr, mu: (TanhBilinear(np.array([[1.0]]), mu), gd.optim.gda(lr)),
                          {"lr": lrs, "mu": mus}, steps=50)
    expected = np.vectorize(lambda lr, mu: rho_gda(lr, 1.0, mu))(lrs[:, None], mus[None, :])
    # tolerance: eigenvalues of a 2x2 matrix in float64
    np.testing.assert_allclose(np.asarray(ds["spectral_radius"]).reshape(expected.shape), expected, rtol=1e-12)


def test_its_sympy_jacobian_and_update_matrix():
    a, mu, lr = sp.symbols("a mu lr", positive=True)
    J = gd.symbolic.jacobian_of(TanhBilinear(np.array([[1.0]]), 0.0), A=[[a]], mu=mu)
    assert J == sp.Matrix([[-mu, -a], [a, 0]])
    symbolic = gd.symbolic.from_game(TanhBilinear(np.array([[1.0]]), 0.0), A=[[a]], mu=mu)
    M = gd.symbolic.update_matrix(symbolic, gd.symbolic.rule("gda", lr=lr))
    assert sp.simplify(M - (sp.eye(2) + lr * sp.Matrix([[-mu, -a], [a, 0]]))) == sp.zeros(2, 2)
    # a larger instance: numbers enter exactly, and claims' oracle uses the same path
    A = np.array([[1.0, 0.5], [0.0, 2.0]])
    expected = np.block([[-0.25 * np.eye(2), -A], [A.T, np.zeros((2, 2))]])
    np.testing.assert_array_equal(np.array(gd.symbolic.jacobian_of(TanhBilinear(A, 0.25)), dtype=float), expected)
    np.testing.assert_array_equal(field_jacobian(TanhBilinear(A, 0.25)), expected)


def test_command_line_flags_in_spectrum_and_phase(tmp_path, capsys):
    assert main(["spectrum", "--game", "tanh_bilinear", "--matrix", "2", "--mu", "0.5", "--lr", "0.3",
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["spectral_radius"] == pytest.approx(rho_gda(0.3, 2.0, 0.5), rel=1e-12)
    data = tmp_path / "d.nc"
    assert main(["phase", "--game", "tanh_bilinear", "--axis", "mu=0:1:3", "--axis", "s=0.5,2",
                 "--steps", "20", "--data", str(data)]) == 0
    with xr.open_dataset(data) as ds:
        radius = np.asarray(ds["spectral_radius"])
    mus, scales = np.array([0.0, 0.5, 1.0]), np.array([0.5, 2.0])
    expected = np.vectorize(lambda mu, s: rho_gda(0.1, s, mu))(mus[:, None], scales[None, :])
    np.testing.assert_allclose(radius.reshape(expected.shape), expected, rtol=1e-12)
    with pytest.raises(SystemExit) as stop:
        main(["spectrum", "--game", "bilinear", "--mu", "0.5"])
    assert "--mu is not accepted with --game bilinear" in str(stop.value.code)
    with pytest.raises(SystemExit) as stop:
        main(["spectrum", "--game", "tanh_bilinear", "--loss", "hinge"])
    assert "--loss is not accepted with --game tanh_bilinear; it takes --matrix, --mu" in str(stop.value.code)


def test_a_game_without_losses_is_named():
    @gd.games.pytree_dataclass
    class Empty(gd.games.Game):
        n_x = 1
        n_y = 1

    with pytest.raises(TypeError, match="Empty defines neither losses"):
        Empty().losses(np.zeros(1), np.zeros(1))
    with pytest.raises(ValueError, match="writes its losses in JAX only"):
        gd.symbolic.jacobian_of(gd.games.DiracGAN())
