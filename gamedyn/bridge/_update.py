"""The spectrum of a rule's one-step update map on a real network.

A rule of :mod:`gamedyn.optim` iterates ``s_{t+1} = T_R(s_t)`` on its state ``s = (z,
memory, base moments)``. Whether training oscillates, converges or diverges near the current
point is decided by the eigenvalues ``mu`` of ``dT_R/ds`` there: ``|mu| > 1`` grows,
``arg mu`` is the rotation per step. On the toy games :func:`gamedyn.update_jacobian` forms
that matrix; on a network it is never formed: :func:`update_spectrum` runs the *same rule
step* in tangent mode (every tree a pair ``(value, tangent)``, the field's tangent an exact
Jacobian-vector product by double backward) and hands ``v -> dT_R v`` to ARPACK.

Adam and RMSProp: the frozen-preconditioner model (``docs/update_spectrum.md``). The
second moment ``nu`` is held at its current value and enters as the constant diagonal
preconditioner ``D = sqrt(nu_hat) + eps`` (``nu_hat = nu / (1 - b2^t)``, ``t`` the base's
current count); Adam's first moment ``m`` is part of the linearised state, so the map is
``m' = b1 m + (1 - b1) g(z)``, ``z' = z - lr m' / ((1 - b1^(t+1)) D)`` (for each use of the
base inside the step, the bias correction of that use). The derivative of ``nu`` with respect
to the gradient is dropped: that is the model, and ``gd.bridge.linear_response`` measures
how far it carries against the real (unfrozen) optimiser.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import torch
from scipy.sparse.linalg import ArpackNoConvergence, LinearOperator, eigs

from ..optim import RULES, Adam, RMSProp
from ._backend import TorchOps, TorchOracle, _num
from ._spectrum import _flat, _unflat

__all__ = [
    "UpdateSpectrum", "update_spectrum", "update_map_operator", "LINEARISED_RULES", "LinearResponse",
    "linear_response",
]

#: Rules whose one-step map :func:`update_spectrum` linearises (their steps use the field,
#: tree arithmetic, the base, ``J^T u`` and ``J v`` with their derivatives, and the shifted
#: solves of proximal point and competitive gradient descent, differentiated implicitly).
#: Derived from each rule's ``linearisable`` (the built-in rules; a registered rule is
#: checked by its own class attribute).
LINEARISED_RULES = tuple(cls for cls in RULES.values() if cls.linearisable)


class Dual(NamedTuple):
    """A player's tree in tangent mode: its value and its tangent (lists of tensors)."""

    p: list
    t: list


