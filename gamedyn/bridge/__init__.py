"""The bridge to real GANs in PyTorch: the same update rules on real parameters.

``GameOptimizer(rule, x_params, y_params)`` runs any rule of :mod:`gamedyn.optim` through a
PyTorch backend (``TorchOps`` / ``TorchOracle``), so the optimizer a toy analysis predicts
for is literally the one that trains the network.
"""

from ._augment import AUGMENT_POLICIES, AugmentDraw, apply_augment, diff_augment, draw_augment
from ._backend import TORCH_OPS, TorchOps, TorchOracle
from ._losses import (
    EMA,
    LOSSES,
    REGULARIZERS,
    Adversarial,
    GANLosses,
    HistoricalAverage,
    adversarial_perturbation,
    discriminator_loss,
    feature_matching_loss,
    gan_losses,
    generator_loss,
    gradient_penalty,
    input_gradient_penalty,
    r1_penalty,
    r2_penalty,
)
from ._models import (
    ARCHITECTURES,
    IMAGE_SIZES,
    NORMS,
    Discriminator,
    Generator,
    MinibatchDiscrimination,
    MinibatchStdDev,
    SelfAttention,
    attention_sides,
    count_parameters,
    freeze_spectral_norm,
    make_models,
    power_iteration,
)
from ._optimizer import GameOptimizer, clip_projection
from ._spectrum import PathAngle, TopSpectrum, game_jacobian_operator, path_angle, top_eigenvalues

__all__ = [
    "make_models",
    "Generator",
    "Discriminator",
    "SelfAttention",
    "MinibatchStdDev",
    "MinibatchDiscrimination",
    "count_parameters",
    "freeze_spectral_norm",
    "power_iteration",
    "attention_sides",
    "ARCHITECTURES",
    "IMAGE_SIZES",
    "NORMS",
    "gan_losses",
    "GANLosses",
    "discriminator_loss",
    "generator_loss",
    "feature_matching_loss",
    "input_gradient_penalty",
    "r1_penalty",
    "r2_penalty",
    "gradient_penalty",
    "Adversarial",
    "adversarial_perturbation",
    "HistoricalAverage",
    "EMA",
    "LOSSES",
    "REGULARIZERS",
    "diff_augment",
    "draw_augment",
    "apply_augment",
    "AugmentDraw",
    "AUGMENT_POLICIES",
    "GameOptimizer",
    "clip_projection",
    "TorchOps",
    "TorchOracle",
    "TORCH_OPS",
    "game_jacobian_operator",
    "top_eigenvalues",
    "TopSpectrum",
    "path_angle",
    "PathAngle",
]
