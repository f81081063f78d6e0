"""Spectra of a game and of a rule's one-step update map.

* ``jacobian(game, z)``: the Jacobian of ``F`` — the flow ``dz/dt = F(z)`` is stable at a
  fixed point iff every eigenvalue has negative real part.
* ``update_jacobian(game, rule, z)``: the Jacobian of one step of ``rule`` at a fixed point;
  for rules with memory it acts on the augmented state ``(z_t, z_{t-1})``. The iteration is
  locally stable iff its spectral radius is below 1.
* Bilinear games use their structure: with ``A = U S V^T`` the game splits into one
  scalar game ``s x y`` per singular value, so the spectrum of any rule costs one SVD plus
  a batch of 2x2 (4x4 with memory) problems.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .._checks import check_choice
from ..games import Bilinear, Game
from ..optim import Rule, as_oracle

__all__ = [
    "REGIMES",
    "RATE_TOL",
    "jacobian",
    "update_jacobian",
    "update_map",
    "eigenvalues",
    "spectral_radius",
    "regime_of_rho",
    "regime_name",
    "Stiffness",
    "stiffness",
    "max_stable_lr",
]

#: Regime names, indexed by the integer codes used inside ``jit``/``vmap``.
REGIMES = ("converged", "cycling", "diverged")

#: Default tolerance on the per-step log growth rate that separates the regimes:
#: ``|log rho| <= RATE_TOL`` counts as cycling (an e-fold change takes over 1000 steps).
RATE_TOL = 1e-3


def _point(game: Game, z):
    if z is None:
        z = game.equilibrium
        if z is None:
            raise ValueError(
                f"z=None needs a known equilibrium, and {type(game).__name__} has none; "
                "pass z explicitly"
            )
    z = jnp.asarray(z)
    if not jnp.issubdtype(z.dtype, jnp.inexact):
        z = z.astype(jnp.result_type(float))
    game.split(z)  # checks the shape
    return z


def _check_rule(rule):
    if not isinstance(rule, Rule):
        from ..optim import RULES

        raise ValueError(
            f"rule={rule!r} is not accepted; expected an update rule from gamedyn.optim "
            f"({', '.join(RULES)})"
        )


def jacobian(game: Game, z=None):
    """Jacobian of the vector field ``F`` at ``z`` (default: the game's equilibrium).

    >>> import gamedyn as gd
    >>> gd.jacobian(gd.games.DiracGAN(reg="r1", gamma=1.0))
    Array([[ 0. , -0.5],
           [ 0.5, -1. ]], dtype=float64)
    """
    z = _point(game, z)

    def joint_field(w):
        x, y = game.split(w)
        return jnp.concatenate(game.field(x, y))

    return jax.jacfwd(joint_field)(z) + 0.0  # + 0.0 turns -0.0 into 0.0


def _has_inexact_leaves(tree) -> bool:
    return any(jnp.issubdtype(jnp.asarray(leaf).dtype, jnp.inexact) for leaf in jax.tree.leaves(tree))


def update_jacobian(game: Game, rule: Rule, z=None):
    """Jacobian of one step of ``rule`` at ``z`` (default: the equilibrium).

    Memoryless rules give an ``n x n`` matrix. Rules with memory (``optimistic``,
    ``momentum``) give the ``2n x 2n`` Jacobian of ``(z_t, z_{t-1}) -> (z_{t+1}, z_t)`` at
    ``(z, z)``. Rules whose base (Adam, RMSProp) keeps state have no such linearisation
    (Adam divides by ``sqrt(v) = 0`` at a fixed point) and are refused.

    >>> import gamedyn as gd
    >>> gd.update_jacobian(gd.games.Bilinear([[1.0]]), gd.optim.gda(0.5, alternating=True))
    Array([[ 0.75, -0.5 ],
           [ 0.5 ,  1.  ]], dtype=float64)
    """
    step, w = update_map(game, rule, z)
    return jax.jacfwd(step)(w) + 0.0


def update_map(game: Game, rule: Rule, z=None):
    """``(step, w)``: one step of ``rule`` as a function of the flat state ``w`` (``z``, or
    ``(z_t, z_{t-1})`` for rules with memory), and the point ``w`` of ``z`` (default: the
    equilibrium) it is linearised at; :func:`update_jacobian` is ``jacfwd(step)(w)``.

    >>> import gamedyn as gd
    >>> step, w = gd.analysis.update_map(gd.games.Bilinear([[1.0]]), gd.optim.optimistic(0.5))
    >>> w.shape, step(w + 1.0).tolist()     # (z_t, z_t-1) = (1, 1, 1, 1) -> (z_t+1, z_t)
    ((4,), [0.5, 1.5, 1.0, 1.0])
    """
    _check_rule(rule)
    z = _point(game, z)
    oracle = as_oracle(game)
    probe = rule.init(*game.split(z))
    if _has_inexact_leaves(probe.base):
        raise ValueError(
            f"update_jacobian is not defined for {type(rule).__name__} with a stateful base "
            "(Adam / RMSProp): the update map depends on optimizer moments, not only on z, "
            "and is not differentiable at a fixed point; use gd.simulate instead"
        )
    n = z.shape[0]

    if not rule.memory:

        def one_step(w):
            state = rule.init(*game.split(w))._replace(count=oracle.counter(1))
            new = rule.step(game, state)
            return jnp.concatenate([new.x, new.y])

        return one_step, z

    def augmented_step(w):
        z_t, z_prev = w[:n], w[n:]
        state = rule.history_state(game, *game.split(z_t), *game.split(z_prev))
        new = rule.step(game, state)
        return jnp.concatenate([new.x, new.y, z_t])

    return augmented_step, jnp.concatenate([z, z])


def _sorted(values):
    """Eigenvalues by decreasing modulus, then decreasing imaginary part (deterministic)."""
    order = jnp.lexsort((-values.imag, -jnp.abs(values)))
    return values[order]


def _block_spectra(game: Bilinear, rule: Rule):
    """Eigenvalues of ``rule`` on a bilinear game, one 2x2 (4x4) block per singular value.

    Under ``x = U x'``, ``y = V y'`` (orthogonal per player, so it commutes with every rule
    without a base) the game is ``sum_k s_k x'_k y'_k``. The ``|n_x - n_y|`` unmatched
    coordinates are uncoupled and contribute the eigenvalues of the ``s = 0`` block
    restricted to their own player.
    """
    s = jnp.linalg.svd(game.A, compute_uv=False)
    dtype = game.A.dtype

    def block(value):
        return update_jacobian(Bilinear(value.reshape(1, 1)), rule, jnp.zeros(2, dtype))

    blocks = jax.vmap(block)(s)
    spectra = [jnp.linalg.eigvals(blocks).reshape(-1)]
    extra = game.n_x - game.n_y
    if extra != 0:
        zero = block(jnp.zeros((), dtype))
        own = [0, 2] if rule.memory else [0]
        if extra < 0:
            own = [i + 1 for i in own]
        sub = zero[jnp.ix_(jnp.asarray(own), jnp.asarray(own))]
        spectra.append(jnp.tile(jnp.linalg.eigvals(sub), abs(extra)))
    return jnp.concatenate(spectra)


def _use_structure(game, rule, z, method):
    check_choice("method", method, ("auto", "svd", "dense"))
    structured = isinstance(game, Bilinear) and z is None and rule is not None
    if method == "svd" and not structured:
        raise ValueError(
            "method='svd' needs a Bilinear game, a rule and z=None (the structure is that of "
            f"the update map at the equilibrium); got {type(game).__name__}, z={z!r}"
        )
    return structured and method != "dense"


def eigenvalues(game: Game, rule: Rule | None = None, z=None, *, method: str = "auto"):
    """Eigenvalues of ``jacobian(game, z)`` (no rule) or of ``update_jacobian(game, rule, z)``,
    sorted by decreasing modulus.

    ``method``: ``"auto"`` uses the SVD block structure for a bilinear game at its
    equilibrium, ``"svd"`` insists on it, ``"dense"`` forms the full matrix.

    >>> import gamedyn as gd
    >>> gd.eigenvalues(gd.games.DiracGAN(reg="r1", gamma=0.5))
    Array([-0.25+0.4330127j, -0.25-0.4330127j], dtype=complex128)
    """
    if rule is not None:
        _check_rule(rule)
    if _use_structure(game, rule, z, method):
        return _sorted(_block_spectra(game, rule))
    matrix = jacobian(game, z) if rule is None else update_jacobian(game, rule, z)
    return _sorted(jnp.linalg.eigvals(matrix))


def spectral_radius(game: Game, rule: Rule, z=None, *, method: str = "auto"):
    """Spectral radius ``rho`` of the rule's one-step update map at ``z`` (default: the
    equilibrium). ``rho < 1``: locally convergent; ``rho > 1``: divergent.

    >>> import gamedyn as gd
    >>> float(gd.spectral_radius(gd.games.Bilinear([[1.0]]), gd.optim.gda(0.5)))  # sqrt(1 + lr^2)
    1.118033988749895
    """
    _check_rule(rule)
    return jnp.max(jnp.abs(eigenvalues(game, rule, z, method=method)))


def regime_of_rho(rho, tol: float = RATE_TOL):
    """Predicted regime code (index into :data:`REGIMES`) from a spectral radius.

    ``converged`` if ``log rho < -tol``, ``diverged`` if ``log rho > tol``, otherwise
    ``cycling``; NaN is ``diverged``. Works elementwise on arrays and under ``jit``.

    >>> import gamedyn as gd
    >>> gd.regime_of_rho([0.5, 1.0005, 2.0, float("nan")]).tolist()   # log 1.0005 < RATE_TOL
    [0, 1, 2, 2]
    """
    rho = jnp.asarray(rho)
    if not jnp.issubdtype(rho.dtype, jnp.floating) or isinstance(tol, jax.core.Tracer):
        rate = jnp.log(rho)
        code = jnp.where(rate < -tol, 0, jnp.where(rate > tol, 2, 1))
        return jnp.where(jnp.isnan(rate), 2, code)
    # the same test without a logarithm per cell (the costliest operation of a phase
    # diagram's prediction): log is monotone, so log rho < -tol exactly when rho lies below
    # the first float whose log reaches -tol, and likewise above
    low, high = _log_thresholds(float(tol), np.dtype(rho.dtype).name)
    code = jnp.where(rho < low, 0, jnp.where(rho > high, 2, 1))
    return jnp.where(jnp.isnan(rho), 2, code)


@functools.lru_cache(maxsize=64)
def _log_thresholds(tol: float, dtype: str) -> tuple:
    """``(low, high)`` in ``dtype``: the smallest float whose ``log`` is ``>= -tol`` and the
    largest whose ``log`` is ``<= tol``, for the logarithm :func:`regime_of_rho` used to take
    per cell (``jnp.log`` under ``jit``, which flushes subnormals to zero), found by
    bisection over the non-negative floats in their bit order, so that comparing ``rho``
    with them classifies every float as that logarithm does."""
    t = np.dtype(dtype).type
    bits = {4: np.uint32, 8: np.uint64}[np.dtype(dtype).itemsize]
    log = jax.jit(jnp.log)

    def first_false(holds):
        """The first non-negative float where ``holds(log(float))`` is false (``inf`` if none)."""
        lo, hi = 0, int(np.asarray(t(np.inf)).view(bits))
        as_float = lambda k: np.asarray(bits(k)).view(dtype)[()]  # noqa: E731
        if not holds(np.asarray(log(as_float(hi)))):
            while hi - lo > 1:  # holds at lo, fails at hi
                mid = (lo + hi) // 2
                if holds(np.asarray(log(as_float(mid)))):
                    lo = mid
                else:
                    hi = mid
        return as_float(hi)

    tol_t = t(tol)
    with jax.ensure_compile_time_eval():  # called while a phase diagram's cell is traced
        low = first_false(lambda r: r < -tol_t)
        above = first_false(lambda r: r <= tol_t)
    high = above if np.isinf(above) and above <= tol_t else np.nextafter(above, t(0))
    return low, high

def regime_name(code):
    """Regime name(s) for integer code(s) from :func:`regime_of_rho` or ``simulate``.

    >>> import gamedyn as gd
    >>> gd.regime_name(2), gd.regime_name([0, 1]).tolist()
    ('diverged', ['converged', 'cycling'])
    """
    codes = np.asarray(code)
    names = np.asarray(REGIMES, dtype=object)[codes]
    return str(names) if codes.ndim == 0 else names


class Stiffness(NamedTuple):
    """Stiffness of the flow at a point.

    ``ratio = max|Re l| / min|Re l|`` over the Jacobian's eigenvalues (``inf`` where some real
    part is 0 within ``atol * max|l|``); ``rotation[k] = |Im l_k| / |Re l_k|`` (``inf`` for
    a purely imaginary eigenvalue, 0 for ``l_k = 0``).

    The Wasserstein Dirac GAN with R1 has eigenvalues ``-gamma/2 +- i sqrt(1 - gamma^2/4)``
    (Mescheder et al. 2018, Sec. 3; ``f'(0) = 1``): at ``gamma = 1``, ``-1/2 +- i sqrt(3)/2``.

    >>> import gamedyn as gd
    >>> st = gd.stiffness(gd.games.DiracGAN(loss="wasserstein", reg="r1", gamma=1.0))
    >>> float(st.ratio), [round(float(r), 6) for r in st.rotation]   # equal real parts; sqrt(3)
    (1.0, [1.732051, 1.732051])
    """

    ratio: jnp.ndarray
    rotation: jnp.ndarray
    eigenvalues: jnp.ndarray


def stiffness(game: Game, z=None, *, atol: float = 1e-12) -> Stiffness:
    """Stiffness ratio and per-eigenvalue rotation of the game's Jacobian at ``z``.

    >>> import gamedyn as gd
    >>> st = gd.stiffness(gd.games.Quadratic([[1.0]], B=[[10.0]], C=[[0.1]]))
    >>> float(st.ratio) > 10
    True
    """
    values = eigenvalues(game, None, z)
    scale = jnp.max(jnp.abs(values))
    real = jnp.abs(values.real)
    imag = jnp.abs(values.imag)
    zero_real = real <= atol * scale
    ratio = jnp.where(jnp.any(zero_real), jnp.inf, jnp.max(real) / jnp.min(real))
    rotation = jnp.where(
        zero_real,
        jnp.where(imag <= atol * scale, 0.0, jnp.inf),
        imag / jnp.where(zero_real, 1.0, real),
    )
    return Stiffness(ratio, rotation, values)


def max_stable_lr(
    game: Game,
    make_rule,
    z=None,
    *,
    lower: float = 1e-6,
    upper: float = 1e3,
    num: int = 400,
    marginal: bool = False,
    tol: float = 1e-9,
    bisections: int = 60,
):
    """The largest step size with spectral radius below 1 (``<= 1`` with ``marginal=True``).

    ``make_rule(lr) -> rule`` builds the rule for a step size (e.g. ``lambda lr:
    gd.optim.extragradient(lr)``, or ``lambda lr: gd.optim.gda((lr, 2 * lr))`` for a fixed
    TTUR ratio). The spectral radius is evaluated on ``num`` log-spaced step sizes in
    ``[lower, upper]`` (one vectorised call); the largest stable one is refined by bisection
    against its unstable neighbour. Returns ``0.0`` if no step size on the grid is stable
    and ``inf`` if ``upper`` still is. "Stable" means ``rho < 1 - tol`` (``rho <= 1 + tol``
    with ``marginal``). Pure JAX: ``vmap`` it over the game's parameters.

    >>> import gamedyn as gd
    >>> game = gd.games.Bilinear([[2.0]])
    >>> round(float(gd.max_stable_lr(game, gd.optim.extragradient)), 6)  # 1 / s_max
    0.5
    """
    z = None if z is None else jnp.asarray(z)

    def stable(lr):
        rho = spectral_radius(game, make_rule(lr), z)
        return rho <= 1.0 + tol if marginal else rho < 1.0 - tol

    dtype = jnp.result_type(float)
    grid = jnp.geomspace(jnp.asarray(lower, dtype), jnp.asarray(upper, dtype), num)
    ok = jax.vmap(stable)(grid)
    index = jnp.max(jnp.where(ok, jnp.arange(num), -1))
    lo = grid[jnp.clip(index, 0, num - 1)]
    hi = grid[jnp.clip(index + 1, 0, num - 1)]

    def bisect(_, bounds):
        lo, hi = bounds
        mid = jnp.sqrt(lo * hi)
        good = stable(mid)
        return jnp.where(good, mid, lo), jnp.where(good, hi, mid)

    lo, hi = jax.lax.fori_loop(0, bisections, bisect, (lo, hi))
    return jnp.where(index < 0, 0.0, jnp.where(index == num - 1, jnp.inf, lo))