class TangentOracle(TorchOps):
    """The torch oracle in tangent mode: every tree is a :class:`Dual`, and each operation
    returns the value and its derivative along the tangent (forward-mode linearisation of
    whatever the rule's step does with the backend's operations)."""

    def __init__(self, inner: TorchOracle, frozen: dict):
        self.inner = inner
        self.frozen = frozen  # id(base state) -> frozen denominators, see _freeze

    # -- tree arithmetic: linear, so value and tangent transform alike -----------------
    def add(self, a, b):
        return Dual(TorchOps.add(a.p, b.p), TorchOps.add(a.t, b.t))

    def sub(self, a, b):
        return Dual(TorchOps.sub(a.p, b.p), TorchOps.sub(a.t, b.t))

    def scale(self, s, a):
        return Dual(TorchOps.scale(s, a.p), TorchOps.scale(s, a.t))

    def axpy(self, s, a, b):
        return Dual(TorchOps.axpy(s, a.p, b.p), TorchOps.axpy(s, a.t, b.t))

    def where(self, cond, a, b):
        return a if bool(cond) else b

    def zeros_like(self, a):
        return Dual(TorchOps.zeros_like(a.p), TorchOps.zeros_like(a.t))

    def detach(self, a):
        return Dual(TorchOps.detach(a.p), TorchOps.zeros_like(a.t))

    # -- the field and its Jacobian --------------------------------------------------------
    def field(self, x, y):
        (fx, fy), (jx, jy) = self.inner.field_jvp(x.p, y.p, x.t, y.t)
        return Dual(fx, jx), Dual(fy, jy)

    def field_x(self, x, y):
        return self.field(x, y)[0]

    def field_y(self, x, y):
        return self.field(x, y)[1]

    def vjp(self, x, y, ux, uy):
        (px, py), (tx, ty) = self.inner.vjp_tangent(x.p, y.p, ux.p, uy.p, x.t, y.t, ux.t, uy.t)
        return Dual(px, tx), Dual(py, ty)

    def jvp(self, x, y, vx, vy, *, off_diagonal=False):
        """``J v`` and its derivative ``J dv + (d/dz J v)[dz]``."""
        (fx, fy), (px, py) = self.inner.field_jvp(x.p, y.p, vx.p, vy.p, off_diagonal=off_diagonal)
        lx, ly = self.inner.jvp(x.p, y.p, vx.t, vy.t, off_diagonal=off_diagonal)
        sx, sy = self.inner.jvp_second(x.p, y.p, vx.p, vy.p, x.t, y.t, off_diagonal=off_diagonal)
        return Dual(px, TorchOps.add(lx, sx)), Dual(py, TorchOps.add(ly, sy))

    def solve_shifted(self, x, y, a_x, a_y, r_x, r_y, *, off_diagonal=False):
        """``d`` with ``(I - A J) d = r`` (``A = diag(a_x, a_y)``), and its derivative by the
        implicit function theorem: ``(I - A J) dd = dr + A (d/dz J d)[dz]``."""
        dx, dy = self.inner.solve_shifted(x.p, y.p, a_x, a_y, r_x.p, r_y.p, off_diagonal=off_diagonal)
        sx, sy = self.inner.jvp_second(x.p, y.p, dx, dy, x.t, y.t, off_diagonal=off_diagonal)
        rhs_x = TorchOps.axpy(a_x, sx, r_x.t)
        rhs_y = TorchOps.axpy(a_y, sy, r_y.t)
        tx, ty = self.inner.solve_shifted(x.p, y.p, a_x, a_y, rhs_x, rhs_y, off_diagonal=off_diagonal)
        return Dual(dx, tx), Dual(dy, ty)

    # -- scalars the rules branch on (tolerances, alignment signs): values only ----------------
    @staticmethod
    def _primal(tree):
        if isinstance(tree, Dual):
            return tree.p
        if isinstance(tree, (tuple, list)) and tree and isinstance(tree[0], Dual):
            return [t.p for t in tree]
        return tree

    def vdot(self, a, b):
        return TorchOps.vdot(self._primal(a), self._primal(b))

    def norm(self, a):
        return TorchOps.norm(self._primal(a))

    def size(self, a):
        return TorchOps.size(self._primal(a))

    def eps(self, a):
        return TorchOps.eps(self._primal(a))

    def project_x(self, x):
        return x

    def project_y(self, y):
        return y

    # -- the frozen-preconditioner base ----------------------------------------------------
    def base_update(self, base, grads, state, params):
        # The frozen step is linear in (first moment, gradient): value and tangent alike.
        count = state["count"] + 1
        denom = self.frozen[state["key"]]
        mu = state.get("mu")
        up_p, mu_p = _frozen_step(base, grads.p, None if mu is None else mu.p, denom, count)
        up_t, mu_t = _frozen_step(base, grads.t, None if mu is None else mu.t, denom, count)
        new = {**state, "count": count}
        if mu is not None:
            new["mu"] = Dual(mu_p, mu_t)
        return Dual(up_p, up_t), new

    def __getattr__(self, name):
        # unrolled_field_x: the unrolled rule is refused before a step is run (LINEARISED_RULES).
        raise AttributeError(f"the tangent oracle has no {name!r}")


