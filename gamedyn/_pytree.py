"""Frozen dataclasses registered as JAX pytrees.

Games and update rules are plain data: their numeric fields (matrices, step sizes,
momentum, regularisation weights) are pytree leaves, so a whole grid of them can be
``jax.vmap``-ped; their discrete fields (loss names, ``alternating``, ``first``) are static
metadata that select the computation.
"""

from __future__ import annotations

import dataclasses

import jax

__all__ = ["pytree_dataclass"]


def pytree_dataclass(cls=None, *, static: tuple[str, ...] = ()):
    """Make ``cls`` a frozen dataclass and register it as a pytree.

    Fields named in ``static`` (or declared static with ``gd.optim.hyper``) are metadata (hashable, compared by value when JAX caches a
    compilation); every other field is a child. Unflattening bypasses ``__init__`` and
    ``__post_init__``: JAX rebuilds objects with tracers or sentinel leaves, which must not
    be validated or converted again.

    >>> import jax, gamedyn as gd
    >>> @gd.games.pytree_dataclass(static=("name",))
    ... class Step:
    ...     lr: float
    ...     name: str = "gda"
    >>> jax.tree.leaves(Step(0.1))               # the static name is not a leaf
    [0.1]
    >>> jax.tree.map(lambda v: 2 * v, Step(0.1))
    Step(lr=0.2, name='gda')
    >>> Step(0.1).lr = 0.5
    Traceback (most recent call last):
    ...
    dataclasses.FrozenInstanceError: cannot assign to field 'lr'
    """

    def wrap(cls):
        cls = dataclasses.dataclass(frozen=True, eq=False, repr=True)(cls)
        names = [f.name for f in dataclasses.fields(cls)]
        declared = tuple(f.name for f in dataclasses.fields(cls)
                         if getattr(f.metadata.get("gamedyn"), "static", False))
        unknown = set(static) - set(names)
        if unknown:
            raise TypeError(f"static fields {sorted(unknown)} are not fields of {cls.__name__}")
        children = tuple(n for n in names if n not in static and n not in declared)
        meta = tuple(n for n in names if n in static or n in declared)

        def flatten_with_keys(obj):
            kids = [(jax.tree_util.GetAttrKey(n), getattr(obj, n)) for n in children]
            return kids, tuple(getattr(obj, n) for n in meta)

        def flatten(obj):
            return [getattr(obj, n) for n in children], tuple(getattr(obj, n) for n in meta)

        def unflatten(aux, leaves):
            obj = object.__new__(cls)
            for n, v in zip(children, leaves):
                object.__setattr__(obj, n, v)
            for n, v in zip(meta, aux):
                object.__setattr__(obj, n, v)
            return obj

        jax.tree_util.register_pytree_with_keys(cls, flatten_with_keys, unflatten, flatten)
        cls._pytree_children = children
        cls._pytree_static = meta
        return cls

    return wrap if cls is None else wrap(cls)
