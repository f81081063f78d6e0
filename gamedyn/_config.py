"""Precision switch for the package's entry points."""

import jax

__all__ = ["enable_x64"]


def enable_x64(enabled: bool = True) -> None:
    """Compute in float64 (JAX defaults to float32).

    Anything compared with theory should run in float64. The package never flips this at
    import time; the CLI, the studies and the tests call it, and so should a user's script
    that wants theory-grade numbers.

    >>> import jax.numpy as jnp, gamedyn as gd
    >>> gd.enable_x64()
    >>> jnp.zeros(1).dtype
    dtype('float64')
    """
    jax.config.update("jax_enable_x64", bool(enabled))