def _frozen_step(base, grads, mu, denom, count):
    """One use of the base with its second moment frozen into ``denom`` (the module
    docstring): Adam ``m' = b1 m + (1 - b1) g``, update ``-m' / (1 - b1^count) / D``;
    RMSProp ``-g / D`` (``mu`` None). Returns ``(updates, m')``; linear in ``(g, m)``."""
    if isinstance(base, Adam):
        b1 = _num(base.b1)
        mu = list(torch._foreach_add(torch._foreach_mul(mu, b1), grads, alpha=1 - b1))
        return list(torch._foreach_div(torch._foreach_mul(mu, -1.0 / (1 - b1**count)), denom)), mu
    return list(torch._foreach_div(torch._foreach_neg(grads), denom)), None


def _freeze(base, state, player):
    """The frozen diagonal preconditioner of one player's base state (see the module
    docstring); refuses a base that has not taken a step (``nu = 0``: no preconditioner)."""
    count = int(state["count"])
    if count < 1:
        raise ValueError(
            f"the {player} player's {type(base).__name__} base has taken no step (its second "
            "moment is 0 and the frozen preconditioner is undefined); take at least one "
            "optimizer step before update_spectrum"
        )
    nu = state["nu"]
    if isinstance(base, Adam):
        nu_hat = torch._foreach_div(nu, 1 - _num(base.b2) ** count)
        inside = torch._foreach_add(nu_hat, _num(base.eps_root))
        return list(torch._foreach_add(torch._foreach_sqrt(inside), _num(base.eps)))
    nu_hat = torch._foreach_div(nu, 1 - _num(base.decay) ** count) if base.bias_correction else nu
    eps = _num(base.eps)
    if base.eps_in_sqrt:
        return list(torch._foreach_sqrt(torch._foreach_add(nu_hat, eps)))
    return list(torch._foreach_add(torch._foreach_sqrt(nu_hat), eps))


class _Layout:
    """Which pieces of the rule's state are linearised, and where they sit in the flat
    vector ARPACK sees: ``x, y``, the rule's memory (trees), then Adam's first moments."""

    def __init__(self, rule, state):
        self.rule = rule
        self.memory = list(state.memory) if isinstance(state.memory, (tuple, list)) else []
        bases = rule._bases()
        self.moments = [i for i in (0, 1) if isinstance(bases[i], Adam)]
        self.pieces = [state.x, state.y, *self.memory, *(state.base[i]["mu"] for i in self.moments)]
        self.sizes = [sum(t.numel() for t in piece) for piece in self.pieces]
        self.n = sum(self.sizes)

    def split(self, v):
        out, start = [], 0
        for piece, size in zip(self.pieces, self.sizes):
            out.append(_unflat(v[start:start + size], piece))
            start += size
        return out

    def dual_state(self, state, v, frozen_keys):
        tangents = self.split(v)
        x, y = Dual(state.x, tangents[0]), Dual(state.y, tangents[1])
        memory = tuple(Dual(m, t) for m, t in zip(self.memory, tangents[2:2 + len(self.memory)]))
        moment_tangents = dict(zip(self.moments, tangents[2 + len(self.memory):]))
        base = []
        for i, b in enumerate(state.base):
            if b is None:
                base.append(None)
                continue
            b = {**b, "key": frozen_keys[i]}
            if i in moment_tangents:
                b["mu"] = Dual(b["mu"], moment_tangents[i])
            base.append(b)
        count = state.count if not self.rule.memory else max(int(state.count), 1)
        return state._replace(x=x, y=y, memory=memory if self.memory else state.memory, base=tuple(base), count=count)

    def tangent(self, new):
        pieces = [new.x.t, new.y.t]
        if self.memory:
            pieces += [m.t for m in new.memory]
        pieces += [new.base[i]["mu"].t for i in self.moments]
        return _flat([t for piece in pieces for t in piece])


