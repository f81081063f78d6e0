"""Shared layout of the phase-diagram studies (not a study: the leading underscore keeps
``gamedyn figures`` from running it)."""

import matplotlib.pyplot as plt
import numpy as np

import gamedyn as gd


def three_panels(ds, boundary, title, *, boundary_label="theory", axes=None):
    """Spectral radius, predicted and observed regimes side by side, the theory's boundary on
    each; returns the figure (or draws into ``axes``, a row of three)."""
    fig = None
    if axes is None:
        fig, axes = plt.subplots(1, 3, figsize=(15, 4.5), layout="constrained")
    for ax, var in zip(axes, ["spectral_radius", "predicted", "observed"]):
        gd.plots.phase(ds, var, boundary=boundary, ax=ax, boundary_label=boundary_label)
    if fig is not None:
        fig.suptitle(title)
    return fig if fig is not None else axes[0].figure


def agreement_text(ds):
    away = gd.phase.away_from_boundary(ds)
    return (
        f"predicted = observed in {100 * gd.phase.agreement(ds):.1f}% of the "
        f"{int(away.sum())} cells away from the boundary ({ds.attrs['steps']} steps)"
    )


def require_agreement(ds, name):
    agree = gd.phase.agreement(ds)
    if not agree >= 0.99:
        raise SystemExit(f"{name}: predicted and observed agree in only {agree:.2%} of the cells "
                         "away from the boundary (expected >= 99%)")
    return agree


def fraction(mask):
    return float(np.mean(mask))
