"""Divergences between distributions: KL (forward and reverse), Jensen-Shannon, total
variation, chi-squared and any f-divergence with its convex conjugate (f-GAN's variational
bound), on probability vectors or densities on a grid (JAX); Wasserstein-1 between samples
(numpy, scipy, POT). Infinite values are ``inf``, never NaN.

>>> import gamedyn as gd
>>> p, q = [1.0, 0.0], [0.0, 1.0]          # disjoint supports
>>> [float(f(p, q)) for f in (gd.divergences.js, gd.divergences.kl, gd.divergences.tv)]
[0.6931471805599453, inf, 1.0]
"""

from . import _discrete, _fdiv, _wasserstein
from ._discrete import *  # noqa: F403 (each module's __all__ is its public part)
from ._fdiv import *  # noqa: F403 (each module's __all__ is its public part)
from ._wasserstein import *  # noqa: F403 (each module's __all__ is its public part)

__all__: list[str] = []
__all__ += _discrete.__all__
__all__ += _fdiv.__all__
__all__ += _wasserstein.__all__