def update_map_operator(optimizer, losses) -> LinearOperator:
    """``dT_R/ds`` at the optimizer's current state as a LinearOperator over the flat
    linearised state (``x``, ``y``, the rule's memory, Adam's first moments), one rule step
    in tangent mode per product. ``losses()`` must be a pure function of the parameters
    (a fixed batch; ``gd.bridge.freeze_spectral_norm``; batch norm in a fixed mode).

    Simultaneous GDA's map is ``T(z) = z + lr F(z)``, so ``dT/dz = I + lr J``; on the
    bilinear game ``x y``, ``J = [[0, -1], [1, 0]]``:

    >>> import numpy as np, torch, gamedyn as gd
    >>> x = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    >>> y = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    >>> opt = gd.bridge.GameOptimizer(gd.optim.gda(0.1), [x], [y])
    >>> T = gd.bridge.update_map_operator(opt, lambda: (x @ y, -(x @ y)))
    >>> T @ np.eye(2)  # column i: dT e_i
    array([[ 1. , -0.1],
           [ 0.1,  1. ]])
    """
    rule = optimizer.rule
    if not type(rule).linearisable:
        names = ", ".join(name for name, cls in RULES.items() if cls.linearisable)
        raise ValueError(
            f"update_spectrum is not available for rule {type(rule).__name__}: it linearises "
            f"{names}; the unrolled GAN's look-ahead is not linearised yet (it would need the "
            "derivative of a k-step inner optimisation)"
        )
    if optimizer.project_x is not None or optimizer.project_y is not None:
        raise ValueError(
            "update_spectrum does not linearise projections (project_x / project_y, e.g. WGAN "
            "clipping): the clipped map is not differentiable where the clip is active"
        )
    return _state_operator(rule, _current_state(optimizer), losses, optimizer.x_params, optimizer.y_params)


def _current_state(optimizer):
    """The optimizer's state with its positions copied from the parameters: between steps
    the parameters hold the positions' tensors themselves, and the products here load other
    points into the parameters in place."""
    return optimizer.state._replace(x=optimizer._snapshot(optimizer.x_params), y=optimizer._snapshot(optimizer.y_params))


def _frozen_denominators(rule, state):
    """``{player index: D}`` for each player with a base, and the keys to tag its state."""
    frozen, keys = {}, []
    for i, (base, b) in enumerate(zip(rule._bases(), state.base)):
        if base is None:
            keys.append(None)
            continue
        if not isinstance(base, (Adam, RMSProp)):
            raise ValueError(f"base={base!r} is not accepted; expected gd.optim.adam() or gd.optim.rmsprop()")
        frozen[i] = _freeze(base, b, "generator" if i == 0 else "discriminator")
        keys.append(i)
    return frozen, keys


def _state_operator(rule, state, losses, x_params, y_params) -> LinearOperator:
    """``dT_R/ds`` at ``state`` (the models' parameters are restored after each product)."""
    frozen, keys = _frozen_denominators(rule, state)
    layout = _Layout(rule, state)
    inner = TorchOracle(losses, x_params, y_params)
    oracle = TangentOracle(inner, frozen)
    start_x, start_y = [p.detach().clone() for p in x_params], [p.detach().clone() for p in y_params]

    def matvec(v):
        v = np.asarray(v, dtype=np.float64).reshape(-1)
        new = rule._step(oracle, layout.dual_state(state, v, keys))
        inner._load(start_x, start_y)  # leave the models as they were
        return layout.tangent(new)

    return LinearOperator((layout.n, layout.n), matvec=matvec, dtype=np.float64)


class UpdateSpectrum(NamedTuple):
    """Top eigenvalues ``mu`` of a rule's one-step update map (sorted by decreasing
    modulus), the spectral radius ``rho = max |mu|``, the rotation ``arg mu`` in radians per
    step, and the size ``n`` of the linearised state.

    Extragradient on the bilinear game ``x y``: ``dT = I + lr J + lr^2 J^2`` with ``J``'s
    eigenvalues ``+-i``, so ``mu = 1 - lr^2 +- i lr``, inside the unit circle:

    >>> import numpy as np, torch, gamedyn as gd
    >>> x = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    >>> y = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    >>> opt = gd.bridge.GameOptimizer(gd.optim.extragradient(0.1), [x], [y])
    >>> spec = gd.bridge.update_spectrum(opt, lambda: (x @ y, -(x @ y)), k=2)
    >>> spec.n, np.round(spec.eigenvalues, 12)
    (2, array([0.99+0.1j, 0.99-0.1j]))
    >>> round(spec.log_growth, 6), round(spec.period, 3)  # log sqrt(0.99^2 + 0.1^2); 2 pi / atan(0.1 / 0.99)
    (-0.004975, 62.415)
    """

    eigenvalues: np.ndarray
    rho: float
    rotation: np.ndarray
    n: int

    @property
    def log_growth(self) -> float:
        """``log rho``: the predicted per-step growth rate of a small perturbation (NaN when
        no eigenvalue converged)."""
        if math.isnan(self.rho):
            return math.nan
        return math.log(self.rho) if self.rho > 0 else -math.inf

    @property
    def period(self) -> float | None:
        """``2 pi / |arg mu|`` of the top eigenvalue in steps (None for a real one)."""
        angle = abs(float(self.rotation[0])) if self.rotation.size else 0.0
        return 2 * math.pi / angle if angle > 1e-12 else None


