"""The Dirac GAN of Mescheder, Geiger & Nowozin (2018), "Which training methods for GANs do
actually converge?", Section 2.2.

Data is a point mass at 0, the generator a point mass at ``theta`` (player ``x``), the
discriminator is linear, ``D(t) = psi * t`` (player ``y``). With a concave ``f`` the GAN
objective is ``L(theta, psi) = f(psi * theta) + f(0)``; the discriminator maximises it and
the generator minimises its own loss (``L`` itself for the saturating game). Sign
convention as in the paper: ``D`` is large on *generated* samples.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from .._checks import check_choice, check_int, check_nonnegative, check_positive
from .._hyper import hyper
from .._pytree import pytree_dataclass
from ._base import Game
from ._gan_losses import GAN_LOSSES, JAX_LOSS_OPS
from ._registry import register_game

__all__ = ["DiracGAN"]

#: The Dirac GAN's losses: the whole GAN loss family (``gamedyn.games._gan_losses``); read
#: them as ``DiracGAN.LOSSES`` (``gd.bridge.LOSSES`` are the image GANs' losses).
LOSSES = tuple(GAN_LOSSES)
#: The Dirac GAN's regularisers, ``DiracGAN.REGULARIZERS``.
REGULARIZERS = (None, "r1", "r2", "gp", "instance_noise")


@jax.custom_jvp
def safe_norm(v):
    """Euclidean norm whose derivative at ``0`` is the minimum-norm subgradient ``0``.

    ``jnp.linalg.norm`` has an undefined (NaN) derivative at the origin, and ``jnp.abs``
    differentiates to ``1`` there; gradient penalties ``(|grad D| - g0)^2`` are evaluated at
    ``grad D = 0`` at the Dirac GAN's equilibrium, where the subgradient ``0`` is the one
    that makes the equilibrium a stationary point.
    """
    return jnp.sqrt(jnp.sum(jnp.square(v)))


@safe_norm.defjvp
def _safe_norm_jvp(primals, tangents):
    (v,), (dv,) = primals, tangents
    norm = safe_norm(v)
    unit = jnp.where(norm > 0, v / jnp.where(norm > 0, norm, 1.0), 0.0)
    return norm, jnp.sum(unit * dv)


def _f(loss: str, t):
    """The concave ``f`` of the loss (``gamedyn.games._gan_losses``)."""
    return GAN_LOSSES[loss].f(JAX_LOSS_OPS, t)


def _generator_loss(loss: str, t):
    """Generator loss as a function of ``t = psi * theta``: the family's ``g(D_f)`` at the
    bridge-convention logit ``D_f = -t`` (saturating: ``f(t)``; non-saturating:
    ``-log sigmoid(-t)``; least squares: ``(t + 1)^2 / 2``; Wasserstein and hinge: ``t``)."""
    return GAN_LOSSES[loss].g(JAX_LOSS_OPS, -t)


def _fmt(value) -> str:
    return f"{float(value):.6g}"


@register_game("dirac")
@pytree_dataclass
class DiracGAN(Game):
    """The Dirac GAN: ``x = (theta,)``, ``y = (psi,)``, equilibrium ``(0, 0)``.

    Parameters
    ----------
    loss : ``"saturating"``, ``"nonsaturating"`` (default), ``"wasserstein"``,
        ``"least_squares"`` or ``"hinge"``. ``f(t) = -log(1 + exp(-t))`` for the first two,
        ``f(t) = t``, ``f(t) = -(t - 1)^2 / 2`` and ``f(t) = -max(0, 1 - t)`` for the others.
        The generator minimises ``f(psi theta)`` (saturating), ``-f(-psi theta)``
        (non-saturating, least squares) or ``psi theta`` (Wasserstein, hinge).
    reg : ``None``, ``"r1"``, ``"r2"``, ``"gp"`` or ``"instance_noise"``. R1 / R2 add
        ``gamma/2 |grad D|^2 = gamma/2 psi^2`` on real / generated data to the
        discriminator's loss; ``"gp"`` adds the WGAN-GP penalty
        ``gamma/2 (|grad D| - gp_target)^2``; ``"instance_noise"`` replaces both samples by
        ``sample + N(0, gamma^2)`` and takes the *expected* objective (Gauss-Hermite
        quadrature with ``noise_nodes`` nodes, exact for the Jacobian at the equilibrium).
    gamma : regularisation weight (noise standard deviation for instance noise), >= 0.
    clip : WGAN weight clipping, ``|psi| <= clip`` after every discriminator move, or None.

    Closed forms (Mescheder et al. 2018, Sec. 3): the Jacobian at the equilibrium has
    eigenvalues ``+-i f'(0)`` without regularisation and
    ``-gamma/2 +- sqrt(gamma^2/4 - f'(0)^2)`` with R1 or R2.

    >>> import gamedyn as gd
    >>> gd.eigenvalues(gd.games.DiracGAN(loss="wasserstein"))
    Array([0.+1.j, 0.-1.j], dtype=complex128)
    """

    loss: str = hyper("nonsaturating", kind="choice", choices=LOSSES, help="Dirac GAN loss")
    reg: str | None = hyper(None, kind="choice", choices=REGULARIZERS, help="Dirac GAN regulariser")
    gamma: float = hyper(0.0, kind="nonnegative",
                         help="regularisation weight of --reg (noise std for instance_noise)")
    clip: float | None = hyper(None, kind="positive", help="WGAN weight clipping |psi| <= clip")
    gp_target: float = hyper(1.0, kind="nonnegative", help="WGAN-GP target gradient norm")
    noise_nodes: int = hyper(20, kind="int", minimum=2, static=True,
                             help="Gauss-Hermite nodes of the instance-noise expectation")

    def __post_init__(self):
        check_choice("loss", self.loss, LOSSES)
        check_choice("reg", self.reg, REGULARIZERS)
        check_nonnegative("gamma", self.gamma)
        if self.clip is not None:
            check_positive("clip", self.clip)
        check_nonnegative("gp_target", self.gp_target)
        check_int("noise_nodes", self.noise_nodes, minimum=2)

    n_x = 1
    n_y = 1
    LOSSES = LOSSES
    REGULARIZERS = REGULARIZERS

    def describe(self) -> str:
        """
        >>> print(DiracGAN(reg="r1", gamma=0.3).describe())
        Dirac GAN, loss='nonsaturating', reg='r1', gamma=0.3
        """
        text = f"Dirac GAN, loss={self.loss!r}, reg={self.reg!r}"
        if self.reg is not None:
            text += f", gamma={_fmt(self.gamma)}"
        if self.clip is not None:
            text += f", clip={_fmt(self.clip)}"
        return text

    @property
    def f_prime_0(self) -> float:
        """``f'(0)``, the rotation speed of the unregularised game at its equilibrium."""
        return GAN_LOSSES[self.loss].f_prime_0

    @property
    def equilibrium(self):
        return jnp.zeros(2, dtype=jnp.result_type(float))

    def _expect(self, g):
        """``E[g(eps)]`` for ``eps ~ N(0, gamma^2)`` with instance noise, else ``g(0)``."""
        if self.reg != "instance_noise":
            return g(0.0)
        nodes, weights = np.polynomial.hermite_e.hermegauss(self.noise_nodes)
        weights = weights / weights.sum()
        values = jax.vmap(g)(self.gamma * jnp.asarray(nodes))
        return jnp.sum(jnp.asarray(weights) * values)

    def discriminator_objective(self, theta, psi):
        """``L(theta, psi)``, maximised by the discriminator (noise-averaged if any)."""
        fake = self._expect(lambda e: _f(self.loss, psi * (theta + e)))
        if self.reg == "instance_noise":
            real = self._expect(lambda e: _f(self.loss, -psi * e))
        else:  # D(0) = psi * 0: the real term is the constant f(0), with no work per step
            real = _f(self.loss, jnp.zeros_like(psi))
        return fake + real

    def penalty(self, psi):
        """The regulariser added to the discriminator's loss."""
        if self.reg in ("r1", "r2"):
            return 0.5 * self.gamma * psi**2
        if self.reg == "gp":
            return 0.5 * self.gamma * (safe_norm(psi) - self.gp_target) ** 2
        return jnp.zeros_like(psi)

    def losses(self, x, y):
        theta, psi = x[0], y[0]
        loss_x = self._expect(lambda e: _generator_loss(self.loss, psi * (theta + e)))
        loss_y = -self.discriminator_objective(theta, psi) + self.penalty(psi)
        return loss_x, loss_y

    def project_y(self, y):
        if self.clip is None:
            return y
        return jnp.clip(y, -self.clip, self.clip)
