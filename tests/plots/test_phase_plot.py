"""gd.plots.phase: heat map centred at rho = 1, regime contours, theory boundary overlays."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import sympy  # noqa: E402

import gamedyn as gd  # noqa: E402


@pytest.fixture(scope="module")
def ds():
    lr = np.linspace(0.1, 3.0, 25)
    return gd.phase_diagram(
        lambda lr_x, lr_y: (gd.games.Bilinear([[1.0]]), gd.optim.gda((lr_x, lr_y), alternating=True)),
        {"lr_x": lr, "lr_y": lr}, steps=400)


def test_spectral_radius_map_is_centred_at_one_with_contours_and_a_sympy_boundary(ds, tmp_path):
    lr_x, lr_y = sympy.symbols("lr_x lr_y")
    ax = gd.plots.phase(ds, boundary=sympy.Eq(lr_x * lr_y, 4))
    mesh = ax.collections[0]
    assert mesh.norm.vcenter == 1.0  # white at rho = 1
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["predicted border", "observed border", "theory"]
    # the theory line is the zero set of lr_x lr_y - 4: its vertices satisfy it
    boundary = [c for c in ax.collections if getattr(c, "get_linestyle", None) and
                c.get_edgecolor().size and np.allclose(c.get_edgecolor()[0][:3], (1.0, 0.69, 0.0), atol=0.01)]
    vertices = np.concatenate([p.vertices for c in boundary for p in c.get_paths()])
    np.testing.assert_allclose(vertices[:, 0] * vertices[:, 1], 4.0, atol=0.05)  # 400-point grid
    path = gd.plots.save_figure(ax.figure, tmp_path / "rho.png")
    assert path.stat().st_size > 10_000
    plt.close("all")


@pytest.mark.parametrize("var", ["predicted", "observed", "agree", "rate"])
def test_every_variable_draws(ds, var):
    ax = gd.plots.phase(ds, var, boundary=lambda lr_x, lr_y: lr_x * lr_y - 4)
    assert ax.get_xlabel() == "lr_x" and ax.get_ylabel() == "lr_y"
    plt.close("all")


def test_positional_callable_and_one_axis(ds):
    one = ds.isel(lr_y=12)
    ax = gd.plots.phase(one, boundary=lambda x: x * float(one.lr_y) - 4)
    assert ax.get_xlabel() == "lr_x"
    crossings = [line for line in ax.get_lines() if line.get_linestyle() == "-."]
    assert crossings  # the boundary lr_x = 4 / lr_y is drawn as a vertical line
    plt.close("all")


def test_bad_requests_are_named(ds):
    with pytest.raises(ValueError, match="var='rho' is not a variable"):
        gd.plots.phase(ds, "rho")
    with pytest.raises(ValueError, match="uses beta, which are not axes"):
        gd.plots.phase(ds, boundary=sympy.Symbol("beta") - 1)
    with pytest.raises(ValueError, match="boundary=3 is not accepted"):
        gd.plots.phase(ds, boundary=3)
    plt.close("all")
