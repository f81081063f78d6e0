"""Assertions for users' test suites: a rule converges / cycles / diverges on a game, judged
by the spectrum of its update map *and* by a simulation, with a failure message a person can
read (the game's matrices, the hyperparameters, rho, and the trajectory's distance to the
equilibrium at a few steps)."""

from __future__ import annotations

import dataclasses
import math
from typing import Any, NamedTuple

import jax
import numpy as np

from .. import analysis, games, optim
from .._checks import check_choice, check_int, check_nonnegative, check_positive
from ..optim import Rule

__all__ = [
    "SPECTRAL_TOL",
    "RegimeReport",
    "regime_report",
    "assert_regime",
    "assert_converges",
    "assert_cycles",
    "assert_diverges",
    "describe_game",
    "describe_rule",
]

#: Tolerance on ``|log rho|`` below which the spectrum says "cycling" (``rho = 1``).
#: Eigenvalues of the small update matrices are computed to ~1e-13 (to ~1e-8 only at exactly
#: defective, double roots), so 1e-9 separates rho = 1 from rho != 1 with room to spare.
SPECTRAL_TOL = 1e-9

#: Simulation lengths: the shortest that shows an e^8 change at the spectral rate, else the
#: longest. A short menu keeps the number of compiled simulations small.
STEP_MENU = (100, 1000, 4000, 20000)
#: A simulation confirms the spectrum when the predicted change ``|log rho| * steps`` is at
#: least this (an e^2 ~ 7x change); shorter runs cannot tell slow convergence from cycling.
DECISIVE_LOG_CHANGE = 2.0
#: On a nonlinear game the spectrum is a statement about a neighbourhood of the equilibrium:
#: a diverging run starts small enough to end within this distance (still linear dynamics).
LINEAR_SCALE = 1e-3


def _eigenvalues(game, rule, z):
    return analysis.eigenvalues(game, rule, z)


# The foundation's rules read lr (and momentum's beta) through a scalar-or-pair helper, so a
# scalar and the equal pair are the same rule.
_PAIRED_FIELDS = {
    optim.GDA: ("lr",),
    optim.Extragradient: ("lr",),
    optim.Optimistic: ("lr",),
    optim.Momentum: ("lr", "beta"),
    optim.Consensus: ("lr",),
    optim.SGA: ("lr",),
    optim.Proximal: ("lr",),
    optim.Unrolled: ("lr",),
}


def canonical(tree):
    """The same game or rule with one pytree structure per class: numeric leaves as float64 /
    int64 arrays, and (for the foundation's rules) ``lr`` / ``beta`` as pairs. Compiled
    spectra and simulations are cached by structure, so this lets every claim and every
    example that uses a rule class on a game shape share one compilation."""
    fields = _PAIRED_FIELDS.get(type(tree), ())
    if fields and dataclasses.is_dataclass(tree):
        changes = {}
        for name in fields:
            value = getattr(tree, name)
            if np.shape(value) == () and not isinstance(value, (tuple, list)):
                changes[name] = (value, value)
        if changes:
            tree = _replace_fields(tree, changes)

    def leaf(v):
        if isinstance(v, (bool, np.bool_)):
            return v
        if isinstance(v, (int, np.integer)):
            return np.asarray(v, dtype=np.int64)
        if isinstance(v, (float, np.floating)):
            return np.asarray(v, dtype=np.float64)
        return v

    return jax.tree_util.tree_map(leaf, tree)


def _replace_fields(obj, changes):
    """``obj`` with some fields replaced, bypassing ``__post_init__`` (as unflattening does)."""
    new = object.__new__(type(obj))
    for field in dataclasses.fields(obj):
        object.__setattr__(new, field.name, changes.get(field.name, getattr(obj, field.name)))
    return new


# One compiled function per game/rule structure, shared by every search and report (the
# claim checker evaluates thousands of points; eager evaluation re-dispatches every op).
_eigenvalues_jit = jax.jit(_eigenvalues)


def spectrum_of(game, rule, z=None):
    """``(rho, eigenvalues)`` of the rule's update map at ``z`` (default: the equilibrium),
    or ``(None, None)`` when it has no linearisation (a stateful base such as Adam)."""
    try:
        values = np.asarray(_eigenvalues_jit(canonical(game), canonical(rule), z))
    except ValueError as err:
        if "stateful base" in str(err):
            return None, None
        raise
    return float(np.max(np.abs(values))), values


def fast_rho(game, rule, z=None) -> float | None:
    """Spectral radius (compiled once per game/rule structure); ``None`` without a
    linearisation."""
    return spectrum_of(game, rule, z)[0]