def update_spectrum(optimizer, losses, k=6, *, which="LM", tol=1e-8, seed=0, maxiter=None) -> UpdateSpectrum:
    """The ``k`` eigenvalues of the Jacobian of ``optimizer``'s one-step update map at its
    current parameters and state, largest by ``which`` (ARPACK's ``"LM"`` magnitude,
    ``"LR"`` real part), from exact Jacobian-vector products of the same rule step (never a
    dense matrix).

    ``optimizer``: a :class:`~gamedyn.bridge.GameOptimizer` (its rule, parameters and
    state); ``losses()`` as for ``optimizer.step``, on a fixed batch. Rules with memory
    (optimistic, momentum) and Adam's first moment are part of the linearised state; Adam's
    and RMSProp's second moments are frozen at their current values (the module docstring).
    The models' parameters are left as they were.

    >>> import torch, gamedyn as gd
    >>> x = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    >>> y = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    >>> opt = gd.bridge.GameOptimizer(gd.optim.gda(0.1), [x], [y])
    >>> spec = gd.bridge.update_spectrum(opt, lambda: (x @ y, -(x @ y)), k=1, which="LM")
    >>> round(spec.rho, 12)  # sqrt(1 + 0.1^2): simultaneous GDA spirals out on x y
    1.004987562112
    """
    operator = update_map_operator(optimizer, losses)
    values, _ = _eigenpairs(operator, k, which=which, tol=tol, seed=seed, maxiter=maxiter, vectors=False)
    rho = float(np.abs(values).max()) if values.size else float("nan")
    return UpdateSpectrum(values, rho, np.angle(values), operator.shape[0])


def _eigenpairs(operator, k, *, which="LM", tol=1e-8, seed=0, maxiter=None, vectors=True):
    """Top-``k`` eigenvalues (and eigenvectors, as columns) of ``operator``, sorted by
    decreasing modulus, a conjugate pair with its positive imaginary part first."""
    if which not in ("LM", "LR", "SM"):
        raise ValueError(f"which={which!r} is not accepted; expected 'LM', 'LR' or 'SM'")
    n = operator.shape[0]
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or not 1 <= k <= n:
        raise ValueError(f"k={k!r} is not accepted; expected a whole number with 1 <= k <= n = {n}")
    vecs = np.zeros((n, 0), complex)
    if k >= n - 1:
        # ARPACK needs k < n - 1: small states are solved densely (n products).
        dense = np.column_stack([operator.matvec(e) for e in np.eye(n)])
        values, vecs = np.linalg.eig(dense)
    else:
        start = np.random.default_rng(seed).normal(size=n)
        try:
            found = eigs(operator, k=k, which=which, tol=tol, v0=start, maxiter=maxiter, return_eigenvectors=vectors)
        except ArpackNoConvergence as err:
            found = (err.eigenvalues, err.eigenvectors) if vectors else err.eigenvalues
        values, vecs = found if vectors else (found, vecs)
    values = np.asarray(values, dtype=complex)
    order = np.lexsort((-values.imag, -np.round(np.abs(values), 13)))[:k]
    return values[order], (np.asarray(vecs, complex)[:, order] if vectors else None)


