"""Metrics for generated samples and training histories (numpy / JAX; no downloads).

* mode statistics of samples from a Gaussian mixture (VEEGAN / PacGAN protocol):
  :func:`mode_stats`, :func:`mode_stats_from_labels`;
* k-nearest-neighbour precision / recall (Kynkäänniemi et al. 2019) and density / coverage
  (Naeem et al. 2020), chunked so that memory stays bounded;
* the Fréchet distance between Gaussians fitted to two feature sets (FID in any feature
  space);
* oscillation measures of a training history: dominant period and amplitude, and
  mode-hopping detection;
* a paired comparison over seeds with a bootstrap interval: :func:`paired_difference`.

Every function takes plain arrays, so the PyTorch bridge applies them to classifier
features.
"""

from ._frechet import frechet_distance, frechet_distance_from_stats
from ._knn import DensityCoverage, PrecisionRecall, density_coverage, knn_radii, precision_recall
from ._modes import ModeStats, ideal_high_quality, mode_stats, mode_stats_from_labels
from ._paired import PairedDifference, paired_difference
from ._oscillation import ModeHopping, Oscillation, dominant_oscillation, mode_hopping

__all__ = [
    "ModeStats",
    "mode_stats",
    "mode_stats_from_labels",
    "ideal_high_quality",
    "PrecisionRecall",
    "precision_recall",
    "DensityCoverage",
    "density_coverage",
    "knn_radii",
    "frechet_distance",
    "frechet_distance_from_stats",
    "Oscillation",
    "dominant_oscillation",
    "ModeHopping",
    "mode_hopping",
    "PairedDifference",
    "paired_difference",
]
