"""Per-player base transformations: what turns a player's gradient into its step direction.

Without a base a rule moves each player along its own field, ``p + lr * F_p``. With a base
the rule feeds the player's *gradient* ``g = -F_p`` to an optax transformation and, in
optax's convention, adds the returned update: ``p + lr * U(g)`` (without a base,
``U(g) = -g``). Adam is ``adam()`` (``optax.scale_by_adam`` then a sign flip), RMSProp
``rmsprop()`` (``optax.scale_by_rms`` then a sign flip). The rule's ``lr`` stays the step
size, so TTUR (``lr=(lr_x, lr_y)``) and every rule compose with Adam unchanged. Any other
optax transformation is accepted as it is (wrapped in :class:`OptaxBase`): a full optimizer
such as ``optax.adam(1e-3)`` already carries its step size, so pair it with ``lr=1``.

The named bases (:class:`Adam`, :class:`RMSProp`) are plain data, so another backend (the
PyTorch bridge) can rebuild the same semantics; a raw optax transformation is JAX-only.
"""

from __future__ import annotations

import optax

from .._checks import check_nonnegative, check_positive, check_real
from .._pytree import pytree_dataclass

__all__ = ["Base", "Adam", "RMSProp", "OptaxBase", "adam", "rmsprop", "as_base"]


class Base:
    """A per-player base transformation (see the module docstring).

    A base defines ``transformation()``, an optax transformation that maps a player's
    gradient ``g`` to ``U(g)``; the rule moves the player to ``p + lr * U(g)``.

    >>> import jax.numpy as jnp, optax, gamedyn as gd
    >>> @gd.optim.pytree_dataclass
    ... class Clipped(gd.optim.Base):             # U(g) = -clip(g, -1, 1)
    ...     def transformation(self):
    ...         return optax.chain(optax.clip(1.0), optax.scale(-1.0))
    >>> rule = gd.optim.gda(0.5, base=Clipped())
    >>> state = rule.init(jnp.array([1.0]), jnp.array([10.0]))
    >>> state = rule.step(gd.games.Bilinear([[1.0]]), state)   # g_x = y = 10, g_y = -x = -1
    >>> float(state.x[0]), float(state.y[0])                  # 1 - 0.5 * 1, 10 + 0.5 * 1
    (0.5, 10.5)
    """

    def transformation(self) -> optax.GradientTransformation:
        raise TypeError(f"{type(self).__name__} does not define transformation()")


@pytree_dataclass
class Adam(Base):
    """Adam's update ``-m_hat / (sqrt(v_hat) + eps)`` (Kingma & Ba 2015), from
    ``optax.scale_by_adam``; moments and bias correction advance once per use.

    >>> import jax.numpy as jnp, gamedyn as gd
    >>> adam = gd.optim.Adam().transformation()
    >>> g = jnp.array([0.3, -2.0])
    >>> update, _ = adam.update(g, adam.init(g))
    >>> [round(float(u), 6) for u in update]   # first step: m_hat = g, v_hat = g^2, so -g / |g|
    [-1.0, 1.0]
    """

    b1: float = 0.9
    b2: float = 0.999
    eps: float = 1e-8
    eps_root: float = 0.0

    def __post_init__(self):
        check_real("b1", self.b1)
        check_real("b2", self.b2)
        check_positive("eps", self.eps)
        check_nonnegative("eps_root", self.eps_root)

    def transformation(self):
        return optax.chain(
            optax.scale_by_adam(b1=self.b1, b2=self.b2, eps=self.eps, eps_root=self.eps_root),
            optax.scale(-1.0),
        )


