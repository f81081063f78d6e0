"""Spectra, stiffness, critical-point classification and simulation (JAX, numpy)."""

from . import _spectra, _classify, _simulate
from ._spectra import *  # noqa: F403 (each module's __all__ is its public part)
from ._classify import *  # noqa: F403 (each module's __all__ is its public part)
from ._simulate import *  # noqa: F403 (each module's __all__ is its public part)

__all__: list[str] = []
__all__ += _spectra.__all__
__all__ += _classify.__all__
__all__ += _simulate.__all__
