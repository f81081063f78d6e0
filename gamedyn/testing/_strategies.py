"""Hypothesis strategies for games and update rules.

Every strategy shrinks towards a small, readable example: dimension 1 (or the smallest
allowed), identity rotations (so matrices shrink to diagonal ones), round numbers (Hypothesis
shrinks floats to short dyadic values such as ``1.0``, ``0.5``, ``0.75``), scalar step sizes
rather than pairs, ``alternating=False``, ``k=1``, no regulariser.

Bilinear and quadratic games are built from their spectral data: ``A = U diag(s) V^T`` with
``U, V`` products of Givens rotations, and ``B = R diag(b) R^T``. That is what lets a
strategy promise a condition number, a rank deficiency or a curvature sign, and what makes
a shrunk matrix diagonal.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

from .. import games as _games
from .. import optim as _optim
from .._checks import check_choice, check_int

__all__ = [
    "floats_in",
    "step_sizes",
    "rotations",
    "bilinear_games",
    "QUADRATIC_KINDS",
    "quadratic_games",
    "dirac_gans",
    "linear_games",
    "RULE_RANGES",
    "gda_rules",
    "extragradient_rules",
    "optimistic_rules",
    "momentum_rules",
    "consensus_rules",
    "sga_rules",
    "proximal_rules",
    "cgd_rules",
    "unrolled_rules",
    "rules",
    "rule_strategy",
    "LINEAR_RULES",
]

_FINITE = dict(allow_nan=False, allow_infinity=False)


def _range(name, value):
    if not (isinstance(value, (tuple, list)) and len(value) == 2):
        raise ValueError(f"{name}={value!r} is not accepted; expected a pair (low, high)")
    low, high = float(value[0]), float(value[1])
    if not (math.isfinite(low) and math.isfinite(high) and low <= high):
        raise ValueError(f"{name}={value!r} is not accepted; expected finite low <= high")
    return low, high


def floats_in(low: float, high: float, *, open_low: bool = False, open_high: bool = False):
    """Finite floats in ``[low, high]`` (ends excluded on request), shrinking to short round
    values.

    >>> from hypothesis import find
    >>> find(floats_in(0.1, 0.9), lambda v: v > 0.6)
    0.75
    """
    low, high = _range("(low, high)", (low, high))
    return st.floats(low, high, exclude_min=open_low, exclude_max=open_high, **_FINITE)


def step_sizes(low: float = 0.01, high: float = 0.5, *, ttur: bool | str = False):
    """Step sizes ``lr`` in ``[low, high]``: a scalar, or with ``ttur=True`` sometimes a pair
    ``(lr_x, lr_y)`` (``ttur="always"``: always a pair). Shrinks to a scalar.

    >>> from hypothesis import find
    >>> find(step_sizes(ttur="always"), lambda lr: True)
    (0.5, 0.5)
    """
    one = floats_in(low, high, open_low=low == 0.0)
    pair = st.tuples(one, one)
    check_choice("ttur", ttur, (False, True, "always"))
    if ttur == "always":
        return pair
    if ttur:
        return st.one_of(one, pair)
    return one


@st.composite
def rotations(draw, n: int):
    """``n x n`` rotation matrices as products of Givens rotations; every angle shrinks to
    0, so the matrix shrinks to the identity.

    >>> from hypothesis import find
    >>> find(rotations(2), lambda R: True)
    array([[1., 0.],
           [0., 1.]])
    """
    R = np.eye(n)
    for i in range(n):
        for j in range(i + 1, n):
            theta = draw(st.floats(-math.pi, math.pi, **_FINITE))
            G = np.eye(n)
            c, s = math.cos(theta), math.sin(theta)
            G[i, i], G[j, j], G[i, j], G[j, i] = c, c, -s, s
            R = R @ G
    return R


def _spread(draw, n: int, top: float, condition: float):
    """``n`` values from ``top`` down to ``top / condition`` (both ends attained when
    ``n >= 2``), interior ones drawn log-uniformly; shrinks to all equal."""
    if n == 1:
        return [top]
    kappa = draw(st.floats(1.0, condition, **_FINITE)) if condition > 1 else 1.0
    inner = [draw(st.floats(0.0, 1.0, **_FINITE)) for _ in range(n - 2)]
    fractions = [0.0, *inner, 1.0]
    return sorted((top * kappa ** (-f) for f in fractions), reverse=True)


def bilinear_games(
    min_dim: int = 1,
    max_dim: int = 3,
    *,
    square: bool = False,
    s_max=(0.5, 2.0),
    max_condition: float = 10.0,
    rank_deficient: bool = False,
):
    """Bilinear games ``x^T A y`` with ``A = U diag(s) V^T``.

    ``n_x, n_y`` in ``[min_dim, max_dim]`` (equal with ``square=True``); the largest
    singular value in ``s_max``; the nonzero singular values within a factor
    ``max_condition`` of it; with ``rank_deficient=True`` some of them may be exactly 0
    (never all). Shrinks to ``A = [[1.0]]``.

    >>> from hypothesis import find
    >>> find(bilinear_games(), lambda g: True)
    Bilinear(A=Array([[1.]], dtype=float64))
    >>> find(bilinear_games(min_dim=2, square=True), lambda g: True).A.tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """
    check_int("min_dim", min_dim, minimum=1)
    check_int("max_dim", max_dim, minimum=min_dim)
    low, high = _range("s_max", s_max)
    if low <= 0:
        raise ValueError(f"s_max={s_max!r} is not accepted; expected 0 < low <= high")
    _check_condition(max_condition)
    return _bilinear_games(
        int(min_dim),
        int(max_dim),
        bool(square),
        (low, high),
        float(max_condition),
        bool(rank_deficient),
    )


def _check_condition(value):
    if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 1):
        raise ValueError(f"max_condition={value!r} is not accepted; expected a finite number >= 1")


@st.composite
def _bilinear_games(draw, min_dim, max_dim, square, s_max, max_condition, rank_deficient):
    low, high = s_max
    n_x = draw(st.integers(min_dim, max_dim))
    n_y = n_x if square else draw(st.integers(min_dim, max_dim))
    k = min(n_x, n_y)
    one = st.just(1.0) if low <= 1.0 <= high else st.nothing()
    top = draw(st.one_of(one, floats_in(low, high)))
    values = _spread(draw, k, top, max_condition)
    if rank_deficient and k > 1:
        zeros = draw(st.integers(0, k - 1))
        values = values[: k - zeros] + [0.0] * zeros
    S = np.zeros((n_x, n_y))
    S[np.arange(k), np.arange(k)] = values
    A = draw(rotations(n_x)) @ S @ draw(rotations(n_y)).T
    return _games.Bilinear(_clean(A))


def _clean(M):
    # Round-off from rotating a diagonal matrix by the identity is exactly zero already;
    # tiny values elsewhere are kept (they are the matrix).
    M = np.array(M, dtype=float)
    M[np.abs(M) < 1e-15] = 0.0
    return M


QUADRATIC_KINDS = ("strongly_monotone", "monotone", "hamiltonian", "non_monotone", "local_minimax")


@st.composite
def _symmetric(draw, n, eigenvalues):
    R = draw(rotations(n))
    return _clean(R @ np.diag(eigenvalues) @ R.T)


def quadratic_games(
    kind: str = "strongly_monotone",
    min_dim: int = 1,
    max_dim: int = 2,
    *,
    coupling=(0.0, 2.0),
    curvature=(0.1, 2.0),
):
    """Zero-sum quadratic games ``1/2 x^T B x + x^T A y - 1/2 y^T C y`` of a given kind.

    The symmetric part of ``-J`` is ``diag(B, C)``, so the kind is a statement about the
    eigenvalues of ``B`` and ``C``:

    * ``"strongly_monotone"``: all in ``curvature`` (``> 0``);
    * ``"monotone"``: all in ``{0} u curvature``, at least one 0 (merely monotone);
    * ``"hamiltonian"``: ``B = C = 0`` (purely rotational, Balduzzi et al. 2018), with a
      square invertible ``A``;
    * ``"non_monotone"``: at least one negative eigenvalue (in ``-curvature``);
    * ``"local_minimax"``: ``C`` positive definite and the Schur complement
      ``B + A C^{-1} A^T`` positive definite while ``B`` is not (a strict local minimax
      point that is not a local Nash equilibrium; Jin, Netrapalli & Jordan 2020).

    ``A``'s singular values lie in ``coupling``. Shrinks to 1x1 games with round entries.

    >>> from hypothesis import find
    >>> game = find(quadratic_games("strongly_monotone"), lambda g: True)
    >>> game.A, game.B, game.C
    (Array([[0.]], dtype=float64), Array([[1.]], dtype=float64), Array([[1.]], dtype=float64))
    """
    check_choice("kind", kind, QUADRATIC_KINDS)
    check_int("min_dim", min_dim, minimum=1)
    check_int("max_dim", max_dim, minimum=min_dim)
    lo, hi = _range("curvature", curvature)
    if lo <= 0:
        raise ValueError(f"curvature={curvature!r} is not accepted; expected 0 < low <= high")
    c_lo, c_hi = _range("coupling", coupling)
    if c_lo < 0:
        raise ValueError(f"coupling={coupling!r} is not accepted; expected 0 <= low <= high")
    if kind == "local_minimax":
        return _local_minimax(int(min_dim), int(max_dim), (lo, hi))
    return _quadratic_games(kind, int(min_dim), int(max_dim), (c_lo, c_hi), (lo, hi))


@st.composite
def _quadratic_games(draw, kind, min_dim, max_dim, coupling, curvature):
    lo, hi = curvature
    c_lo, c_hi = coupling
    n_x = draw(st.integers(min_dim, max_dim))
    n_y = n_x if kind == "hamiltonian" else draw(st.integers(min_dim, max_dim))
    k = min(n_x, n_y)
    if kind == "hamiltonian":
        top = draw(floats_in(max(c_lo, 0.1), max(c_hi, 0.1)))
        values = _spread(draw, k, top, 10.0)
    else:
        values = [draw(floats_in(c_lo, c_hi)) for _ in range(k)]
    S = np.zeros((n_x, n_y))
    S[np.arange(k), np.arange(k)] = sorted(values, reverse=True)
    A = _clean(draw(rotations(n_x)) @ S @ draw(rotations(n_y)).T)
    positive = floats_in(lo, hi)
    if kind == "hamiltonian":
        return _games.Quadratic(A)
    if kind == "strongly_monotone":
        eb = [draw(positive) for _ in range(n_x)]
        ec = [draw(positive) for _ in range(n_y)]
    elif kind == "monotone":
        maybe_zero = st.one_of(st.just(0.0), positive)
        eb = [draw(maybe_zero) for _ in range(n_x)]
        ec = [draw(maybe_zero) for _ in range(n_y)]
        if min(eb + ec) > 0:
            which = draw(st.integers(0, n_x + n_y - 1))
            (eb if which < n_x else ec)[which % n_x if which < n_x else which - n_x] = 0.0
    else:  # non_monotone
        any_sign = st.one_of(positive, positive.map(lambda v: -v))
        eb = [draw(any_sign) for _ in range(n_x)]
        ec = [draw(any_sign) for _ in range(n_y)]
        if min(eb + ec) >= 0:
            which = draw(st.integers(0, n_x + n_y - 1))
            target = eb if which < n_x else ec
            index = which if which < n_x else which - n_x
            target[index] = -abs(target[index])
    B = draw(_symmetric(n_x, eb))
    C = draw(_symmetric(n_y, ec))
    return _games.Quadratic(A, B=B, C=C)


@st.composite
def _local_minimax(draw, min_dim, max_dim, curvature):
    """Scalar-block construction: per coordinate ``c > 0``, ``b < 0`` and ``a^2 > -b c``
    (Schur complement ``b + a^2 / c > 0``), rotated per player."""
    lo, hi = curvature
    n = draw(st.integers(min_dim, max_dim))
    bs, cs, As = [], [], []
    for _ in range(n):
        c = draw(floats_in(lo, hi))
        b = -draw(floats_in(lo, hi))
        margin = draw(floats_in(0.1, 2.0))
        a = math.sqrt(-b * c + margin * c)  # b + a^2 / c = margin > 0
        bs.append(b)
        cs.append(c)
        As.append(a)
    U, V = draw(rotations(n)), draw(rotations(n))
    A = _clean(U @ np.diag(As) @ V.T)
    B = _clean(U @ np.diag(bs) @ U.T)
    C = _clean(V @ np.diag(cs) @ V.T)
    return _games.Quadratic(A, B=B, C=C)


# nonsaturating first: it is what Hypothesis shrinks to
_DIRAC_LOSSES = ("nonsaturating", *(loss for loss in _games.DiracGAN.LOSSES if loss != "nonsaturating"))


def dirac_gans(
    losses=_DIRAC_LOSSES, regs=(None, "r1", "r2", "instance_noise"), gamma=(0.1, 2.0), clip=None
):
    """Dirac GANs (Mescheder et al. 2018) with a loss from ``losses``, a regulariser from
    ``regs`` (weight / noise std in ``gamma`` when there is one) and, with ``clip=(lo, hi)``,
    WGAN weight clipping. Shrinks to the unregularised non-saturating GAN (or the first of
    ``losses`` / ``regs``).

    >>> from hypothesis import find
    >>> find(dirac_gans(regs=("r1",)), lambda g: True)
    DiracGAN(loss='nonsaturating', reg='r1', gamma=1.0, clip=None, gp_target=1.0, noise_nodes=20)
    """
    losses, regs = tuple(losses), tuple(regs)
    if not losses or not regs:
        raise ValueError(f"losses={losses!r}, regs={regs!r}: expected at least one of each")
    for loss in losses:
        check_choice("losses", loss, _games.DiracGAN.LOSSES)
    for reg in regs:
        check_choice("regs", reg, _games.DiracGAN.REGULARIZERS)
    lo, hi = _range("gamma", gamma)
    if lo < 0:
        raise ValueError(f"gamma={gamma!r} is not accepted; expected 0 <= low <= high")
    if clip is not None:
        c_lo, c_hi = _range("clip", clip)
        if c_lo <= 0:
            raise ValueError(f"clip={clip!r} is not accepted; expected 0 < low <= high")
        clip = (c_lo, c_hi)
    return _dirac_gans(losses, regs, (lo, hi), clip)


@st.composite
def _dirac_gans(draw, losses, regs, gamma, clip):
    loss = draw(st.sampled_from(losses))
    reg = draw(st.sampled_from(regs))
    lo, hi = gamma
    one = st.just(1.0) if lo <= 1.0 <= hi else st.nothing()
    weight = 0.0 if reg is None else draw(st.one_of(one, floats_in(lo, hi)))
    bound = None if clip is None else draw(floats_in(*clip))
    return _games.DiracGAN(loss=loss, reg=reg, gamma=weight, clip=bound)


def linear_games(max_dim: int = 3):
    """Bilinear games and quadratic games of every kind.

    >>> import gamedyn as gd
    >>> from hypothesis import find, given, settings
    >>> @settings(max_examples=20, derandomize=True, database=None)
    ... @given(linear_games(max_dim=2))
    ... def test_field_is_affine(game):
    ...     assert isinstance(game, (gd.games.Bilinear, gd.games.Quadratic)) and game.affine_field
    >>> test_field_is_affine()
    >>> find(linear_games(), lambda g: isinstance(g, gd.games.Bilinear))   # as bilinear_games
    Bilinear(A=Array([[1.]], dtype=float64))
    """
    return st.one_of(
        bilinear_games(max_dim=max_dim),
        *[quadratic_games(kind, max_dim=max_dim) for kind in QUADRATIC_KINDS],
    )


# -- rules ---------------------------------------------------------------------------------
# Every rule strategy is derived from the rule's declared hyperparameters
# (``gd.optim.hyperparameters``): a field with ``draw=(low, high)`` (or, for a choice, the
# values to draw) is drawn from it, a required field from its kind's usual range, every other
# field keeps its default; a field whose ``needs`` switch is off keeps its default.

_KIND_RANGES = {"step": (0.01, 0.5), "real": (-1.0, 1.0), "nonnegative": (0.0, 1.0), "positive": (0.01, 1.0)}


def _declared_range(info):
    if info.draw is not None:
        return info.draw
    if info.kind == "int":
        return (max(info.minimum, 1), max(info.minimum, 1) + 3)
    return _KIND_RANGES[info.kind]


def rule_strategy(name, *, lr=None, ttur=True, **fields):
    """A strategy of rule ``name`` (any name of ``gd.optim.RULES``, a registered one
    included), derived from its declared hyperparameters.

    ``lr``: the step-size range (default ``(0.01, 0.5)``, ``(0.01, 10.0)`` for rules stable at
    every step size) or a strategy; ``ttur`` also draws pairs. Each of ``fields`` overrides one
    hyperparameter: a ``(low, high)`` range or a strategy for a number, a value (or ``None``:
    as declared) for a choice.

    >>> from hypothesis import find
    >>> find(rule_strategy("momentum", alternating=False), lambda r: True).beta
    0.0
    """
    hypers = _optim.hyperparameters(name)
    cls = _optim.RULES[name]
    unknown = sorted(set(fields) - set(hypers))
    if unknown:
        raise ValueError(f"{', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not accepted by "
                         f"rule={name!r}; it takes {', '.join(h for h in hypers if h not in ('lr', 'base'))}")
    defaults = _optim.field_defaults(cls)
    if lr is None:
        lr = (0.01, 10.0) if getattr(cls, "any_step_size", False) else (0.01, 0.5)
    choices, numbers = {}, {}
    for field, info in hypers.items():
        if field in ("lr", "base"):
            continue
        given = fields.get(field)
        if info.kind == "choice":
            if given is not None:
                check_choice(field, given, info.choices)
                choices[field] = st.just(given)
            elif info.draw is not None:
                choices[field] = st.sampled_from(info.draw)
            continue
        if isinstance(given, st.SearchStrategy):
            numbers[field] = given
        elif given is not None or info.draw is not None or field not in defaults:
            numbers[field] = _number_strategy(field, info, _declared_range(info) if given is None else given)
    return _rule_from(cls, _lr(lr, ttur), choices, numbers, defaults, hypers)


def _number_strategy(field, info, value):
    if info.kind == "int":
        return _ints(field, value, info.minimum)
    low, high = _range(field, value)
    if info.kind in ("step", "nonnegative", "positive") and low < 0:
        raise ValueError(f"{field}={value!r} is not accepted; expected 0 <= low <= high")
    return floats_in(low, high)


@st.composite
def _rule_from(draw, cls, lr, choices, numbers, defaults, hypers):
    values = {"lr": draw(lr)}
    for field, strategy in choices.items():
        values[field] = draw(strategy)
    for field, strategy in numbers.items():
        needs = hypers[field].needs
        if needs is not None and not values.get(needs, defaults.get(needs)):
            continue
        values[field] = draw(strategy)
    for field, info in hypers.items():  # a field whose switch is off keeps its default
        if info.needs is not None and field in values and not values.get(info.needs, defaults.get(info.needs)):
            del values[field]
    return cls(**values)


def _lr(lr, ttur):
    """A step-size strategy from a range (validated now) or a strategy given as is."""
    if isinstance(lr, st.SearchStrategy):
        return lr
    low, high = _range("lr", lr)
    if low < 0:
        raise ValueError(
            f"lr={lr!r} is not accepted; expected 0 <= low <= high (step sizes are >= 0)"
        )
    return step_sizes(low, high, ttur=ttur)


def _ints(name, value, minimum):
    low, high = _range(name, value)
    if low != int(low) or high != int(high) or low < minimum:
        raise ValueError(
            f"{name}={value!r} is not accepted; expected whole numbers {minimum} <= low <= high"
        )
    return st.integers(int(low), int(high))


def gda_rules(lr=(0.01, 0.5), *, alternating=None, ttur=True, k=(1, 3)):
    """Gradient descent-ascent: simultaneous or alternating (``alternating=None``: both),
    ``first`` either player, ``k`` steps of the first player when alternating.

    >>> from hypothesis import find
    >>> find(gda_rules(alternating=True), lambda r: True)
    GDA(lr=0.5, alternating=True, first='y', k=1, base=None)
    """
    return rule_strategy("gda", lr=lr, ttur=ttur, alternating=alternating, k=k)


def extragradient_rules(lr=(0.01, 0.5), *, ttur=True, lr_extra=None):
    """Extragradient; ``lr_extra=(lo, hi)`` also draws a separate extrapolation step.

    >>> from hypothesis import find
    >>> find(extragradient_rules(), lambda r: True)
    Extragradient(lr=0.5, lr_extra=None, base=None)
    >>> find(extragradient_rules(lr_extra=(0.1, 0.2)), lambda r: True).lr_extra   # 1/8
    0.125
    """
    return rule_strategy("extragradient", lr=lr, ttur=ttur,
                         lr_extra=None if lr_extra is None else _lr(lr_extra, False))


def optimistic_rules(lr=(0.01, 0.5), *, ttur=True):
    """Optimistic GDA.

    >>> from hypothesis import find
    >>> find(optimistic_rules(), lambda r: isinstance(r.lr, tuple))   # ttur: a pair (lr_x, lr_y)
    Optimistic(lr=(0.5, 0.5), base=None)
    """
    return rule_strategy("optimistic", lr=lr, ttur=ttur)


def momentum_rules(lr=(0.01, 0.5), beta=(-0.9, 0.9), *, alternating=None, ttur=True):
    """Heavy-ball momentum (negative ``beta`` included), simultaneous or alternating.
    Shrinks to ``beta = 0`` when 0 is in range.

    >>> from hypothesis import find
    >>> find(momentum_rules(alternating=False), lambda r: True).beta
    0.0
    """
    return rule_strategy("momentum", lr=lr, ttur=ttur, beta=beta, alternating=alternating)


def consensus_rules(lr=(0.01, 0.5), gamma=(0.0, 2.0), *, ttur=True):
    """Consensus optimization (``gamma >= 0``). Shrinks to ``gamma = 0`` (plain GDA) when 0
    is in range.

    >>> from hypothesis import find
    >>> find(consensus_rules(), lambda r: True)
    Consensus(lr=0.5, gamma=0.0, base=None)
    >>> find(consensus_rules(), lambda r: r.gamma > 0).gamma
    1.0
    """
    return rule_strategy("consensus", lr=lr, ttur=ttur, gamma=gamma)


def sga_rules(lr=(0.01, 0.5), lam=(-1.0, 1.0), *, ttur=True):
    """Symplectic gradient adjustment (fixed sign of ``lam``).

    >>> from hypothesis import find
    >>> find(sga_rules(), lambda r: True).lam
    0.0
    >>> find(sga_rules(), lambda r: r.lam < 0).lam
    -1.0
    """
    return rule_strategy("sga", lr=lr, ttur=ttur, lam=lam)


def proximal_rules(lr=(0.01, 10.0), *, ttur=True):
    """Proximal point (any step size is valid).

    >>> from hypothesis import find
    >>> find(proximal_rules(), lambda r: r.lr > 5)   # far beyond explicit methods' steps
    Proximal(lr=6.0, tol=None, max_iter=50)
    """
    return rule_strategy("proximal", lr=lr, ttur=ttur)


def cgd_rules(lr=(0.01, 10.0), *, ttur=True):
    """Competitive gradient descent (any step size is valid).

    >>> from hypothesis import find
    >>> find(cgd_rules(), lambda r: r.lr > 5)
    CGD(lr=6.0)
    """
    return rule_strategy("cgd", lr=lr, ttur=ttur)


def unrolled_rules(lr=(0.01, 0.5), k=(1, 5), *, ttur=True):
    """Unrolled GAN with ``k`` look-ahead steps.

    >>> from hypothesis import find
    >>> find(unrolled_rules(), lambda r: True).k
    1
    >>> find(unrolled_rules(), lambda r: r.k > 2).k
    3
    """
    return rule_strategy("unrolled", lr=lr, ttur=ttur, k=k)


#: Strategies of every built-in rule (each update map is linear on a linear game), by name.
LINEAR_RULES = {
    "gda": gda_rules,
    "extragradient": extragradient_rules,
    "optimistic": optimistic_rules,
    "momentum": momentum_rules,
    "consensus": consensus_rules,
    "sga": sga_rules,
    "proximal": proximal_rules,
    "unrolled": unrolled_rules,
    "cgd": cgd_rules,
}


def _rule_ranges() -> dict:
    """What each rule accepts and what the strategies draw, from the declarations."""
    table = {}
    for name in LINEAR_RULES:
        for field, info in _optim.hyperparameters(name).items():
            if not info.numeric or (field != "lr" and info.draw is None and info.cli_default is None):
                continue
            accepts = _optim.KINDS[info.kind] + (f" >= {info.minimum}" if info.kind == "int" else "")
            accepts += " (scalar or a pair)" if info.pair else ""
            if field == "lr":
                drawn = (0.01, 10.0) if getattr(_optim.RULES[name], "any_step_size", False) else (0.01, 0.5)
            else:
                drawn = _declared_range(info)
            table[f"{field} ({name})"] = (accepts, drawn)
    return table


#: The valid range of every hyperparameter (what the rules accept) and the default range the
#: strategies draw from (valid *and* useful: momentum beyond |beta| = 1 always diverges).
RULE_RANGES = _rule_ranges()


def rules(names=None, lr=(0.01, 0.5), *, ttur=True):
    """Any rule in ``names`` (default: all of :data:`LINEAR_RULES`; any registered name is
    accepted) with its valid hyperparameters; step sizes in ``lr`` (rules stable at every
    step size, proximal and cgd: up to ``20 * high``).

    >>> from hypothesis import find
    >>> find(rules(names=["gda"]), lambda r: True)
    GDA(lr=0.5, alternating=False, first='y', k=1, base=None)
    """
    names = tuple(LINEAR_RULES) if names is None else tuple(names)
    for name in names:
        check_choice("names", name, tuple(_optim.RULES))
    low, high = _range("lr", lr)
    chosen = []
    for name in names:
        top = 20 * high if getattr(_optim.RULES[name], "any_step_size", False) else high
        chosen.append(rule_strategy(name, lr=(low, top), ttur=ttur))
    return st.one_of(*chosen)
