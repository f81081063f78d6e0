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

from ._backend import SympyOps, SympyOracle, decide, exact
from ._games import (
    DIRAC_LOSSES,
    DIRAC_REGULARIZERS,
    SymbolicGame,
    X,
    Y,
    bilinear,
    dirac,
    quadratic,
    symbolic_game,
)
from ._rules import exact_rule, hyperparameters, rule, update_matrix
from ._stability import (
    LAMBDA,
    characteristic_polynomial,
    convergence_region,
    cycling_region,
    in_terms_of,
    jury_conditions,
    predicate,
    regions,
    schur_cohn_conditions,
    simplify_conditions,
    spectral_radius,
)

__all__ = [
    "SymbolicGame",
    "symbolic_game",
    "bilinear",
    "quadratic",
    "dirac",
    "DIRAC_LOSSES",
    "DIRAC_REGULARIZERS",
    "X",
    "Y",
    "rule",
    "exact_rule",
    "hyperparameters",
    "update_matrix",
    "LAMBDA",
    "characteristic_polynomial",
    "jury_conditions",
    "schur_cohn_conditions",
    "simplify_conditions",
    "convergence_region",
    "cycling_region",
    "regions",
    "spectral_radius",
    "in_terms_of",
    "predicate",
    "SympyOps",
    "SympyOracle",
    "exact",
    "decide",
]