@pytree_dataclass(static=("eps_in_sqrt", "bias_correction"))
class RMSProp(Base):
    """RMSProp's update ``-g / sqrt(nu + eps)`` (``-g / (sqrt(nu) + eps)`` with
    ``eps_in_sqrt=False``), ``nu`` the running mean of ``g^2`` with decay ``decay``, started at
    ``initial_scale`` and optionally bias-corrected: ``optax.scale_by_rms`` (Tieleman & Hinton
    2012).

    >>> import math, jax.numpy as jnp, gamedyn as gd
    >>> rms = gd.optim.RMSProp(decay=0.9).transformation()
    >>> g = jnp.array([2.0, -4.0])
    >>> update, _ = rms.update(g, rms.init(g))
    >>> [round(float(u), 6) for u in update]   # -g / sqrt((1 - decay) g^2) = -sign(g) sqrt(10)
    [-3.162278, 3.162278]
    >>> round(math.sqrt(10), 6)
    3.162278
    """

    decay: float = 0.9
    eps: float = 1e-8
    initial_scale: float = 0.0
    eps_in_sqrt: bool = True
    bias_correction: bool = False

    def __post_init__(self):
        check_real("decay", self.decay)
        check_positive("eps", self.eps)
        check_nonnegative("initial_scale", self.initial_scale)

    def transformation(self):
        return optax.chain(
            optax.scale_by_rms(
                decay=self.decay,
                eps=self.eps,
                initial_scale=self.initial_scale,
                eps_in_sqrt=self.eps_in_sqrt,
                bias_correction=self.bias_correction,
            ),
            optax.scale(-1.0),
        )


@pytree_dataclass(static=("inner",))
class OptaxBase(Base):
    """Any optax ``GradientTransformation`` used as a base (JAX only).

    ``optax.sgd(1.0)`` returns ``-g``, so as a base it changes nothing:

    >>> import jax.numpy as jnp, optax, gamedyn as gd
    >>> game, x, y = gd.games.Bilinear([[1.0]]), jnp.array([1.0]), jnp.array([2.0])
    >>> wrapped = gd.optim.gda(0.1, base=optax.sgd(1.0))
    >>> type(wrapped.base[0]).__name__
    'OptaxBase'
    >>> plain = gd.optim.gda(0.1)
    >>> a, b = wrapped.step(game, wrapped.init(x, y)), plain.step(game, plain.init(x, y))
    >>> bool(jnp.allclose(a.x, b.x) and jnp.allclose(a.y, b.y))
    True
    """

    inner: optax.GradientTransformation

    def transformation(self):
        return self.inner


def adam(b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0) -> Adam:
    """Adam as a base: ``gd.optim.gda(1e-3, base=gd.optim.adam(b1=0.5))``.

    >>> import gamedyn as gd
    >>> gd.optim.adam(b1=0.5)
    Adam(b1=0.5, b2=0.999, eps=1e-08, eps_root=0.0)
    """
    return Adam(b1=b1, b2=b2, eps=eps, eps_root=eps_root)


def rmsprop(decay=0.9, eps=1e-8, initial_scale=0.0, eps_in_sqrt=True, bias_correction=False) -> RMSProp:
    """RMSProp as a base, with optax's defaults (``eps`` inside the square root).

    >>> import gamedyn as gd
    >>> gd.optim.rmsprop(decay=0.99).decay
    0.99
    """
    return RMSProp(
        decay=decay,
        eps=eps,
        initial_scale=initial_scale,
        eps_in_sqrt=eps_in_sqrt,
        bias_correction=bias_correction,
    )


def as_base(value, name: str = "base"):
    """Normalise ``base=`` to a pair ``(base_x, base_y)`` of :class:`Base` or ``None``.

    >>> import gamedyn as gd
    >>> gd.optim.as_base(None) is None
    True
    >>> gd.optim.as_base((gd.optim.adam(), None))     # Adam for x only
    (Adam(b1=0.9, b2=0.999, eps=1e-08, eps_root=0.0), None)
    >>> gd.optim.as_base([None, None, None])
    Traceback (most recent call last):
    ...
    ValueError: base has 3 entries; expected one base or a pair (base_x, base_y)
    """
    if value is None:
        return None
    if isinstance(value, (tuple, list)) and not isinstance(value, optax.GradientTransformation):
        if len(value) != 2:
            raise ValueError(
                f"{name} has {len(value)} entries; expected one base or a pair (base_x, base_y)"
            )
        return (_one_base(value[0], name), _one_base(value[1], name))
    one = _one_base(value, name)
    return (one, one)


def _one_base(value, name):
    if value is None or isinstance(value, Base):
        return value
    if isinstance(value, optax.GradientTransformation):
        return OptaxBase(value)
    raise ValueError(
        f"{name}={value!r} is not accepted; expected None, gd.optim.adam(), "
        "gd.optim.rmsprop(), an optax GradientTransformation, or a pair of these"
    )
