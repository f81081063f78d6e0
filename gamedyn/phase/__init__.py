"""Stability phase diagrams: a labelled grid over any hyperparameters of a game and an update
rule, the regime each cell's spectrum predicts and the regime a simulation shows.

>>> import numpy as np
>>> import gamedyn as gd
>>> ds = gd.phase_diagram(
...     lambda lr, beta: (gd.games.Bilinear([[1.0]]), gd.optim.momentum(lr, beta, alternating=True)),
...     {"lr": np.linspace(0.1, 1.0, 4), "beta": [-0.5, 0.0, 0.5]}, steps=0)
>>> sorted(ds.data_vars)
['predicted', 'spectral_radius']
"""

from ._cells import linear_rule
from ._diagram import AWAY_MARGIN, BACKENDS, agreement, away_from_boundary, phase_diagram
from ._roots import (MAX_CLOSED_FORM, charpoly, eigvals_small, poly_roots, spectral_radius_entries,
                     spectral_radius_small)

__all__ = [
    "phase_diagram",
    "agreement",
    "away_from_boundary",
    "AWAY_MARGIN",
    "BACKENDS",
    "charpoly",
    "poly_roots",
    "eigvals_small",
    "spectral_radius_small",
    "spectral_radius_entries",
    "MAX_CLOSED_FORM",
    "linear_rule",
]
