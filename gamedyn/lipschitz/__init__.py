"""Lipschitz tools for critics and discriminators (JAX): spectral norms of dense and
convolutional layers by power iteration (and exactly, for circular convolutions), spectral
normalisation, composition / parallel-branch bounds, empirical Lipschitz constants from
gradient norms, and the geometry of the WGAN gradient penalty.

>>> import numpy as np, gamedyn as gd
>>> w = np.array([[1.0, 2.0], [0.0, 2.0]])
>>> sigma = float(gd.lipschitz.spectral_norm(w).sigma)
>>> bool(np.isclose(sigma, np.linalg.svd(w, compute_uv=False)[0], rtol=1e-12))
True
"""

from . import _spectral, _bounds, _penalty
from ._spectral import *  # noqa: F403 (each module's __all__ is its public part)
from ._bounds import *  # noqa: F403 (each module's __all__ is its public part)
from ._penalty import *  # noqa: F403 (each module's __all__ is its public part)

__all__: list[str] = []
__all__ += _spectral.__all__
__all__ += _bounds.__all__
__all__ += _penalty.__all__
