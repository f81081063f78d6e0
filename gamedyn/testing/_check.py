"""Convergence claims, checked by a Hypothesis search plus the spectral test.

A :class:`Claim` says that a rule family, with hyperparameters in a region, reaches a regime
(``converged`` / ``cycling`` / ``diverged``) on every game of a family (``quantifier="all"``)
or on at least one (``"some"``). :func:`check` searches the family and the region with
Hypothesis; each example is judged by the spectral radius of the update map at the
equilibrium (exact for linear games, local for the Dirac GAN). A counterexample (or, for
``"some"``, a witness) is shrunk to a minimal one and then simulated; a verified claim's
tightest example (the closest call that a simulation can still confirm) is simulated too,
and a simulation that decisively contradicts the spectrum makes the verdict
``inconsistent``.

Regions are written in coordinates scaled by the game (``u = lr s_max``), so one claim covers
games of every size; the rule is built from the game and the drawn coordinates.
"""

from __future__ import annotations

import dataclasses
import math
import random
import re
import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from hypothesis import HealthCheck, Phase, Verbosity, find, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

from .. import analysis
from .._checks import check_choice, check_int
from ._assertions import (
    SPECTRAL_TOL,
    STEP_MENU,
    RegimeReport,
    describe_game,
    describe_rule,
    fast_rho,
    predicted_regime,
    regime_report,
)

__all__ = [
    "Interval",
    "Integers",
    "Choice",
    "Param",
    "Claim",
    "Example",
    "Verdict",
    "check",
    "STATUSES",
]

#: Verdicts: the claim held on every example searched (``"all"``) or a witness was found
#: (``"some"``); a counterexample was found (or no witness); the spectrum and a simulation
#: disagree; the check itself failed.
STATUSES = ("verified", "refuted", "inconsistent", "error")

# Open ends of a region are kept this fraction of its width away: a point closer than that
# to a region's boundary has a spectral radius within ~1e-6 of 1, too close to the boundary
# for a finite-precision verdict to mean anything.
OPEN_MARGIN = 1e-6


@dataclasses.dataclass(frozen=True)
class Interval:
    """Real values in ``[low, high]``; ``open_low`` / ``open_high`` exclude an end.

    >>> from hypothesis import find
    >>> from gamedyn.testing import Interval
    >>> Interval(0.0, 2.0, open_high=True).describe("lr s_max")
    '0 <= lr s_max < 2'
    >>> find(Interval(0.0, 2.0).strategy(), lambda u: u > 1.2)   # the closed end is drawn
    2.0
    """

    low: float
    high: float
    open_low: bool = False
    open_high: bool = False

    def __post_init__(self):
        if not (math.isfinite(self.low) and math.isfinite(self.high) and self.low < self.high):
            raise ValueError(
                f"Interval({self.low!r}, {self.high!r}) is not accepted; expected finite low < high"
            )

    def strategy(self):
        pad = OPEN_MARGIN * (self.high - self.low)
        low = self.low + pad if self.open_low else self.low
        high = self.high - pad if self.open_high else self.high
        return st.floats(low, high, allow_nan=False, allow_infinity=False)

    def describe(self, meaning: str) -> str:
        lo = "<" if self.open_low else "<="
        hi = "<" if self.open_high else "<="
        return f"{self.low:g} {lo} {meaning} {hi} {self.high:g}"


@dataclasses.dataclass(frozen=True)
class Integers:
    """Whole numbers ``low..high``.

    >>> from hypothesis import find
    >>> from gamedyn.testing import Integers
    >>> Integers(1, 5).describe("k")
    'k in {1, ..., 5}'
    >>> find(Integers(1, 5).strategy(), lambda k: k > 2)
    3
    """

    low: int
    high: int

    def __post_init__(self):
        check_int("low", self.low, minimum=-(10**9))
        check_int("high", self.high, minimum=self.low)

    def strategy(self):
        return st.integers(self.low, self.high)

    def describe(self, meaning: str) -> str:
        return f"{meaning} in {{{self.low}, ..., {self.high}}}"


