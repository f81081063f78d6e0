"""The GAN loss family, written once against backend operations.

Every loss of the family is a concave ``f`` and a generator term ``g`` (Mescheder et al.
2018, Sec. 2.2; Nagarajan & Kolter 2017). In the convention of GAN code, a discriminator
logit ``D`` large on real data, real outputs ``D_r`` and generated ones ``D_f``:

* the discriminator minimises ``loss_y = E[-f(D_r)] + E[-f(-D_f)]``;
* the generator minimises ``loss_x = E[g(D_f)]``, or ``-loss_y`` for the minimax losses
  (``minimax=True``: the same gradient, and the game's value).

======================= =============================== ===================== ========
``loss``                ``f(t)``                        ``g(u)``              ``f'(0)``
======================= =============================== ===================== ========
``saturating``          ``-softplus(-t) = log sig(t)``  ``-softplus(u)``      1/2
``nonsaturating``       same                            ``softplus(-u)``      1/2
``wasserstein``         ``t``                           ``-u``                1
``least_squares``       ``-(t - 1)^2 / 2``              ``(u - 1)^2 / 2``     1
``hinge``               ``-relu(1 - t)``                ``-u``                1
======================= =============================== ===================== ========

The Dirac GAN (:class:`~gamedyn.games.DiracGAN`, whose discriminator ``psi * x`` is large
on *generated* samples, so ``D = -psi x``), the Gaussian mixtures, the symbolic layer and the
PyTorch bridge all evaluate these functions, each with its own operations: ``ops`` is any
namespace with ``softplus`` and ``relu`` (arithmetic is the operands' own; constants are
integers so that sympy stays exact). Each backend
extends the family with what only it has (relativistic and f-GAN losses, WGAN-GP, the
symbolic ``generic`` loss).

>>> import jax.numpy as jnp
>>> float(GAN_LOSSES["nonsaturating"].f(JAX_LOSS_OPS, jnp.asarray(0.0)))  # log 1/2
-0.6931471805599453
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from types import SimpleNamespace

import jax

__all__ = ["GanLoss", "GAN_LOSSES", "JAX_LOSS_OPS", "SMOOTHABLE", "discriminator_terms", "loss_family"]


@dataclasses.dataclass(frozen=True)
class GanLoss:
    """One loss of the family: ``f(ops, t)``, ``g(ops, u)``, ``f'(0)``, and whether the
    generator's loss is the negated discriminator loss (the minimax game).

    >>> import jax, gamedyn as gd
    >>> loss = gd.games.GAN_LOSSES["nonsaturating"]
    >>> loss.minimax, loss.source
    (False, 'Goodfellow et al. 2014, Sec. 3')
    >>> slope = jax.grad(lambda t: loss.f(gd.games.JAX_LOSS_OPS, t))(0.0)
    >>> float(slope), loss.f_prime_0       # f(t) = -softplus(-t): f'(0) = sigmoid(0)
    (0.5, 0.5)
    """

    f: Callable
    g: Callable
    f_prime_0: float
    minimax: bool
    source: str


def _logistic(ops, t):
    return -ops.softplus(-t)


GAN_LOSSES: dict[str, GanLoss] = {
    "saturating": GanLoss(_logistic, lambda ops, u: -ops.softplus(u), 0.5, True, "Goodfellow et al. 2014"),
    "nonsaturating": GanLoss(_logistic, lambda ops, u: ops.softplus(-u), 0.5, False,
                             "Goodfellow et al. 2014, Sec. 3"),
    "wasserstein": GanLoss(lambda ops, t: t, lambda ops, u: -u, 1.0, True, "Arjovsky et al. 2017"),
    "least_squares": GanLoss(lambda ops, t: -((t - 1) ** 2) / 2, lambda ops, u: (u - 1) ** 2 / 2, 1.0, False,
                             "Mao et al. 2017, labels a = -1, b = c = 1"),
    "hinge": GanLoss(lambda ops, t: -ops.relu(1 - t), lambda ops, u: -u, 1.0, False,
                     "Lim & Ye 2017; Miyato et al. 2018"),
}

@jax.custom_jvp
def softplus(t):
    """``log(1 + e^t)`` (``jax.nn.softplus``) whose derivative is ``sigmoid(t)`` itself.

    ``jax.nn.softplus`` differentiates to ``exp(t - softplus(t))``, so a gradient evaluates
    the softplus and two more transcendentals; here the gradient needs one logistic and
    nothing of the primal, which XLA then drops (the Dirac GAN's simulation step takes
    one exponential per player instead of three). Equal to ``jax.nn.softplus``'s derivative
    to rounding, at every order (the higher ones differentiate ``jax.nn.sigmoid``).

    >>> import jax
    >>> float(softplus(0.0)), float(jax.grad(softplus)(0.0)), float(jax.grad(jax.grad(softplus))(0.0))
    (0.6931471805599453, 0.5, 0.25)
    """
    return jax.nn.softplus(t)


@softplus.defjvp
def _softplus_jvp(primals, tangents):
    (t,), (dt,) = primals, tangents
    return softplus(t), jax.nn.sigmoid(t) * dt


#: The JAX operations of the family.
JAX_LOSS_OPS = SimpleNamespace(softplus=softplus, relu=jax.nn.relu)


def loss_family(loss: str) -> str | None:
    """The entry of :data:`GAN_LOSSES` a backend's loss name evaluates (WGAN-GP's adversarial
    part is Wasserstein's), or None for a loss outside the family.

    >>> loss_family("wgan_gp"), loss_family("relativistic")
    ('wasserstein', None)
    """
    loss = "wasserstein" if loss == "wgan_gp" else loss
    return loss if loss in GAN_LOSSES else None


#: The losses of the family whose real term has a target label that one-sided label
#: smoothing lowers (Salimans et al. 2016, Sec. 3.4).
SMOOTHABLE = ("saturating", "nonsaturating", "least_squares")


def discriminator_terms(loss: str, ops, d_real, d_fake, *, label_smoothing=0.0):
    """``(-f(D_r), -f(-D_f))``: the discriminator's loss terms, per sample (the real one None
    when ``d_real`` is None, for a caller that replaces it).

    ``label_smoothing = s > 0`` lowers the real target from 1 to ``t = 1 - s`` (one-sided
    label smoothing, Salimans et al. 2016, Sec. 3.4; losses in :data:`SMOOTHABLE`): the real
    term becomes the cross-entropy ``t softplus(-D_r) + (1 - t) softplus(D_r)`` for the
    logistic losses and ``(D_r - t)^2 / 2`` for least squares.

    >>> import jax.numpy as jnp, math
    >>> real, _ = discriminator_terms("nonsaturating", JAX_LOSS_OPS, jnp.array([2.0]), jnp.array([0.0]),
    ...                               label_smoothing=0.1)
    >>> round(float(real[0]) - (0.9 * math.log1p(math.exp(-2)) + 0.1 * math.log1p(math.exp(2))), 12)
    0.0

    >>> import jax.numpy as jnp, gamedyn as gd
    >>> real, fake = gd.games.discriminator_terms(
    ...     "hinge", gd.games.JAX_LOSS_OPS, jnp.array([2.0, 0.0]), jnp.array([-2.0, 0.5]))
    >>> real.tolist(), fake.tolist()        # relu(1 - D_r), relu(1 + D_f)
    ([0.0, 1.0], [0.0, 1.5])
    """
    f = GAN_LOSSES[loss].f
    fake = -f(ops, -d_fake)
    if d_real is None:
        return None, fake
    if not label_smoothing:
        return -f(ops, d_real), fake
    if loss not in SMOOTHABLE:
        raise ValueError(f"label_smoothing={label_smoothing!r} is not accepted with loss={loss!r} (it has no target "
                         f"label); the losses with one: {', '.join(SMOOTHABLE)}")
    t = 1.0 - label_smoothing
    if loss == "least_squares":
        return (d_real - t) ** 2 / 2, fake
    return t * ops.softplus(-d_real) + (1.0 - t) * ops.softplus(d_real), fake
