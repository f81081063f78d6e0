"""DCGAN-family generators and discriminators for 28x28 and 32x32 images, in PyTorch.

Two architectures, written from the papers:

``"dcgan"`` (Radford, Metz & Chintala 2016): the generator maps ``z`` through four
transposed convolutions to the image, halving the channels while doubling the resolution,
with normalisation and ReLU after every layer but the last (Tanh); the discriminator
mirrors it with strided convolutions and LeakyReLU(0.2), no normalisation on its first
layer, and a linear read-out of the last feature map (the paper's final convolution over
the whole map, written as the equivalent linear layer). Resolutions, for width ``w``:

=========  ===============================  ===============================
image      generator (channels @ side)       discriminator (channels @ side)
=========  ===============================  ===============================
32 x 32    4w@4 -> 2w@8 -> w@16 -> c@32      w@16 -> 2w@8 -> 4w@4 -> 1
28 x 28    4w@3 -> 2w@7 -> w@14 -> c@28      w@14 -> 2w@7 -> 4w@3 -> 1
=========  ===============================  ===============================

(28 px: kernel 3 for the 1 -> 3 and 3 -> 7 steps, kernel 4 stride 2 elsewhere, so both sizes
have the same depth.) Convolutions carry a bias only where no normalisation follows (a bias
before batch/instance norm is cancelled by it).

``"resnet"`` (the SNGAN ResNets of Miyato, Kataoka, Koyama & Yoshida 2018, appendix, for
CIFAR-10): generator ``z -> linear -> 4w@4 -> 3 pre-activation residual blocks with
nearest-neighbour 2x up-sampling (4w@8, 4w@16, 4w@32) -> norm, ReLU, 3x3 conv -> Tanh``;
discriminator ``optimised block (2w@16) -> down block (2w@8) -> 2 blocks (2w@8) -> ReLU ->
global sum pooling -> linear``. For 28 px the generator starts at 7x7 and its first block
does not up-sample (4w@7, 4w@14, 4w@28), the discriminator goes 2w@14 -> 2w@7 -> 2w@7 ->
2w@7. Every convolution carries a bias, as in SNGAN. ``w = 64`` gives the paper's 256
generator and 128 discriminator channels.

Options (each may be given once for both networks, or as a pair ``(for G, for D)``, like
``lr`` in the rules):

* ``norm``: ``"batch"``, ``"instance"`` (affine) or ``"none"``.
* ``spectral_norm``: ``torch.nn.utils.parametrizations.spectral_norm`` (Miyato et al. 2018)
  on every convolution and linear layer, one power iteration per forward pass in training
  mode; the normalised matrix is the weight reshaped to ``(out, in * k * k)``, as in the paper.
* ``attention``: a SAGAN self-attention block (Zhang, Goodfellow, Metaxas & Odena 2019) after
  the layer whose output has this side length.

Discriminator only: ``minibatch_std`` (Karras, Aila, Laine & Lehtinen 2018) appends the
average standard deviation over a group of samples as one more feature map before the
read-out; ``minibatch_discrimination`` (Salimans et al. 2016, Sec. 3.2) appends ``B``
closeness features computed across the batch to the penultimate features.
``D.features(x)`` returns the penultimate features (for feature matching).

Weights are initialised from N(0, 0.02) (Radford et al. 2016; normalisation scales from
N(1, 0.02)) for ``"dcgan"`` and Glorot-uniform for ``"resnet"`` (as in SNGAN), unless
``init=`` says otherwise; SAGAN's ``gamma`` starts at 0.

Parameter counts of the defaults (:func:`count_parameters`):

=============================================  ===========  ===============
``make_models(...)``                           generator    discriminator
=============================================  ===========  ===============
``"dcgan", 32, channels=3, width=64`` (z 100)  1,068,931    663,361
``"dcgan", 28, channels=1, width=64`` (z 100)  658,305      430,145
``"resnet", 32, channels=3, width=64`` (z 128) 4,276,739    1,053,825
``"resnet", 28, channels=1, width=64`` (z 128) 5,296,129    1,051,265
=============================================  ===========  ===============

(The 28 px ResNet generator is the larger one: its linear layer fills a 7x7 map, not 4x4.)
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils.parametrizations import spectral_norm as _spectral_norm

from ._config import ACTIVATIONS, ARCHITECTURES, NORMS
from .._checks import check_choice, check_int, check_positive

__all__ = [
    "IMAGE_SIZES",
    "make_models",
    "Generator",
    "Discriminator",
    "SmoothLeaky",
    "SelfAttention",
    "MinibatchStdDev",
    "MinibatchDiscrimination",
    "count_parameters",
    "freeze_spectral_norm",
    "power_iteration",
    "attention_sides",
]

IMAGE_SIZES = (28, 32)
INITS = ("normal", "xavier")

# Side lengths after each generator layer / discriminator layer (the last one is the image
# or the read-out), and the sides where attention may go (feature maps, not the image).
_G_SIDES = {("dcgan", 32): (4, 8, 16, 32), ("dcgan", 28): (3, 7, 14, 28),
            ("resnet", 32): (8, 16, 32), ("resnet", 28): (7, 14, 28)}
_D_SIDES = {("dcgan", 32): (16, 8, 4), ("dcgan", 28): (14, 7, 3),
            ("resnet", 32): (16, 8, 8, 8), ("resnet", 28): (14, 7, 7, 7)}


def attention_sides(arch: str, image_size: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The side lengths where a self-attention block may go: ``(generator, discriminator)``
    (the networks' feature maps; the first occurrence of a side when several have it).

    >>> from gamedyn.bridge._models import attention_sides
    >>> attention_sides("dcgan", 32), attention_sides("resnet", 28)
    (((4, 8, 16), (16, 8, 4)), ((7, 14), (14, 7)))
    """
    check_choice("arch", arch, ARCHITECTURES)
    check_choice("image_size", image_size, IMAGE_SIZES)
    g = _G_SIDES[arch, image_size][:-1]
    d = tuple(dict.fromkeys(_D_SIDES[arch, image_size]))
    if arch == "resnet":  # the generator's first feature map (after the linear layer) too
        g = ((4 if image_size == 32 else 7),) + g
        g = tuple(dict.fromkeys(g))
    return g, d