# -- the linear-response check ----------------------------------------------------------
class FrozenOracle(TorchOracle):
    """The torch oracle whose Adam / RMSProp base keeps its second moment frozen: the
    optimiser the frozen-preconditioner model describes, run for real (nonlinearly)."""

    def __init__(self, losses, x_params, y_params, frozen=None):
        super().__init__(losses, x_params, y_params)
        self.frozen = frozen or {}

    def base_update(self, base, grads, state, params):
        count = state["count"] + 1
        updates, mu = _frozen_step(base, grads, state.get("mu"), self.frozen[state["key"]], count)
        return updates, {**state, "count": count, **({} if mu is None else {"mu": mu})}


def _tagged(state, keys):
    """The state with each base dict tagged by its player's key (for the frozen oracles)."""
    base = tuple(None if b is None else {**b, "key": key} for b, key in zip(state.base, keys))
    return state._replace(base=base)


def _linear_count(rule, state):
    return state._replace(count=max(int(state.count), 1)) if rule.memory else state


def _flat_state(rule, state):
    layout = _Layout(rule, state)
    return _flat([t for piece in layout.pieces for t in piece])


def _perturbed(rule, state, delta):
    layout = _Layout(rule, state)
    pieces = [[a + b for a, b in zip(piece, d)] for piece, d in zip(layout.pieces, layout.split(delta))]
    n_mem = len(layout.memory)
    memory = tuple(pieces[2:2 + n_mem]) if n_mem else state.memory
    base = list(state.base)
    for i, mu in zip(layout.moments, pieces[2 + n_mem:]):
        base[i] = {**base[i], "mu": mu}
    return state._replace(x=pieces[0], y=pieces[1], memory=memory, base=tuple(base))


class LinearResponse(NamedTuple):
    """The outcome of :func:`linear_response`; arrays are indexed by horizon ``h = 1..H``.

    ``eigenvalue``: the top eigenvalue ``mu`` of the update map at the start;
    ``predicted_log_growth = log |mu|``, ``predicted_period = 2 pi / |arg mu|`` (None for a
    real ``mu``). ``observed_log_growth[h-1]``: ``log(|c_h| / |c_0|) / h`` for the
    difference of the two real trajectories, ``c`` its coordinates in the eigenvector's
    plane (``Re v, Im v``); ``tangent_log_growth``: the same for the tangent dynamics
    integrated along the base trajectory (products of the update Jacobians there);
    ``norm_log_growth``: from the whole difference's norm instead of its plane coordinates.
    ``observed_period`` / ``tangent_period``: ``2 pi h / |phase_h - phase_0|`` of the plane
    coordinates (None without a complex pair). ``frozen``: whether the real trajectories
    froze Adam's second moment. ``steps``: horizon reached (shorter than asked if a
    trajectory stopped being finite, said in ``message``). ``map_drift[h-1]``: ``|J_{h-1} d
    - J_0 d| / |J_0 d|``, how differently the update Jacobian at the base trajectory's step
    ``h - 1`` acts on the perturbation's direction ``d`` than at the start (0 at ``h = 1``):
    the frozen-point model's error source, measured.

    GDA with ``lr = 1/2`` on the bilinear game ``x y``: ``mu = 1 + i/2``, a linear map, so
    the observed growth is the predicted one at every horizon:

    >>> import torch, gamedyn as gd
    >>> x = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    >>> y = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    >>> opt = gd.bridge.GameOptimizer(gd.optim.gda(0.5), [x], [y])
    >>> r = gd.bridge.linear_response(opt, lambda: (x @ y, -(x @ y)), k=1, eps=1e-3, horizon=12)
    >>> r.steps, r.e_folding  # ceil(1 / log |1 + i/2|) = ceil(8.96)
    (12, 9)
    >>> r.at(20)["horizon"]  # beyond the horizon run: the last one reached
    12
    >>> round(r.at(9)["observed_log_growth"], 9) == round(r.predicted_log_growth, 9)
    True
    """

    eigenvalue: complex
    predicted_log_growth: float
    predicted_period: float | None
    horizons: np.ndarray
    observed_log_growth: np.ndarray
    tangent_log_growth: np.ndarray
    norm_log_growth: np.ndarray
    observed_period: np.ndarray | None
    tangent_period: np.ndarray | None
    frozen: bool
    eps: float
    n: int
    steps: int
    message: str
    map_drift: np.ndarray | None = None

    @property
    def e_folding(self) -> int:
        """``ceil(1 / |log |mu||)`` steps, capped at 200: the horizon over which the
        predicted growth changes a perturbation by a factor e."""
        g = abs(self.predicted_log_growth)
        return 200 if g < 1 / 200 else int(math.ceil(1 / g))

    def at(self, h: int) -> dict:
        """Predicted and observed numbers at horizon ``h`` (the last reached if shorter)."""
        i = min(int(h), self.steps) - 1
        pick = lambda a: None if a is None else float(a[i])  # noqa: E731
        return {"horizon": i + 1, "predicted_log_growth": self.predicted_log_growth,
                "observed_log_growth": float(self.observed_log_growth[i]),
                "tangent_log_growth": float(self.tangent_log_growth[i]),
                "predicted_period": self.predicted_period, "observed_period": pick(self.observed_period),
                "tangent_period": pick(self.tangent_period),
                "map_drift": pick(self.map_drift), "norm_log_growth": float(self.norm_log_growth[i])}


