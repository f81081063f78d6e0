"""Phase-diagram figures: a heat map of one variable of a ``gd.phase_diagram`` Dataset,
the regimes as contours, and the theory's boundary drawn over the numbers."""

from __future__ import annotations

import inspect

import numpy as np

__all__ = ["phase", "REGIME_COLORS"]

#: One colour per regime (converged, cycling, diverged): blue, pale grey, red, as in the
#: diverging map of the spectral radius (blue below 1, white at 1, red above).
REGIME_COLORS = ("#2166ac", "#e0e0e0", "#b2182b")

_LABELS = {
    "spectral_radius": "spectral radius rho",
    "predicted": "predicted regime",
    "observed": "observed regime",
    "agree": "predicted = observed",
    "rate": "observed growth rate per step",
}


def _boundary_function(boundary, names):
    """A numpy function of the axis values (keywords by axis name) whose zero set is the
    boundary: a callable, or a sympy expression / equation / inequality in the axis names."""
    try:
        import sympy
    except ImportError:  # pragma: no cover - sympy is a dependency
        sympy = None
    if sympy is not None and isinstance(boundary, sympy.Basic):
        expr = boundary
        if isinstance(expr, (sympy.Equality, sympy.core.relational.Relational)):
            expr = expr.lhs - expr.rhs
        unknown = sorted(str(s) for s in expr.free_symbols if str(s) not in names)
        if unknown:
            raise ValueError(
                f"boundary={boundary} uses {', '.join(unknown)}, which are not axes of the "
                f"Dataset ({', '.join(names)})"
            )
        symbols = [sympy.Symbol(n) for n in names]
        fn = sympy.lambdify(symbols, expr, "numpy")
        return lambda **kw: fn(*(kw[n] for n in names))
    if callable(boundary):
        try:
            params = inspect.signature(boundary).parameters
            by_name = all(n in params for n in names) or any(
                p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()
            )
        except (TypeError, ValueError):
            by_name = False
        if by_name:
            return lambda **kw: boundary(**kw)
        return lambda **kw: boundary(*(kw[n] for n in names))
    raise ValueError(
        f"boundary={boundary!r} is not accepted; expected a callable of the axes or a sympy "
        "expression in the axis names (its zero set is drawn)"
    )


def _as_list(boundary):
    if boundary is None:
        return []
    if isinstance(boundary, (list, tuple)):
        return list(boundary)
    return [boundary]


