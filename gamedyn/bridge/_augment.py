"""Differentiable augmentation (DiffAugment; Zhao, Liu, Lin, Zhu & Han 2020, "Differentiable
Augmentation for Data-Efficient GAN Training"), written in torch.

Both real and generated images are augmented before the discriminator sees them, in the
discriminator's *and* the generator's loss, with operations that are differentiable in the
image, so the generator's gradient flows through the augmentation. The three policies of
the paper (its Sec. 3 and appendix), for images in ``[-1, 1]``:

* ``"color"``: brightness ``x + b``, ``b ~ U[-0.5, 0.5]``; saturation
  ``(x - mean_c x) s + mean_c x``, ``s ~ U[0, 2]`` (mean over channels, per pixel); contrast
  ``(x - mean x) c + mean x``, ``c ~ U[0.5, 1.5]`` (mean over the whole image); in that order.
* ``"translation"``: a shift by up to ``1/8`` of the image size in each direction, integer
  pixels, the uncovered border filled with zeros.
* ``"cutout"``: a square of half the image size, centred uniformly at random in the image,
  set to zero (it may be clipped by the border).

A step of a game rule may evaluate the losses several times (extragradient twice, ``k``
discriminator steps ``k + 1`` times); the random transformation must be the same each time,
so the random draw (:func:`draw_augment`) is separate from its application
(:func:`apply_augment`), which is a deterministic, differentiable function of the images.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from .._checks import check_choice, check_int

__all__ = ["AUGMENT_POLICIES", "AugmentDraw", "draw_augment", "apply_augment", "diff_augment",
           "parse_policy"]

AUGMENT_POLICIES = ("color", "translation", "cutout")

# Ranges of Zhao et al. (2020): brightness, saturation, contrast; translation and cutout
# sizes as fractions of the image side.
_BRIGHTNESS = (-0.5, 0.5)
_SATURATION = (0.0, 2.0)
_CONTRAST = (0.5, 1.5)
_TRANSLATION_RATIO = 0.125
_CUTOUT_RATIO = 0.5


class AugmentDraw(NamedTuple):
    """One random draw of the augmentation for a batch: per-sample parameters, ``None`` for
    the policies not in use.

    brightness, saturation, contrast : ``(n,)`` factors of the colour policy.
    shift : ``(n, 2)`` integer shifts (rows, columns) of the translation policy.
    cutout : ``(n, 2)`` integer centres (row, column) of the cutout squares.
    cutout_size : ``(height, width)`` of the cutout square.

    A draw written by hand: a 2x2 cutout centred at (1, 1) spans rows and columns 0-1.

    >>> import torch
    >>> from gamedyn.bridge import AugmentDraw, apply_augment
    >>> draw = AugmentDraw(cutout=torch.tensor([[1, 1]]), cutout_size=(2, 2))
    >>> draw.shift is None  # no translation in this draw
    True
    >>> apply_augment(torch.ones(1, 1, 4, 4), draw)[0, 0]
    tensor([[0., 0., 1., 1.],
            [0., 0., 1., 1.],
            [1., 1., 1., 1.],
            [1., 1., 1., 1.]])
    """

    brightness: torch.Tensor | None = None
    saturation: torch.Tensor | None = None
    contrast: torch.Tensor | None = None
    shift: torch.Tensor | None = None
    cutout: torch.Tensor | None = None
    cutout_size: tuple[int, int] = (0, 0)


def parse_policy(policy) -> tuple[str, ...]:
    """``"color,translation"`` or ``("color", "translation")`` -> a tuple of policy names.

    >>> parse_policy("color, translation"), parse_policy(None)
    (('color', 'translation'), ())
    >>> parse_policy("colour")
    Traceback (most recent call last):
    ...
    ValueError: augment='colour' is not accepted; expected one of 'color', 'translation', 'cutout'
    """
    if policy is None:
        return ()
    names = policy.split(",") if isinstance(policy, str) else list(policy)
    names = tuple(name.strip() for name in names if name.strip())
    for name in names:
        check_choice("augment", name, AUGMENT_POLICIES)
    return names


def _draw_device(generator):
    """Draw where the generator lives (a CUDA generator draws on the GPU), then move."""
    return generator.device if generator is not None else "cpu"


def _uniform(n, bounds, generator, device, dtype):
    low, high = bounds
    u = torch.rand(n, generator=generator, device=_draw_device(generator), dtype=torch.float64)
    return (low + (high - low) * u).to(device=device, dtype=dtype)


def _integers(low, high, size, generator, device):
    """Uniform integers in ``[low, high]`` (both ends included)."""
    out = torch.randint(low, high + 1, size, generator=generator, device=_draw_device(generator))
    return out.to(device)


def draw_augment(n: int, image_size, policy="color,translation,cutout", *, generator=None,
                 device=None, dtype=torch.float32) -> AugmentDraw:
    """Draw the per-sample parameters of DiffAugment for a batch of ``n`` images.

    Parameters
    ----------
    n : batch size.
    image_size : ``(height, width)`` or one int for square images.
    policy : a comma-separated string or a sequence of ``"color"``, ``"translation"``,
        ``"cutout"`` (Zhao et al. 2020 use all three for small data sets).
    generator : a ``torch.Generator`` for reproducible draws (the global one if None).
    device, dtype : where the returned parameters live (the images' device and dtype).

    >>> import torch
    >>> from gamedyn.bridge._augment import draw_augment
    >>> d = draw_augment(4, 32, "translation,cutout", generator=torch.Generator().manual_seed(0))
    >>> d.shift.shape, bool(d.shift.abs().max() <= 4), d.cutout_size
    (torch.Size([4, 2]), True, (16, 16))
    """
    check_int("n", n, minimum=1)
    names = parse_policy(policy)
    height, width = (image_size, image_size) if isinstance(image_size, int) else image_size
    check_int("image_size", height, minimum=1)
    check_int("image_size", width, minimum=1)
    device = torch.device("cpu") if device is None else torch.device(device)
    fields = {}
    if "color" in names:
        fields["brightness"] = _uniform(n, _BRIGHTNESS, generator, device, dtype)
        fields["saturation"] = _uniform(n, _SATURATION, generator, device, dtype)
        fields["contrast"] = _uniform(n, _CONTRAST, generator, device, dtype)
    if "translation" in names:
        # int(x + 0.5) rounds 28/8 = 3.5 up, so 28 px images shift by up to 4 px like 32 px ones
        max_rows = int(height * _TRANSLATION_RATIO + 0.5)
        max_cols = int(width * _TRANSLATION_RATIO + 0.5)
        rows = _integers(-max_rows, max_rows, (n,), generator, device)
        cols = _integers(-max_cols, max_cols, (n,), generator, device)
        fields["shift"] = torch.stack([rows, cols], dim=1)
    if "cutout" in names:
        size = (int(height * _CUTOUT_RATIO + 0.5), int(width * _CUTOUT_RATIO + 0.5))
        rows = _integers(0, height - 1, (n,), generator, device)
        cols = _integers(0, width - 1, (n,), generator, device)
        fields["cutout"] = torch.stack([rows, cols], dim=1)
        fields["cutout_size"] = size
    return AugmentDraw(**fields)


def _per_sample(values, x):
    return values.reshape((-1,) + (1,) * (x.dim() - 1))


def _color(x, draw):
    x = x + _per_sample(draw.brightness, x)
    pixel_mean = x.mean(dim=1, keepdim=True)
    x = (x - pixel_mean) * _per_sample(draw.saturation, x) + pixel_mean
    image_mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - image_mean) * _per_sample(draw.contrast, x) + image_mean


def _translate(x, shift):
    """``out[i, j] = x[i - dy, j - dx]`` where that pixel exists, else 0."""
    n, _, height, width = x.shape
    rows = torch.arange(height, device=x.device)[None, :] - shift[:, :1]  # (n, height)
    cols = torch.arange(width, device=x.device)[None, :] - shift[:, 1:]   # (n, width)
    inside_rows, inside_cols = (rows >= 0) & (rows < height), (cols >= 0) & (cols < width)
    inside = inside_rows[:, :, None] & inside_cols[:, None, :]
    batch = torch.arange(n, device=x.device)[:, None, None]
    # advanced indices around a slice put the indexed dims first: (n, height, width, channels)
    rows, cols = rows.clamp(0, height - 1), cols.clamp(0, width - 1)
    gathered = x[batch, :, rows[:, :, None], cols[:, None, :]]
    return gathered.permute(0, 3, 1, 2) * inside[:, None].to(x.dtype)


def _cutout(x, centres, size):
    n, _, height, width = x.shape
    top = centres[:, :1] - size[0] // 2
    left = centres[:, 1:] - size[1] // 2
    rows = torch.arange(height, device=x.device)[None, :]
    cols = torch.arange(width, device=x.device)[None, :]
    in_rows = (rows >= top) & (rows < top + size[0])   # (n, height)
    in_cols = (cols >= left) & (cols < left + size[1])  # (n, width)
    keep = ~(in_rows[:, :, None] & in_cols[:, None, :])
    return x * keep[:, None].to(x.dtype)


def apply_augment(x: torch.Tensor, draw: AugmentDraw) -> torch.Tensor:
    """Apply a drawn augmentation to images ``x`` of shape ``(n, channels, height, width)``:
    colour, then translation, then cutout (the order of Zhao et al.'s policy string).

    Deterministic given ``draw`` and differentiable in ``x`` (translation and cutout are
    gathers and masks, colour is affine per sample).

    >>> import torch
    >>> from gamedyn.bridge._augment import AugmentDraw, apply_augment
    >>> x = torch.arange(9.0).reshape(1, 1, 3, 3)
    >>> apply_augment(x, AugmentDraw(shift=torch.tensor([[1, 0]])))[0, 0]
    tensor([[0., 0., 0.],
            [0., 1., 2.],
            [3., 4., 5.]])
    """
    if x.dim() != 4:
        raise ValueError(
            f"x has shape {tuple(x.shape)}; DiffAugment expects images (n, channels, height, width)"
        )
    for name in ("brightness", "shift", "cutout"):
        value = getattr(draw, name)
        if value is not None and value.shape[0] != x.shape[0]:
            raise ValueError(
                f"the augmentation was drawn for {value.shape[0]} images but x holds {x.shape[0]}"
            )
    if draw.brightness is not None:
        x = _color(x, draw)
    if draw.shift is not None:
        x = _translate(x, draw.shift)
    if draw.cutout is not None:
        x = _cutout(x, draw.cutout, draw.cutout_size)
    return x


def diff_augment(x: torch.Tensor, policy="color,translation,cutout", *,
                 generator=None) -> torch.Tensor:
    """Draw and apply DiffAugment in one call (a fresh draw each call; inside a game-rule step
    use :func:`draw_augment` once and :func:`apply_augment` per evaluation).

    >>> import torch
    >>> from gamedyn.bridge._augment import diff_augment
    >>> x = torch.rand(2, 3, 32, 32, requires_grad=True)
    >>> y = diff_augment(x, generator=torch.Generator().manual_seed(0))
    >>> y.shape, y.requires_grad
    (torch.Size([2, 3, 32, 32]), True)
    """
    draw = draw_augment(x.shape[0], tuple(x.shape[-2:]), policy, generator=generator,
                        device=x.device, dtype=x.dtype)
    return apply_augment(x, draw)
