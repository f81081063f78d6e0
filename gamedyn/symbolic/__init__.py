"""Exact update matrices, characteristic polynomials and convergence regions (sympy).

Every update rule of :mod:`gamedyn.optim` runs unchanged on a sympy backend, on one 2x2
block of a bilinear game (``loss_x = s x y``), on the scalar quadratic game
``b x^2/2 + a x y - c y^2/2`` or on the Dirac GAN near its equilibrium. Its update matrix is
therefore derived from the same code the simulations run; the Jury / Schur–Cohn conditions
on its characteristic polynomial give the exact region where it converges, and for
conservative maps the region where it cycles.

>>> import gamedyn as gd
>>> S = gd.symbolic
>>> S.convergence_region(S.bilinear(), S.rule("optimistic"))       # Mokhtari et al. 2020
lr*s < sqrt(3)/3
>>> S.cycling_region(S.bilinear(), S.rule("gda", lr=("lr_x", "lr_y"), alternating=True))
lr_x*lr_y*s**2 < 4
>>> S.dirac("generic", "r1").eigenvalues()      # Mescheder et al. 2018, f'(0) = fp0
[-gamma/2 - sqrt(-4*fp0**2 + gamma**2)/2, -gamma/2 + sqrt(-4*fp0**2 + gamma**2)/2]
"""

from . import _games, _rules, _stability, _backend
from ._games import *  # noqa: F403 (each module's __all__ is its public part)
from ._rules import *  # noqa: F403 (each module's __all__ is its public part)
from ._stability import *  # noqa: F403 (each module's __all__ is its public part)
from ._backend import *  # noqa: F403 (each module's __all__ is its public part)

__all__: list[str] = []
__all__ += _games.__all__
__all__ += _rules.__all__
__all__ += _stability.__all__
__all__ += _backend.__all__
