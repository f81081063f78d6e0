"""Trajectory simulation with regime classification: a diverging run is a result, not an
exception."""

from __future__ import annotations

from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .._checks import check_int, check_nonnegative, check_positive, is_traced
from ..games import Game
from ..optim import Rule, RuleState
from ._spectra import RATE_TOL, REGIMES, _check_rule, regime_name

__all__ = ["SimulationResult", "simulate", "classify_run", "hold_at_failure", "FAILURES"]

#: Failure kinds, indexed by ``SimulationResult.failure``.
FAILURES = ("none", "non-finite", "blow-up")


class SimulationResult(NamedTuple):
    """The outcome of :func:`simulate` (a pytree: it can come out of ``jit`` and ``vmap``).

    Attributes
    ----------
    trajectory : ``(steps // stride + 1, n)`` iterates ``z_0, z_stride, ...``; rows from the
        step of failure on are NaN.
    distance : ``|z - z*|`` for each row (``|z - z_0|`` for a game with no known
        equilibrium).
    regime_code : index into :data:`REGIMES` (``regime`` gives the name).
    rate : estimated per-step log growth rate of the distance over the last half of the run
        (compare with ``log spectral_radius``).
    step_of_failure : first step whose iterate was non-finite or beyond ``blowup``, else -1.
    failure : index into :data:`FAILURES`.
    final_distance : distance at the last good iterate.
    final_state : the rule's state after the run (the last good one after a failure), from
        which a run can be continued.
    steps : number of steps asked for.
    elsewhere : for a ``converged`` run on a game with a known equilibrium, whether it came
        to rest at another point (its steps shrink, its distance to ``z*`` does not: e.g. a
        generator stalled where its gradient vanishes); ``False`` otherwise.

    A diverged run is data, not an exception. GDA with ``lr = 1`` on ``x y`` multiplies the
    distance by ``|1 + i| = sqrt(2)`` per step, so it first exceeds ``blowup = 1e6`` at step
    40 (``2^20 > 1e6 > 2^19.5``):

    >>> import numpy as np, gamedyn as gd
    >>> result = gd.simulate(gd.games.Bilinear([[1.0]]), gd.optim.gda(1.0), [1.0, 0.0], 100)
    >>> result.regime, int(result.step_of_failure)
    ('diverged', 40)
    >>> result.message
    'diverged: distance exceeded the blow-up threshold at step 40'
    >>> np.isnan(result.trajectory[39:]).any(axis=1).tolist()[:3]   # z_39 is the last good row
    [False, True, True]
    """

    trajectory: Any
    distance: Any
    regime_code: Any
    rate: Any
    step_of_failure: Any
    failure: Any
    final_distance: Any
    final_state: RuleState
    steps: Any
    elsewhere: Any = False

    @property
    def regime(self):
        """``"converged"``, ``"cycling"`` or ``"diverged"`` (an array of them if batched)."""
        return regime_name(self.regime_code)

    @property
    def message(self):
        """A sentence saying what happened (an array of them if batched)."""
        parts = np.broadcast_arrays(
            np.asarray(self.regime_code),
            np.asarray(self.failure),
            np.asarray(self.step_of_failure),
            np.asarray(self.rate),
            np.asarray(self.final_distance),
            np.asarray(self.steps),
            np.asarray(self.elsewhere),
        )
        texts = np.vectorize(_message, otypes=[object])(*parts)
        return str(texts) if texts.ndim == 0 else texts


def _message(code, failure, step, rate, distance, steps, elsewhere=False) -> str:
    if failure == 1:
        return f"diverged: non-finite value at step {step}"
    if failure == 2:
        return f"diverged: distance exceeded the blow-up threshold at step {step}"
    name = REGIMES[int(code)]
    if name == "converged" and elsewhere:
        return (
            f"converged away from the equilibrium: at rest at distance {distance:.3g} after "
            f"{steps} steps (its steps shrink; the distance changes at {rate:.3g} per step)"
        )
    if name == "converged":
        return (
            f"converged: distance {distance:.3g} after {steps} steps "
            f"(growth rate {rate:.3g} per step)"
        )
    if name == "diverged":
        return f"diverged: distance grows at {rate:.3g} per step (now {distance:.3g})"
    return f"cycling: distance stays near {distance:.3g} (growth rate {rate:.3g} per step)"


