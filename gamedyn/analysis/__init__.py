"""Spectra, stiffness, critical-point classification and simulation (JAX, numpy).

The spectrum predicts the regime and a simulation shows it: simultaneous GDA on the bilinear
game ``x y`` multiplies the distance to the equilibrium by ``|1 + i lr| = sqrt(1 + lr^2)``
every step.

>>> import math, gamedyn as gd
>>> game, rule = gd.games.Bilinear([[1.0]]), gd.optim.gda(0.1)
>>> rho = gd.analysis.spectral_radius(game, rule)
>>> round(float(rho), 12) == round(math.sqrt(1.01), 12)
True
>>> gd.analysis.regime_name(gd.analysis.regime_of_rho(rho))
'diverged'
>>> result = gd.analysis.simulate(game, rule, [1.0, 0.0], 400)
>>> result.regime, round(float(result.rate), 9) == round(math.log(math.sqrt(1.01)), 9)
('diverged', True)
"""

from . import _spectra, _classify, _simulate
from ._spectra import *  # noqa: F403 (each module's __all__ is its public part)
from ._classify import *  # noqa: F403 (each module's __all__ is its public part)
from ._simulate import *  # noqa: F403 (each module's __all__ is its public part)

__all__: list[str] = []
__all__ += _spectra.__all__
__all__ += _classify.__all__
__all__ += _simulate.__all__
