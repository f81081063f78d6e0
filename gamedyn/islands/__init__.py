"""Islands: Gaussian-mixture GANs trained with any update rule, many seeds at once.

:func:`train` runs a :class:`gamedyn.games.GaussianMixture` game under a
:mod:`gamedyn.optim` rule (jitted ``lax.scan`` over steps, ``vmap`` over seeds), with
snapshots of generator samples and diagnostics, divergence recorded per seed, atomic and
resumable checkpoints, and step-size schedules in stages (``start=``).
:meth:`TrainResult.mode_stats` scores every snapshot with the VEEGAN / PacGAN protocol
(:func:`gamedyn.metrics.mode_stats`). :func:`setup` names the benchmark methods (plain
GAN, alternating, extragradient, unrolled, PacGAN) used by the studies and the table.
"""

from ._setups import BENCHMARK_SIZES, DATASETS, METHODS, setup
from ._train import FAILURES, TrainResult, load_result, save_result, train

__all__ = [
    "train",
    "TrainResult",
    "save_result",
    "load_result",
    "FAILURES",
    "setup",
    "METHODS",
    "DATASETS",
    "BENCHMARK_SIZES",
]