def linear_response(optimizer, losses, *, k=6, eps=1e-6, horizon=200, frozen=True, seed=0, tol=1e-8,
                    maxiter=None) -> LinearResponse:
    """Check :func:`update_spectrum` against what the real rule does to a small perturbation.

    From the optimizer's current state ``s_0`` and on the fixed batch of ``losses``: the top
    eigenpair ``(mu, v)`` of the update map; then the real rule run for ``horizon`` steps
    from ``s_0`` and from ``s_0 + eps d`` (``d`` the unit real part of ``v``: in the plane of
    a complex pair), and the tangent dynamics ``w_{t+1} = (dT/ds)(s_t) w_t`` integrated along
    the base trajectory, ``w_0 = d``. The growth and rotation of the difference (and of
    ``w``) in the eigenvector's plane are compared with ``log |mu|`` and ``2 pi / arg mu`` at
    every horizon (:class:`LinearResponse`): difference vs tangent isolates the
    perturbation's nonlinearity, tangent vs prediction the frozen-point model (the linear
    map changes along the trajectory).

    ``frozen``: the real trajectories keep Adam's / RMSProp's second moment at its value at
    ``s_0`` (the model :func:`update_spectrum` linearises); ``False`` runs the optimiser as it
    trains, to show how far the frozen model carries. The optimizer and the models are left
    as they were.

    >>> import torch, gamedyn as gd
    >>> x = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    >>> y = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    >>> opt = gd.bridge.GameOptimizer(gd.optim.gda(0.1), [x], [y])
    >>> r = gd.bridge.linear_response(opt, lambda: (x @ y, -(x @ y)), k=1, eps=1e-3, horizon=10)
    >>> round(r.predicted_log_growth, 6), round(float(r.observed_log_growth[-1]), 6)  # linear: exact
    (0.004975, 0.004975)
    >>> round(r.predicted_period, 3), round(float(r.observed_period[-1]), 3)  # 2 pi / atan(0.1)
    (63.041, 63.041)
    """
    if not (isinstance(horizon, (int, np.integer)) and not isinstance(horizon, bool) and horizon >= 1):
        raise ValueError(f"horizon={horizon!r} is not accepted; expected a whole number >= 1")
    if not (isinstance(eps, (int, float)) and eps > 0 and math.isfinite(eps)):
        raise ValueError(f"eps={eps!r} is not accepted; expected a finite number > 0")
    rule = optimizer.rule
    x_params, y_params = optimizer.x_params, optimizer.y_params
    start = _current_state(optimizer)
    start_x, start_y = optimizer._snapshot(x_params), optimizer._snapshot(y_params)
    operator = _state_operator(rule, start, losses, x_params, y_params)
    values, vectors = _eigenpairs(operator, k, tol=tol, seed=seed, maxiter=maxiter)
    mu, v = complex(values[0]), vectors[:, 0]
    plane = np.column_stack([v.real, v.imag]) if abs(mu.imag) > 1e-12 * abs(mu) else v.real[:, None]
    d = v.real / np.linalg.norm(v.real)

    coords = lambda u: np.linalg.lstsq(plane, u, rcond=None)[0]  # noqa: E731
    try:
        track = _follow(rule, losses, x_params, y_params, operator, start, d, eps, int(horizon), frozen, coords)
    finally:
        with torch.no_grad():
            torch._foreach_copy_(x_params, start_x)
            torch._foreach_copy_(y_params, start_y)
    return _response(mu, plane, track, eps, frozen, operator.shape[0])


