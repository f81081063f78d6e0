"""Property-test update rules and convergence claims in your own pytest suite.

* Hypothesis strategies for games (:func:`bilinear_games`, :func:`quadratic_games`,
  :func:`dirac_gans`) and rules (:func:`rules`, :func:`gda_rules`, ...), all shrinking to
  small readable examples;
* :func:`assert_converges`, :func:`assert_cycles`, :func:`assert_diverges`: the spectrum of
  the update map *and* a simulation, with a failure message that shows the game, the
  hyperparameters, rho and the trajectory;
* :class:`Claim` and :func:`check`: a Hypothesis search for a counterexample plus the
  spectral test; :mod:`gamedyn.testing.claims` ships claims from the literature.

A new rule is a few lines: subclass :class:`gamedyn.optim.Rule`, decorate it with
:func:`pytree_dataclass` (a frozen dataclass registered as a JAX pytree) and write
``_step(oracle, state)`` with the backend's operations (``oracle.field``, ``oracle.axpy``,
...). It then simulates, has a spectrum, and a symbolic update matrix
(:func:`gamedyn.symbolic.update_matrix`):

>>> import gamedyn as gd
>>> from gamedyn.testing import pytree_dataclass, assert_converges
>>> @pytree_dataclass
... class Lookahead(gd.optim.Rule):
...     '''Lookahead-minimax (Chavdarova et al. 2021): k GDA steps, then move alpha of the way.'''
...     lr: float
...     alpha: float = 0.5
...     k: int = 5
...     def _step(self, oracle, state):
...         def gda(z):
...             fx, fy = oracle.field(*z)
...             return oracle.axpy(self.lr, fx, z[0]), oracle.axpy(self.lr, fy, z[1])
...         xk, yk = oracle.repeat(self.k, gda, (state.x, state.y))
...         x = oracle.axpy(self.alpha, oracle.sub(xk, state.x), state.x)
...         y = oracle.axpy(self.alpha, oracle.sub(yk, state.y), state.y)
...         return state._replace(x=x, y=y, count=state.count + 1)
>>> report = assert_converges(gd.games.Bilinear([[1.0]]), Lookahead(lr=0.1))
>>> report.predicted, report.simulated
('converged', 'converged')
"""

from .._pytree import pytree_dataclass
from . import _assertions, _check, _strategies, claims
from ._assertions import *  # noqa: F403 (each module's __all__ is its public part)
from ._check import *  # noqa: F403 (each module's __all__ is its public part)
from ._strategies import *  # noqa: F403 (each module's __all__ is its public part)

__all__: list[str] = ["pytree_dataclass", "check_all", "claims"]
__all__ += _strategies.__all__
__all__ += _assertions.__all__
__all__ += _check.__all__


def check_all(selected=None, *, examples: int = 100, seed: int | None = 0, simulate: bool = True):
    """Check the shipped claims (or the ``Claim`` objects / names in ``selected``), in
    order; returns the list of :class:`Verdict`.

    >>> from gamedyn.testing import check_all
    >>> verdicts = check_all(["extragradient-bilinear", "optimism-any-step-below-1"], examples=20,
    ...                      simulate=False)
    >>> [(v.claim.name, v.status, v.matches) for v in verdicts]    # a true claim, a false one
    [('extragradient-bilinear', 'verified', True), ('optimism-any-step-below-1', 'refuted', True)]
    """
    chosen = (
        claims.CLAIMS
        if selected is None
        else [claims.get(c) if isinstance(c, str) else c for c in selected]
    )
    return [check(c, examples=examples, seed=seed, simulate=simulate) for c in chosen]
