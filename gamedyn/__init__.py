"""gamedyn: predict, check and bridge the training dynamics of two-player differentiable
games (GANs above all).

>>> import gamedyn as gd
>>> gd.enable_x64()
>>> game = gd.games.DiracGAN(loss="nonsaturating", reg="r1", gamma=1.0)
>>> gd.eigenvalues(game)
Array([-0.5+0.j, -0.5+0.j], dtype=complex128)
"""

from typing import TYPE_CHECKING

from . import analysis, games, optim, plots
from ._config import enable_x64
from .analysis import (
    REGIMES,
    PointClass,
    SimulationResult,
    Stiffness,
    classify_point,
    eigenvalues,
    jacobian,
    max_stable_lr,
    regime_name,
    regime_of_rho,
    simulate,
    spectral_radius,
    stiffness,
    update_jacobian,
)
from .games import vector_field

if TYPE_CHECKING:  # the lazy layers, visible to type checkers and IDEs
    from . import bridge, divergences, islands, lipschitz, metrics, phase, symbolic, testing
    from .phase import phase_diagram

__version__ = "0.1.0"

# Layers that pull in heavy dependencies (sympy, torch, xarray, Ray) load on first use.
_LAZY_MODULES = (
    "symbolic",
    "testing",
    "divergences",
    "lipschitz",
    "metrics",
    "islands",
    "phase",
    "bridge",
)
_LAZY_NAMES = {"phase_diagram": "phase"}


def __getattr__(name):
    import importlib

    if name in _LAZY_MODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _LAZY_NAMES:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY_NAMES[name]}"), name)
    raise AttributeError(f"module 'gamedyn' has no attribute {name!r}")

__all__ = [
    "games",
    "optim",
    "analysis",
    "plots",
    *_LAZY_MODULES,
    "phase_diagram",
    "enable_x64",
    "vector_field",
    "jacobian",
    "update_jacobian",
    "eigenvalues",
    "spectral_radius",
    "stiffness",
    "Stiffness",
    "max_stable_lr",
    "classify_point",
    "PointClass",
    "simulate",
    "SimulationResult",
    "regime_of_rho",
    "regime_name",
    "REGIMES",
]
