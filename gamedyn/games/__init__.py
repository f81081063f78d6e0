"""Toy games as data plus pure functions (JAX).

Conventions: ``x`` minimises ``loss_x``, ``y`` minimises ``loss_y``; ``z = (x, y)``; the vector
field is ``F(z) = -(grad_x loss_x, grad_y loss_y)``. See :class:`Game`.
"""

from ._base import Game, vector_field
from ._dirac import LOSSES, REGULARIZERS, DiracGAN, safe_norm
from ._gan_losses import GAN_LOSSES, JAX_LOSS_OPS, GanLoss, discriminator_terms, loss_family
from ._linear import Bilinear, Quadratic
from ._mixture import (
    F_DIVERGENCES,
    GEN_OBJECTIVES,
    MIXTURE_LOSSES,
    GaussianMixture,
    MixtureBatch,
    adversarial_losses,
)

__all__ = [
    "Game",
    "vector_field",
    "Bilinear",
    "Quadratic",
    "DiracGAN",
    "LOSSES",
    "GAN_LOSSES",
    "GanLoss",
    "JAX_LOSS_OPS",
    "discriminator_terms",
    "loss_family",
    "REGULARIZERS",
    "GaussianMixture",
    "MixtureBatch",
    "MIXTURE_LOSSES",
    "F_DIVERGENCES",
    "GEN_OBJECTIVES",
    "adversarial_losses",
]