def predicted_regime(rho, tol=SPECTRAL_TOL) -> str | None:
    if rho is None:
        return None
    if not math.isfinite(rho):
        return "diverged"
    return analysis.regime_name(analysis.regime_of_rho(rho, tol))


def _fmt(value) -> str:
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    if isinstance(value, (tuple, list)):
        return "(" + ", ".join(_fmt(v) for v in value) + ")"
    if hasattr(value, "shape") and getattr(value, "shape", None) == ():
        return _fmt(float(value))
    return repr(value)


def describe_game(game) -> str:
    """A readable description of a game: its matrices, or its loss and regulariser
    (``game.describe()``).

    >>> import gamedyn as gd
    >>> print(describe_game(gd.games.Bilinear([[1.0, 0.0], [0.0, 0.5]])))
    Bilinear game x^T A y, A =
        [[1.  0. ]
         [0.  0.5]]
    """
    return game.describe() if isinstance(game, games.Game) else repr(game)


def describe_rule(rule) -> str:
    """``name(field=value, ...)`` with the rule's hyperparameters (defaults left out).

    >>> import gamedyn as gd
    >>> describe_rule(gd.optim.gda((0.1, 0.2), alternating=True))
    'gda(lr=(0.1, 0.2), alternating=True)'
    """
    if not dataclasses.is_dataclass(rule):
        return repr(rule)
    parts = []
    for field in dataclasses.fields(rule):
        value = getattr(rule, field.name)
        if field.default is not dataclasses.MISSING:
            try:
                if value is field.default or (value == field.default) is True:
                    continue
            except Exception:  # arrays compare elementwise
                pass
        parts.append(f"{field.name}={_fmt(value)}")
    return f"{type(rule).__name__.lower()}({', '.join(parts)})"


