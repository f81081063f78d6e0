"""The bridge to real GANs in PyTorch: the same update rules on real parameters.

``GameOptimizer(rule, x_params, y_params)`` runs any rule of :mod:`gamedyn.optim` through a
PyTorch backend (``TorchOps`` / ``TorchOracle``), so the optimizer a toy analysis predicts
for is literally the one that trains the network. Around it: DCGAN-family models, the toy
layer's losses and regularisers, offline data sets with known modes and their mode
classifier, training with checkpoints (``train`` / ``gamedyn train``), the top-k spectrum of
the real game's Jacobian and of a rule's one-step update map, and ``bridge_check`` (prediction against observation).

Names load on first use, so ``import gamedyn.bridge`` (and the ``gamedyn`` command) do not
import PyTorch until something here is used.

One rule object, two backends: an extragradient step on the bilinear game ``x y`` from
``(1, 0)`` is ``(1 - lr^2, lr)`` on the toy layer's JAX arrays and on PyTorch tensors alike.

>>> import torch, gamedyn as gd
>>> gd.enable_x64()
>>> rule, game = gd.optim.extragradient(0.1), gd.games.Bilinear([[1.0]])
>>> toy = rule.step(game, rule.init(*game.split([1.0, 0.0])))
>>> x = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
>>> y = torch.tensor([0.0], dtype=torch.float64, requires_grad=True)
>>> _ = gd.bridge.GameOptimizer(rule, [x], [y]).step(lambda: (x @ y, -(x @ y)))
>>> round(float(toy.x[0]), 12), round(float(toy.y[0]), 12)  # 1 - 0.1^2, 0.1
(0.99, 0.1)
>>> round(x.item(), 12), round(y.item(), 12)
(0.99, 0.1)
"""

import importlib

_EXPORTS = {
    "_augment": ["AUGMENT_POLICIES", "AugmentDraw", "apply_augment", "diff_augment", "draw_augment", "parse_policy"],
    "_backend": ["TORCH_OPS", "TorchOps", "TorchOracle"],
    "_losses": [
        "EMA", "Adversarial", "GANLosses", "HistoricalAverage",
        "adversarial_perturbation", "discriminator_loss", "feature_matching_loss", "gan_losses",
        "generator_loss", "gradient_penalty", "input_gradient_penalty", "r1_penalty", "r2_penalty",
    ],
    "_models": [
        "IMAGE_SIZES", "Discriminator", "Generator",
        "MinibatchDiscrimination", "MinibatchStdDev", "SelfAttention", "SmoothLeaky", "attention_sides",
        "count_parameters", "freeze_spectral_norm", "make_models", "power_iteration",
    ],
    "_optimizer": ["GameOptimizer", "clip_projection"],
    "_spectrum": ["PathAngle", "TopSpectrum", "game_jacobian_operator", "path_angle", "top_eigenvalues"],
    "_update": [
        "UpdateSpectrum", "update_spectrum", "update_map_operator", "LINEARISED_RULES", "LinearResponse",
        "linear_response",
    ],
    "_config": ["TrainConfig", "RULE_FIELDS", "ARCHITECTURES", "NORMS", "ACTIVATIONS", "LOSSES", "REGULARIZERS", "EARLY_STOP",
                "FIELD_HELP"],
    "_train": ["TrainResult", "train", "build_rule", "resolve_device", "load_checkpoint", "read_config"],
    "_check": ["bridge_check", "CheckPair", "SIZES", "run_spectrum", "run_path_angle", "run_update_spectrum"],
    "_sweep": ["sweep", "sweep_cells", "SWEEP_BACKENDS", "rule_option_names"],
    "_data": [
        "DATASETS", "STACKED_DIGITS_TRAINING_SIZE", "IMAGE_SUFFIXES", "HELDOUT_PER_CLASS", "ImageDataset", "TensorImages", "StackedDigits", "ImageIslands", "mnist_digits",
        "stacked_digits", "image_islands", "load_images", "load_data",
    ],
    "_classifier": ["CLASSIFIER_VERSION", "ModeClassifier", "ModeCNN", "ClassifierAccuracyError", "mode_classifier", "cache_dir"],
    "_evaluate": [
        "STACKED_MNIST_SAMPLES", "FEATURE_SAMPLES", "SampleEvaluation", "ClassifiedSamples", "classify_samples", "evaluate_samples",
        "expected_modes_captured", "expected_kl",
    ],
}
# Each module's __all__, listed here so that a name loads its module (and PyTorch) only when
# used; tests/bridge/test_exports.py checks the two agree.
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = sorted(_WHERE)


def __getattr__(name):
    if name in _WHERE:
        value = getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'gamedyn.bridge' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)
