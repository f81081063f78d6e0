"""Do two experiments rank the same methods in the same order? Kendall's tau between the
methods' means, with a bootstrap interval over each method's seeds on both sides."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import numpy as np

__all__ = ["RankAgreement", "rank_agreement"]


class RankAgreement(NamedTuple):
    """Kendall's tau (tau-b, ties allowed) between two rankings of ``methods`` by their mean
    over seeds, its percentile bootstrap interval at ``level`` and the number of bootstrap
    draws where tau was defined (a draw where one side ranks every method equal has no tau).

    >>> from gamedyn.metrics import RankAgreement
    >>> r = RankAgreement(tau=0.6, low=0.2, high=1.0, methods=("a", "b", "c", "d", "e"), n_resamples=2000,
    ...                   level=0.95)
    >>> str(r)
    '+0.6 [+0.2, +1] over 5 methods'
    """

    tau: float
    low: float
    high: float
    methods: tuple
    n_resamples: int
    level: float

    def __str__(self) -> str:
        return f"{self.tau:+.3g} [{self.low:+.3g}, {self.high:+.3g}] over {len(self.methods)} methods"


def _per_seed(name: str, values: Mapping) -> dict[str, np.ndarray]:
    if not isinstance(values, Mapping):
        raise TypeError(f"{name} must map each method's name to its per-seed values; got {type(values).__name__}")
    return {str(k): np.asarray([x for x in np.ravel(np.asarray(v, float)) if np.isfinite(x)], float)
            for k, v in values.items()}


def _tau(a: list[float], b: list[float]) -> float:
    from scipy import stats

    return float(stats.kendalltau(a, b).statistic)


def rank_agreement(first: Mapping, second: Mapping, *, level: float = 0.95, n_resamples: int = 2000,
                   seed: int = 0) -> RankAgreement:
    """Kendall's tau between the ranking of methods by their mean in ``first`` and in
    ``second`` (each a mapping from method name to that method's per-seed values), with a
    percentile bootstrap interval: each draw resamples every method's seeds with
    replacement, independently on both sides, and recomputes tau of the means.

    Only the methods present on both sides with at least one finite value on each are ranked
    (their names, in ``first``'s order, are ``.methods``); seeds that are not finite are left
    out. Both sides must be ranked in the same direction (e.g. modes captured on both, or KL
    on both). With fewer than 3 methods tau says nothing and a ``ValueError`` is raised.
    Where one side ranks every method equal, tau is undefined (``nan``); bootstrap draws
    where it is undefined are left out of the interval and not counted in ``n_resamples``.

    Two rankings of four methods that differ by one swap of neighbours: 5 concordant pairs
    and 1 discordant pair of 6, tau = (5 - 1) / 6; with no spread over seeds the interval is
    the point itself.

    >>> import gamedyn as gd
    >>> islands = {"a": [1.0, 1.0], "b": [2.0, 2.0], "c": [3.0, 3.0], "d": [4.0, 4.0]}
    >>> images = {"a": [10.0], "b": [30.0], "c": [20.0], "d": [40.0]}
    >>> r = gd.metrics.rank_agreement(islands, images)
    >>> round(r.tau, 12), round(r.low, 12), round(r.high, 12), r.methods
    (0.666666666667, 0.666666666667, 0.666666666667, ('a', 'b', 'c', 'd'))
    """
    from .._checks import check_int

    a, b = _per_seed("first", first), _per_seed("second", second)
    if not 0 < level < 1:
        raise ValueError(f"level={level!r} is not accepted; expected a confidence level in (0, 1)")
    check_int("n_resamples", n_resamples, minimum=100)
    methods = tuple(m for m in a if m in b and a[m].size and b[m].size)
    if len(methods) < 3:
        raise ValueError(f"rank_agreement needs at least 3 methods with finite values on both sides; got "
                         f"{list(methods)} (first has {list(a)}, second has {list(b)})")
    tau = _tau([a[m].mean() for m in methods], [b[m].mean() for m in methods])
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(n_resamples):
        x = [rng.choice(a[m], a[m].size).mean() for m in methods]
        y = [rng.choice(b[m], b[m].size).mean() for m in methods]
        t = _tau(x, y)
        if np.isfinite(t):
            draws.append(t)
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(draws, [tail, 100 - tail]) if draws else (np.nan, np.nan)
    return RankAgreement(tau, float(low), float(high), methods, len(draws), level)
