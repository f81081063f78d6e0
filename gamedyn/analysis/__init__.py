"""Spectra, stiffness, critical-point classification and simulation (JAX, numpy)."""

from ._classify import PointClass, classify_point
from ._simulate import FAILURES, SimulationResult, classify_run, simulate
from ._spectra import (
    RATE_TOL,
    REGIMES,
    Stiffness,
    eigenvalues,
    jacobian,
    max_stable_lr,
    regime_name,
    regime_of_rho,
    spectral_radius,
    stiffness,
    update_jacobian,
)

__all__ = [
    "jacobian",
    "update_jacobian",
    "eigenvalues",
    "spectral_radius",
    "regime_of_rho",
    "regime_name",
    "REGIMES",
    "RATE_TOL",
    "Stiffness",
    "stiffness",
    "max_stable_lr",
    "PointClass",
    "classify_point",
    "SimulationResult",
    "simulate",
    "classify_run",
    "FAILURES",
]
