"""Divergences between distributions: KL (forward and reverse), Jensen-Shannon, total
variation, chi-squared and any f-divergence with its convex conjugate (f-GAN's variational
bound), on probability vectors or densities on a grid (JAX); Wasserstein-1 between samples
(numpy, scipy, POT). Infinite values are ``inf``, never NaN.

>>> import gamedyn as gd
>>> p, q = [1.0, 0.0], [0.0, 1.0]          # disjoint supports
>>> [float(f(p, q)) for f in (gd.divergences.js, gd.divergences.kl, gd.divergences.tv)]
[0.6931471805599453, inf, 1.0]
"""

from ._discrete import chi2, gaussian_kl, js, kl, kl_terms, reverse_kl, tv
from ._fdiv import F_DIVERGENCES, FDivergence, f_divergence, optimal_critic, variational_bound
from ._wasserstein import W1_METHODS, w1

__all__ = [
    "kl",
    "kl_terms",
    "reverse_kl",
    "js",
    "tv",
    "chi2",
    "gaussian_kl",
    "FDivergence",
    "F_DIVERGENCES",
    "f_divergence",
    "variational_bound",
    "optimal_critic",
    "w1",
    "W1_METHODS",
]