class SmoothLeaky(nn.Module):
    """``leak x + (1 - leak) GELU(x)``: the infinitely differentiable counterpart of
    ``LeakyReLU(leak)`` (``leak = 0``: GELU, Hendrycks & Gimpel 2016, for ReLU). Far from 0 it
    is the piecewise-linear function it replaces (GELU(x) = x Phi(x)); near 0 its second
    derivative is bounded, so a network's Hessian, and a rule's update map, change
    continuously with the parameters (a ReLU network's change at every activation's kink).

    >>> import torch
    >>> act = SmoothLeaky(0.2)
    >>> x = torch.tensor([-8.0, 0.0, 8.0])
    >>> act(x), torch.nn.LeakyReLU(0.2)(x)
    (tensor([-1.6000,  0.0000,  8.0000]), tensor([-1.6000,  0.0000,  8.0000]))
    """

    def __init__(self, leak: float = 0.0):
        super().__init__()
        self.leak = float(leak)

    def forward(self, x):
        return F.gelu(x) if self.leak == 0 else self.leak * x + (1 - self.leak) * F.gelu(x)

    def extra_repr(self):
        return f"leak={self.leak}"


def _act(kind: str, leak: float = 0.0) -> nn.Module:
    """The hidden layers' nonlinearity (``ACTIVATIONS``): ReLU / LeakyReLU or SmoothLeaky."""
    if kind == "smooth":
        return SmoothLeaky(leak)
    return nn.LeakyReLU(leak) if leak else nn.ReLU()


def _norm2d(kind: str, channels: int) -> nn.Module:
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=True)
    return nn.Identity()


# -- building blocks ------------------------------------------------------------------------