def phase(
    ds,
    var: str = "spectral_radius",
    boundary=None,
    *,
    ax=None,
    contours: bool = True,
    title: str | None = None,
    boundary_label: str = "theory",
    rho_max: float = 2.0,
    colorbar: bool = True,
    legend: bool = True,
):
    """Draw one variable of a phase diagram (``gd.phase_diagram``) and return the Axes.

    * ``var="spectral_radius"``: a heat map with a diverging colour map centred at
      ``rho = 1`` (blue: converges, white: cycles, red: diverges; values above ``rho_max``
      share the darkest red); ``"predicted"`` / ``"observed"``: the regimes in three
      colours; ``"agree"``: disagreeing cells in black; ``"rate"``: centred at 0.
    * ``contours=True``: the predicted regimes' borders as solid lines and, when the
      Dataset has a simulation, the observed ones dashed.
    * ``boundary``: the theory's boundary, drawn as the zero set of a callable of the axes
      (called with the axis names as keywords if it accepts them, else positionally in the
      Dataset's axis order) or of a sympy expression in the axis names (an equation or
      inequality means ``lhs - rhs``); a list draws several.

    The first axis of the Dataset runs along x, the second along y; a one-axis Dataset is
    drawn as a curve against its axis.

    >>> import numpy as np, sympy
    >>> import gamedyn as gd
    >>> gd.plots.use_style()
    >>> ds = gd.phase_diagram(
    ...     lambda lr_x, lr_y: (gd.games.Bilinear([[1.0]]), gd.optim.gda((lr_x, lr_y), alternating=True)),
    ...     {"lr_x": np.linspace(0.1, 4, 30), "lr_y": np.linspace(0.1, 4, 30)}, steps=0)
    >>> lr_x, lr_y = sympy.symbols("lr_x lr_y")
    >>> ax = gd.plots.phase(ds, boundary=sympy.Eq(lr_x * lr_y, 4))
    >>> ax.get_xlabel(), ax.get_ylabel()
    ('lr_x', 'lr_y')
    """
    import matplotlib.pyplot as plt

    if var not in ds.data_vars:
        raise ValueError(
            f"var={var!r} is not a variable of the Dataset; it has {', '.join(ds.data_vars)}"
        )
    names = list(ds[var].dims)
    if len(names) not in (1, 2):
        raise ValueError(
            f"var={var!r} has {len(names)} axes ({', '.join(names)}); phase draws one or two "
            "(select the others first, e.g. ds.isel(beta=0))"
        )
    boundaries = [_boundary_function(b, names) for b in _as_list(boundary)]
    if ax is None:
        _, ax = plt.subplots(figsize=(5.2, 4.2))
    data = np.asarray(ds[var].values)

    if len(names) == 1:
        return _phase_1d(ds, var, names[0], data, boundaries, ax, title, boundary_label, legend)

    xname, yname = names
    x = np.asarray(ds[xname].values, dtype=float)
    y = np.asarray(ds[yname].values, dtype=float)
    handles = _heat_map(ax, var, x, y, data.T, ds, rho_max, colorbar)  # rows along y
    if contours and len(x) > 1 and len(y) > 1:
        handles += _regime_borders(ax, ds, x, y)
    if boundaries:
        handles += _theory(ax, boundaries, xname, yname, x, y, boundary_label)
    ax.set_xlabel(xname)
    ax.set_ylabel(yname)
    ax.set_xlim(x.min(), x.max())
    ax.set_ylim(y.min(), y.max())
    ax.grid(False)
    ax.set_title(title if title is not None else _LABELS.get(var, var))
    if legend and handles:
        ax.legend(handles=handles, loc="upper right", framealpha=0.85, frameon=True)
    return ax


def _heat_map(ax, var, x, y, image, ds, rho_max, colorbar) -> list:
    """Draw ``image`` (rows along ``y``) in the colours of ``var``; the legend handles."""
    from matplotlib import colors
    from matplotlib.patches import Patch

    if var == "spectral_radius":
        finite = image[np.isfinite(image)]
        lo = float(finite.min()) if finite.size else 0.0
        hi = float(finite.max()) if finite.size else 2.0
        vmin = min(lo, 1.0 - 1e-3)
        vmax = max(min(hi, rho_max), 1.0 + 1e-3)
        norm = colors.TwoSlopeNorm(vmin=vmin, vcenter=1.0, vmax=vmax)
        mesh = ax.pcolormesh(x, y, np.clip(image, vmin, vmax), cmap="RdBu_r", norm=norm,
                             shading="nearest", rasterized=True)
        if colorbar:
            cbar = ax.figure.colorbar(mesh, ax=ax, extend="max" if hi > vmax else "neither")
            cbar.set_label("spectral radius rho (white: rho = 1)")
        return []
    if var in ("predicted", "observed"):
        cmap = colors.ListedColormap(REGIME_COLORS)
        ax.pcolormesh(x, y, image, cmap=cmap, vmin=-0.5, vmax=2.5, shading="nearest",
                      rasterized=True)
        return [Patch(color=c, label=n) for c, n in zip(REGIME_COLORS, _regimes(ds))]
    if var == "agree":
        cmap = colors.ListedColormap(["black", "#f4f4f4"])
        ax.pcolormesh(x, y, image.astype(float), cmap=cmap, vmin=0, vmax=1, shading="nearest",
                      rasterized=True)
        return [Patch(color="black", label="disagree")]
    finite = image[np.isfinite(image)]
    span = float(np.abs(finite).max()) if finite.size else 1.0
    span = span if span > 0 else 1.0
    mesh = ax.pcolormesh(x, y, np.clip(image, -span, span), cmap="RdBu_r",
                         norm=colors.TwoSlopeNorm(vmin=-span, vcenter=0.0, vmax=span),
                         shading="nearest", rasterized=True)
    if colorbar:
        ax.figure.colorbar(mesh, ax=ax).set_label(_LABELS.get(var, var))
    return []