def simulate(
    game: Game,
    rule: Rule,
    z0,
    steps: int,
    *,
    stride: int = 1,
    tol: float = RATE_TOL,
    blowup: float = 1e6,
    atol: float = 1e-10,
) -> SimulationResult:
    """Run ``steps`` steps of ``rule`` on ``game`` from ``z0`` and classify the regime.

    Regime, from the distance ``d_t = |z_t - z*|`` (``|z_t - z_0|`` without a known
    equilibrium) and the step length ``s_t = |z_t - z_{t-1}|``, whose per-step growth rates
    are estimated from their maxima over the third and fourth quarters of the run:

    * ``diverged`` if an iterate is non-finite or ``d_t > blowup * max(d_0, 1)`` (the step is
      recorded and the run stops there), or the distance grows faster than ``tol``;
    * ``converged`` if ``d_T <= atol * d_0``, or the distance (or, for convergence to a point
      other than ``z*``, the step length) shrinks faster than ``tol``;
    * ``cycling`` otherwise (bounded, neither growing nor shrinking at rate ``tol``).

    With the same ``tol``, :func:`regime_of_rho` gives the regime the spectrum predicts.
    Pure JAX with static ``steps`` and ``stride``: ``vmap`` it over ``z0`` or over the
    rule's (or game's) hyperparameters.

    >>> import gamedyn as gd
    >>> game = gd.games.DiracGAN(reg="r1", gamma=1.0)
    >>> result = gd.simulate(game, gd.optim.gda(0.1, alternating=True), [1.0, 1.0], 2000)
    >>> result.regime, result.trajectory.shape
    ('converged', (2001, 2))
    """
    _check_rule(rule)
    check_int("steps", steps, minimum=1)
    check_int("stride", stride, minimum=1)
    steps, stride = int(steps), int(stride)
    if stride > steps:
        raise ValueError(f"stride={stride} is not accepted; expected 1 <= stride <= steps={steps}")
    check_nonnegative("tol", tol)
    check_positive("blowup", blowup)
    check_nonnegative("atol", atol)
    z0 = jnp.asarray(z0)
    if not jnp.issubdtype(z0.dtype, jnp.inexact):
        z0 = z0.astype(jnp.result_type(float))
    game.split(z0)
    if not is_traced(z0) and not bool(jnp.all(jnp.isfinite(z0))):
        raise ValueError(f"z0={np.asarray(z0)!r} is not accepted; expected finite numbers")
    return _run(game, rule, z0, tol, blowup, atol, steps=steps, stride=stride)


def hold_at_failure(state, new, finite, beyond, fail_step, fail_kind, step):
    """One step's failure bookkeeping, shared by :func:`simulate` and the islands: a run
    whose new state is non-finite (``finite`` False) or beyond its blow-up threshold
    (``beyond``) fails at ``step`` (the first time only; :data:`FAILURES` codes 1 and 2) and
    keeps its last good state from then on. Returns ``(state, fail_step, fail_kind, ok)``;
    ``fail_step`` is -1 while the run is alive.

    >>> import jax.numpy as jnp
    >>> state, step, kind, ok = hold_at_failure(jnp.ones(2), jnp.array([jnp.nan, 1.0]), False, False, -1, 0, 7)
    >>> state.tolist(), int(step), FAILURES[int(kind)], bool(ok)
    ([1.0, 1.0], 7, 'non-finite', False)
    """
    finite = jnp.asarray(finite, bool)
    bad = ~finite | jnp.asarray(beyond, bool)
    alive = jnp.asarray(fail_step) < 0
    newly = bad & alive
    fail_step = jnp.where(newly, step, fail_step)
    fail_kind = jnp.where(newly, jnp.where(finite, 2, 1), fail_kind)
    ok = alive & ~bad
    state = jax.tree.map(lambda n, o: jnp.where(ok, n, o), new, state)
    return state, fail_step, fail_kind, ok