class SelfAttention(nn.Module):
    """SAGAN self-attention (Zhang et al. 2019, Sec. 3, eqs. 1-3).

    With ``f(x) = W_f x``, ``g(x) = W_g x``, ``h(x) = W_h x`` (1x1 convolutions to ``C/8``
    channels, no bias) and ``v(x) = W_v x`` back to ``C`` channels, over the ``N = H W``
    positions: ``s_ij = f(x_i)^T g(x_j)``, ``beta_{j,i} = softmax_i(s_ij)``,
    ``o_j = v(sum_i beta_{j,i} h(x_i))``, output ``y_i = gamma o_i + x_i`` with ``gamma``
    learned and initialised to 0 (so the block starts as the identity).

    >>> import torch
    >>> from gamedyn.bridge._models import SelfAttention
    >>> block = SelfAttention(16)
    >>> x = torch.randn(2, 16, 4, 4)
    >>> torch.equal(block(x), x)  # gamma = 0 at initialisation
    True
    """

    def __init__(self, channels: int, reduction: int = 8):
        super().__init__()
        check_int("channels", channels, minimum=1)
        check_int("reduction", reduction, minimum=1)
        inner = max(channels // reduction, 1)
        self.f = nn.Conv2d(channels, inner, 1, bias=False)
        self.g = nn.Conv2d(channels, inner, 1, bias=False)
        self.h = nn.Conv2d(channels, inner, 1, bias=False)
        self.v = nn.Conv2d(inner, channels, 1, bias=False)
        self.gamma = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        n, _, height, width = x.shape
        f, g, h = self.f(x).flatten(2), self.g(x).flatten(2), self.h(x).flatten(2)
        scores = torch.bmm(f.transpose(1, 2), g)  # [n, i, j] = f(x_i)^T g(x_j)
        beta = torch.softmax(scores, dim=1)        # normalised over i for every j
        attended = torch.bmm(h, beta)              # [:, :, j] = sum_i beta_{j,i} h(x_i)
        o = self.v(attended.reshape(n, -1, height, width))
        return x + self.gamma * o


def _group_size(n: int, group_size: int) -> int:
    """The largest divisor of ``n`` not above ``group_size`` (every group full)."""
    for g in range(min(group_size, n), 0, -1):
        if n % g == 0:
            return g
    return 1


class MinibatchStdDev(nn.Module):
    """Minibatch standard deviation (Karras et al. 2018, Sec. 3).

    The batch is split into groups of ``group_size`` consecutive samples (the largest divisor
    of the batch size not above it); for each group, the standard deviation of every feature
    at every position over the group's samples is averaged into one number, which is
    appended to each of the group's samples as a constant extra feature map. A collapsed
    generator (identical samples) shows as a 0 there.

    >>> import torch
    >>> from gamedyn.bridge._models import MinibatchStdDev
    >>> out = MinibatchStdDev(group_size=4)(torch.ones(4, 3, 2, 2))
    >>> out.shape, float(out[:, 3].max()) < 1e-3  # identical samples: std ~ sqrt(eps)
    (torch.Size([4, 4, 2, 2]), True)
    """

    def __init__(self, group_size: int = 4, eps: float = 1e-8):
        super().__init__()
        check_int("group_size", group_size, minimum=1)
        check_positive("eps", eps)
        self.group_size = int(group_size)
        self.eps = float(eps)

    def forward(self, x):
        n, c, height, width = x.shape
        g = _group_size(n, self.group_size)
        grouped = x.reshape(n // g, g, c, height, width)
        std = torch.sqrt(grouped.var(dim=1, unbiased=False) + self.eps)
        stat = std.mean(dim=(1, 2, 3)).repeat_interleave(g)
        return torch.cat([x, stat.reshape(n, 1, 1, 1).expand(n, 1, height, width)], dim=1)


class MinibatchDiscrimination(nn.Module):
    """Minibatch discrimination (Salimans et al. 2016, Sec. 3.2).

    With features ``f(x_i)`` in ``R^A`` and a learned tensor ``T`` in ``R^{A x B x C}``:
    ``M_i = f(x_i) T`` in ``R^{B x C}``, ``c_b(x_i, x_j) = exp(-||M_{i,b} - M_{j,b}||_1)``,
    ``o(x_i)_b = sum_j c_b(x_i, x_j)`` (the sum over the whole batch, ``j = i`` included, as
    in the paper); the output is ``[f(x_i), o(x_i)]`` in ``R^{A + B}``. ``B`` (``kernels``)
    and ``C`` (``kernel_dim``) are free choices; the defaults are 50 and 5.

    >>> import torch
    >>> from gamedyn.bridge._models import MinibatchDiscrimination
    >>> layer = MinibatchDiscrimination(8, kernels=3, kernel_dim=2)
    >>> out = layer(torch.zeros(5, 8))  # identical samples: every c_b = 1, so o = n
    >>> out.shape, out[:, 8:].unique().tolist()
    (torch.Size([5, 11]), [5.0])
    """

    def __init__(self, in_features: int, kernels: int = 50, kernel_dim: int = 5):
        super().__init__()
        for name, value in (("in_features", in_features), ("kernels", kernels),
                            ("kernel_dim", kernel_dim)):
            check_int(name, value, minimum=1)
        self.kernels, self.kernel_dim = int(kernels), int(kernel_dim)
        self.T = nn.Parameter(torch.empty(in_features, kernels * kernel_dim))
        nn.init.normal_(self.T, 0.0, 0.02)

    def forward(self, f):
        m = (f @ self.T).reshape(f.shape[0], self.kernels, self.kernel_dim)
        l1 = (m[:, None] - m[None, :]).abs().sum(dim=-1)  # (n, n, B)
        return torch.cat([f, torch.exp(-l1).sum(dim=1)], dim=1)


class _GBlock(nn.Module):
    """SNGAN generator block: ``norm, ReLU, [2x up], conv3, norm, ReLU, conv3`` plus the
    shortcut ``[2x up], [conv1]`` (a 1x1 convolution where the shape changes)."""

    def __init__(self, cin, cout, up, norm, activation="relu"):
        super().__init__()
        self.up, self.act = up, _act(activation)
        self.norm1, self.conv1 = _norm2d(norm, cin), nn.Conv2d(cin, cout, 3, padding=1)
        self.norm2, self.conv2 = _norm2d(norm, cout), nn.Conv2d(cout, cout, 3, padding=1)
        self.shortcut = nn.Conv2d(cin, cout, 1) if (cin != cout or up) else nn.Identity()

    def forward(self, x):
        h = self.act(self.norm1(x))
        if self.up:
            h = F.interpolate(h, scale_factor=2, mode="nearest")
            x = F.interpolate(x, scale_factor=2, mode="nearest")
        h = self.conv2(self.act(self.norm2(self.conv1(h))))
        return h + self.shortcut(x)


class _DBlock(nn.Module):
    """SNGAN discriminator block. ``first`` (the "optimised" block): ``conv3, [norm], ReLU,
    conv3, avg-pool`` + shortcut ``avg-pool, conv1``; otherwise pre-activation
    ``[norm], ReLU, conv3, [norm], ReLU, conv3, [avg-pool]`` + shortcut ``[conv1], [avg-pool]``."""

    def __init__(self, cin, cout, down, norm, first=False, activation="relu"):
        super().__init__()
        self.down, self.first, self.act = down, first, _act(activation)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.norm1 = _norm2d(norm, cout if first else cin)
        self.norm2 = nn.Identity() if first else _norm2d(norm, cout)
        self.shortcut = nn.Conv2d(cin, cout, 1) if (cin != cout or down) else nn.Identity()

    def forward(self, x):
        if self.first:
            h = self.conv2(self.act(self.norm1(self.conv1(x))))
        else:
            h = self.conv2(self.act(self.norm2(self.conv1(self.act(self.norm1(x))))))
        if self.down:
            h = F.avg_pool2d(h, 2)
            # a 1x1 convolution and average pooling commute, so the shortcut's order is free
            x = F.avg_pool2d(x, 2)
        return h + self.shortcut(x)


def _check_network(arch, image_size, channels, width, norm):
    check_choice("arch", arch, ARCHITECTURES)
    check_choice("image_size", image_size, IMAGE_SIZES)
    check_choice("channels", channels, (1, 3))
    check_int("width", width, minimum=1)
    check_choice("norm", norm, NORMS)


# -- the networks ---------------------------------------------------------------------------


class Generator(nn.Module):
    """A generator ``G(z)``: latent codes ``(n, latent)`` -> images ``(n, channels, side,
    side)`` in ``[-1, 1]``. Build it with :func:`make_models`.

    Attributes: ``latent``, ``image_size``, ``channels``, ``arch``.
    """

    def __init__(self, *, arch="dcgan", image_size=32, channels=3, width=64, latent=100,
                 norm="batch", attention=None, activation="relu"):
        super().__init__()
        _check_network(arch, image_size, channels, width, norm)
        check_choice("activation", activation, ACTIVATIONS)
        check_int("latent", latent, minimum=1)
        check_choice("attention (generator)", attention,
                     (None,) + attention_sides(arch, image_size)[0])
        self.arch, self.image_size, self.channels = arch, image_size, channels
        self.latent, self.width = latent, width
        w = width
        layers: list[nn.Module] = []
        if arch == "dcgan":
            # (in, out, kernel, stride, padding) of the four transposed convolutions
            if image_size == 32:
                spec = [(latent, 4 * w, 4, 1, 0), (4 * w, 2 * w, 4, 2, 1), (2 * w, w, 4, 2, 1),
                        (w, channels, 4, 2, 1)]
            else:
                spec = [(latent, 4 * w, 3, 1, 0), (4 * w, 2 * w, 3, 2, 0), (2 * w, w, 4, 2, 1),
                        (w, channels, 4, 2, 1)]
            layers.append(nn.Unflatten(1, (latent, 1, 1)))
            sides = _G_SIDES[arch, image_size]
            for i, (cin, cout, k, s, p) in enumerate(spec):
                last = i == len(spec) - 1
                layers.append(nn.ConvTranspose2d(cin, cout, k, s, p, bias=last or norm == "none"))
                if last:
                    layers.append(nn.Tanh())
                else:
                    layers += [_norm2d(norm, cout), _act(activation)]
                    if attention == sides[i]:
                        layers.append(SelfAttention(cout))
        else:
            start = 4 if image_size == 32 else 7
            ch = 4 * w
            layers += [nn.Linear(latent, ch * start * start), nn.Unflatten(1, (ch, start, start))]
            placed = attention == start
            if placed:
                layers.append(SelfAttention(ch))
            ups = (True, True, True) if image_size == 32 else (False, True, True)
            for up, side in zip(ups, _G_SIDES[arch, image_size]):
                layers.append(_GBlock(ch, ch, up, norm, activation))
                if attention == side and side != image_size and not placed:
                    layers.append(SelfAttention(ch))
                    placed = True
            layers += [_norm2d(norm, ch), _act(activation), nn.Conv2d(ch, channels, 3, padding=1),
                       nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, z):
        if z.dim() != 2 or z.shape[1] != self.latent:
            raise ValueError(
                f"z has shape {tuple(z.shape)}; expected (n, {self.latent}) latent codes"
            )
        return self.net(z)

    def sample_latent(self, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` codes from ``N(0, I)`` on the generator's device and dtype."""
        check_int("n", n, minimum=1)
        param = next(self.parameters())
        device = generator.device if generator is not None else param.device
        z = torch.randn(n, self.latent, generator=generator, device=device, dtype=param.dtype)
        return z.to(param.device)


class Discriminator(nn.Module):
    """A discriminator ``D(x)``: images ``(n, channels, side, side)`` -> logits ``(n,)``,
    large on real data. Build it with :func:`make_models`.

    ``features(x)`` are the penultimate features (the flattened last feature map for
    ``"dcgan"``, the sum-pooled one for ``"resnet"``), before the batch-coupled minibatch
    layers; ``forward_with_features(x)`` returns ``(logits, features)`` from one pass.

    ``pack = m > 1`` is PacGAN (Lin et al. 2018): ``D`` judges ``m`` samples at once, stacked
    along the channels (its first layer sees ``m * channels`` of them), so ``n`` images give
    ``n / m`` logits, one per pack of consecutive images (all real or all generated).

    >>> import torch
    >>> _, D = make_models(image_size=28, channels=1, width=4, pack=2, seed=0)
    >>> D(torch.zeros(6, 1, 28, 28)).shape   # 6 images, 3 packs of 2
    torch.Size([3])
    """

    def __init__(self, *, arch="dcgan", image_size=32, channels=3, width=64, norm="batch",
                 attention=None, minibatch_std=False, minibatch_std_group=4,
                 minibatch_discrimination=None, pack=1, activation="relu"):
        super().__init__()
        check_int("pack", pack, minimum=1)
        check_choice("activation", activation, ACTIVATIONS)
        _check_network(arch, image_size, channels, width, norm)
        check_choice("attention (discriminator)", attention,
                     (None,) + attention_sides(arch, image_size)[1])
        self.arch, self.image_size, self.channels, self.width = arch, image_size, channels, width
        self.pack = pack
        channels = channels * pack  # the first layer sees a pack stacked along the channels
        w = width
        layers: list[nn.Module] = []
        sides = _D_SIDES[arch, image_size]
        if arch == "dcgan":
            k3, s3, p3 = (4, 2, 1) if image_size == 32 else (3, 2, 0)
            spec = [(channels, w, 4, 2, 1), (w, 2 * w, 4, 2, 1), (2 * w, 4 * w, k3, s3, p3)]
            for i, (cin, cout, k, s, p) in enumerate(spec):
                normed = i > 0 and norm != "none"  # no normalisation on the input layer
                layers.append(nn.Conv2d(cin, cout, k, s, p, bias=not normed))
                if normed:
                    layers.append(_norm2d(norm, cout))
                layers.append(_act(activation, 0.2))
                if attention == sides[i]:
                    layers.append(SelfAttention(cout))
            out_channels, out_side = 4 * w, sides[-1]
        else:
            ch = 2 * w
            downs = (True, True, False, False)
            placed = False
            for i, (down, side) in enumerate(zip(downs, sides)):
                layers.append(_DBlock(channels if i == 0 else ch, ch, down, norm, first=i == 0, activation=activation))
                if attention == side and not placed:
                    layers.append(SelfAttention(ch))
                    placed = True
            layers.append(_act(activation))
            out_channels, out_side = ch, sides[-1]
        self.body = nn.Sequential(*layers)
        self.minibatch_std = MinibatchStdDev(minibatch_std_group) if minibatch_std else None
        extra_maps = 1 if minibatch_std else 0
        if arch == "dcgan":
            self.feature_dim = out_channels * out_side * out_side
            head_in = (out_channels + extra_maps) * out_side * out_side
        else:
            self.feature_dim = out_channels
            head_in = out_channels + extra_maps
        if minibatch_discrimination is not None:
            kernels, kernel_dim = minibatch_discrimination
            self.minibatch_discrimination = MinibatchDiscrimination(head_in, kernels, kernel_dim)
            head_in += kernels
        else:
            self.minibatch_discrimination = None
        self.head = nn.Linear(head_in, 1)

    def _pool(self, h):
        return h.flatten(1) if self.arch == "dcgan" else h.sum(dim=(2, 3))

    def forward_with_features(self, x):
        """``(logits (n,), features (n, feature_dim))`` from one forward pass."""
        if x.dim() != 4 or tuple(x.shape[1:]) != (self.channels, self.image_size, self.image_size):
            raise ValueError(
                f"x has shape {tuple(x.shape)}; expected (n, {self.channels}, {self.image_size}, "
                f"{self.image_size}) images"
            )
        if self.pack > 1:
            n = x.shape[0]
            if n % self.pack:
                raise ValueError(f"x holds {n} images; a discriminator with pack={self.pack} needs a multiple of "
                                 f"{self.pack}")
            x = x.reshape(n // self.pack, self.pack * self.channels, self.image_size, self.image_size)
        h = self.body(x)
        features = self._pool(h)
        pooled = self._pool(self.minibatch_std(h)) if self.minibatch_std is not None else features
        if self.minibatch_discrimination is not None:
            pooled = self.minibatch_discrimination(pooled)
        return self.head(pooled).reshape(-1), features

    def forward(self, x):
        return self.forward_with_features(x)[0]

    def features(self, x):
        """The penultimate features ``f(x)`` (Salimans et al. 2016's feature matching)."""
        return self.forward_with_features(x)[1]


# -- construction ---------------------------------------------------------------------------


def _per_network(name, value, check):
    """A scalar-or-pair option -> ``(for G, for D)``, each checked."""
    pair = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(pair) != 2:
        raise ValueError(f"{name}={value!r} is not accepted; expected one value or a pair (G, D)")
    for entry in pair:
        check(entry)
    return pair


def _init_weights(module: nn.Module, scheme: str) -> None:
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            if scheme == "normal":
                nn.init.normal_(m.weight, 0.0, 0.02)
            else:
                nn.init.xavier_uniform_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.InstanceNorm2d)) and m.weight is not None:
            if scheme == "normal":
                nn.init.normal_(m.weight, 1.0, 0.02)
            else:
                nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, MinibatchDiscrimination):
            if scheme == "normal":
                nn.init.normal_(m.T, 0.0, 0.02)
            else:
                nn.init.xavier_uniform_(m.T)


def _apply_spectral_norm(module: nn.Module) -> None:
    layers = (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)
    targets = [m for m in module.modules() if isinstance(m, layers)]
    for m in targets:
        # ConvTranspose2d keeps its output channels in dim 1; spectral_norm knows that
        _spectral_norm(m)


def make_models(arch: str = "dcgan", image_size: int = 32, channels: int = 3, width: int = 64,
                latent: int | None = None, *, norm=None, spectral_norm=None, attention=None,
                minibatch_std: bool = False, minibatch_std_group: int = 4,
                minibatch_discrimination=None, pack: int = 1, init: str | None = None,
                activation: str = "relu", seed: int | None = None) -> tuple[Generator, Discriminator]:
    """A generator ``G`` (player ``x``) and a discriminator ``D`` (player ``y``).

    Parameters
    ----------
    arch : ``"dcgan"`` (Radford et al. 2016) or ``"resnet"`` (SNGAN, Miyato et al. 2018).
    image_size : 28 or 32 (square images).
    channels : 1 or 3 image channels.
    width : the base number of channels ``w`` (see the module docstring); 64 is the papers'.
    latent : size of ``z``; None: 100 for ``"dcgan"`` (Radford et al.), 128 for ``"resnet"``
        (Miyato et al.).
    norm : ``"batch"``, ``"instance"`` or ``"none"``, or a pair ``(for G, for D)``. None: the
        paper's choice, ``("batch", "batch")`` for ``"dcgan"``, ``("batch", "none")`` for
        ``"resnet"``.
    spectral_norm : bool or a pair ``(for G, for D)``; None: ``(False, False)`` for
        ``"dcgan"``, ``(False, True)`` (SNGAN) for ``"resnet"``. ``True`` normalises both
        networks (as SAGAN does); ``(False, True)`` only the discriminator.
    attention : the side length after which a SAGAN self-attention block is placed (None for
        none), or a pair ``(for G, for D)``; accepted sides are listed in the error message,
        e.g. 4, 8, 16 for a 32 px DCGAN.
    minibatch_std : append Karras et al.'s minibatch standard deviation feature map to D's
        last feature map (groups of ``minibatch_std_group`` samples).
    minibatch_discrimination : None, or ``(B, C)``: Salimans et al.'s minibatch
        discrimination with ``B`` kernels of dimension ``C`` before D's read-out (e.g.
        ``(50, 5)``).
    pack : PacGAN's packing degree ``m`` (Lin et al. 2018): D judges ``m`` images at once.
    init : ``"normal"`` (N(0, 0.02), DCGAN) or ``"xavier"`` (Glorot-uniform); None: the
        architecture's paper (normal for ``"dcgan"``, xavier for ``"resnet"``).
    activation : ``"relu"`` (the papers': ReLU, and LeakyReLU(0.2) in a DCGAN's D) or
        ``"smooth"`` (:class:`SmoothLeaky`: GELU, and ``0.2 x + 0.8 GELU(x)`` in D), whose
        Hessian changes continuously with the weights (the update map's linearisation holds
        over a neighbourhood, not only inside one activation pattern).
    seed : seed of the initial weights (and of spectral norm's power-iteration vectors); the
        global torch RNG is left untouched. None draws from the global RNG.

    Notes
    -----
    Both networks are float32 on the CPU, in training mode; move them with ``.to(device)``.

    >>> import torch
    >>> from gamedyn.bridge._models import make_models, count_parameters
    >>> G, D = make_models("dcgan", image_size=32, channels=3, width=64, seed=0)
    >>> count_parameters(G), count_parameters(D)
    (1068931, 663361)
    >>> G, D = make_models("dcgan", image_size=28, channels=1, width=8, spectral_norm=(False, True),
    ...                    attention=(14, 7), minibatch_std=True, seed=0)
    >>> z = G.sample_latent(4)
    >>> G(z).shape, D(G(z)).shape, D.features(G(z)).shape
    (torch.Size([4, 1, 28, 28]), torch.Size([4]), torch.Size([4, 288]))
    """
    check_choice("arch", arch, ARCHITECTURES)
    check_choice("image_size", image_size, IMAGE_SIZES)
    check_choice("channels", channels, (1, 3))
    check_int("width", width, minimum=1)
    latent = (100 if arch == "dcgan" else 128) if latent is None else latent
    check_int("latent", latent, minimum=1)
    if norm is None:
        norm = ("batch", "batch") if arch == "dcgan" else ("batch", "none")
    norm_g, norm_d = _per_network("norm", norm, lambda v: check_choice("norm", v, NORMS))
    if spectral_norm is None:
        spectral_norm = (False, False) if arch == "dcgan" else (False, True)
    sn_g, sn_d = _per_network("spectral_norm", spectral_norm,
                              lambda v: check_choice("spectral_norm", v, (False, True)))
    sides_g, sides_d = attention_sides(arch, image_size)
    att_g, att_d = _per_network("attention", attention, lambda v: None)
    check_choice("attention (generator)", att_g, (None,) + sides_g)
    check_choice("attention (discriminator)", att_d, (None,) + sides_d)
    check_choice("minibatch_std", minibatch_std, (False, True))
    check_int("minibatch_std_group", minibatch_std_group, minimum=1)
    if minibatch_discrimination is not None:
        sizes = minibatch_discrimination
        if not (isinstance(sizes, (tuple, list)) and len(sizes) == 2):
            raise ValueError(
                f"minibatch_discrimination={minibatch_discrimination!r} is not accepted; expected "
                "None or a pair (kernels B, kernel_dim C), e.g. (50, 5)"
            )
        for value in minibatch_discrimination:
            check_int("minibatch_discrimination", value, minimum=1)
    init = ("normal" if arch == "dcgan" else "xavier") if init is None else init
    check_choice("init", init, INITS)
    check_choice("activation", activation, ACTIVATIONS)
    if seed is not None:
        check_int("seed", seed, minimum=0)

    def build():
        G = Generator(arch=arch, image_size=image_size, channels=channels, width=width,
                      latent=latent, norm=norm_g, attention=att_g, activation=activation)
        D = Discriminator(arch=arch, image_size=image_size, channels=channels, width=width,
                          norm=norm_d, attention=att_d, minibatch_std=minibatch_std,
                          minibatch_std_group=minibatch_std_group,
                          minibatch_discrimination=minibatch_discrimination, pack=pack,
                          activation=activation)
        for net, sn in ((G, sn_g), (D, sn_d)):
            _init_weights(net, init)
            if sn:  # after the initialisation: the parametrisation keeps the raw weight
                _apply_spectral_norm(net)
        return G, D

    if seed is None:
        return build()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build()


# -- utilities ------------------------------------------------------------------------------


def count_parameters(module: nn.Module) -> int:
    """The number of trainable scalars (spectral norm's ``u``, ``v`` are buffers, not counted).

    >>> from torch import nn
    >>> from gamedyn.bridge._models import count_parameters
    >>> count_parameters(nn.Linear(3, 2))
    8
    """
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def _spectral_norms(model: nn.Module):
    """``(owner, parametrisation)`` for every spectral-normalised weight in ``model``."""
    from torch.nn.utils import parametrize
    from torch.nn.utils.parametrizations import _SpectralNorm

    found = []
    for owner in model.modules():
        if parametrize.is_parametrized(owner, "weight"):
            chain = owner.parametrizations.weight
            found += [(owner, p) for p in chain if isinstance(p, _SpectralNorm)]
    return found


def freeze_spectral_norm(model: nn.Module, frozen: bool = True) -> int:
    """Stop (or restart, ``frozen=False``) the power iteration that spectral norm runs at
    every forward pass in training mode, leaving every other layer's mode (batch norm)
    alone; returns the number of normalised weights.

    A game rule evaluates the losses several times per step, and a Jacobian-vector product
    many times at one point; with the power iteration frozen, the losses are a deterministic
    function of the parameters. Call :func:`power_iteration` once per training step to keep
    Miyato et al.'s one iteration per update. (``model.train()`` / ``model.eval()`` reset
    every submodule's mode, so freeze again after them.)

    >>> from gamedyn.bridge._models import make_models, freeze_spectral_norm
    >>> G, D = make_models(width=4, spectral_norm=(False, True), seed=0)
    >>> freeze_spectral_norm(D)
    4
    """
    found = _spectral_norms(model)
    for _, sn in found:
        sn.train(not frozen and model.training)
    return len(found)


@torch.no_grad()
def power_iteration(model: nn.Module, n: int = 1) -> int:
    """Run ``n`` power iterations on every spectral-normalised weight of ``model`` (updating
    its estimates ``u``, ``v`` of the top singular vectors), as a training-mode forward pass
    would; returns the number of normalised weights.

    >>> import torch
    >>> from gamedyn.bridge._models import make_models, power_iteration
    >>> G, D = make_models(width=4, spectral_norm=(False, True), seed=0)
    >>> power_iteration(D, 50)
    4
    >>> sigma = float(torch.linalg.matrix_norm(D.head.weight.detach(), 2))  # normalised weight
    >>> abs(sigma - 1) < 1e-4
    True
    """
    check_int("n", n, minimum=1)
    found = _spectral_norms(model)
    for owner, sn in found:
        # the private helpers of torch's _SpectralNorm (torch 2.x): the same reshape and
        # update the forward pass uses, so this is exactly "n more forward iterations"
        weight = owner.parametrizations.weight.original
        sn._power_method(sn._reshape_weight_to_matrix(weight), int(n))
    return len(found)