@dataclasses.dataclass(frozen=True)
class Choice:
    """One of ``values`` (shrinks to the first).

    >>> from hypothesis import find
    >>> from gamedyn.testing import Choice
    >>> Choice(("r1", "r2")).describe("reg")
    "reg in {'r1', 'r2'}"
    >>> find(Choice(("r1", "r2")).strategy(), lambda reg: True)
    'r1'
    """

    values: tuple

    def strategy(self):
        return st.sampled_from(tuple(self.values))

    def describe(self, meaning: str) -> str:
        return f"{meaning} in {{{', '.join(repr(v) for v in self.values)}}}"


@dataclasses.dataclass(frozen=True)
class Param:
    """A coordinate of a claim's hyperparameter region: what it means (``"lr s_max"``) and
    its domain (:class:`Interval`, :class:`Integers` or :class:`Choice`).

    >>> from gamedyn.testing import Interval, Param
    >>> Param("lr s_max", Interval(0.01, 1.0, open_high=True)).describe()
    '0.01 <= lr s_max < 1'
    """

    meaning: str
    domain: Any

    def describe(self) -> str:
        return self.domain.describe(self.meaning)


_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@dataclasses.dataclass(frozen=True)
class Claim:
    """A convergence claim.

    Parameters
    ----------
    name : kebab-case identifier (``gamedyn check NAME``).
    statement : the claim in words, as a paper or folklore states it.
    games : a Hypothesis strategy of games (:mod:`gamedyn.testing` strategies).
    games_text : the game family in words.
    rule : ``rule(game, **coordinates) -> Rule``: the rule at a point of the region.
    rule_text : the rule family in words (``"extragradient(lr)"``).
    region : ``{coordinate: Param}``; the hyperparameter region in scaled coordinates.
    regime : the regime claimed: ``"converged"``, ``"cycling"`` or ``"diverged"``.
    source : paper(s) (authors, year, title or venue) or "folklore" and who refutes it.
    equation : the equation or theorem the claim rests on.
    expected : ``"verified"`` (true claims) or ``"refuted"`` (false folklore).
    quantifier : ``"all"`` (every game and point) or ``"some"`` (at least one).

    Examples
    --------
    >>> import gamedyn as gd
    >>> from gamedyn.testing import Claim, Interval, Param, bilinear_games, check
    >>> claim = Claim(
    ...     name="gda-bilinear-diverges",
    ...     statement="Simultaneous GDA diverges on every bilinear game.",
    ...     games=bilinear_games(max_dim=1), games_text="scalar bilinear games x a y",
    ...     rule=lambda game, u: gd.optim.gda(u), rule_text="gda(lr)",
    ...     region={"u": Param("lr", Interval(0.01, 0.5))}, regime="diverged",
    ...     source="folklore", equation="|1 + i lr a| = sqrt(1 + lr^2 a^2) > 1")
    >>> claim.summary()
    'gda(lr) diverged for every game in: scalar bilinear games x a y; region: 0.01 <= lr <= 0.5'
    >>> check(claim, examples=10, simulate=False).status
    'verified'
    """

    name: str
    statement: str
    games: Any
    games_text: str
    rule: Callable
    rule_text: str
    region: Mapping[str, Param]
    regime: str
    source: str
    equation: str = ""
    expected: str = "verified"
    quantifier: str = "all"

    def __post_init__(self):
        if not _NAME.match(self.name):
            raise ValueError(
                f"name={self.name!r} is not accepted; expected kebab-case (a-z, 0-9, '-')"
            )
        check_choice("regime", self.regime, analysis.REGIMES)
        check_choice("expected", self.expected, ("verified", "refuted"))
        check_choice("quantifier", self.quantifier, ("all", "some"))
        if not isinstance(self.games, st.SearchStrategy):
            raise ValueError(
                f"games={self.games!r} is not accepted; expected a Hypothesis strategy of games"
            )
        for key, param in self.region.items():
            if not isinstance(param, Param):
                raise ValueError(f"region[{key!r}]={param!r} is not accepted; expected a Param")

    @property
    def region_text(self) -> str:
        return ", ".join(p.describe() for p in self.region.values())

    def summary(self) -> str:
        quantifier = "for every" if self.quantifier == "all" else "for some"
        return (
            f"{self.rule_text} {self.regime} {quantifier} game in: {self.games_text}; "
            f"region: {self.region_text}"
        )


