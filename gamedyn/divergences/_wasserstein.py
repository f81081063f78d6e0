"""Wasserstein-1 (earth mover's) distance between samples (numpy, scipy, POT).

``W1(P, Q) = inf_{gamma in Pi(P, Q)} E_(x,y)~gamma |x - y|`` (Arjovsky, Chintala & Bottou
2017, Eq. 1), between two weighted point clouds:

* 1-D: exact, ``W1 = integral |F_P(t) - F_Q(t)| dt`` over the merged sorted support.
* d >= 2, equal sizes and uniform weights: an optimal plan is a permutation (Birkhoff - von
  Neumann), found exactly by scipy's ``linear_sum_assignment``.
* otherwise: the transport linear programme, solved exactly by POT's network simplex
  (``ot.emd``) when POT is installed, else by scipy's HiGHS ``linprog``.
"""

from __future__ import annotations

import sys

import numpy as np

from .._checks import _describe, check_choice

__all__ = ["w1", "W1_METHODS"]

W1_METHODS = ("auto", "sorted", "assignment", "pot", "linprog")

# The plan has n * m entries; past this, the exact solvers take minutes and gigabytes.
MAX_PLAN_ENTRIES = 25_000_000
# Up to this many plan entries "auto" uses HiGHS unless POT is already imported.
_SMALL_PLAN = 40_000


def _points(name: str, x) -> np.ndarray:
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name}={_describe(x)} is not accepted; expected an array of samples") from None
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[0] == 0:
        raise ValueError(
            f"{name} has shape {arr.shape}; expected samples of shape (n,) or (n, d) with n >= 1"
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} holds non-finite values; expected finite samples")
    return arr


def _weights(name: str, w, n: int) -> np.ndarray:
    if w is None:
        return np.full(n, 1.0 / n)
    w = np.asarray(w, dtype=float)
    if w.shape != (n,) or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise ValueError(
            f"{name}={_describe(w)} is not accepted; expected {n} finite non-negative weights "
            "with a positive sum"
        )
    return w / w.sum()


def _w1_sorted(a, b, wa, wb) -> float:
    a, b = a[:, 0], b[:, 0]
    ia, ib = np.argsort(a, kind="stable"), np.argsort(b, kind="stable")
    a, wa, b, wb = a[ia], wa[ia], b[ib], wb[ib]
    support = np.sort(np.concatenate([a, b]))
    cdf_a = np.concatenate([[0.0], np.cumsum(wa)])[np.searchsorted(a, support[:-1], side="right")]
    cdf_b = np.concatenate([[0.0], np.cumsum(wb)])[np.searchsorted(b, support[:-1], side="right")]
    return float(np.sum(np.abs(cdf_a - cdf_b) * np.diff(support)))


def _cost(a, b) -> np.ndarray:
    from scipy.spatial.distance import cdist

    return cdist(a, b, metric="euclidean")


def _plan_assignment(cost):
    from scipy.optimize import linear_sum_assignment

    rows, cols = linear_sum_assignment(cost)
    plan = np.zeros_like(cost)
    plan[rows, cols] = 1.0 / cost.shape[0]
    return plan


def _plan_pot(cost, wa, wb):
    import ot

    return np.asarray(ot.emd(wa, wb, cost, numItermax=10_000_000))


def _plan_linprog(cost, wa, wb):
    from scipy.optimize import linprog
    from scipy.sparse import identity, kron, vstack

    n, m = cost.shape
    # Row sums sum_j g_ij = a_i and column sums sum_i g_ij = b_j of the flattened plan g.
    constraints = vstack([kron(identity(n), np.ones((1, m))), kron(np.ones((1, n)), identity(m))]).tocsr()
    result = linprog(
        cost.ravel(), A_eq=constraints, b_eq=np.concatenate([wa, wb]), bounds=(0, None), method="highs"
    )
    if not result.success:  # pragma: no cover - HiGHS solves every feasible transport LP
        raise RuntimeError(f"linprog failed on the transport problem: {result.message}")
    return result.x.reshape(n, m)


def _pot_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("ot") is not None


def w1(a, b, *, weights_a=None, weights_b=None, method="auto", return_plan=False):
    """Wasserstein-1 distance between the empirical distributions of samples ``a`` (n, d)
    and ``b`` (m, d) (1-D samples may be given as shape ``(n,)``), optionally weighted.

    ``method``: ``"auto"`` (``sorted`` in 1-D, ``assignment`` for equal sizes with uniform
    weights, else ``pot`` if POT is installed — ``linprog`` for plans below 40,000 entries
    unless POT is already imported, as importing it takes seconds — else ``linprog``), or
    one of them by name.
    With ``return_plan=True`` (not for ``sorted``) the optimal transport plan ``(n, m)``
    (rows: ``a``, columns: ``b``, entries summing to 1) is returned as well.

    Parallel lines (Arjovsky et al. 2017, Example 1) at distance ``theta``: ``W1 = |theta|``.

    >>> import numpy as np, gamedyn as gd
    >>> z = np.linspace(0.0, 1.0, 5)
    >>> gd.divergences.w1(np.c_[0 * z, z], np.c_[0 * z + 0.3, z])
    0.3
    >>> gd.divergences.w1([0.0, 1.0], [0.5], weights_a=[0.75, 0.25])   # 0.75 * 0.5 + 0.25 * 0.5
    0.5
    """
    check_choice("method", method, W1_METHODS)
    a, b = _points("a", a), _points("b", b)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"a has dimension {a.shape[1]} and b has dimension {b.shape[1]}; they must match")
    uniform = weights_a is None and weights_b is None
    wa, wb = _weights("weights_a", weights_a, len(a)), _weights("weights_b", weights_b, len(b))
    if method == "auto":
        if a.shape[1] == 1 and not return_plan:
            method = "sorted"
        elif uniform and len(a) == len(b):
            method = "assignment"
        elif len(a) * len(b) <= _SMALL_PLAN and ("ot" not in sys.modules):
            # Importing POT costs seconds (it probes torch, JAX and TensorFlow backends);
            # HiGHS solves a small plan faster than that.
            method = "linprog"
        else:
            method = "pot" if _pot_available() else "linprog"
    if method == "sorted":
        if a.shape[1] != 1 or return_plan:
            raise ValueError(
                f"method='sorted' is exact for 1-D samples only and returns no plan; got "
                f"dimension {a.shape[1]}, return_plan={return_plan}"
            )
        return _w1_sorted(a, b, wa, wb)
    if method == "assignment" and not (uniform and len(a) == len(b)):
        raise ValueError(
            f"method='assignment' needs equal sample sizes and uniform weights; got {len(a)} and "
            f"{len(b)} samples{'' if uniform else ' with weights'}: use method='pot' or 'linprog'"
        )
    if method == "pot" and not _pot_available():
        raise ValueError("method='pot' needs the POT package (pip install pot); use method='linprog'")
    if len(a) * len(b) > MAX_PLAN_ENTRIES:
        raise ValueError(
            f"a and b have {len(a)} and {len(b)} samples: the transport plan would have "
            f"{len(a) * len(b):,} entries (at most {MAX_PLAN_ENTRIES:,}); subsample them"
        )
    cost = _cost(a, b)
    if method == "assignment":
        plan = _plan_assignment(cost)
    elif method == "pot":
        plan = _plan_pot(cost, wa, wb)
    else:
        plan = _plan_linprog(cost, wa, wb)
    distance = float(np.sum(plan * cost))
    return (distance, plan) if return_plan else distance