def classify_run(d0, d1, d2, s1, s2, final, failed, steps: int, *, tol, atol, reference_norm=0.0):
    """The regime of a run from what it kept: the one classifier of :func:`simulate`, the
    phase diagrams' cells and the islands.

    ``d0``: the start's distance to the reference point; ``d1``, ``d2``: the largest distance
    over the windows ``(a, b]`` and ``(b, steps]`` (``a = steps // 2``, ``b = 3 steps // 4``);
    ``s1``, ``s2``: the same for the step length; ``final``: the last distance; ``failed``:
    the run went non-finite or beyond its blow-up threshold. Returns ``(code, rate, at_rest)``:
    ``code`` 0 converged, 1 cycling, 2 diverged (:data:`REGIMES`); ``rate`` the distance's
    growth per step between the windows' centres; ``at_rest`` the run ended within
    ``atol * d0`` of the reference, or within the rounding floor ``100 eps |z*|`` of a
    non-zero one (where the windows' rates read ~0).

    >>> import jax.numpy as jnp
    >>> code, rate, _ = classify_run(1.0, 0.5, 0.25, 0.1, 0.05, 0.2, False, 8, tol=1e-3, atol=1e-12)
    >>> int(code), round(float(rate), 4)  # the distance halves over 2 steps: log(1/2) / 2
    (0, -0.3466)
    """
    a = steps // 2
    span = max((steps - a) / 2, 1.0)  # steps between the two windows' centres
    rate_d = (jnp.log(d2) - jnp.log(d1)) / span
    rate_s = (jnp.log(s2) - jnp.log(s1)) / span
    rate_d = jnp.where((d2 == 0) & (d1 == 0), -jnp.inf, rate_d)
    rate_s = jnp.where((s2 == 0) & (s1 == 0), -jnp.inf, rate_s)
    floor = 100 * jnp.finfo(jnp.result_type(final)).eps * reference_norm
    at_rest = (final <= atol * d0 + floor) | (d2 == 0)
    code = jnp.where(
        failed,
        2,
        jnp.where(
            at_rest,
            0,
            jnp.where(
                rate_d > tol,
                2,
                jnp.where((rate_d < -tol) | (rate_s < -tol) | (s2 <= atol * d0), 0, 1),
            ),
        ),
    )
    return code, rate_d, at_rest


@partial(jax.jit, static_argnames=("steps", "stride"))
def _run(game, rule, z0, tol, blowup, atol, *, steps, stride):
    reference = game.equilibrium
    reference = z0 if reference is None else jnp.asarray(reference, z0.dtype)
    d0 = jnp.linalg.norm(z0 - reference)
    threshold = blowup * jnp.maximum(d0, 1.0)
    # quarters: window 1 is steps (a, b], window 2 is (b, steps]
    a, b = steps // 2, (3 * steps) // 4

    def one_step(carry, _):
        state, t, fail_step, fail_kind, env = carry
        z_old = jnp.concatenate([state.x, state.y])
        new = rule.step(game, state)
        z_new = jnp.concatenate([new.x, new.y])
        finite = jnp.all(jnp.isfinite(z_new))
        d = jnp.linalg.norm(z_new - reference)
        s = jnp.linalg.norm(z_new - z_old)
        state, fail_step, fail_kind, ok = hold_at_failure(state, new, finite, d > threshold, fail_step,
                                                          fail_kind, t + 1)
        t1 = t + 1
        in1 = ok & (t1 > a) & (t1 <= b)
        in2 = ok & (t1 > b)
        env = (
            jnp.where(in1, jnp.maximum(env[0], d), env[0]),
            jnp.where(in2, jnp.maximum(env[1], d), env[1]),
            jnp.where(in1, jnp.maximum(env[2], s), env[2]),
            jnp.where(in2, jnp.maximum(env[3], s), env[3]),
        )
        return (state, t1, fail_step, fail_kind, env), None

    def record(carry, _):
        carry, _ = lax.scan(one_step, carry, None, length=stride)
        state, _, fail_step, _, _ = carry
        z = jnp.concatenate([state.x, state.y])
        return carry, jnp.where(fail_step < 0, z, jnp.nan)

    zero = jnp.zeros((), z0.dtype)
    carry = (
        rule.init(*game.split(z0)),
        jnp.zeros((), jnp.int32),
        jnp.full((), -1, jnp.int32),
        jnp.zeros((), jnp.int32),
        (zero, zero, zero, zero),
    )
    rows = steps // stride
    carry, recorded = lax.scan(record, carry, None, length=rows)
    if steps % stride:
        carry, _ = lax.scan(one_step, carry, None, length=steps % stride)
    state, _, fail_step, fail_kind, (d1, d2, s1, s2) = carry

    trajectory = jnp.concatenate([z0[None], recorded])
    distance = jnp.linalg.norm(trajectory - reference, axis=1)
    final = jnp.linalg.norm(jnp.concatenate([state.x, state.y]) - reference)
    failed = fail_step >= 0
    code, rate_d, at_rest = classify_run(d0, d1, d2, s1, s2, final, failed, steps, tol=tol, atol=atol,
                                         reference_norm=jnp.linalg.norm(reference))
    return SimulationResult(
        trajectory=trajectory,
        distance=distance,
        regime_code=code.astype(jnp.int32),
        rate=rate_d,
        step_of_failure=fail_step,
        failure=fail_kind,
        final_distance=final,
        final_state=state,
        steps=jnp.asarray(steps, jnp.int32),
        elsewhere=(code == 0) & ~at_rest & ~(rate_d < -tol) & (game.equilibrium is not None),
    )