@dataclasses.dataclass
class Example:
    """One point of a search: the game, the coordinates, the rule they make, the spectral
    radius and the regime it predicts; ``report`` when it was simulated.

    :func:`check` makes them (:attr:`Verdict.example`); here is one by hand, GDA on ``x y``
    with ``rho = |1 + i lr| = sqrt(1 + 0.75^2) = 1.25``:

    >>> import gamedyn as gd
    >>> from gamedyn.testing import Example
    >>> example = Example(gd.games.Bilinear([[1.0]]), {"u": 0.75}, gd.optim.gda(0.75),
    ...                   rho=1.25, predicted="diverged")
    >>> print(example.describe())
    coordinates: u=0.75
    Bilinear game x^T A y, A =
        [[1.]]
    rule: gda(lr=0.75)
    rho = 1.25 -> predicted diverged
    """

    game: Any
    coordinates: dict
    rule: Any
    rho: float | None
    predicted: str | None
    report: RegimeReport | None = None

    def describe(self, claimed: str | None = None) -> str:
        coords = ", ".join(f"{k}={_short(v)}" for k, v in self.coordinates.items())
        lines = [f"coordinates: {coords}"]
        if self.report is not None:
            lines.append(self.report.describe(claimed))
        else:
            lines.append(describe_game(self.game))
            lines.append(f"rule: {describe_rule(self.rule)}")
            lines.append(f"rho = {self.rho!r} -> predicted {self.predicted}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        out = {
            "coordinates": {k: _jsonable(v) for k, v in self.coordinates.items()},
            "game": _object_dict(self.game),
            "game_text": describe_game(self.game),
            "rule": _object_dict(self.rule),
            "rule_text": describe_rule(self.rule),
            "rho": _jsonable(self.rho),
            "predicted": self.predicted,
        }
        if self.report is not None:
            r = self.report
            out["eigenvalues"] = (
                None
                if r.eigenvalues is None
                else [[float(v.real), float(v.imag)] for v in r.eigenvalues]
            )
            out["simulated"] = r.simulated
            out["simulation_message"] = None if r.simulation is None else str(r.simulation.message)
            out["simulation_decisive"] = r.decisive
            out["z0"] = None if r.z0 is None else np.asarray(r.z0).tolist()
            out["steps"] = r.steps
            out["trajectory_norms"] = [[t, _jsonable(d)] for t, d in r.trajectory_norms(11)]
        return out


def _short(value) -> str:
    return f"{value:.6g}" if isinstance(value, float) else repr(value)


def _jsonable(value):
    if isinstance(value, (bool, str, type(None))):
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        # JSON has no inf / nan: keep them as strings so the output stays valid JSON
        return float(value) if math.isfinite(value) else str(float(value))
    if isinstance(value, (tuple, list)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "shape"):
        return np.asarray(value).tolist()
    if dataclasses.is_dataclass(value):
        return _object_dict(value)
    return repr(value)


def _object_dict(obj) -> dict:
    if not dataclasses.is_dataclass(obj):
        return {"repr": repr(obj)}
    out = {"type": type(obj).__name__}
    for field in dataclasses.fields(obj):
        out[field.name] = _jsonable(getattr(obj, field.name))
    return out


