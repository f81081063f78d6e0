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
from ._backend import JAX_OPS, JaxOps, JaxOracle, as_oracle
from ._base import Adam, Base, OptaxBase, RMSProp, adam, as_base, rmsprop
from ._hyper import KINDS, Hyper, hyper, hyperparameters, register_rule, takes_base
from ._rules import (
    GDA,
    RULES,
    rule_named,
    SGA,
    Consensus,
    Extragradient,
    Momentum,
    Optimistic,
    Proximal,
    Rule,
    RuleState,
    Unrolled,
    CGD,
    cgd,
    consensus,
    extragradient,
    gda,
    momentum,
    optimistic,
    proximal,
    sga,
    unrolled,
)

__all__ = [
    "Rule",
    "RuleState",
    "RULES",
    "rule_named",
    "register_rule",
    "hyper",
    "Hyper",
    "hyperparameters",
    "takes_base",
    "KINDS",
    "gda",
    "extragradient",
    "optimistic",
    "momentum",
    "consensus",
    "sga",
    "proximal",
    "unrolled",
    "cgd",
    "GDA",
    "Extragradient",
    "Optimistic",
    "Momentum",
    "Consensus",
    "SGA",
    "Proximal",
    "Unrolled",
    "CGD",
    "Base",
    "Adam",
    "RMSProp",
    "OptaxBase",
    "adam",
    "rmsprop",
    "as_base",
    "pytree_dataclass",
]
