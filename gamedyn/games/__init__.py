"""Toy games as data plus pure functions (JAX).

Conventions: ``x`` minimises ``loss_x``, ``y`` minimises ``loss_y``; ``z = (x, y)``; the vector
field is ``F(z) = -(grad_x loss_x, grad_y loss_y)``. See :class:`Game`.

>>> import gamedyn as gd
>>> game = gd.games.Bilinear([[1.0]])               # loss_x = x y = -loss_y
>>> x, y = game.split([2.0, 3.0])
>>> [float(v) for v in game.losses(x, y)]
[6.0, -6.0]
>>> [v.tolist() for v in game.field(x, y)]          # F = (-y, x)
[[-3.0], [2.0]]
"""

from .._hyper import hyper
from .._pytree import pytree_dataclass
from . import _base, _registry, _linear, _dirac, _gan_losses, _mixture
from ._base import *  # noqa: F403 (each module's __all__ is its public part)
from ._registry import *  # noqa: F403
from ._linear import *  # noqa: F403  (registered first: the order of GAMES)
from ._dirac import *  # noqa: F403
from ._dirac import LOSSES, REGULARIZERS, safe_norm  # noqa: F401 (DiracGAN.LOSSES; safe_norm: internal)
from ._gan_losses import *  # noqa: F403
from ._mixture import *  # noqa: F403

__all__: list[str] = ["hyper", "pytree_dataclass"]
for _module in (_base, _registry, _linear, _dirac, _gan_losses, _mixture):
    __all__ += _module.__all__
del _module