class RegimeReport(NamedTuple):
    """What the spectrum and a simulation say about a rule on a game.

    >>> import gamedyn as gd
    >>> report = regime_report(gd.games.Bilinear([[1.0]]), gd.optim.gda(0.75))
    >>> round(report.rho, 6), report.predicted, report.simulated   # |1 + i lr| = sqrt(1 + lr^2)
    (1.25, 'diverged', 'diverged')
    >>> report.trajectory_norms(points=2)[0]       # the run starts at distance radius = 0.1
    (0, 0.1)
    >>> print(report.describe().splitlines()[0])
    spectrum:    rho = 1.25 -> predicted diverged
    """

    game: Any
    rule: Any
    rho: float | None
    eigenvalues: Any
    predicted: str | None
    simulated: str | None
    simulation: Any
    z0: Any
    steps: int | None
    decisive: bool

    def trajectory_norms(self, points: int = 6):
        """``[(t, |z_t - z*|), ...]`` at a few evenly spaced recorded steps (up to the last
        finite one when the run blew up)."""
        if self.simulation is None:
            return []
        distance = np.asarray(self.simulation.distance)
        stride = max(1, self.steps // (len(distance) - 1)) if len(distance) > 1 else 1
        finite = np.flatnonzero(np.isfinite(distance))
        last = int(finite.max()) if finite.size else 0
        rows = np.unique(np.linspace(0, last, points).round().astype(int))
        return [(int(r * stride), float(distance[r])) for r in rows]

    def describe(self, expected: str | None = None) -> str:
        """A multi-line account of the game, the rule, rho and the trajectory."""
        lines = []
        if self.rho is not None:
            mark = "" if expected is None or self.predicted == expected else "   <-- "
            lines.append(
                f"spectrum:    rho = {self.rho:.10g} -> predicted {self.predicted}"
                + (mark + f"expected {expected}" if mark else "")
            )
        else:
            lines.append("spectrum:    no linearisation (stateful base): simulation only")
        if self.simulation is not None:
            mark = (
                ""
                if expected is None or self.simulated == expected or not self.decisive
                else "   <-- "
            )
            note = "" if self.decisive else " (too slow to decide in this many steps)"
            lines.append(
                f"simulation:  {self.simulation.message}{note}"
                + (mark + f"expected {expected}" if mark else "")
            )
        lines.append(describe_game(self.game))
        lines.append(f"rule: {describe_rule(self.rule)}")
        if self.eigenvalues is not None:
            shown = ", ".join(f"{v.real:+.6g}{v.imag:+.6g}j" for v in self.eigenvalues[:6])
            more = "" if len(self.eigenvalues) <= 6 else f" (+{len(self.eigenvalues) - 6} more)"
            lines.append(f"update-map eigenvalues: {shown}{more}")
        if self.simulation is not None:
            start = ", ".join(f"{v:.4g}" for v in np.asarray(self.z0, dtype=float))
            lines.append(f"trajectory |z_t - z*| from z0 = [{start}]:")
            lines.append("    " + "   ".join(f"t={t}: {d:.4g}" for t, d in self.trajectory_norms()))
        return "\n".join(lines)


def _default_start(game, radius, seed):
    z_star = game.equilibrium
    if z_star is None:
        raise ValueError(
            f"z0=None needs a known equilibrium, and {type(game).__name__} has none; pass z0"
        )
    direction = np.random.default_rng(seed).normal(size=game.n)
    return np.asarray(z_star, dtype=float) + radius * direction / np.linalg.norm(direction)


def _is_linear(game) -> bool:
    return bool(getattr(game, "affine_field", False))


def _choose_steps(rho):
    if rho is None or not math.isfinite(rho) or rho <= 0:
        return STEP_MENU[1]
    rate = abs(math.log(rho))
    if rate < SPECTRAL_TOL:
        return STEP_MENU[1]
    for steps in STEP_MENU:
        if rate * steps >= 8:
            return steps
    return STEP_MENU[-1]


def regime_report(
    game, rule, z0=None, *, steps=None, spectrum=None, simulation=True, radius=0.1, seed=0, rho=None
) -> RegimeReport:
    """Judge ``rule`` on ``game`` by its spectrum and by a simulation (see
    :func:`assert_regime` for the arguments). ``rho`` may be passed when already known.

    Extragradient on ``x y`` at ``lr = 1`` sits on its stability boundary: per singular
    value ``s``, ``|l|^2 = 1 - lr^2 s^2 + lr^4 s^4 = 1``.

    >>> import gamedyn as gd
    >>> report = regime_report(gd.games.Bilinear([[1.0]]), gd.optim.extragradient(1.0))
    >>> round(report.rho, 9), report.predicted, report.simulated
    (1.0, 'cycling', 'cycling')
    """
    if not isinstance(rule, Rule):
        raise ValueError(f"rule={rule!r} is not accepted; expected an update rule (gd.optim)")
    if not isinstance(game, games.Game):
        raise ValueError(f"game={game!r} is not accepted; expected a gd.games game")
    check_choice("spectrum", spectrum, (None, True, False))
    check_positive("radius", radius)
    if game.equilibrium is None:
        if simulation and z0 is None:
            raise ValueError(
                f"z0=None needs a known equilibrium, and {type(game).__name__} has none; pass z0"
            )
        if spectrum is True:
            raise ValueError(
                f"spectrum=True needs a known equilibrium, and {type(game).__name__} has none"
            )
        spectrum = False  # no fixed point to linearise at: the simulation judges alone
    eigenvalues = None
    if spectrum is not False:
        rho_found, eigenvalues = spectrum_of(game, rule)
        if rho_found is None and spectrum is True:
            raise ValueError(
                f"spectrum=True, but {describe_rule(rule)} has no linearisation (stateful base)"
            )
        rho = rho_found
    else:
        rho = None
    predicted = predicted_regime(rho)
    result, simulated, decisive = None, None, False
    if simulation:
        steps = _choose_steps(rho) if steps is None else steps
        check_int("steps", steps, minimum=8)
        rate = abs(math.log(rho)) if rho is not None and math.isfinite(rho) and rho > 0 else None
        if z0 is None:
            if predicted == "diverged" and rate is not None and not _is_linear(game):
                # stay where the linearisation describes the game: end near LINEAR_SCALE
                radius = min(radius, LINEAR_SCALE * math.exp(-min(rate * steps, 600.0)))
            z0 = _default_start(game, radius, seed)
        else:
            z0 = np.asarray(z0, dtype=float)
        # Simulated regimes use a rate tolerance a quarter of the spectral rate (at most
        # analysis.RATE_TOL), so a slowly converging run is not taken for a cycle.
        tol = (
            analysis.RATE_TOL
            if rate is None or rate < SPECTRAL_TOL
            else min(analysis.RATE_TOL, rate / 4)
        )
        stride = max(1, steps // 200)
        # A high blow-up threshold lets a diverging run show its growth rate rather than
        # stop at the package's default 1e6 (e^80, the most a menu length can ask for,
        # still ends in a recorded blow-up, which is a "diverged" verdict too).
        result = analysis.simulate(
            canonical(game), canonical(rule), z0, steps, stride=stride, tol=tol, blowup=1e12
        )
        simulated = result.regime
        decisive = (
            rate is None
            or rate < SPECTRAL_TOL
            or rate * steps >= DECISIVE_LOG_CHANGE
            or int(result.failure) != 0
        )
    return RegimeReport(
        game,
        rule,
        rho,
        eigenvalues,
        predicted,
        simulated,
        result,
        None if not simulation else z0,
        steps if simulation else None,
        decisive,
    )


def assert_regime(
    game, rule, regime, z0=None, *, steps=None, spectrum=None, simulation=True, radius=0.1, seed=0
) -> RegimeReport:
    """Assert that ``rule`` has ``regime`` (``"converged"``, ``"cycling"`` or
    ``"diverged"``) on ``game``, by two independent judges:

    * the spectrum: ``rho`` of the update map at the equilibrium (``|log rho| <=``
      :data:`SPECTRAL_TOL` is cycling) — skipped for rules without a linearisation (a
      stateful base) unless ``spectrum=True`` demands it, skipped with ``spectrum=False``;
    * a simulation of ``steps`` steps (default: long enough to show an e^8 change at the
      spectral rate, at most 20000) from ``z0`` (default: the equilibrium plus a random
      direction of length ``radius``, seeded by ``seed``; on a nonlinear game a predicted
      divergence starts small enough to stay within 1e-3 of the equilibrium, where the
      linearisation holds). When the spectral rate is too slow to show in ``steps`` steps,
      the simulation cannot decide and only the spectrum counts (the message says so).
      ``simulation=False`` skips it. In a Hypothesis test, a fixed ``steps`` compiles one
      simulation per game shape instead of one per length the spectrum asks for.

    Returns the :class:`RegimeReport`; raises ``AssertionError`` with
    :meth:`RegimeReport.describe` otherwise.

    >>> import gamedyn as gd
    >>> report = assert_regime(gd.games.Bilinear([[1.0]]), gd.optim.gda((0.5, 1.125)), "diverged")
    >>> round(report.rho, 6), report.simulated    # |1 + i sqrt(lr_x lr_y)| = sqrt(1 + 0.5625)
    (1.25, 'diverged')
    """
    check_choice("regime", regime, analysis.REGIMES)
    if steps is not None:
        check_int("steps", steps, minimum=8)
    check_nonnegative("seed", seed)
    report = regime_report(
        game,
        rule,
        z0,
        steps=steps,
        spectrum=spectrum,
        simulation=simulation,
        radius=radius,
        seed=seed,
    )
    spectral_ok = report.predicted is None or report.predicted == regime
    simulated_ok = report.simulated is None or report.simulated == regime or not report.decisive
    if not (spectral_ok and simulated_ok):
        verb = {"converged": "converge", "cycling": "cycle", "diverged": "diverge"}[regime]
        raise AssertionError(
            f"expected the rule to {verb} on the game, but\n" + report.describe(regime)
        )
    return report


def assert_converges(game, rule, z0=None, **kwargs) -> RegimeReport:
    """Assert that ``rule`` converges on ``game`` (``rho < 1`` and a converging
    simulation); see :func:`assert_regime`.

    >>> import gamedyn as gd
    >>> report = assert_converges(gd.games.Bilinear([[1.0]]), gd.optim.extragradient(0.5))
    >>> round(report.rho, 6), report.simulated
    (0.901388, 'converged')
    """
    return assert_regime(game, rule, "converged", z0, **kwargs)


def assert_cycles(game, rule, z0=None, **kwargs) -> RegimeReport:
    """Assert that ``rule`` neither converges nor diverges on ``game`` (``rho = 1``,
    bounded); see :func:`assert_regime`.

    >>> import gamedyn as gd
    >>> report = assert_cycles(gd.games.Bilinear([[1.0]]), gd.optim.gda(0.5, alternating=True))
    >>> report.predicted, report.simulated
    ('cycling', 'cycling')
    """
    return assert_regime(game, rule, "cycling", z0, **kwargs)


def assert_diverges(game, rule, z0=None, **kwargs) -> RegimeReport:
    """Assert that ``rule`` diverges on ``game`` (``rho > 1`` and a growing simulation);
    see :func:`assert_regime`.

    >>> import gamedyn as gd
    >>> game = gd.games.Bilinear([[1.0]])
    >>> assert_converges(game, gd.optim.gda(0.1))   # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    AssertionError: expected the rule to converge on the game, but
    spectrum:    rho = 1.004987562 -> predicted diverged   <-- expected converged
    simulation:  diverged: distance grows at 0.0049... per step (now ...)   <-- expected converged
    Bilinear game x^T A y, A =
        [[1.]]
    rule: gda(lr=0.1)
    update-map eigenvalues: +1+0.1j, +1-0.1j
    trajectory |z_t - z*| from z0 = [...]:
        t=0: 0.1   t=...
    """
    return assert_regime(game, rule, "diverged", z0, **kwargs)
