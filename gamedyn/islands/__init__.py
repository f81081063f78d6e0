"""Islands: Gaussian-mixture GANs trained with any update rule, many seeds at once.

:func:`train_mixture` runs a :class:`gamedyn.games.GaussianMixture` game under a
:mod:`gamedyn.optim` rule (jitted ``lax.scan`` over steps, ``vmap`` over seeds), with
snapshots of generator samples and diagnostics, divergence recorded per seed, atomic and
resumable checkpoints, and step-size schedules in stages (``start=``).
:meth:`TrainResult.mode_stats` scores every snapshot with the VEEGAN / PacGAN protocol
(:func:`gamedyn.metrics.mode_stats`). :func:`setup` names the benchmark methods (plain
GAN, alternating, extragradient, optimistic, unrolled, PacGAN) under the two published
protocols (VEEGAN's and PacGAN's, :data:`PROTOCOLS`) used by the table;
:func:`calibration_samples` gives the trivial answers every table scores beside them;
:func:`committed_stats` scores the committed table's saved samples again, per seed.

>>> import gamedyn as gd
>>> game, rule = gd.islands.setup("extragradient", "grid")
>>> game.k, type(rule).__name__                            # the 5 x 5 grid
(25, 'Extragradient')
>>> int(gd.metrics.mode_stats(game.centers, game).modes)   # one sample on each centre
25
"""

from ._calibration import CALIBRATIONS, blob_moments, calibration_samples
from ._committed import committed_samples_path, committed_stats
from ._setups import BENCHMARK_SIZES, DATASETS, METHODS, PROTOCOLS, canonical_method, protocol_text, setup
from ._train import FAILURES, TrainResult, load_result, save_result, train, train_mixture  # train: the former name

__all__ = [
    "train_mixture",
    "TrainResult",
    "save_result",
    "load_result",
    "FAILURES",
    "setup",
    "canonical_method",
    "protocol_text",
    "PROTOCOLS",
    "CALIBRATIONS",
    "calibration_samples",
    "blob_moments",
    "committed_stats",
    "committed_samples_path",
    "METHODS",
    "DATASETS",
    "BENCHMARK_SIZES",
]
