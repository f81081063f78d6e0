"""Toy games as data plus pure functions (JAX).

Conventions: ``x`` minimises ``loss_x``, ``y`` minimises ``loss_y``; ``z = (x, y)``; the vector
field is ``F(z) = -(grad_x loss_x, grad_y loss_y)``. See :class:`Game`.
"""

from .._hyper import hyper
from .._pytree import pytree_dataclass
from ._base import JAX_GAME_OPS, Game, vector_field
from ._registry import GAMES, Axis, game_axes, game_class, game_defaults, game_parameters, register_game
from ._linear import Bilinear, Quadratic  # registered first: the order of GAMES
from ._dirac import LOSSES, REGULARIZERS, DiracGAN, safe_norm
from ._gan_losses import GAN_LOSSES, JAX_LOSS_OPS, GanLoss, discriminator_terms, loss_family
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
    "JAX_GAME_OPS",
    "GAMES",
    "register_game",
    "game_class",
    "game_parameters",
    "game_defaults",
    "game_axes",
    "Axis",
    "hyper",
    "pytree_dataclass",
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