@dataclasses.dataclass
class Verdict:
    """The outcome of :func:`check`.

    The folklore claim that optimistic GDA converges on bilinear games for ``lr s_max < 1``
    is false (the threshold is ``1/sqrt(3) ~ 0.577``), and the check finds a counterexample:

    >>> from gamedyn.testing import check, claims
    >>> verdict = check(claims.get("optimism-any-step-below-1"), examples=20, simulate=False)
    >>> verdict.status, verdict.matches, verdict.role    # refuted, as the claim expects
    ('refuted', True, 'counterexample')
    >>> verdict.example.coordinates, verdict.example.predicted
    ({'u': 0.75}, 'diverged')
    """

    claim: Claim
    status: str
    examples: int
    seconds: float
    example: Example | None
    note: str = ""

    @property
    def matches(self) -> bool:
        """Whether the verdict is the one the claim's ``expected`` says it should be."""
        return self.status == self.claim.expected

    @property
    def role(self) -> str:
        """What :attr:`example` is: ``counterexample``, ``witness``, ``tightest`` (closest to
        breaking a verified claim), ``closest`` (nearest to a missing witness) or ``none``."""
        if self.example is None:
            return "none"
        if self.claim.quantifier == "all":
            return (
                "counterexample"
                if self.status in ("refuted", "inconsistent") and self._bad_example
                else "tightest"
            )
        return (
            "witness"
            if self.status in ("verified", "inconsistent") and not self._bad_example
            else "closest"
        )

    @property
    def _bad_example(self) -> bool:
        return self.example is not None and self.example.predicted != self.claim.regime

    def describe(self) -> str:
        """Several lines for a terminal."""
        c = self.claim
        mark = "ok" if self.matches else "MISMATCH"
        head = (
            f"[{mark}] {c.name}: {self.status.upper()} (expected {c.expected}) "
            f"- {self.examples} examples, {self.seconds:.1f} s"
        )
        lines = [
            head,
            f"    claim:   {c.statement}",
            f"    family:  {c.rule_text} on {c.games_text}; {c.region_text}",
            f"    claimed: {c.regime} ({'every' if c.quantifier == 'all' else 'some'} game and point)",
            f"    source:  {c.source}",
        ]
        if c.equation:
            lines.append(f"    theory:  {c.equation}")
        if self.note:
            lines.append(f"    note:    {self.note}")
        if self.example is not None:
            title = {
                "counterexample": "counterexample (minimal after shrinking)",
                "witness": "witness (minimal after shrinking)",
                "tightest": "closest call a simulation can confirm (tightest example searched)",
                "closest": "closest to a witness",
            }[self.role]
            lines.append(f"    {title}:")
            lines += ["      " + line for line in self.example.describe(c.regime).splitlines()]
        return "\n".join(lines)

    def to_dict(self) -> dict:
        c = self.claim
        return {
            "name": c.name,
            "statement": c.statement,
            "games": c.games_text,
            "rule": c.rule_text,
            "region": c.region_text,
            "claimed_regime": c.regime,
            "quantifier": c.quantifier,
            "source": c.source,
            "equation": c.equation,
            "expected": c.expected,
            "verdict": self.status,
            "matches": self.matches,
            "examples": self.examples,
            "seconds": round(self.seconds, 3),
            "note": self.note,
            "example_role": self.role,
            "example": None if self.example is None else self.example.to_dict(),
        }


def _margin(claimed: str, rho: float | None) -> float:
    """How deep inside the claimed regime a spectral radius is (negative: outside)."""
    if rho is None or not math.isfinite(rho) or rho <= 0:
        return -math.inf if claimed != "diverged" else math.inf
    rate = math.log(rho)
    if claimed == "converged":
        return -rate
    if claimed == "diverged":
        return rate
    return SPECTRAL_TOL - abs(rate)


def _simulation_can_decide(rho) -> bool:
    if rho is None or not math.isfinite(rho) or rho <= 0:
        return True
    rate = abs(math.log(rho))
    return rate < SPECTRAL_TOL or rate * STEP_MENU[-1] >= 8


