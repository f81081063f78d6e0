"""Metrics for generated samples and training histories (numpy / JAX; no downloads).

* mode statistics of samples from a Gaussian mixture (VEEGAN / PacGAN protocol):
  :func:`mode_stats`, :func:`mode_stats_from_labels`;
* k-nearest-neighbour precision / recall (Kynkäänniemi et al. 2019) and density / coverage
  (Naeem et al. 2020), chunked so that memory stays bounded;
* the Fréchet distance between Gaussians fitted to two feature sets (FID in any feature
  space);
* oscillation measures of a training history: dominant period and amplitude, and
  mode-hopping detection;
* a paired comparison over seeds with a bootstrap interval: :func:`paired_difference`;
* whether two experiments rank methods alike: :func:`rank_agreement` (Kendall's tau with a
  bootstrap interval over seeds).

Every function takes plain arrays, so the PyTorch bridge applies them to classifier
features.

>>> import numpy as np, gamedyn as gd
>>> real = np.random.default_rng(0).normal(size=(200, 2))
>>> gd.metrics.precision_recall(real, real)       # each sample lies in its own ball
PrecisionRecall(precision=1.0, recall=1.0)
>>> round(gd.metrics.frechet_distance(real, real), 9)   # the same Gaussian: 0
0.0
>>> collapsed = np.repeat(real[:4], 50, axis=0)   # a generator that repeats 4 real samples
>>> gd.metrics.precision_recall(real, collapsed)  # its balls have radius 0: 4 of 200 real inside
PrecisionRecall(precision=1.0, recall=0.02)
"""

from . import _modes, _knn, _frechet, _oscillation, _paired, _ranking
from ._modes import *  # noqa: F403 (each module's __all__ is its public part)
from ._knn import *  # noqa: F403 (each module's __all__ is its public part)
from ._frechet import *  # noqa: F403 (each module's __all__ is its public part)
from ._oscillation import *  # noqa: F403 (each module's __all__ is its public part)
from ._paired import *  # noqa: F403 (each module's __all__ is its public part)
from ._ranking import *  # noqa: F403 (each module's __all__ is its public part)

__all__: list[str] = []
__all__ += _modes.__all__
__all__ += _knn.__all__
__all__ += _frechet.__all__
__all__ += _oscillation.__all__
__all__ += _paired.__all__
__all__ += _ranking.__all__