def _regime_borders(ax, ds, x, y) -> list:
    """The predicted regimes' borders solid, the observed ones dashed; the legend handles."""
    from matplotlib.lines import Line2D

    handles, levels = [], [0.5, 1.5]
    for name in ("predicted", "observed"):
        if name in ds and np.unique(np.asarray(ds[name].values)).size < 2:
            ds = ds.drop_vars(name)  # one regime everywhere: no border to draw or name
    if "predicted" in ds:
        ax.contour(x, y, np.asarray(ds["predicted"].values, float).T, levels=levels,
                   colors="black", linewidths=1.0, linestyles="solid")
        handles.append(Line2D([], [], color="black", lw=1.0, label="predicted border"))
    if "observed" in ds:
        ax.contour(x, y, np.asarray(ds["observed"].values, float).T, levels=levels,
                   colors="#404040", linewidths=1.2, linestyles="dashed")
        handles.append(Line2D([], [], color="#404040", lw=1.2, ls="--",
                              label="observed border"))
    return handles


def _theory(ax, boundaries, xname, yname, x, y, label) -> list:
    """The theory's boundaries (zero sets) dash-dotted; the legend handle."""
    from matplotlib.lines import Line2D

    X, Y = np.meshgrid(np.linspace(x.min(), x.max(), 400), np.linspace(y.min(), y.max(), 400))
    drawn = False
    for fn in boundaries:
        values = np.broadcast_to(np.asarray(fn(**{xname: X, yname: Y}), float), X.shape)
        if np.nanmin(values) < 0 < np.nanmax(values):
            ax.contour(X, Y, values, levels=[0.0], colors="#ffb000", linewidths=2.2,
                       linestyles="dashdot")
            drawn = True
    # no legend entry for a boundary that does not cross the drawn region
    return [Line2D([], [], color="#ffb000", lw=2.2, ls="-.", label=label)] if drawn else []


def _regimes(ds):
    text = ds.attrs.get("regimes", "converged cycling diverged")
    return str(text).split()


def _phase_1d(ds, var, name, data, boundaries, ax, title, boundary_label, legend):
    x = np.asarray(ds[name].values, dtype=float)
    if "predicted" in ds:
        codes = np.asarray(ds["predicted"].values)
        edges = np.concatenate([[x[0]], (x[1:] + x[:-1]) / 2, [x[-1]]])
        for i, code in enumerate(codes):
            ax.axvspan(edges[i], edges[i + 1], color=REGIME_COLORS[int(code)], alpha=0.35, lw=0)
    ax.plot(x, data.astype(float), color="black", lw=1.4, label=_LABELS.get(var, var))
    if var == "spectral_radius":
        ax.axhline(1.0, color="0.3", lw=0.8)
    if "observed" in ds and var == "spectral_radius":
        obs = np.asarray(ds["observed"].values)
        for code in range(3):
            sel = obs == code
            if sel.any():
                ax.plot(x[sel], data[sel], "o", ms=3, color=REGIME_COLORS[code],
                        markeredgecolor="black", markeredgewidth=0.3,
                        label=f"observed {_regimes(ds)[code]}")
    for fn in boundaries:
        values = np.asarray(fn(**{name: x}), float)
        crossings = np.nonzero(np.diff(np.sign(values)) != 0)[0]
        for j in crossings:
            ax.axvline((x[j] + x[j + 1]) / 2, color="#ffb000", lw=2.0, ls="-.")
        if crossings.size:
            ax.plot([], [], color="#ffb000", lw=2.0, ls="-.", label=boundary_label)
    ax.set_xlabel(name)
    ax.set_ylabel(_LABELS.get(var, var))
    ax.set_title(title if title is not None else _LABELS.get(var, var))
    if legend:
        ax.legend(loc="best")
    return ax
