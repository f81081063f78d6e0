"""Mode collapse and sample quality of generated images, read by a mode classifier.

The Stacked-MNIST protocol (VEEGAN, Srivastava et al. 2017; PacGAN, Lin et al. 2018, whose
released configuration for it, ``stacked_MNIST_experiments/VEEGAN_experiment/config.py``,
sets ``num_test_sample = 26000``): classify **26,000** generated images, count the modes that receive at least one sample ("modes
captured", of 1000), and report ``KL(mode histogram || uniform)``. The statistics are
:func:`gamedyn.metrics.mode_stats_from_labels`; this module supplies the labels (the
classifier's predicted modes) and the reference values that exact samples would score:

* ``E[modes captured] = sum_k 1 - (1 - w_k)^N`` — for ``K`` uniform modes
  ``K (1 - (1 - 1/K)^N)``, i.e. 1000 (1 - e^-26.01) = 1000.00 for 26,000 draws;
* ``E[KL] ~ (K_+ - 1) / (2 N)``, ``K_+`` the modes of positive weight: ``2 N KL`` is the
  likelihood-ratio (G) statistic of the empirical histogram, asymptotically
  ``chi^2_{K_+ - 1}`` (Wilks 1938), so 0.0192 for 1000 modes and 26,000 samples, with a
  standard deviation ``sqrt(2 (K_+ - 1)) / (2 N)`` = 0.00086.

In the classifier's penultimate feature space it also computes the Fréchet distance
(:func:`gamedyn.metrics.frechet_distance`; FID with these features in place of
Inception's) and improved precision / recall (k = 3, Kynkäänniemi et al. 2019) and density /
coverage (k = 5, Naeem et al. 2020) against real images, on at most ``n_features`` samples
of each (10,000, the number Naeem et al. use).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

import numpy as np
import torch

from .._checks import _describe, check_int
from ._classifier import ModeClassifier
from ._data import ImageDataset

__all__ = [
    "STACKED_MNIST_SAMPLES",
    "FEATURE_SAMPLES",
    "SampleEvaluation",
    "ClassifiedSamples",
    "classify_samples",
    "evaluate_samples",
    "expected_modes_captured",
    "expected_kl",
]

STACKED_MNIST_SAMPLES = 26_000
FEATURE_SAMPLES = 10_000


def _weights(weights, n_modes: int | None = None) -> np.ndarray:
    if isinstance(weights, (int, np.integer)) and not isinstance(weights, bool):
        check_int("weights", weights, minimum=1)
        return np.full(int(weights), 1.0 / int(weights))
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 1 or w.size == 0 or not np.all(np.isfinite(w)) or np.any(w < 0) or abs(w.sum() - 1) > 1e-6:
        raise ValueError(f"weights={_describe(weights)} is not accepted; expected a number of uniform "
                         "modes K, or (K,) non-negative probabilities summing to 1")
    if n_modes is not None and w.size != n_modes:
        raise ValueError(f"weights has {w.size} entries; expected {n_modes}, one per mode of the classifier")
    return w


def expected_modes_captured(n_samples: int, weights=1000) -> float:
    """Expected number of modes hit by ``n_samples`` exact draws:
    ``sum_k 1 - (1 - w_k)^N`` (``weights``: a number ``K`` of uniform modes, or ``(K,)``
    probabilities).

    >>> from gamedyn.bridge._evaluate import expected_modes_captured
    >>> round(expected_modes_captured(26_000, 1000), 6), round(expected_modes_captured(1000, 1000), 2)
    (1000.0, 632.3)
    """
    check_int("n_samples", n_samples, minimum=1)
    w = _weights(weights)
    # log1p keeps (1 - w)^N accurate for small w and large N.
    return float(np.sum(-np.expm1(int(n_samples) * np.log1p(-np.minimum(w, 1.0)))))


def expected_kl(n_samples: int, weights=1000) -> float:
    """Leading-order expected ``KL(empirical histogram || weights)`` of ``n_samples`` exact
    draws: ``(K_+ - 1) / (2 N)`` (``2 N KL`` is asymptotically ``chi^2_{K_+ - 1}``; accurate
    when every mode expects many samples, ``N w_k >> 1``).

    >>> from gamedyn.bridge._evaluate import expected_kl
    >>> round(expected_kl(26_000, 1000), 5)
    0.01921
    """
    check_int("n_samples", n_samples, minimum=1)
    w = _weights(weights)
    return float((np.count_nonzero(w) - 1) / (2 * int(n_samples)))


class SampleEvaluation(NamedTuple):
    """Result of :func:`evaluate_samples`.

    Attributes
    ----------
    n_samples, n_finite : images evaluated; those with finite pixels (a diverged generator's
        NaN images count as samples of no mode).
    n_modes : ``K``.
    modes : modes captured (at least ``min_count`` finite samples classified into it).
    kl : ``KL(h || w)``, ``h`` the histogram of the finite samples' modes, ``w`` the mode
        weights (uniform unless given); ``inf`` if no sample is finite.
    counts : ``(K,)`` samples per mode.
    expected_modes, expected_kl : what ``n_samples`` exact draws from ``w`` score (see
        :func:`expected_modes_captured`, :func:`expected_kl`).
    frechet, precision, recall, density, coverage : in the classifier's feature space,
        against the real images (NaN when no real images were given).
    n_real_features, n_fake_features : samples used for the feature metrics.

    The data set's own images, read by its classifier: every island is captured.

    >>> import math
    >>> from gamedyn.bridge import evaluate_samples, image_islands, mode_classifier
    >>> islands = image_islands(k=3, n=60)
    >>> clf = mode_classifier(islands, steps=10, cache=False, verbose=False)
    >>> ev = evaluate_samples(clf, islands[:][0])
    >>> ev.n_samples, ev.n_finite, ev.modes, int(ev.counts.sum())
    (60, 60, 3, 60)
    >>> round(ev.expected_modes, 6), math.isnan(ev.frechet)  # 3 (1 - (2/3)^60); no real images given
    (3.0, True)
    >>> "counts" in ev.summary()  # the scalars only
    False
    """

    n_samples: int
    n_finite: int
    n_modes: int
    modes: int
    kl: float
    counts: np.ndarray
    expected_modes: float
    expected_kl: float
    frechet: float
    precision: float
    recall: float
    density: float
    coverage: float
    n_real_features: int
    n_fake_features: int

    def summary(self) -> dict[str, Any]:
        """Every scalar as a plain ``int`` / ``float`` (for JSON lines and tables)."""
        return {k: v for k, v in self._asdict().items() if k != "counts"}


class ClassifiedSamples(NamedTuple):
    """Generated images as the classifier read them: ``labels`` ``(n,)`` (the predicted mode,
    -1 for an image with non-finite pixels) and ``features`` ``(n, d)`` (penultimate layer).
    :func:`evaluate_samples` takes it in place of the images, so that one draw of 26,000
    samples can be evaluated twice (e.g. once without, once with the real images).

    >>> from gamedyn.bridge import classify_samples, evaluate_samples, image_islands, mode_classifier
    >>> islands = image_islands(k=3, n=60)
    >>> clf = mode_classifier(islands, steps=10, cache=False, verbose=False)
    >>> read = classify_samples(clf, islands[:][0])  # classified once
    >>> read.labels.shape, read.features.shape  # 128 features per image
    ((60,), (60, 128))
    >>> modes_only = evaluate_samples(clf, read)
    >>> against_real = evaluate_samples(clf, read, real=islands)  # the samples are the real images:
    >>> modes_only.modes, against_real.precision, against_real.recall  # precision = recall = 1
    (3, 1.0, 1.0)
    """

    labels: np.ndarray
    features: np.ndarray


def classify_samples(classifier: ModeClassifier, fake, *, n_samples: int | None = None,
                     batch_size: int = 500) -> ClassifiedSamples:
    """Classify generated images (``fake`` and ``n_samples`` as in :func:`evaluate_samples`)
    batch by batch, keeping only their labels and features.

    >>> import numpy as np
    >>> from gamedyn.bridge import classify_samples, image_islands, mode_classifier
    >>> islands = image_islands(k=3, n=60)
    >>> clf = mode_classifier(islands, steps=10, cache=False, verbose=False)
    >>> images = islands[:4][0].clone()
    >>> images[3] = float("nan")  # a diverged generator's image
    >>> read = classify_samples(clf, images, batch_size=2)
    >>> read.labels.tolist() == islands.labels[:3].tolist() + [-1]
    True
    >>> bool(np.isnan(read.features[3]).all()), bool(np.isfinite(read.features[:3]).all())
    (True, True)
    """
    if not isinstance(classifier, ModeClassifier):
        raise ValueError(f"classifier={_describe(classifier)} is not accepted; expected a ModeClassifier "
                         "(mode_classifier(dataset))")
    check_int("batch_size", batch_size, minimum=1)
    if n_samples is not None:
        check_int("n_samples", n_samples, minimum=1)
    modes, feats = [], []
    for batch in _batches(fake, n_samples, batch_size):
        m, f = classifier.classify(batch, batch_size=batch_size)
        modes.append(m.numpy())
        feats.append(f.numpy())
    if not modes:
        raise ValueError("fake gave no images; expected at least one")
    return ClassifiedSamples(np.concatenate(modes), np.concatenate(feats))


def _batches(fake, n_samples: int | None, batch_size: int) -> Iterable:
    if isinstance(fake, (torch.Tensor, np.ndarray)):
        n = fake.shape[0] if n_samples is None else min(int(n_samples), fake.shape[0])
        return (fake[i:i + batch_size] for i in range(0, n, batch_size))
    if callable(fake):
        total = STACKED_MNIST_SAMPLES if n_samples is None else int(n_samples)

        def draw(sampler: Callable = fake):
            for start in range(0, total, batch_size):
                with torch.no_grad():
                    yield sampler(min(batch_size, total - start))
        return draw()
    if isinstance(fake, Iterable):
        return fake
    raise ValueError(f"fake={_describe(fake)} is not accepted; expected images (n, C, H, W), a "
                     "function of a batch size returning images, or an iterable of image batches")


def _real_images(real, n: int, seed: int):
    if isinstance(real, ImageDataset):
        count = min(n, len(real))
        idx = torch.randperm(len(real), generator=torch.Generator().manual_seed(seed))[:count]
        return real[idx.sort().values][0]
    if isinstance(real, (torch.Tensor, np.ndarray)):
        return real
    raise ValueError(f"real={_describe(real)} is not accepted; expected an ImageDataset or images (n, C, H, W)")


def _subsample(feats: np.ndarray, n: int, seed: int) -> np.ndarray:
    if feats.shape[0] <= n:
        return feats
    keep = np.random.default_rng(seed).choice(feats.shape[0], n, replace=False)
    return feats[np.sort(keep)]


def evaluate_samples(classifier: ModeClassifier, fake, *, real=None, weights=None,
                     n_samples: int | None = None, min_count: int = 1,
                     n_features: int = FEATURE_SAMPLES, k_precision: int = 3, k_density: int = 5,
                     batch_size: int = 500, seed: int = 0) -> SampleEvaluation:
    """Modes captured, mode-histogram KL and feature-space metrics of generated images.

    Parameters
    ----------
    classifier : the data set's :class:`ModeClassifier` (:func:`mode_classifier`).
    fake : the generated images: a tensor / array ``(n, C, H, W)`` in ``[-1, 1]``, a
        function ``sample(batch_size) -> images`` (called under ``torch.no_grad`` until
        ``n_samples`` images are drawn; default 26,000, the Stacked-MNIST protocol), an
        iterable of image batches, or images already classified (:func:`classify_samples`;
        ``n_samples`` then does not apply).
    real : real images (an :class:`ImageDataset` or a tensor) for the Fréchet distance and
        precision / recall / density / coverage; ``None`` skips them.
    weights : the true mode probabilities (default: uniform over the classifier's modes,
        as the protocol's KL is taken against uniform).
    min_count : samples a mode needs to count as captured (1 in VEEGAN / PacGAN).
    n_features : at most this many real and fake samples (seeded choice) enter the
        k-nearest-neighbour metrics; the Fréchet distance uses all finite fakes.

    >>> import tempfile, torch
    >>> from gamedyn.bridge._data import image_islands
    >>> from gamedyn.bridge._classifier import mode_classifier
    >>> from gamedyn.bridge._evaluate import evaluate_samples
    >>> islands = image_islands(k=4, n=400)
    >>> clf = mode_classifier(islands, steps=40, cache=tempfile.mkdtemp(), verbose=False)
    >>> collapsed = image_islands(k=4, n=200, modes=[0, 1], seed=0)   # two islands of four
    >>> ev = evaluate_samples(clf, collapsed[:][0], real=islands)
    >>> ev.modes, round(ev.kl, 1), ev.recall < 0.7                    # KL near log 2
    (2, 0.7, True)
    """
    if not isinstance(classifier, ModeClassifier):
        raise ValueError(f"classifier={_describe(classifier)} is not accepted; expected a ModeClassifier "
                         "(mode_classifier(dataset))")
    check_int("batch_size", batch_size, minimum=1)
    check_int("min_count", min_count, minimum=1)
    check_int("n_features", n_features, minimum=2)
    check_int("k_precision", k_precision, minimum=1)
    check_int("k_density", k_density, minimum=1)
    if n_samples is not None:
        check_int("n_samples", n_samples, minimum=1)
    w = _weights(classifier.n_modes if weights is None else weights, classifier.n_modes)

    if isinstance(fake, ClassifiedSamples):
        if fake.labels.shape[0] != fake.features.shape[0] or fake.labels.shape[0] == 0:
            raise ValueError(f"fake={_describe(fake)} is not accepted; expected ClassifiedSamples with "
                             "as many labels as feature rows, at least one")
        labels, fake_feats = fake
    else:
        labels, fake_feats = classify_samples(classifier, fake, n_samples=n_samples, batch_size=batch_size)
    finite = labels >= 0
    n, n_finite = int(labels.shape[0]), int(finite.sum())

    from ..metrics import frechet_distance, mode_stats_from_labels, support_metrics

    stats = mode_stats_from_labels(np.where(finite, labels, 0), w, high_quality=finite,
                                   min_count=min_count)
    nan = float("nan")
    frechet = precision = recall = density = coverage = nan
    n_real = n_fake = 0
    if real is not None:
        real_feats = classifier.features(_real_images(real, n_features, seed), batch_size=batch_size).numpy()
        real_feats = _subsample(real_feats[np.all(np.isfinite(real_feats), axis=1)], n_features, seed)
        good_fake = fake_feats[finite]
        if real_feats.shape[0] >= 2 and good_fake.shape[0] >= 2:
            frechet = frechet_distance(real_feats, good_fake)
        knn_fake = _subsample(good_fake, n_features, seed + 1)
        n_real, n_fake = int(real_feats.shape[0]), int(knn_fake.shape[0])
        if n_real > max(k_precision, k_density) and n_fake > k_precision:
            precision, recall, density, coverage = support_metrics(real_feats, knn_fake, k_precision, k_density)
    return SampleEvaluation(
        n_samples=n,
        n_finite=n_finite,
        n_modes=int(w.size),
        modes=int(stats.modes),
        kl=float(stats.kl),
        counts=np.asarray(stats.counts),
        expected_modes=expected_modes_captured(n, w),
        expected_kl=expected_kl(n, w),
        frechet=float(frechet),
        precision=float(precision),
        recall=float(recall),
        density=float(density),
        coverage=float(coverage),
        n_real_features=n_real,
        n_fake_features=n_fake,
    )
