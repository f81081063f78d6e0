"""The registry of toy games: each game's parameters described once, where it is defined.

A game is a frozen pytree dataclass subclassing :class:`~gamedyn.games.Game` whose fields
are declared with :func:`~gamedyn.games.hyper` (kind, help, command-line flag).
:func:`register_game` adds it to :data:`GAMES`, the single list of names; the command line
(``--game NAME`` and one flag per parameter, ``gamedyn spectrum`` / ``phase``), the phase
axes (every scalar number, plus the game's :attr:`~gamedyn.games.Game.AXES`) and the
symbolic layer (:func:`gamedyn.symbolic.from_game`, for a game whose losses are written
against backend operations) are derived from it.

>>> import gamedyn as gd
>>> list(gd.games.GAMES)
['bilinear', 'quadratic', 'dirac']
>>> list(gd.games.game_parameters("quadratic"))
['A', 'B', 'C', 'x_star', 'y_star']
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from .._hyper import Hyper, add_to_registry, described, field_defaults_of, registered_class
from ._base import Game

__all__ = ["GAMES", "register_game", "game_class", "game_parameters", "game_defaults", "Axis", "game_axes"]

#: Every toy game by name: its class (``GAMES["bilinear"]([[1.0]])`` builds one). Add to it
#: with :func:`register_game`.
GAMES: dict[str, type] = {}


@dataclasses.dataclass(frozen=True)
class Axis:
    """A derived parameter a phase axis can sweep: ``apply(params, value)`` returns the
    constructor's keyword arguments with ``value`` applied (``params`` are the ones given).

    >>> import gamedyn as gd
    >>> ridge = gd.games.game_axes("quadratic")["b"]
    >>> ridge.help
    'ridge on the x-block: B = --B + b I (strong convexity of x)'
    >>> ridge.apply({"A": [[1.0]], "B": [[1.0]]}, 0.5)["B"].tolist()   # B + b I
    [[1.5]]
    """

    help: str
    apply: Callable[[dict, Any], dict]


def register_game(name: str, cls: type | None = None):
    """Register the game class ``cls`` under ``name`` (usable as a class decorator).

    ``cls`` must subclass :class:`~gamedyn.games.Game` and be a dataclass
    (``gd.games.pytree_dataclass``) whose fields are all declared with
    :func:`~gamedyn.games.hyper`. Registered, it is a ``--game`` of the command line with one
    flag per field, its scalar numbers (and :attr:`~gamedyn.games.Game.AXES`) are phase axes,
    and, if it writes its losses as ``_losses(ops, x, y)``, the symbolic layer differentiates
    it exactly (:func:`gamedyn.symbolic.from_game`).

    >>> from typing import Any
    >>> import gamedyn as gd
    >>> @gd.games.register_game("scaled_bilinear")
    ... @gd.games.pytree_dataclass
    ... class ScaledBilinear(gd.games.Game):      # loss_x = s x y = -loss_y
    ...     s: Any = gd.games.hyper(1.0, kind="real", help="coupling s")
    ...     n_x = 1
    ...     n_y = 1
    ...     def _losses(self, ops, x, y):
    ...         value = self.s * ops.sum(x * y)
    ...         return value, -value
    >>> list(gd.games.game_axes("scaled_bilinear"))   # its scalar field is a phase axis
    ['s']
    >>> gd.games.game_class("scaled_bilinear")(2.0).describe()
    'ScaledBilinear(s=2.0)'
    >>> del gd.games.GAMES["scaled_bilinear"]          # leave the registry as it was
    """
    if cls is None:
        return lambda c: register_game(name, c)
    return add_to_registry(GAMES, "game", Game, "gd.games", name, cls)


def game_class(name: str) -> type:
    """The class registered as ``name``, or an error listing the names.

    >>> import gamedyn as gd
    >>> gd.games.game_class("dirac") is gd.games.DiracGAN
    True
    >>> gd.games.game_class("wgan")
    Traceback (most recent call last):
    ...
    ValueError: game='wgan' is not accepted; expected one of bilinear, quadratic, dirac...
    """
    return registered_class(GAMES, "game", name)


def _cls(game) -> type:
    return game_class(game) if isinstance(game, str) else (game if isinstance(game, type) else type(game))


def game_parameters(game) -> dict[str, Hyper]:
    """The declared parameters of a game (a name in :data:`GAMES`, a class or an instance),
    in field order.

    >>> import gamedyn as gd
    >>> params = gd.games.game_parameters(gd.games.DiracGAN)
    >>> list(params)
    ['loss', 'reg', 'gamma', 'clip', 'gp_target', 'noise_nodes']
    >>> params["gamma"].kind
    'nonnegative'
    >>> params["gamma"].static, params["loss"].static   # a number is traced, a choice selects code
    (False, True)
    """
    return described(_cls(game))


def game_defaults(game) -> dict[str, Any]:
    """The default of each parameter of a game that has one.

    >>> import gamedyn as gd
    >>> gd.games.game_defaults("dirac")["loss"]
    'nonsaturating'
    """
    return field_defaults_of(_cls(game))


def game_axes(game) -> dict[str, Axis]:
    """The parameters of a game a phase axis can sweep, with what they mean: every scalar
    numeric field that is not static, then the class's :attr:`~gamedyn.games.Game.AXES`.

    >>> import gamedyn as gd
    >>> list(gd.games.game_axes("quadratic"))
    ['s', 'b', 'c']
    """
    cls = _cls(game)
    axes = {name: Axis(info.help, lambda params, value, name=name: {**params, name: value})
            for name, info in described(cls).items() if info.numeric and not info.static}
    axes.update(cls.AXES)
    return axes