def check(
    claim: Claim, *, examples: int = 100, seed: int | None = 0, simulate: bool = True
) -> Verdict:
    """Check ``claim`` by a Hypothesis search of ``examples`` games and points.

    ``seed`` fixes the search (reproducible verdicts; ``None``: fresh randomness). Each point
    is judged by the spectral radius of the update map (:data:`SPECTRAL_TOL` on ``log rho``
    for ``rho = 1``). With ``simulate`` the reported example is also simulated
    (:func:`~gamedyn.testing.regime_report`), and a decisive disagreement with the spectrum
    makes the verdict ``inconsistent``.

    >>> from gamedyn.testing import claims
    >>> verdict = check(claims.get("extragradient-bilinear"), examples=20)
    >>> verdict.status, verdict.matches
    ('verified', True)
    """
    if not isinstance(claim, Claim):
        raise ValueError(f"claim={claim!r} is not accepted; expected a gamedyn.testing.Claim")
    check_int("examples", examples, minimum=1)
    start = time.perf_counter()
    region = dict(claim.region)
    strategy = st.tuples(
        claim.games, st.fixed_dictionaries({k: p.domain.strategy() for k, p in region.items()})
    )
    seen = _Seen(claim)
    if claim.quantifier == "all":

        def condition(pair):  # a counterexample
            return seen.observe(pair).predicted != claim.regime
    else:

        def condition(pair):  # a witness
            return seen.observe(pair).predicted == claim.regime

    budget = settings(
        max_examples=examples,
        database=None,
        deadline=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
        phases=(Phase.generate, Phase.shrink),
        verbosity=Verbosity.quiet,
    )
    try:
        found = find(
            strategy,
            condition,
            settings=budget,
            random=None if seed is None else random.Random(seed),
        )
    except NoSuchExample:
        found = None
    except Exception as err:  # a rule or game that fails to build is a result, not a crash
        return Verdict(
            claim,
            "error",
            seen.count,
            time.perf_counter() - start,
            None,
            note=f"{type(err).__name__}: {err}",
        )
    example, status, note = _outcome(claim, seen, found, simulate)
    return Verdict(claim, status, seen.count, time.perf_counter() - start, example, note)


class _Seen:
    """The examples a claim's search has judged: how many, the closest calls on each side
    of its regime, and the closest one a simulation can still decide."""

    def __init__(self, claim: Claim):
        self.claim, self.count = claim, 0
        self.best, self.best_margin = None, math.inf
        self.decisive, self.decisive_margin = None, math.inf
        self.closest, self.closest_margin = None, -math.inf

    def observe(self, pair) -> Example:
        game, coords = pair
        rule = self.claim.rule(game, **coords)
        rho = fast_rho(game, rule)
        if rho is None:
            raise ValueError(
                f"{describe_rule(rule)} has no linearisation; claims need a spectral test"
            )
        example = Example(game, dict(coords), rule, rho, predicted_regime(rho))
        self.count += 1
        margin = _margin(self.claim.regime, rho)
        inside = example.predicted == self.claim.regime
        if inside and margin < self.best_margin:
            self.best, self.best_margin = example, margin
        if inside and margin < self.decisive_margin and _simulation_can_decide(rho):
            self.decisive, self.decisive_margin = example, margin
        if not inside and margin > self.closest_margin:
            self.closest, self.closest_margin = example, margin
        return example


def _outcome(claim: Claim, seen: _Seen, found, simulate: bool):
    """``(example, status, note)`` of a finished search (``found``: the minimal
    counterexample or witness, or None)."""
    if found is not None:
        example = seen.observe(found)  # the minimal one, re-evaluated
        status = "refuted" if claim.quantifier == "all" else "verified"
    else:
        # the closest call a simulation can still confirm (else the closest call)
        example = (seen.decisive or seen.best) if claim.quantifier == "all" else seen.closest
        status = "verified" if claim.quantifier == "all" else "refuted"
    note = ""
    if found is None and claim.quantifier == "some":
        note = f"no witness among {seen.count} examples"
    if example is not None and simulate:
        example.report = regime_report(example.game, example.rule, rho=example.rho)
        r = example.report
        if r.decisive and r.simulated != r.predicted:
            note = f"the simulation says {r.simulated} where the spectrum says {r.predicted}" + (
                f"; {note}" if note else ""
            )
            status = "inconsistent"
    return example, status, note
