"""Lipschitz tools for critics and discriminators (JAX): spectral norms of dense and
convolutional layers by power iteration (and exactly, for circular convolutions), spectral
normalisation, composition / parallel-branch bounds, empirical Lipschitz constants from
gradient norms, and the geometry of the WGAN gradient penalty.

>>> import numpy as np, gamedyn as gd
>>> w = np.array([[1.0, 2.0], [0.0, 2.0]])
>>> sigma = float(gd.lipschitz.spectral_norm(w).sigma)
>>> bool(np.isclose(sigma, np.linalg.svd(w, compute_uv=False)[0], rtol=1e-12))
True
"""

from ._bounds import (
    ACTIVATION_LIPSCHITZ,
    LipschitzBound,
    composition_bound,
    empirical_lipschitz,
    gradient_norms,
    mlp_lipschitz_bound,
    parallel_bound,
    stacked_bound,
)
from ._penalty import circle_samples, gradient_penalty, interpolates, penalty_region
from ._spectral import (
    SpectralNorm,
    circular_conv_singular_values,
    conv_operator,
    conv_spectral_norm,
    layer_spectral_norm,
    operator_norm,
    spectral_norm,
    spectral_normalize,
)

__all__ = [
    "SpectralNorm",
    "operator_norm",
    "spectral_norm",
    "conv_operator",
    "conv_spectral_norm",
    "circular_conv_singular_values",
    "spectral_normalize",
    "layer_spectral_norm",
    "ACTIVATION_LIPSCHITZ",
    "LipschitzBound",
    "composition_bound",
    "mlp_lipschitz_bound",
    "parallel_bound",
    "stacked_bound",
    "gradient_norms",
    "empirical_lipschitz",
    "circle_samples",
    "interpolates",
    "gradient_penalty",
    "penalty_region",
]
