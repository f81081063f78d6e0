"""GAN losses, regularisers and training aids for the PyTorch bridge, under the toy layer's
names, and the closure a :class:`~gamedyn.bridge.GameOptimizer` step evaluates.

Sign convention
---------------
``D(x)`` is a real-valued logit, **large on real data** (the usual convention of GAN code).
The generator ``G`` is player ``x`` and minimises ``loss_x``; the discriminator is player
``y`` and minimises ``loss_y``. Writing ``D_r = D(x_real)`` and ``D_f = D(G(z))`` (batch means
``E``; ``s(t) = log(1 + e^t)`` the softplus):

======================== ========================================== ============================
``loss``                 ``loss_y`` (discriminator)                  ``loss_x`` (generator)
======================== ========================================== ============================
``saturating``           ``E s(-D_r) + E s(D_f)``                    ``-E s(D_f)``
``nonsaturating``        same                                        ``E s(-D_f)``
``wasserstein``          ``E D_f - E D_r``                           ``-E D_f``
``wgan_gp``              ``wasserstein`` + gradient penalty          ``-E D_f``
``least_squares``        ``E (D_r - 1)^2/2 + E (D_f + 1)^2/2``       ``E (D_f - 1)^2/2``
``hinge``                ``E max(0, 1 - D_r) + E max(0, 1 + D_f)``   ``-E D_f``
``relativistic``         ``E s(-(D_r - D_f))`` (pairs)               ``E s(-(D_f - D_r))``
``relativistic_average`` ``E s(-(D_r - E D_f)) + E s(D_f - E D_r)``  ``E s(-(D_f - E D_r))``
                                                                     ``+ E s(D_r - E D_f)``
======================== ========================================== ============================

(``s(-t) = -log sigma(t)`` and ``s(t) = -log(1 - sigma(t))``: the saturating generator
minimises ``E log(1 - sigma(D_f))``, the non-saturating one ``-E log sigma(D_f)``.)

``saturating``/``nonsaturating``: Goodfellow et al. (2014); ``wasserstein``: Arjovsky et al.
(2017), weight clipping through ``GameOptimizer(..., project_y=clip_projection(c))``;
``wgan_gp``: Gulrajani et al. (2017); ``least_squares``: LSGAN (Mao et al. 2017) with
labels ``a = -1`` (fake), ``b = 1`` (real), ``c = 1`` (generator) and factors ``1/2``;
``hinge``: Lim & Ye (2017), Miyato et al. (2018); ``relativistic``: the relativistic standard
GAN (RSGAN) and ``relativistic_average``: the relativistic average GAN (RaGAN), both of
Jolicoeur-Martineau (2019), Sec. 4.1 / 4.2, with the standard GAN's ``f = -log sigma``.

Mapping onto the toy layer. :class:`gamedyn.games.DiracGAN` follows Mescheder et al. (2018),
whose discriminator ``D_toy`` is large on *generated* samples, and writes the losses through
``f``: ``L = f(D_toy(fake)) + f(-D_toy(real))``. With ``D = -D_toy`` the two are the same
families, term by term, for every loss they share (``saturating``, ``nonsaturating``,
``wasserstein``, ``least_squares``, ``hinge``) and for R1, R2 and the gradient penalty, whose
``|grad D|`` is unchanged by the sign; ``tests/bridge/test_losses.py`` checks the values and
the Jacobian of a one-parameter ``G`` and linear ``D`` against ``DiracGAN``. The toy's
``gamma`` means the same here: R1 / R2 add ``gamma/2 E|grad D|^2``, the gradient penalty
``gamma/2 E(|grad D| - target)^2`` (so Gulrajani et al.'s ``lambda = 10`` is ``gamma = 20``).

Fixed randomness per step
-------------------------
A step of a game rule evaluates the losses several times (extragradient twice, ``k``
discriminator steps ``k + 1`` times, a Jacobian-vector product at every product), and each
evaluation must see the same game. :func:`gan_losses` therefore draws every random quantity
of a step once, when the closure is built (the caller supplies the real batch and ``z``; the
interpolation weights of the gradient penalty, the instance noise and the DiffAugment
transformation are drawn from ``generator``), and the closure is a deterministic function of
the parameters, except for the state that layers keep themselves (batch-norm running
statistics, spectral norm's power iteration; see ``freeze_spectral_norm``).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from types import SimpleNamespace

import torch
from torch import nn
from torch.nn import functional as F

from .._checks import check_choice, check_int, check_nonnegative, check_positive
from ..games import GAN_LOSSES, SMOOTHABLE, discriminator_terms, loss_family
from ._config import LOSSES, REGULARIZERS
from ._augment import AugmentDraw, apply_augment, draw_augment, parse_policy

__all__ = [
    "discriminator_loss",
    "generator_loss",
    "input_gradient_penalty",
    "r1_penalty",
    "r2_penalty",
    "gradient_penalty",
    "feature_matching_loss",
    "Adversarial",
    "adversarial_perturbation",
    "HistoricalAverage",
    "EMA",
    "GANLosses",
    "gan_losses",
]

#: The loss family's operations in torch.
TORCH_LOSS_OPS = SimpleNamespace(softplus=F.softplus, relu=F.relu)

# Losses whose real term has a target label that one-sided smoothing can lower: the family's
# and the relativistic ones.
_SMOOTHABLE = (*SMOOTHABLE, "relativistic", "relativistic_average")
# Default gamma: Mescheder et al. (2018) use gamma = 10 for R1 on their image experiments;
# Gulrajani et al.'s lambda = 10 is gamma = 20 in the gamma/2 convention.
_DEFAULT_GAMMA = {"r1": 10.0, "r2": 10.0, "gp": 20.0}


def _bce_with_target(logits, target: float):
    """``-[t log sigma(D) + (1 - t) log(1 - sigma(D))]``, elementwise; ``t = 1`` gives ``s(-D)``."""
    if target == 1.0:
        return F.softplus(-logits)
    return target * F.softplus(-logits) + (1.0 - target) * F.softplus(logits)


def _check_logits(d_real, d_fake, loss):
    for name, value in (("d_real", d_real), ("d_fake", d_fake)):
        if not isinstance(value, torch.Tensor) or value.dim() != 1:
            raise ValueError(f"{name} must be a 1-D tensor of logits (one per sample)")
    if loss == "relativistic" and d_real.shape != d_fake.shape:
        raise ValueError(
            f"loss='relativistic' pairs real and generated samples; got {d_real.shape[0]} real "
            f"and {d_fake.shape[0]} generated (use equal batches or 'relativistic_average')"
        )


def _check_smoothing(loss, label_smoothing):
    check_choice("loss", loss, LOSSES)
    check_nonnegative("label_smoothing", label_smoothing)
    if label_smoothing >= 1:
        raise ValueError(
            f"label_smoothing={label_smoothing!r} is not accepted; expected 0 <= s < 1"
        )
    if label_smoothing and loss not in _SMOOTHABLE:
        raise ValueError(
            f"label_smoothing={label_smoothing!r} is not accepted with loss={loss!r} (it has no "
            f"target label); the losses with one: {', '.join(_SMOOTHABLE)}"
        )


def discriminator_loss(loss: str, d_real: torch.Tensor, d_fake: torch.Tensor, *,
                       label_smoothing: float = 0.0) -> torch.Tensor:
    """The discriminator's data term ``loss_y`` from logits ``D_r``, ``D_f`` (module table).

    ``label_smoothing = s`` is Salimans et al.'s (2016, Sec. 3.4) one-sided label smoothing:
    the real target ``1`` becomes ``1 - s`` (binary cross-entropy for the logistic and
    relativistic losses, the square's target for least squares); the fake targets stay.

    >>> import torch
    >>> from gamedyn.bridge._losses import discriminator_loss
    >>> discriminator_loss("hinge", torch.tensor([2.0, 0.5]), torch.tensor([-2.0, 0.0]))
    tensor(0.7500)
    """
    _check_smoothing(loss, label_smoothing)
    _check_logits(d_real, d_fake, loss)
    real_target = 1.0 - float(label_smoothing)
    family = loss_family(loss)
    if family is not None:
        real, fake = discriminator_terms(family, TORCH_LOSS_OPS, d_real, d_fake,
                                         label_smoothing=float(label_smoothing))
        return real.mean() + fake.mean()
    if loss == "relativistic":
        return _bce_with_target(d_real - d_fake, real_target).mean()
    # relativistic_average
    return (_bce_with_target(d_real - d_fake.mean(), real_target).mean()
            + F.softplus(d_fake - d_real.mean()).mean())


def generator_loss(loss: str, d_real: torch.Tensor, d_fake: torch.Tensor) -> torch.Tensor:
    """The generator's loss ``loss_x`` from logits ``D_r``, ``D_f`` (module table); ``d_real``
    matters only for the relativistic losses.

    >>> import torch
    >>> from gamedyn.bridge._losses import generator_loss
    >>> generator_loss("least_squares", torch.zeros(2), torch.tensor([1.0, 3.0]))
    tensor(1.)
    """
    check_choice("loss", loss, LOSSES)
    _check_logits(d_real, d_fake, loss)
    family = loss_family(loss)
    if family is not None:
        return GAN_LOSSES[family].g(TORCH_LOSS_OPS, d_fake).mean()
    if loss == "relativistic":
        return F.softplus(-(d_fake - d_real)).mean()
    return F.softplus(-(d_fake - d_real.mean())).mean() + F.softplus(d_real - d_fake.mean()).mean()


# -- gradient penalties ---------------------------------------------------------------------


def _differentiable_input(x: torch.Tensor) -> torch.Tensor:
    """``x`` itself if the graph already reaches it (generated samples: the penalty then
    depends on ``G``'s parameters too, as in the game), else a leaf that requires grad."""
    return x if x.requires_grad else x.detach().requires_grad_(True)


def input_gradient_penalty(outputs: torch.Tensor, inputs: torch.Tensor, gamma: float,
                           target: float | None = None) -> torch.Tensor:
    """``gamma/2 E_i |grad_x D(x_i)|^2`` (``target`` None) or ``gamma/2 E_i (|grad_x D(x_i)| -
    target)^2``, from ``outputs = D(inputs)`` (``inputs`` must require grad).

    The gradient is that of ``sum_i D(x_i)``, which is the per-sample one for networks that
    treat samples independently (with batch norm in training mode or minibatch layers, the
    samples are coupled and this is the batch's gradient, as in the usual implementations).
    The graph is kept (``create_graph``), so the penalty is differentiable in the parameters.
    At ``grad = 0`` the norm's derivative is taken as 0 (the minimum-norm subgradient, as the
    toy layer's ``safe_norm``).

    With ``D(x) = |x|^2 / 2`` the input gradient is ``x`` itself, one sample at a time:

    >>> import torch
    >>> from gamedyn.bridge import input_gradient_penalty
    >>> x = torch.tensor([[3.0, 4.0], [0.0, 0.0]], requires_grad=True)
    >>> outputs = (x ** 2).sum(dim=1) / 2
    >>> input_gradient_penalty(outputs, x, gamma=2.0).item()  # 2/2 * (25 + 0) / 2
    12.5
    >>> input_gradient_penalty(outputs, x, gamma=2.0, target=1.0).item()  # ((5 - 1)^2 + (0 - 1)^2) / 2
    8.5
    """
    check_nonnegative("gamma", gamma)
    (grad,) = torch.autograd.grad(outputs.sum(), inputs, create_graph=True)
    squared = grad.reshape(grad.shape[0], -1).pow(2).sum(dim=1)
    if target is None:
        return 0.5 * gamma * squared.mean()
    norm = torch.linalg.vector_norm(grad.reshape(grad.shape[0], -1), dim=1)
    return 0.5 * gamma * ((norm - target) ** 2).mean()


def r1_penalty(D, real: torch.Tensor, gamma: float) -> torch.Tensor:
    """R1 (Mescheder et al. 2018, eq. 9): ``gamma/2 E_{x ~ p_data} |grad_x D(x)|^2``.

    >>> import torch
    >>> from gamedyn.bridge._losses import r1_penalty
    >>> D = torch.nn.Linear(3, 1)  # grad_x D = w everywhere
    >>> with torch.no_grad():
    ...     _ = D.weight.copy_(torch.tensor([[1.0, 2.0, 2.0]]))
    >>> r1_penalty(D, torch.randn(5, 3), gamma=2.0)  # 2/2 * |w|^2 = 9
    tensor(9., grad_fn=<MulBackward0>)
    """
    x = _differentiable_input(real)
    return input_gradient_penalty(D(x), x, gamma)


def r2_penalty(D, fake: torch.Tensor, gamma: float) -> torch.Tensor:
    """R2 (Mescheder et al. 2018, eq. 10): ``gamma/2 E_{x ~ p_theta} |grad_x D(x)|^2``.

    >>> import torch
    >>> from gamedyn.bridge import r2_penalty
    >>> D = lambda x: (x ** 2).sum(dim=1) / 2  # grad_x D = x: the penalty is gamma/2 E |x|^2
    >>> r2_penalty(D, torch.tensor([[3.0, 4.0], [0.0, 0.0]]), gamma=1.0).item()  # 1/2 * (25 + 0) / 2
    6.25
    """
    x = _differentiable_input(fake)
    return input_gradient_penalty(D(x), x, gamma)


def _interpolate(real, fake, weights):
    if real.shape != fake.shape:
        raise ValueError(
            f"the gradient penalty interpolates real {tuple(real.shape)} and generated "
            f"{tuple(fake.shape)} samples; expected equal shapes (equal batch sizes)"
        )
    eps = weights.reshape((-1,) + (1,) * (real.dim() - 1)).to(dtype=real.dtype, device=real.device)
    return eps * real + (1.0 - eps) * fake


def gradient_penalty(D, real: torch.Tensor, fake: torch.Tensor, gamma: float, *,
                     target: float = 1.0, weights: torch.Tensor | None = None,
                     generator: torch.Generator | None = None) -> torch.Tensor:
    """WGAN-GP's penalty (Gulrajani et al. 2017, Algorithm 1) in the toy layer's scale:
    ``gamma/2 E (|grad D(x_hat)| - target)^2`` at ``x_hat = eps x_real + (1 - eps) x_fake``,
    ``eps ~ U[0, 1]`` per sample (``weights`` to give them; drawn from ``generator`` if None).
    Gulrajani et al.'s ``lambda`` is ``gamma / 2``.

    >>> import torch
    >>> from gamedyn.bridge._losses import gradient_penalty
    >>> D = torch.nn.Linear(4, 1)
    >>> with torch.no_grad():
    ...     _ = D.weight.fill_(1.5)  # |grad D| = |w| = 3 everywhere
    >>> gradient_penalty(D, torch.randn(6, 4), torch.randn(6, 4), gamma=20.0)  # 10 * (3 - 1)^2
    tensor(40., grad_fn=<MulBackward0>)
    """
    if weights is None:
        weights = _uniform_weights(real.shape[0], generator)
    x_hat = _differentiable_input(_interpolate(real, fake, weights))
    return input_gradient_penalty(D(x_hat), x_hat, gamma, target=target)


def _uniform_weights(n, generator):
    device = generator.device if generator is not None else "cpu"
    return torch.rand(n, generator=generator, device=device, dtype=torch.float64)


def feature_matching_loss(features_real: torch.Tensor, features_fake: torch.Tensor) -> torch.Tensor:
    """Feature matching (Salimans et al. 2016, Sec. 3.1): ``|E f(x_real) - E f(G(z))|_2^2``
    over the discriminator's penultimate features ``f``, the generator's objective in place
    of its adversarial loss.

    >>> import torch
    >>> from gamedyn.bridge._losses import feature_matching_loss
    >>> feature_matching_loss(torch.tensor([[1.0, 0.0], [3.0, 0.0]]), torch.zeros(3, 2))
    tensor(4.)
    """
    return (features_real.mean(dim=0) - features_fake.mean(dim=0)).pow(2).sum()


# -- adversarial perturbation of the discriminator's inputs -----------------------------


@dataclass(frozen=True)
class Adversarial:
    """Adversarial-perturbation training of the discriminator.

    Before the discriminator's loss is taken, its inputs are moved by ``steps`` projected
    signed-gradient ascent steps on that loss (PGD, Madry et al. 2018; ``steps=1`` with
    ``step_size=epsilon`` is FGSM) inside the L-infinity ball of radius ``epsilon``, starting
    from the clean input, so the discriminator learns on the inputs that fool it most
    (robust discriminator: Zhou & Krähenbühl 2019, "Don't let your discriminator be
    fooled"; on the real samples as well as the generated ones: Liu et al. 2019, "Bridging
    adversarial samples and adversarial networks"). The generator's loss uses the clean
    samples. ``targets`` says which inputs are perturbed. The perturbation is a constant
    for the parameters' gradient (Danskin's theorem, as in adversarial training).

    step_size : None means ``2.5 epsilon / steps`` (Madry et al.'s choice).

    >>> from gamedyn.bridge import Adversarial
    >>> Adversarial(epsilon=0.1, steps=4).alpha  # 2.5 * 0.1 / 4
    0.0625
    >>> Adversarial(0.1, targets="real").targets  # perturb the real samples only
    ('real',)
    """

    epsilon: float
    steps: int = 1
    step_size: float | None = None
    targets: tuple[str, ...] = ("real", "fake")

    def __post_init__(self):
        check_positive("epsilon", self.epsilon)
        check_int("steps", self.steps, minimum=1)
        if self.step_size is not None:
            check_positive("step_size", self.step_size)
        targets = (self.targets,) if isinstance(self.targets, str) else tuple(self.targets)
        if not targets:
            raise ValueError("targets=() is not accepted; expected 'real', 'fake' or both")
        for target in targets:
            check_choice("targets", target, ("real", "fake"))
        object.__setattr__(self, "targets", targets)

    @property
    def alpha(self) -> float:
        return 2.5 * self.epsilon / self.steps if self.step_size is None else self.step_size


def adversarial_perturbation(D, loss: str, real: torch.Tensor, fake: torch.Tensor,
                             attack: Adversarial, *, label_smoothing: float = 0.0):
    """The perturbations ``(delta_real, delta_fake)`` of :class:`Adversarial`: ``steps`` of
    ``delta <- clip_eps(delta + alpha sign(grad_delta loss_y(x + delta)))`` from 0, on the
    discriminator's data loss (penalties excluded). Detached; zeros for inputs not targeted.

    >>> import torch
    >>> from gamedyn.bridge._losses import Adversarial, adversarial_perturbation
    >>> D = torch.nn.Sequential(torch.nn.Flatten(0), torch.nn.Identity())  # D(x) = x
    >>> dr, df = adversarial_perturbation(D, "wasserstein", torch.zeros(2, 1), torch.zeros(2, 1),
    ...                                   Adversarial(0.1, steps=3))
    >>> dr.flatten().tolist(), df.flatten().tolist()  # lower D on real, raise it on fake
    ([-0.1, -0.1], [0.1, 0.1])
    """
    real, fake = real.detach(), fake.detach()
    deltas = {"real": torch.zeros_like(real), "fake": torch.zeros_like(fake)}
    for _ in range(attack.steps):
        moving = {k: deltas[k].requires_grad_(True) for k in attack.targets}
        d_real = D(real + deltas["real"]).reshape(-1)
        d_fake = D(fake + deltas["fake"]).reshape(-1)
        value = discriminator_loss(loss, d_real, d_fake, label_smoothing=label_smoothing)
        grads = torch.autograd.grad(value, list(moving.values()))
        with torch.no_grad():
            for (k, delta), g in zip(moving.items(), grads):
                deltas[k] = (delta + attack.alpha * g.sign()).clamp(-attack.epsilon, attack.epsilon)
    return deltas["real"].detach(), deltas["fake"].detach()


# -- parameter averages ---------------------------------------------------------------------


class HistoricalAverage:
    """Historical averaging (Salimans et al. 2016, Sec. 3.3): the cost term
    ``weight * |theta - (1/t) sum_{i=1}^t theta[i]|^2`` for one player's parameters.

    The average starts at the parameters at construction (``t = 1``); call :meth:`update`
    after every optimizer step to add the new parameters (``avg += (theta - avg) / t``).
    :meth:`penalty` is differentiable in the current parameters; pass the object to
    :func:`gan_losses` (``history_x=`` / ``history_y=``) to add it to that player's loss.

    >>> import torch
    >>> from gamedyn.bridge._losses import HistoricalAverage
    >>> p = torch.nn.Parameter(torch.tensor([0.0, 0.0]))
    >>> h = HistoricalAverage([p], weight=1.0)
    >>> with torch.no_grad():
    ...     _ = p.copy_(torch.tensor([3.0, 0.0]))
    >>> h.update()  # average of (0, 0) and (3, 0) = (1.5, 0)
    >>> h.penalty()  # |(3, 0) - (1.5, 0)|^2
    tensor(2.2500, grad_fn=<MulBackward0>)
    """

    def __init__(self, params, weight: float = 1.0):
        self.params = list(params)
        if not self.params:
            raise ValueError("params must be a non-empty iterable of tensors")
        check_nonnegative("weight", weight)
        self.weight = float(weight)
        self.average = [p.detach().clone() for p in self.params]
        self.count = 1

    @torch.no_grad()
    def update(self) -> None:
        self.count += 1
        for avg, p in zip(self.average, self.params):
            avg.add_(p.detach() - avg, alpha=1.0 / self.count)

    def penalty(self) -> torch.Tensor:
        squares = (((p - avg) ** 2).sum() for p, avg in zip(self.params, self.average))
        return self.weight * sum(squares)

    def state_dict(self):
        return {"average": [a.clone() for a in self.average], "count": self.count,
                "weight": self.weight}

    def load_state_dict(self, saved):
        with torch.no_grad():
            for avg, s in zip(self.average, saved["average"]):
                avg.copy_(s)
        self.count, self.weight = int(saved["count"]), float(saved["weight"])


class EMA:
    """An exponential moving average of a model's parameters (Yazıcı et al. 2019, "The
    unusual effectiveness of averaging in GAN training", eq. 2):
    ``theta_EMA <- beta theta_EMA + (1 - beta) theta`` after every step, ``theta_EMA`` starting
    at the model's parameters. Buffers (batch-norm statistics, spectral norm's vectors) are
    copied, not averaged. ``warmup`` steps copy the parameters instead (averaging starts
    after them, Yazıcı et al.'s start point).

    ``ema.model`` is the averaged copy, in eval mode, without gradients: sample from it.

    >>> import torch
    >>> from gamedyn.bridge._losses import EMA
    >>> G = torch.nn.Linear(1, 1, bias=False)
    >>> with torch.no_grad():
    ...     _ = G.weight.fill_(0.0)
    >>> ema = EMA(G, beta=0.9)
    >>> with torch.no_grad():
    ...     _ = G.weight.fill_(1.0)
    >>> ema.update()
    >>> round(ema.model.weight.item(), 6)  # 0.9 * 0 + 0.1 * 1
    0.1
    """

    def __init__(self, model: nn.Module, beta: float = 0.999, *, warmup: int = 0):
        check_nonnegative("beta", beta)
        if beta >= 1:
            raise ValueError(f"beta={beta!r} is not accepted; expected 0 <= beta < 1")
        check_int("warmup", warmup, minimum=0)
        self.source, self.beta, self.warmup = model, float(beta), int(warmup)
        self.model = copy.deepcopy(model).eval()
        for p in self.model.parameters():
            p.requires_grad_(False)
        self.updates = 0

    @torch.no_grad()
    def update(self) -> None:
        self.updates += 1
        beta = 0.0 if self.updates <= self.warmup else self.beta
        for avg, p in zip(self.model.parameters(), self.source.parameters()):
            avg.mul_(beta).add_(p.detach(), alpha=1.0 - beta)
        for avg, b in zip(self.model.buffers(), self.source.buffers()):
            avg.copy_(b)

    def state_dict(self):
        return {"model": self.model.state_dict(), "updates": self.updates}

    def load_state_dict(self, saved):
        self.model.load_state_dict(saved["model"])
        self.updates = int(saved["updates"])


# -- the closure ----------------------------------------------------------------------------


class GANLosses:
    """The closure ``losses() -> (loss_x, loss_y)`` of one training step; build it with
    :func:`gan_losses`. After each call, ``stats`` holds detached tensors of that
    evaluation: ``d_real``, ``d_fake`` (mean logits on the clean-or-augmented inputs),
    ``adversarial_x``, ``adversarial_y`` (the data terms), ``penalty`` (the regulariser)
    and ``loss_x``, ``loss_y``.

    Every random quantity of the step is drawn when the closure is built, so each call
    evaluates the same game (the module docstring):

    >>> import torch, gamedyn as gd
    >>> from gamedyn.bridge import make_models
    >>> G, D = make_models("dcgan", image_size=28, channels=1, width=4, seed=0)
    >>> real, z = torch.rand(4, 1, 28, 28) * 2 - 1, G.sample_latent(4)
    >>> losses = gd.bridge.gan_losses(G, D, real, z, augment="color,translation,cutout",
    ...                               instance_noise=0.1, generator=torch.Generator().manual_seed(0))
    >>> first, again = losses(), losses()
    >>> all(torch.equal(a, b) for a, b in zip(first, again))  # same augmentation, same noise
    True
    >>> losses.stats["penalty"].item()  # no regulariser
    0.0
    """

    def __init__(self, G, D, real, latent, *, loss, reg, gamma, gp_target, label_smoothing,
                 noise_std, augment, adversarial, feature_matching, history_x, history_y,
                 generator):
        self.G, self.D, self.real, self.latent = G, D, real, latent
        self.loss, self.reg, self.gamma, self.gp_target = loss, reg, gamma, gp_target
        self.label_smoothing, self.adversarial = label_smoothing, adversarial
        self.feature_matching = feature_matching
        self.history_x, self.history_y = history_x, history_y
        self.stats: dict[str, torch.Tensor] = {}
        n_real, n_fake = real.shape[0], latent.shape[0]
        sample_shape = tuple(real.shape[1:])

        def on_device(t):
            return t.to(device=real.device, dtype=real.dtype)

        device = generator.device if generator is not None else "cpu"

        def normal(n):
            return on_device(torch.randn((n,) + sample_shape, generator=generator, device=device))

        # every random quantity of the step, drawn once (see the module docstring)
        self.noise = (normal(n_real) * noise_std, normal(n_fake) * noise_std) if noise_std else None
        self.augment: tuple[AugmentDraw, AugmentDraw] | None = None
        if augment:
            if real.dim() != 4:
                raise ValueError(
                    f"augment needs image batches (n, channels, height, width); real has shape "
                    f"{tuple(real.shape)}"
                )
            size = tuple(real.shape[-2:])
            self.augment = tuple(
                draw_augment(n, size, augment, generator=generator, device=real.device,
                             dtype=real.dtype)
                for n in (n_real, n_fake)
            )
        self.gp_weights = _uniform_weights(n_real, generator) if reg == "gp" else None

    def _prepare(self, x, which: int):
        if self.augment is not None:
            x = apply_augment(x, self.augment[which])
        if self.noise is not None:
            if x.shape != self.noise[which].shape:
                raise ValueError(
                    f"generated samples have shape {tuple(x.shape)}; instance noise was drawn "
                    f"for {tuple(self.noise[which].shape)} (the real batch's sample shape)"
                )
            x = x + self.noise[which]
        return x

    def _discriminate(self, x):
        if self.feature_matching:
            logits, features = self.D.forward_with_features(x)
        else:
            logits, features = self.D(x), None
        logits = logits.reshape(-1)
        pack = getattr(self.D, "pack", 1)  # PacGAN: one logit per pack of consecutive samples
        if logits.shape[0] * pack != x.shape[0]:
            raise ValueError(
                f"D returned {logits.shape[0]} values for {x.shape[0]} samples; expected one "
                "logit per sample" + (f" pack of {pack}" if pack > 1 else "")
            )
        return logits, features

    def __call__(self):
        if self.reg in ("r1", "r2", "gp") or self.adversarial is not None:
            # their values are made of input gradients: they need autograd even when the
            # caller evaluates under no_grad (e.g. for logging)
            with torch.enable_grad():
                return self._evaluate()
        return self._evaluate()

    def _evaluate(self):
        fake = self.G(self.latent)
        real_in, fake_in = self._prepare(self.real, 0), self._prepare(fake, 1)
        if self.reg == "r1":
            real_in = _differentiable_input(real_in)
        if self.reg == "r2":
            fake_in = _differentiable_input(fake_in)
        d_real, f_real = self._discriminate(real_in)
        d_fake, f_fake = self._discriminate(fake_in)

        if self.feature_matching:
            adversarial_x = feature_matching_loss(f_real, f_fake)
        else:
            adversarial_x = generator_loss(self.loss, d_real, d_fake)

        if self.adversarial is not None:
            delta_real, delta_fake = adversarial_perturbation(
                self.D, self.loss, real_in, fake_in, self.adversarial,
                label_smoothing=self.label_smoothing)
            targets = self.adversarial.targets
            d_real_y = self.D(real_in + delta_real).reshape(-1) if "real" in targets else d_real
            d_fake_y = self.D(fake_in + delta_fake).reshape(-1) if "fake" in targets else d_fake
        else:
            d_real_y, d_fake_y = d_real, d_fake
        adversarial_y = discriminator_loss(self.loss, d_real_y, d_fake_y,
                                           label_smoothing=self.label_smoothing)

        if self.reg == "r1":
            penalty = input_gradient_penalty(d_real, real_in, self.gamma)
        elif self.reg == "r2":
            penalty = input_gradient_penalty(d_fake, fake_in, self.gamma)
        elif self.reg == "gp":
            x_hat = _differentiable_input(_interpolate(real_in, fake_in, self.gp_weights))
            penalty = input_gradient_penalty(self.D(x_hat).reshape(-1), x_hat, self.gamma,
                                             target=self.gp_target)
        else:
            penalty = torch.zeros((), device=d_real.device, dtype=d_real.dtype)

        loss_x, loss_y = adversarial_x, adversarial_y + penalty
        if self.history_x is not None:
            loss_x = loss_x + self.history_x.penalty()
        if self.history_y is not None:
            loss_y = loss_y + self.history_y.penalty()
        self.stats = {
            "d_real": d_real.detach().mean(), "d_fake": d_fake.detach().mean(),
            "adversarial_x": adversarial_x.detach(), "adversarial_y": adversarial_y.detach(),
            "penalty": penalty.detach(), "loss_x": loss_x.detach(), "loss_y": loss_y.detach(),
        }
        return loss_x, loss_y


def gan_losses(G, D, real: torch.Tensor, latent: torch.Tensor, *, loss: str = "nonsaturating",
               reg: str | None = None, gamma: float | None = None, gp_target: float = 1.0,
               label_smoothing: float = 0.0, instance_noise: float = 0.0, augment=None,
               adversarial: Adversarial | None = None, feature_matching: bool = False,
               history_x: HistoricalAverage | None = None,
               history_y: HistoricalAverage | None = None,
               generator: torch.Generator | None = None) -> GANLosses:
    """The closure of one :class:`~gamedyn.bridge.GameOptimizer` step: ``losses()`` returns
    ``(loss_x, loss_y)`` at the current parameters of ``G`` (player ``x``, minimises
    ``loss_x``) and ``D`` (player ``y``, minimises ``loss_y``) on this step's fixed batch.

    Parameters
    ----------
    G, D : the generator and the discriminator (any modules; ``D(x)`` returns one logit per
        sample, large on real data; feature matching needs ``D.forward_with_features``).
    real : this step's real batch.  latent : this step's codes ``z`` (``G(latent)`` is the
        generated batch).
    loss : one of ``LOSSES`` (module table).
    reg : ``None``, ``"r1"``, ``"r2"``, ``"gp"`` or ``"instance_noise"``, with weight
        ``gamma`` (the toy layer's names and scale): R1 / R2 add ``gamma/2 E|grad D|^2`` on
        real / generated inputs (Mescheder et al. 2018), ``"gp"`` adds ``gamma/2 E(|grad
        D(x_hat)| - gp_target)^2`` at random interpolates (Gulrajani et al. 2017; implied by
        ``loss="wgan_gp"``), ``"instance_noise"`` means ``instance_noise=gamma``. ``gamma``
        None: 10 for R1/R2, 20 for ``"gp"`` (``lambda = 10``).
    label_smoothing : one-sided label smoothing (Salimans et al. 2016): real target ``1 - s``.
    instance_noise : standard deviation of the Gaussian noise added to real and generated
        inputs of ``D`` (Sønderby et al. 2017; Arjovsky & Bottou 2017); anneal it by passing
        a new value each step.
    augment : None or a DiffAugment policy (``"color,translation,cutout"``, Zhao et al. 2020),
        applied to real and generated inputs in both players' losses.
    adversarial : an :class:`Adversarial` to train ``D`` on perturbed inputs.
    feature_matching : the generator minimises :func:`feature_matching_loss` instead of its
        adversarial loss (Salimans et al. 2016).
    history_x, history_y : :class:`HistoricalAverage` terms added to each player's loss.
    generator : ``torch.Generator`` for this step's random draws (noise, augmentation,
        interpolation weights); the global RNG if None.

    Notes
    -----
    The inputs of ``D`` are, in order: the sample, its augmentation, instance noise, the
    adversarial perturbation (``D``'s loss only). R1 / R2 / GP are taken at the inputs ``D``
    sees before the adversarial perturbation. Generated samples are not detached in
    ``loss_y``: the closure is the real game, so ``d loss_y / d x`` (the Jacobian's
    off-diagonal block, used by consensus, SGA and the spectrum) is right; the optimizer
    only differentiates each loss in its own player's parameters.

    >>> import torch
    >>> from gamedyn.bridge._models import make_models
    >>> from gamedyn.bridge._losses import gan_losses
    >>> import gamedyn as gd
    >>> G, D = make_models("dcgan", image_size=28, channels=1, width=4, seed=0)
    >>> opt = gd.bridge.GameOptimizer(gd.optim.gda(2e-4, alternating=True), G.parameters(),
    ...                               D.parameters())
    >>> real = torch.rand(8, 1, 28, 28) * 2 - 1
    >>> losses = gan_losses(G, D, real, G.sample_latent(8), loss="hinge", reg="r1", gamma=1.0,
    ...                     augment="translation,cutout")
    >>> loss_x, loss_y = opt.step(losses)
    >>> sorted(losses.stats)
    ['adversarial_x', 'adversarial_y', 'd_fake', 'd_real', 'loss_x', 'loss_y', 'penalty']
    """
    check_choice("loss", loss, LOSSES)
    check_choice("reg", reg, REGULARIZERS)
    for name, value in (("real", real), ("latent", latent)):
        if not isinstance(value, torch.Tensor) or value.dim() < 2 or value.shape[0] < 1:
            raise ValueError(f"{name} must be a batch tensor of shape (n, ...), n >= 1")
    reg, gamma, instance_noise = _regulariser(loss, reg, gamma, instance_noise)
    check_nonnegative("gp_target", gp_target)
    _check_smoothing(loss, label_smoothing)
    augment = parse_policy(augment)
    _check_extras(D, adversarial, feature_matching, history_x, history_y)
    for needs_pairs, what in ((reg == "gp", "the gradient penalty pairs"),
                              (loss == "relativistic", "loss='relativistic' pairs")):
        if needs_pairs and real.shape[0] != latent.shape[0]:
            raise ValueError(f"{what} real and generated samples: real has {real.shape[0]}, "
                             f"latent {latent.shape[0]}; expected equal batch sizes")
    return GANLosses(G, D, real, latent, loss=loss, reg=reg, gamma=gamma,
                     gp_target=float(gp_target),
                     label_smoothing=float(label_smoothing), noise_std=float(instance_noise),
                     augment=augment, adversarial=adversarial, feature_matching=feature_matching,
                     history_x=history_x, history_y=history_y, generator=generator)


def _regulariser(loss, reg, gamma, instance_noise):
    """``(reg, gamma, instance_noise)`` after the aliases: ``loss="wgan_gp"`` implies
    ``reg="gp"``, ``reg="instance_noise"`` moves ``gamma`` to ``instance_noise``, and a
    penalty without ``gamma`` takes its default."""
    if loss == "wgan_gp":
        if reg not in (None, "gp"):
            raise ValueError(
                f"reg={reg!r} is not accepted with loss='wgan_gp' (which is wasserstein + 'gp'); "
                "use loss='wasserstein' with that regulariser"
            )
        reg = "gp"
    if reg == "instance_noise":
        if gamma is None:
            raise ValueError("reg='instance_noise' needs gamma (the noise standard deviation)")
        check_nonnegative("gamma", gamma)
        if instance_noise:
            raise ValueError(
                "the noise is given twice; use reg='instance_noise' with gamma, or instance_noise="
            )
        instance_noise, reg, gamma = float(gamma), None, None
    if reg is not None:
        gamma = _DEFAULT_GAMMA[reg] if gamma is None else gamma
        check_nonnegative("gamma", gamma)
        gamma = float(gamma)
    check_nonnegative("instance_noise", instance_noise)
    return reg, gamma, instance_noise


def _check_extras(D, adversarial, feature_matching, history_x, history_y) -> None:
    """Check the adversarial training, feature matching and historical averaging options."""
    if adversarial is not None and not isinstance(adversarial, Adversarial):
        raise ValueError(
            f"adversarial={adversarial!r} is not accepted; expected None or "
            "Adversarial(epsilon, steps, step_size, targets)"
        )
    check_choice("feature_matching", feature_matching, (False, True))
    if feature_matching and not hasattr(D, "forward_with_features"):
        raise ValueError(
            "feature_matching=True needs D.forward_with_features(x) -> (logits, features), "
            "as gamedyn's Discriminator has"
        )
    for name, value in (("history_x", history_x), ("history_y", history_y)):
        if value is not None and not isinstance(value, HistoricalAverage):
            raise ValueError(
                f"{name}={value!r} is not accepted; expected None or a HistoricalAverage"
            )
