"""Argument checks that name the argument, what was passed and what is accepted.

Every check is skipped for traced values (inside ``jit``/``vmap`` a value is unknown until
run time); the shapes are still checked, because shapes are static.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import jax
import numpy as np

__all__ = [
    "is_traced",
    "check_choice",
    "check_real",
    "check_nonnegative",
    "check_positive",
    "check_int",
    "check_pair",
]


def is_traced(value) -> bool:
    """True if ``value`` (or any leaf of it) is a JAX tracer, whose value is not known yet."""
    return any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree_util.tree_leaves(value))


def _describe(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def check_choice(name: str, value, accepted: Iterable) -> None:
    accepted = tuple(accepted)
    if value not in accepted:
        listed = ", ".join(repr(a) for a in accepted)
        raise ValueError(f"{name}={_describe(value)} is not accepted; expected one of {listed}")


class NotANumberError(TypeError, ValueError):
    """A string (or another non-number) where a number is expected: a ``TypeError`` that
    ``except ValueError`` also catches, like every other argument error here."""


def _as_float_array(name: str, value, what: str) -> np.ndarray:
    # numpy reads the string "0.1" as the number 0.1; a string here is a mistake
    if isinstance(value, (str, bytes)) or (isinstance(value, (tuple, list)) and any(
            isinstance(v, (str, bytes)) for v in value)):
        raise NotANumberError(f"{name}={_describe(value)} is not accepted; expected {what} (a number, not a "
                              "string)")
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name}={_describe(value)} is not accepted; expected {what}") from None
    return arr


def check_real(name: str, value, *, what: str = "a finite real number") -> None:
    """A finite real scalar (or array of them)."""
    if is_traced(value):
        return
    arr = _as_float_array(name, value, what)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}={_describe(value)} is not accepted; expected {what}")


def check_nonnegative(name: str, value, *, what: str = "a finite number >= 0") -> None:
    if is_traced(value):
        return
    arr = _as_float_array(name, value, what)
    if not (np.all(np.isfinite(arr)) and np.all(arr >= 0)):
        raise ValueError(f"{name}={_describe(value)} is not accepted; expected {what}")


def check_positive(name: str, value, *, what: str = "a finite number > 0") -> None:
    if is_traced(value):
        return
    arr = _as_float_array(name, value, what)
    if not (np.all(np.isfinite(arr)) and np.all(arr > 0)):
        raise ValueError(f"{name}={_describe(value)} is not accepted; expected {what}")


def check_int(name: str, value, *, minimum: int = 1) -> None:
    """A whole number >= ``minimum`` (traced integers are accepted unchecked)."""
    if is_traced(value):
        return
    what = f"a whole number >= {minimum}"
    if isinstance(value, bool):
        raise ValueError(f"{name}={value!r} is not accepted; expected {what}")
    try:
        as_float = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name}={_describe(value)} is not accepted; expected {what}") from None
    if not (math.isfinite(as_float) and as_float == int(as_float) and as_float >= minimum):
        raise ValueError(f"{name}={_describe(value)} is not accepted; expected {what}")


def check_pair(name: str, value, check, *, what: str):
    """Normalise a scalar-or-pair hyperparameter to a 2-tuple ``(for x, for y)``.

    Accepts a scalar, a length-2 tuple/list, or an array of shape ``(2,)``; each entry is
    validated with ``check(name, entry, what=what)``.
    """
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(
                f"{name}={_describe(value)} is not accepted; expected {what}, or a pair "
                f"({name}_x, {name}_y)"
            )
        pair = (value[0], value[1])
    else:
        shape = np.shape(value)
        if shape == ():
            pair = (value, value)
        elif shape == (2,):
            pair = (value[0], value[1])
        else:
            raise ValueError(
                f"{name} has shape {shape}; expected a scalar or a pair ({name}_x, {name}_y)"
            )
    for entry in pair:
        if np.shape(entry) != ():
            raise ValueError(
                f"{name}={_describe(value)} is not accepted; each entry must be a scalar "
                f"({what})"
            )
        check(name, entry, what=what)
    return pair
