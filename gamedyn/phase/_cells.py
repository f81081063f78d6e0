"""What a phase diagram computes in one cell: the spectral radius of the update map at the
equilibrium, and the regime of a short simulation. Written for one cell; the grid is a
``vmap`` of these functions, so everything here is pure JAX with static shapes.

Two ways to each number, selected by ``method``:

* ``"auto"`` (fast paths): a bilinear game is reduced by the SVD ``A = U S V^T`` to one
  2x2 block per singular value (4x4 with memory), a small dense update map gets its
  eigenvalues in closed form (:mod:`._roots`), and on linear games with linear rules the
  simulation is the repeated product of those small matrices; other games are simulated
  by the rule's own ``step``. The simulation keeps only what the regime needs (running
  maxima of squared distances), never a trajectory.
* ``"generic"`` (the reference): :func:`gamedyn.spectral_radius` and
  :func:`gamedyn.simulate`, vmapped as they are. The fast paths are tested against it.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax

from ..analysis import classify_run, regime_of_rho, simulate, spectral_radius, update_jacobian, update_map
from ..games import Bilinear, Game
from ..optim import Rule
from ._roots import MAX_CLOSED_FORM, spectral_radius_entries, spectral_radius_small

__all__ = ["METHODS", "cell_outputs", "linear_rule", "describe_path", "auto_radius"]

METHODS = ("auto", "generic")

# Above this state size the linear map is applied with one einsum instead of unrolled
# multiply-adds (the unrolled form is fastest for the 2x2 and 4x4 blocks of a phase diagram),
# and squared distances with one reduction instead of a sum over coordinates.
_UNROLL_MAX = 8
# Time steps fused into one iteration of the simulation's loop (``lax.scan``'s ``unroll``):
# XLA then runs several steps per pass over a chunk, the state in registers between them
# (the linear maps: 3x the cell-steps per second at 16 on the 2-core Xeon, issue 25, and 3x
# again with the carry packed as complex numbers, see ``_windows``). A rule's own step gains
# less (the Dirac GAN + R1: 1.3x at 2), and XLA duplicates a step's transcendentals when it
# fuses many of them (0.8x at 8), so there it is small.
_UNROLL_LINEAR = 16
_UNROLL_STEP = 2


def linear_rule(rule: Rule) -> bool:
    """True if ``rule`` is an affine map on a linear game (so its iterates are exactly powers
    of its update Jacobian): no base transformation (Adam, RMSProp) and no state-dependent
    switching (SGA with ``align=True`` flips the sign of ``lam`` with ``z``).

    >>> import gamedyn as gd
    >>> from gamedyn.phase import linear_rule
    >>> linear_rule(gd.optim.momentum(0.1, -0.5))
    True
    >>> linear_rule(gd.optim.gda(0.1, base=gd.optim.adam()))   # Adam divides by sqrt(v)
    False
    >>> linear_rule(gd.optim.sga(0.1, 0.5, align=True))
    False
    """
    return rule.affine_on_linear_games()


def _is_linear_game(game: Game) -> bool:
    return game.affine_field


def describe_path(game: Game, rule: Rule, method: str, steps: int) -> tuple[str, str]:
    """Names of the spectral and simulation paths a cell takes (recorded in the Dataset)."""
    if method == "generic":
        return "gd.spectral_radius", "gd.simulate" if steps else "none"
    if type(game) is Bilinear:
        m = 4 if rule.memory else 2
        spectral = f"svd blocks {m}x{m}, closed form"
    else:
        m = game.n * (2 if rule.memory else 1)
        spectral = f"dense {m}x{m}, " + ("closed form" if m <= MAX_CLOSED_FORM else "eigvals")
    if not steps:
        return spectral, "none"
    if _is_linear_game(game) and linear_rule(rule):
        simulation = "linear map, svd blocks" if type(game) is Bilinear else "linear map, dense"
    else:
        simulation = "rule.step"
    return spectral, simulation


# -- spectral radius --------------------------------------------------------------------
def _scalar_blocks(rule: Rule, s):
    """Update Jacobians of ``rule`` on the scalar games ``s_k x y``, shape ``(k, m, m)``."""
    zero = jnp.zeros(2, dtype=s.dtype)
    return jax.vmap(lambda v: update_jacobian(Bilinear(v.reshape(1, 1)), rule, zero))(s)


def _own_coordinates(rule: Rule, player: str):
    """Indices of one player's coordinates in a scalar game's (augmented) state."""
    own = [0, 2] if rule.memory else [0]
    return own if player == "x" else [i + 1 for i in own]


def _entries(game: Game, rule: Rule):
    """The update map's Jacobian at the equilibrium as nested lists of its entries, one JVP
    per column (the columns :func:`gamedyn.update_jacobian` computes by ``jacfwd``), for
    :func:`spectral_radius_entries`: under ``vmap`` no ``(cells, m, m)`` array is formed."""
    step, w = update_map(game, rule)
    basis = jnp.eye(w.shape[0], dtype=w.dtype)
    columns = [jax.jvp(step, (w,), (basis[j],))[1] + 0.0 for j in range(w.shape[0])]
    return [[column[i] for column in columns] for i in range(w.shape[0])]


def _singular_values(A):
    if A.shape == (1, 1):  # the scalar game s x y: no LAPACK call per cell
        return jnp.abs(A.reshape(1))
    return jnp.linalg.svd(A, compute_uv=False)


def _rho_bilinear(game: Bilinear, rule: Rule):
    if game.A.shape == (1, 1):
        # the scalar game is its own block: its entries directly, with no axis of blocks to
        # reduce over (which would split XLA's fusion into a pass per output)
        return spectral_radius_entries(_entries(game, rule))
    # Under x = U x', y = V y' (orthogonal per player, which commutes with every rule without
    # a base) the game is sum_k s_k x'_k y'_k: one block per singular value; the |n_x - n_y|
    # unmatched coordinates see s = 0 restricted to their own player.
    s = _singular_values(game.A)
    blocks = jax.vmap(lambda v: _entries(Bilinear(v.reshape(1, 1)), rule))(s)
    rho = jnp.max(spectral_radius_entries(blocks))
    extra = game.n_x - game.n_y
    if extra:
        zero = _entries(Bilinear(jnp.zeros((1, 1), s.dtype)), rule)
        own = _own_coordinates(rule, "x" if extra > 0 else "y")
        sub = [[zero[i][j] for j in own] for i in own]
        rho = jnp.maximum(rho, spectral_radius_entries(sub))
    return rho


def _rho(game: Game, rule: Rule, method: str):
    if method == "generic":
        return spectral_radius(game, rule)
    if type(game) is Bilinear:
        return _rho_bilinear(game, rule)
    if game.n * (2 if rule.memory else 1) <= MAX_CLOSED_FORM:
        return spectral_radius_entries(_entries(game, rule))
    return spectral_radius_small(update_jacobian(game, rule))


# -- simulation ---------------------------------------------------------------------------
def _windows(advance, sq_distance, sq_step, state, steps: int, unroll: int = 1, packed: bool = False):
    """Run ``steps`` steps and keep what the regime needs, as :func:`gamedyn.simulate` does:
    the largest squared distance over the whole run (a non-finite or beyond-``blowup``
    iterate makes it NaN/inf/large) and over the windows ``(a, b]`` and ``(b, steps]``
    (``a = steps // 2``, ``b = 3 steps // 4``), the same for the squared step length, and
    the final squared distance.

    Three scans with static lengths: the first half only updates the running maximum, so a
    step there costs the map and one squared norm. ``unroll`` steps are fused into each
    iteration of a scan (the same arithmetic, step by step). ``packed`` (a state that is a
    tuple of real arrays of one shape) carries the loop's real numbers two by two as complex
    ones: XLA's CPU backend emits one loop per output of a fused loop body, each recomputing
    the ``unroll`` coupled steps, and a complex output computes both of its parts in one
    pass (the same operations on the same numbers, so the results are bitwise equal: 2.9x
    the cell-steps per second on the scalar bilinear game, issue 25).
    """
    a, b = steps // 2, (3 * steps) // 4
    zero = jnp.zeros((), jnp.result_type(float))
    if packed:
        n = len(state)

        def split(carry, extra):  # the state's coordinates and the maxima are packed apart (shapes)
            st, maxima = carry
            return tuple(_unpack(st, n)), _unpack(maxima, extra)

        def join(st, maxima):
            return _pack(st), _pack(maxima)
    else:

        def split(carry, extra):
            return carry[0], list(carry[1:])

        def join(st, maxima):
            return (st, *maxima)

    def quiet(carry, _):
        st, (worst,) = split(carry, 1)
        new = advance(st)
        return join(new, [jnp.maximum(worst, sq_distance(new))]), None

    def window(carry, _):
        st, (d_max, s_max) = split(carry, 2)
        new = advance(st)
        return join(new, [jnp.maximum(d_max, sq_distance(new)), jnp.maximum(s_max, sq_step(st, new))]), None

    def scan(body, st, maxima, length):
        carry, _ = lax.scan(body, join(st, maxima), None, length=length, unroll=unroll)
        return split(carry, len(maxima))

    state, (worst,) = scan(quiet, state, [zero], a)
    state, (d1, s1) = scan(window, state, [zero, zero], b - a)
    state, (d2, s2) = scan(window, state, [zero, zero], steps - b)
    # the windows cover the second half, so the whole run's maximum is the larger of the three
    # (jnp.maximum propagates NaN)
    worst = jnp.maximum(worst, jnp.maximum(d1, d2))
    return worst, d1, d2, s1, s2, sq_distance(state)


def _pack(reals):
    """Real arrays of one shape, two by two as complex arrays (the last padded with 0)."""
    reals = list(reals)
    if len(reals) % 2:
        reals.append(jnp.zeros_like(reals[-1]))
    return tuple(lax.complex(reals[i], reals[i + 1]) for i in range(0, len(reals), 2))


def _unpack(values, n: int):
    """The first ``n`` real arrays of :func:`_pack`'s output."""
    reals = []
    for v in values:
        reals += [jnp.real(v), jnp.imag(v)]
    return reals[:n]


def _regime(d0, worst_sq, d1_sq, d2_sq, s1_sq, s2_sq, final_sq, steps, tol, blowup, atol, reference_norm):
    """The regime code and growth rate exactly as :func:`gamedyn.simulate` defines them
    (``gamedyn/analysis/_simulate.py``), from the squared maxima of :func:`_windows`."""
    threshold = blowup * jnp.maximum(d0, 1.0)
    # NaN anywhere in the run propagates into worst_sq (jnp.maximum keeps NaN), inf exceeds
    failed = ~(worst_sq <= threshold * threshold)
    d1, d2, s1, s2 = jnp.sqrt(d1_sq), jnp.sqrt(d2_sq), jnp.sqrt(s1_sq), jnp.sqrt(s2_sq)
    code, rate_d, _ = classify_run(d0, d1, d2, s1, s2, jnp.sqrt(final_sq), failed, steps, tol=tol, atol=atol,
                                   reference_norm=reference_norm)
    return code.astype(jnp.int8), jnp.where(failed, jnp.inf, rate_d)


def _observe_linear(M, w0, n_position, steps):
    """Simulate ``w <- M w`` blockwise: ``M`` is ``(k, m, m)``, ``w0`` a tuple of ``m`` arrays
    of shape ``(k,)``; the first ``n_position`` entries of each block are the iterate's
    deviation from the equilibrium (the rest is the memory copy ``z_{t-1}``).

    The entries of ``M`` are split into separate arrays once, and a single block (``k = 1``)
    is carried as scalars, so under ``vmap`` each step is a handful of elementwise
    multiply-adds over the chunk (no gathers, no reductions) that XLA fuses.
    """
    k, m = M.shape[0], M.shape[-1]
    single = k == 1
    if single:
        M = M[0]
        w0 = tuple(w[0] for w in w0)
    if m > _UNROLL_MAX:
        def advance(w):
            out = jnp.einsum("...ij,...j->...i", M, jnp.stack(w, axis=-1))
            return tuple(out[..., i] for i in range(m))
    else:
        entries = [[M[..., i, j] for j in range(m)] for i in range(m)]

        def advance(w):
            out = []
            for row in entries:
                acc = row[0] * w[0]
                for j in range(1, m):
                    acc = acc + row[j] * w[j]
                out.append(acc)
            return tuple(out)

    def total(parts):
        acc = parts[0]
        for p in parts[1:]:
            acc = acc + p
        return acc if single else jnp.sum(acc)

    def sq_distance(w):
        return total([w[i] * w[i] for i in range(n_position)])

    def sq_step(old, new):
        return total([(new[i] - old[i]) ** 2 for i in range(n_position)])

    small = m <= _UNROLL_MAX
    return _windows(advance, sq_distance, sq_step, tuple(w0), steps, unroll=_UNROLL_LINEAR if small else 1,
                    packed=small)


def _observe_bilinear(game: Bilinear, rule: Rule, u, radius, steps):
    n_x, n_y = game.n_x, game.n_y
    k = max(n_x, n_y)
    U, s, Vt = jnp.linalg.svd(game.A, full_matrices=True)
    # one block per singular value; unmatched coordinates get s = 0 and a partner held at 0
    # (at s = 0 every rule leaves the two players uncoupled, so the partner stays 0)
    s = jnp.concatenate([s, jnp.zeros(k - s.shape[0], s.dtype)])
    M = _scalar_blocks(rule, s)
    x0 = U.T @ (radius * u[:n_x])
    y0 = Vt @ (radius * u[n_x:])
    x0 = jnp.concatenate([x0, jnp.zeros(k - n_x, x0.dtype)])
    y0 = jnp.concatenate([y0, jnp.zeros(k - n_y, y0.dtype)])
    # memory rules start from (z_0, z_{-1} = z_0): zero velocity, as rule.init does
    w0 = (x0, y0, x0, y0) if rule.memory else (x0, y0)
    return _observe_linear(M, w0, 2, steps)


def _observe_dense_linear(game: Game, rule: Rule, u, radius, steps):
    M = update_jacobian(game, rule)[None]
    dz = radius * u
    entries = tuple(dz[i : i + 1] for i in range(game.n))
    w0 = entries + entries if rule.memory else entries
    return _observe_linear(M, w0, game.n, steps)


def _observe_step(game: Game, rule: Rule, z_star, u, radius, steps):
    z0 = z_star + radius * u
    state = rule.init(*game.split(z0))

    def position(st):
        return jnp.concatenate([st.x, st.y])

    small = z_star.shape[0] <= _UNROLL_MAX

    def total(d):
        # a small state sums its coordinates one by one: elementwise under vmap, so XLA fuses
        # the distance into the step instead of a separate reduction over the chunk
        if not small:
            return jnp.sum(d * d)
        acc = d[0] * d[0]
        for i in range(1, d.shape[0]):
            acc = acc + d[i] * d[i]
        return acc

    def sq_distance(st):
        return total(position(st) - z_star)

    def sq_step(old, new):
        return total(position(new) - position(old))

    return _windows(lambda st: rule.step(game, st), sq_distance, sq_step, state, steps,
                    unroll=_UNROLL_STEP if small else 1)


def _observe(game, rule, z_star, u, radius, steps, tol, blowup, atol, method):
    if method == "generic":
        result = simulate(
            game, rule, z_star + radius * u, steps, stride=steps, tol=tol, blowup=blowup, atol=atol
        )
        rate = jnp.where(result.failure > 0, jnp.inf, result.rate)
        return result.regime_code.astype(jnp.int8), rate
    if _is_linear_game(game) and linear_rule(rule):
        if type(game) is Bilinear:
            sums = _observe_bilinear(game, rule, u, radius, steps)
        else:
            sums = _observe_dense_linear(game, rule, u, radius, steps)
    else:
        sums = _observe_step(game, rule, z_star, u, radius, steps)
    d0 = jnp.linalg.norm(radius * u)
    return _regime(d0, *sums, steps, tol, blowup, atol, jnp.linalg.norm(z_star))


# -- one cell ---------------------------------------------------------------------------
def auto_radius(z_star):
    """The default start distance from ``z*``.

    At ``z* = 0``: ``tiny^(1/3)`` (``3e-103`` in float64, whose square is still 10^100 above
    underflow), so that on a nonlinear game the run follows the linearisation for about
    ``log(1 / radius) / log rho`` steps. Elsewhere the iterates carry a rounding floor of a
    few ``eps |z*|``, and ``gd.simulate`` calls a run converged once
    ``|z_T - z*| <= atol * radius``: ``1e-3 |z*|`` keeps ``atol * radius = 1e-13 |z*|`` well
    above that floor.
    """
    info = jnp.finfo(z_star.dtype)
    scale = jnp.linalg.norm(z_star)
    return jnp.where(scale > 0, 1e-3 * scale, float(info.tiny) ** (1.0 / 3.0))


def cell_outputs(game: Game, rule: Rule, u, *, radius, steps, tol, blowup, atol, method):
    """Everything a phase diagram records for one cell, as a dict of scalars."""
    rho = _rho(game, rule, method)
    out = {"spectral_radius": rho, "predicted": regime_of_rho(rho, tol).astype(jnp.int8)}
    if steps:
        z_star = jnp.asarray(game.equilibrium, dtype=u.dtype)
        if radius is None:
            radius = auto_radius(z_star)
        code, rate = _observe(game, rule, z_star, u, radius, steps, tol, blowup, atol, method)
        out["observed"] = code
        out["rate"] = rate
    return out
