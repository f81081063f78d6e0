"""Precision switch for the package's entry points."""

import jax

__all__ = ["enable_x64"]


def enable_x64(enabled: bool = True) -> None:
    """Compute in float64 (JAX defaults to float32).

    Anything compared with theory should run in float64. The package never flips this at
    import time; the CLI, the studies and the tests call it, and so should a user's script
    that wants theory-grade numbers.
    """
    jax.config.update("jax_enable_x64", bool(enabled))
