"""The bridge to real GANs in PyTorch: the same update rules on real parameters.

``GameOptimizer(rule, x_params, y_params)`` runs any rule of :mod:`gamedyn.optim` through a
PyTorch backend (``TorchOps`` / ``TorchOracle``), so the optimizer a toy analysis predicts
for is literally the one that trains the network.
"""

from ._backend import TORCH_OPS, TorchOps, TorchOracle
from ._optimizer import GameOptimizer, clip_projection
from ._spectrum import PathAngle, TopSpectrum, game_jacobian_operator, path_angle, top_eigenvalues

__all__ = [
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
