"""Update rules as pure ``(init, step)`` pairs over the joint state, written once against a
backend (JAX here; the PyTorch bridge supplies the same operations).

>>> import gamedyn as gd
>>> game = gd.games.Bilinear([[1.0]])
>>> rule = gd.optim.gda(0.1)
>>> state = rule.init(*game.split([1.0, 0.0]))
>>> state = rule.step(game, state)
>>> state.x, state.y
(Array([1.], dtype=float64), Array([0.1], dtype=float64))
"""

from .._pytree import pytree_dataclass
from ._backend import JAX_OPS, JaxOps, JaxOracle, as_oracle  # the JAX backend (internal)
from . import _rules, _base, _hyper
from ._rules import *  # noqa: F403 (each module's __all__ is its public part)
from ._base import *  # noqa: F403 (each module's __all__ is its public part)
from ._hyper import *  # noqa: F403 (each module's __all__ is its public part)

__all__: list[str] = ['pytree_dataclass']
__all__ += _rules.__all__
__all__ += _base.__all__
__all__ += _hyper.__all__