def _follow(rule, losses, x_params, y_params, operator, start, d, eps, horizon, frozen, coords) -> dict:
    """Run the real rule from ``start`` and from ``start + eps d`` and the tangent dynamics
    from ``d`` for ``horizon`` steps; their coordinates in the eigenvector's plane at every
    step, the perturbation's norms and the map's drift (how differently the update Jacobian
    at ``s_t`` acts on ``d`` than at ``s_0``). Leaves the parameters moved."""
    _, keys = _frozen_denominators(rule, start)
    oracle = FrozenOracle(losses, x_params, y_params) if frozen else TorchOracle(losses, x_params, y_params)

    def step(state):
        if frozen:
            oracle.frozen = _frozen_denominators(rule, state)[0]
            state = _tagged(state, keys)
        oracle.loaded = (None, None)
        return rule._step(oracle, _linear_count(rule, state))

    base, pert, w = start, _perturbed(rule, start, eps * d), d.copy()
    track = {"diffs": [coords(eps * d)], "tangents": [coords(d)], "norms": [eps], "drift": [],
             "message": f"ran {horizon} steps"}
    start_image = operator.matvec(d)
    for t in range(horizon):
        jacobian = _state_operator(rule, base, losses, x_params, y_params)
        if t > 0:
            track["drift"].append(float(np.linalg.norm(jacobian.matvec(d) - start_image)
                                        / np.linalg.norm(start_image)))
        w = jacobian.matvec(w)
        base, pert = step(base), step(pert)
        delta = _flat_state(rule, pert) - _flat_state(rule, base)
        if not (np.all(np.isfinite(delta)) and np.all(np.isfinite(w))):
            track["message"] = f"stopped at step {t + 1}: a trajectory is no longer finite"
            break
        track["diffs"].append(coords(delta))
        track["tangents"].append(coords(w))
        track["norms"].append(float(np.linalg.norm(delta)))
    return track


def _response(mu: complex, plane, track: dict, eps: float, frozen: bool, n: int) -> LinearResponse:
    """The :class:`LinearResponse` of a followed perturbation (:func:`_follow`)."""
    diffs, tangents = track["diffs"], track["tangents"]
    steps = len(diffs) - 1
    h = np.arange(1, steps + 1)
    size = lambda cs: np.array([np.linalg.norm(c) for c in cs])  # noqa: E731
    growth = lambda cs: np.log(size(cs)[1:] / size(cs)[0]) / h  # noqa: E731

    def period(cs):
        if plane.shape[1] < 2:
            return None
        phase = np.unwrap(np.array([math.atan2(c[1], c[0]) for c in cs]))
        turned = np.abs(phase[1:] - phase[0])
        with np.errstate(divide="ignore"):
            return np.where(turned > 0, 2 * math.pi * h / turned, np.inf)

    predicted_period = 2 * math.pi / abs(math.atan2(mu.imag, mu.real)) if plane.shape[1] == 2 else None
    return LinearResponse(
        eigenvalue=mu, predicted_log_growth=math.log(abs(mu)), predicted_period=predicted_period, horizons=h,
        observed_log_growth=growth(diffs), tangent_log_growth=growth(tangents),
        norm_log_growth=np.log(np.array(track["norms"][1:]) / eps) / h, observed_period=period(diffs),
        tangent_period=period(tangents), frozen=bool(frozen), eps=float(eps), n=n, steps=steps,
        message=track["message"], map_drift=np.array([0.0, *track["drift"]])[:steps],
    )
