"""Exact stability regions of linear iterations: characteristic polynomials, the Jury and
Schur–Cohn criteria, and their simplification.

An iteration ``w_{t+1} = M w_t`` converges to 0 from every start iff every eigenvalue of
``M`` lies in the open unit disk, i.e. iff the characteristic polynomial
``p(l) = det(l I - M)`` is *Schur stable*. For real coefficients the Jury (1964) table
decides this with ``n + 1`` polynomial inequalities in the coefficients; the Schur–Cohn
recursion (Schur 1917, Cohn 1922) with ``n``. Both are exact: the region they describe is a
boolean combination of polynomial inequalities in the hyperparameters.

Bounded cycling (``rho = 1``, no growth) happens on sets of positive measure only through
*self-inversive* factors of ``p`` (``l^n p(1/l) = +-p(l)``: conservative, symplectic-like
maps). By Cohn's theorem a self-inversive polynomial has all its roots on the unit circle
iff its derivative has all its roots in the closed unit disk, and they are then simple iff
the derivative is Schur stable (Gauss–Lucas). :func:`regions` uses this to give the
``cycling`` region exactly.
"""

from __future__ import annotations

from math import gcd

import sympy as sp

from ._games import SymbolicGame
from ._rules import update_matrix

__all__ = [
    "LAMBDA",
    "characteristic_polynomial",
    "jury_conditions",
    "schur_cohn_conditions",
    "simplify_conditions",
    "convergence_region",
    "cycling_region",
    "regions",
    "spectral_radius",
    "in_terms_of",
    "predicate",
]

#: The eigenvalue variable of characteristic polynomials.
LAMBDA = sp.Symbol("lambda")


def _poly(obj, rule=None) -> sp.Poly:
    if rule is not None:
        return characteristic_polynomial(obj, rule)
    if isinstance(obj, sp.Poly):
        return obj
    if isinstance(obj, sp.MatrixBase):
        return obj.charpoly(LAMBDA)
    if isinstance(obj, sp.Expr):
        return sp.Poly(obj, LAMBDA)
    raise ValueError(
        f"{obj!r} is not accepted; expected a symbolic game and a rule, a sympy Matrix, or a "
        "polynomial in gd.symbolic.LAMBDA"
    )


def characteristic_polynomial(game: SymbolicGame, rule) -> sp.Poly:
    """``det(lambda I - M)`` for the update matrix ``M`` of ``rule`` on ``game``.

    >>> from gamedyn.symbolic import bilinear, rule
    >>> characteristic_polynomial(bilinear(), rule("gda", alternating=True)).as_expr()
    lambda**2 + lambda*(lr**2*s**2 - 2) + 1
    """
    matrix = update_matrix(game, rule)
    return sp.Poly(sp.expand(matrix.charpoly(LAMBDA).as_expr()), LAMBDA)


def _coefficients(poly: sp.Poly) -> list:
    """Coefficients ``[a_0, ..., a_n]`` (constant first)."""
    return [sp.expand(c) for c in reversed(poly.all_coeffs())]


def jury_conditions(poly) -> list:
    """The Jury (1964) conditions for a real polynomial to be Schur stable, as a list of
    inequalities ``e > 0``.

    For ``p(l) = a_n l^n + ... + a_0``: ``a_n p(1) > 0``, ``a_n (-1)^n p(-1) > 0``,
    ``a_n^2 - a_0^2 > 0``, then ``|b_0| > |b_{n-1}|``, ``|c_0| > |c_{n-2}|``, ... (as
    ``b_0^2 - b_{n-1}^2 > 0``) with ``b_k = a_0 a_k - a_n a_{n-k}`` and each further row
    formed from the previous one the same way: ``n + 1`` conditions in all.

    >>> import sympy as sp
    >>> a = sp.Symbol("a", positive=True)
    >>> jury_conditions(LAMBDA**2 - (2 - a) * LAMBDA + 1)   # alternating GDA, a = lr^2 s^2
    [True, 4 - a > 0, False]
    """
    p = _poly(poly)
    n = p.degree()
    if n < 1:
        raise ValueError(f"poly={p.as_expr()} is not accepted; expected degree >= 1 in lambda")
    a = _coefficients(p)
    lead = a[n]
    conditions = [
        sp.factor(lead * p.eval(1)) > 0,
        sp.factor(lead * (-1) ** n * p.eval(-1)) > 0,
        sp.factor(lead**2 - a[0] ** 2) > 0,
    ]
    row, m = a, n
    while m > 2:
        row = [sp.expand(row[0] * row[k] - row[m] * row[m - k]) for k in range(m)]
        m -= 1
        conditions.append(sp.factor(row[0] ** 2 - row[m] ** 2) > 0)
    return [_as_inequality(c) for c in conditions]


def _as_inequality(rel):
    """``e > 0`` as sympy builds it: a relational, or ``True``/``False`` when ``e`` is a
    number."""
    return rel


def schur_cohn_conditions(poly) -> list:
    """The Schur–Cohn conditions for Schur stability (complex coefficients allowed):
    ``|c_0| < |c_n|`` and, recursively, the same for the Schur transform
    ``T p(l) = (conj(c_n) p(l) - c_0 p*(l)) / l`` with ``p*(l) = l^n conj(p(1/conj(l)))``.

    Returned as ``n`` inequalities ``|c_n|^2 - |c_0|^2 > 0`` (one per degree).

    >>> schur_cohn_conditions(LAMBDA**2 - LAMBDA / 2)
    [True, True]
    """
    p = _poly(poly)
    conditions = []
    while p.degree() >= 1:
        n = p.degree()
        c = _coefficients(p)
        c0, cn = c[0], c[n]
        conditions.append(
            _as_inequality(sp.factor(sp.expand(cn * sp.conjugate(cn) - c0 * sp.conjugate(c0))) > 0)
        )
        reversed_poly = sum(sp.conjugate(c[n - k]) * LAMBDA**k for k in range(n + 1))
        transformed = sp.expand(sp.conjugate(cn) * p.as_expr() - c0 * reversed_poly)
        transformed = sp.cancel(transformed / LAMBDA)
        p = sp.Poly(transformed, LAMBDA)
    return conditions


# -- simplification ---------------------------------------------------------------------------
def _sign(expr) -> int | None:
    """+1 / -1 when ``expr`` has that sign for every value of its symbols (given their
    assumptions), else None.

    Besides sympy's own assumptions, a polynomial in a positive symbol ``v`` whose
    coefficients (factored) are all >= 0, one of them > 0, is positive — this recognises
    e.g. ``2 (beta^2 - 1)^2 + lr^2 s^2 (beta^2 + 1)``.
    """
    if expr.is_positive:
        return 1
    if expr.is_negative:
        return -1
    for flip in (1, -1):
        if _positive_polynomial(flip * expr):
            return flip
    return None


def _positive_polynomial(expr) -> bool:
    """Two sufficient tests for ``expr > 0`` everywhere: as a polynomial in a positive symbol
    with coefficients >= 0 (one > 0); as a quadratic in a real symbol with a positive
    leading coefficient and a negative discriminant."""
    expr = sp.expand(expr)
    for v in sorted(expr.free_symbols, key=lambda s: s.name):
        try:
            poly = sp.Poly(expr, v)
        except sp.PolynomialError:
            continue
        factored = [sp.factor(c) for c in poly.all_coeffs()]
        if (
            v.is_positive
            and all(c.is_nonnegative for c in factored)
            and any(c.is_positive for c in factored)
        ):
            return True
        if poly.degree() == 2 and v.is_real:
            a, b, c = factored
            if a.is_positive and sp.factor(b**2 - 4 * a * c).is_negative:
                return True
    return False


def _simplify_one(condition):
    """``e > 0`` -> an equivalent, simpler condition: factors of known sign are dropped
    (flipping the direction for negative ones), even powers become ``!= 0``."""
    if condition is sp.true or condition is sp.false:
        return condition
    expr = sp.factor(condition.lhs - condition.rhs)
    strict = isinstance(condition, (sp.StrictGreaterThan, sp.StrictLessThan))
    if isinstance(condition, (sp.StrictLessThan, sp.LessThan)):
        expr = -expr
    if expr.is_number:
        return sp.true if (expr > 0 if strict else expr >= 0) else sp.false
    coeff, factors = sp.factor_list(expr)
    sign = 1 if coeff > 0 else -1 if coeff < 0 else 0
    if sign == 0:
        return sp.false if strict else sp.true
    keep, nonzero = [], []
    for base, power in factors:
        s = _sign(base)
        if s is not None:
            sign *= s**power
            continue
        if power % 2 == 0:
            if strict:
                nonzero.append(sp.Ne(base, 0))
            continue
        keep.append(base)
    if not keep:
        if sign > 0:
            return sp.And(*nonzero) if nonzero else sp.true
        return (
            sp.false
            if strict
            else sp.And(*[sp.Eq(n.lhs, 0) for n in nonzero])
            if nonzero
            else sp.false
        )
    if len(keep) == 1:
        body = keep[0]
        rel = (
            (body > 0 if sign > 0 else body < 0)
            if strict
            else (body >= 0 if sign > 0 else body <= 0)
        )
    else:
        product = sp.Mul(*keep)
        rel = (product * sign > 0) if strict else (product * sign >= 0)
    return sp.And(rel, *nonzero)


def _step_size_names() -> tuple:
    """Every step-size field of the registered rules, with ``_x`` / ``_y`` for a pair."""
    from .. import optim

    names = []
    for cls in optim.RULES.values():
        for field, info in optim.hyperparameters(cls).items():
            if info.kind == "step" and field not in names:
                names += [field] + ([f"{field}_x", f"{field}_y"] if info.pair else [])
    return tuple(names)


# Symbols solved for first when an inequality is linear in them (the step size reads best).
_PREFERRED = _step_size_names()


def _solve_linear(rel):
    """``c1 v + c0 > 0`` with ``c1`` of known sign and ``v`` a step size -> ``v > -c0/c1``."""
    expr = rel.lhs - rel.rhs
    by_name = {s.name: s for s in expr.free_symbols}
    for name in _PREFERRED:
        v = by_name.get(name)
        if v is None:
            continue
        poly = sp.Poly(expr, v)
        if poly.degree() != 1:
            continue
        c1, c0 = poly.all_coeffs()
        s = _sign(c1)
        if s is None:
            continue
        bound = sp.factor(-c0 / c1)
        flip = s < 0
        kind = type(rel)
        if flip:
            kind = {
                sp.StrictGreaterThan: sp.StrictLessThan,
                sp.StrictLessThan: sp.StrictGreaterThan,
                sp.GreaterThan: sp.LessThan,
                sp.LessThan: sp.GreaterThan,
            }[kind]
        solved = kind(v, bound)
        return solved if solved not in (sp.true, sp.false) else solved
    return rel


def _symbol_domain(symbol):
    if symbol.is_positive:
        return sp.Interval.open(0, sp.oo)
    if symbol.is_nonnegative:
        return sp.Interval(0, sp.oo)
    return sp.S.Reals


def _exponents(expr, symbols):
    """Exponent vectors of the terms of a polynomial condition's numerator and denominator,
    or None for a non-polynomial one."""
    num, den = sp.fraction(sp.cancel(sp.together(expr)))
    vectors = []
    for part in (num, den):
        try:
            poly = sp.Poly(sp.expand(part), *symbols)
        except sp.PolynomialError:
            return None
        vectors += [m for m in poly.monoms() if any(m)]
    return vectors


def _single_variable(conditions, symbols):
    """Find a product ``m = prod v^e`` such that every condition depends on its symbols only
    through ``m`` (a scaling symmetry: ``lr s`` on a bilinear block, ``lr_x lr_y s^2`` for
    alternating GDA). Exact test: every term of every condition has an exponent vector that
    is a multiple of ``e``. Returns ``(m, u, conditions in u)`` or None."""
    symbols = sorted(symbols, key=lambda s: s.name)
    if not all(s.is_positive for s in symbols):
        return None
    direction = None
    for c in conditions:
        vectors = _exponents(c.lhs - c.rhs, symbols)
        if vectors is None:
            return None
        for vec in vectors:
            g = 0
            for e in vec:
                g = gcd(g, e)
            primitive = tuple(e // g for e in vec)
            if direction is None:
                direction = primitive
            elif primitive != direction:
                return None
    if direction is None:
        return None
    pivot_index = next((i for i, e in enumerate(direction) if e == 1), None)
    if pivot_index is None:
        return None
    m = sp.Mul(*[s**e for s, e in zip(symbols, direction)])
    pivot = symbols[pivot_index]
    u = sp.Symbol("u", positive=True)
    substituted = [sp.simplify(c.subs(pivot, u * pivot / m)) for c in conditions]
    if not all(c.free_symbols <= {u} for c in substituted):
        return None
    return m, u, substituted


def _as_set(conditions, u):
    domain = _symbol_domain(u)
    result = domain
    for c in conditions:
        if c is sp.true:
            continue
        if c is sp.false:
            return sp.S.EmptySet
        result = result.intersect(sp.solveset(c, u, domain))
    return result


def in_terms_of(region, combination=None):
    """Rewrite a region that depends on its symbols only through one product of them
    (``lr s``; ``lr_x lr_y s^2``) as intervals of that product, solved exactly.

    Returns ``(combination, set)`` with a sympy set of values of the combination, or None
    when the region has no such symmetry (it is then left as polynomial inequalities).

    >>> from gamedyn.symbolic import bilinear, rule
    >>> in_terms_of(convergence_region(bilinear(), rule("optimistic")))
    (lr*s, Interval.open(0, sqrt(3)/3))
    """
    conditions = list(region.args) if isinstance(region, sp.And) else [region]
    if any(isinstance(c, (sp.Or, sp.Not)) for c in conditions):
        return None
    symbols = set().union(*[c.free_symbols for c in conditions]) if conditions else set()
    if not symbols:
        return None
    if combination is not None:
        found = None
        positive = all(s.is_positive for s in combination.free_symbols)
        u = sp.Symbol("u", positive=positive, real=True)
        powers = combination.as_powers_dict()
        pivot = next((s for s in combination.free_symbols if powers.get(s, 0) == 1), None)
        if pivot is not None:
            substituted = [sp.simplify(c.subs(pivot, u * pivot / combination)) for c in conditions]
            if all(c.free_symbols <= {u} for c in substituted):
                found = (combination, u, substituted)
    else:
        found = _single_variable(conditions, symbols)
    if found is None:
        return None
    m, u, substituted = found
    return m, _as_set(substituted, u)


def _set_to_region(values, m):
    if values is sp.S.EmptySet:
        return sp.false
    relation = values.as_relational(m)
    relation = relation.replace(lambda e: isinstance(e, sp.core.relational.Relational), lambda e: e)
    return _drop_implied_by_assumptions(relation)


def _drop_implied_by_assumptions(expr):
    """Drop conjuncts such as ``0 < lr*s`` that the symbols' assumptions already imply."""
    if isinstance(expr, sp.And):
        kept = [a for a in expr.args if _drop_implied_by_assumptions(a) is not sp.true]
        return sp.And(*kept)
    if isinstance(expr, sp.core.relational.Relational):
        diff = expr.lhs - expr.rhs
        if isinstance(expr, (sp.StrictGreaterThan, sp.GreaterThan)) and diff.is_positive:
            return sp.true
        if isinstance(expr, (sp.StrictLessThan, sp.LessThan)) and diff.is_negative:
            return sp.true
        if isinstance(expr, (sp.StrictLessThan, sp.LessThan)) and sp.sympify(expr.rhs).is_infinite:
            return sp.true
    return expr


def simplify_conditions(conditions):
    """The conjunction of ``conditions`` (inequalities ``e > 0``), simplified exactly.

    Factors of known sign are dropped, even powers become ``!= 0``; a region that depends on
    its symbols only through one product (``lr s``) is solved exactly as intervals of that
    product (:func:`in_terms_of`); otherwise an inequality linear in a step size is solved
    for it (``lr < 2 gamma / (gamma^2 s^2 + 1)``).

    >>> import sympy as sp
    >>> lr, s = sp.symbols("lr s", positive=True)
    >>> simplify_conditions([-(lr * s - 1) * (lr * s + 1) * (lr**2 * s**2 + 1) > 0])
    lr*s < 1
    """
    simplified = [_simplify_one(c) for c in conditions]
    if any(c is sp.false for c in simplified):
        return sp.false
    region = _drop_redundant_nonzero(sp.And(*simplified))
    if region in (sp.true, sp.false):
        return region
    solved = in_terms_of(region)
    if solved is not None:
        m, values = solved
        return _set_to_region(values, m)
    parts = region.args if isinstance(region, sp.And) else (region,)
    return sp.And(
        *[_solve_linear(p) if isinstance(p, sp.core.relational.Relational) else p for p in parts]
    )


def _drop_redundant_nonzero(region):
    """Drop ``f != 0`` when a strict inequality of the region already has ``f`` as a factor
    (it then excludes ``f = 0`` itself)."""
    if not isinstance(region, sp.And):
        return region
    strict_factors = set()
    for part in region.args:
        if isinstance(part, (sp.StrictGreaterThan, sp.StrictLessThan)):
            for base, _ in sp.factor_list(part.lhs - part.rhs)[1]:
                strict_factors.add(sp.expand(base))
                strict_factors.add(sp.expand(-base))
    kept = [
        p
        for p in region.args
        if not (isinstance(p, sp.Ne) and sp.expand(p.lhs - p.rhs) in strict_factors)
    ]
    return sp.And(*kept)


def _is_self_inversive(poly: sp.Poly) -> int:
    """+1 / -1 if ``l^n p(1/l) = +-p(l)`` identically (real coefficients), else 0."""
    a = _coefficients(poly)
    rev = list(reversed(a))
    if all(sp.simplify(u - v) == 0 for u, v in zip(a, rev)):
        return 1
    if all(sp.simplify(u + v) == 0 for u, v in zip(a, rev)):
        return -1
    return 0


def _factors(poly: sp.Poly):
    """Irreducible factors over the rationals (with the hyperparameters as variables),
    made monic in ``lambda``."""
    _, factors = sp.factor_list(poly.as_expr(), LAMBDA)
    out = []
    for base, power in factors:
        if not base.has(LAMBDA):
            continue
        f = sp.Poly(base, LAMBDA)
        out += [f] * power
    return out


def convergence_region(game_or_poly, rule=None, *, simplify: bool = True):
    """The exact region of hyperparameters (and game parameters) where ``rule`` converges
    on ``game``: every eigenvalue of the update matrix strictly inside the unit disk.

    The Jury conditions of each irreducible factor of the characteristic polynomial, joined
    and simplified (:func:`simplify_conditions`). Accepts ``(game, rule)``, a matrix or a
    polynomial in :data:`LAMBDA`.

    >>> from gamedyn.symbolic import bilinear, rule
    >>> convergence_region(bilinear(), rule("extragradient"))
    lr*s < 1
    >>> convergence_region(bilinear(), rule("gda"))
    False
    """
    poly = _poly(game_or_poly, rule)
    conditions = []
    for f in _factors(poly):
        conditions += jury_conditions(f)
    return simplify_conditions(conditions) if simplify else sp.And(*conditions)


def cycling_region(game_or_poly, rule=None, *, simplify: bool = True):
    """The exact region where the iteration neither converges nor grows: every eigenvalue in
    the closed unit disk, those on the circle simple, at least one on it.

    Self-inversive factors (all of whose roots lie on the circle or pair up as ``l, 1/l``)
    contribute Cohn's condition on their derivative; every other factor must be Schur
    stable. Without a self-inversive factor ``rho = 1`` only on a boundary of measure zero,
    and the region is ``False``.

    >>> from gamedyn.symbolic import bilinear, rule
    >>> cycling_region(bilinear(), rule("gda", lr=("lr_x", "lr_y"), alternating=True))
    lr_x*lr_y*s**2 < 4
    """
    poly = _poly(game_or_poly, rule)
    conditions, circle = [], False
    for f in _factors(poly):
        if _is_self_inversive(f):
            circle = True
            if f.degree() == 1:
                continue  # l = +-1: a simple root on the circle
            conditions += jury_conditions(sp.Poly(f.as_expr().diff(LAMBDA), LAMBDA))
        else:
            conditions += jury_conditions(f)
    if not circle:
        return sp.false
    return simplify_conditions(conditions) if simplify else sp.And(*conditions)


def regions(game_or_poly, rule=None) -> dict:
    """``{"converged": ..., "cycling": ..., "diverged": ...}``: the exact region of each
    regime (``diverged`` is the complement of the other two, boundaries included).

    >>> from gamedyn.symbolic import bilinear, rule
    >>> regions(bilinear(), rule("gda", alternating=True))["cycling"]
    lr*s < 2
    """
    poly = _poly(game_or_poly, rule)
    converged = convergence_region(poly)
    cycling = cycling_region(poly)
    return {
        "converged": converged,
        "cycling": cycling,
        "diverged": sp.Not(sp.Or(converged, cycling)),
    }


def spectral_radius(game_or_poly, rule=None):
    """The spectral radius of the update matrix in closed form, where the characteristic
    polynomial splits into factors of degree <= 2 (always true for memoryless rules on a
    2x2 block).

    A real quadratic factor ``l^2 + b l + c`` with complex roots has ``|l| = sqrt(c)``;
    otherwise its roots are real and the larger modulus is taken. Where the kind of the
    roots depends on the parameters, the result is a ``Piecewise``.

    >>> from gamedyn.symbolic import bilinear, rule
    >>> spectral_radius(bilinear(), rule("gda", lr=("lr_x", "lr_y")))
    sqrt(lr_x*lr_y*s**2 + 1)
    >>> spectral_radius(bilinear(), rule("proximal"))
    1/sqrt(lr**2*s**2 + 1)
    """
    poly = _poly(game_or_poly, rule)
    moduli = []
    for f in _factors(poly):
        coeffs = [sp.simplify(c) for c in f.monic().all_coeffs()]
        if f.degree() == 1:
            moduli.append(sp.Abs(-coeffs[1]))
        elif f.degree() == 2:
            _, b, c = coeffs
            disc = sp.factor(b**2 - 4 * c)
            complex_pair = sp.sqrt(c)
            real_pair = sp.Max(sp.Abs((-b + sp.sqrt(disc)) / 2), sp.Abs((-b - sp.sqrt(disc)) / 2))
            if disc.is_negative:
                moduli.append(complex_pair)
            elif disc.is_nonnegative:
                moduli.append(real_pair)
            else:
                moduli.append(sp.Piecewise((complex_pair, disc < 0), (real_pair, True)))
        else:
            roots = sp.roots(f, LAMBDA)
            if sum(roots.values()) != f.degree():
                raise ValueError(
                    f"the factor {f.as_expr()} of degree {f.degree()} has no closed-form roots; "
                    "use convergence_region (exact for every degree) instead"
                )
            moduli += [sp.Abs(r) for r in roots]
    moduli = [sp.simplify(m) for m in moduli]
    unique = list(dict.fromkeys(moduli))
    return unique[0] if len(unique) == 1 else sp.Max(*unique)


def predicate(region, symbols=None):
    """A vectorised numpy function of the region's symbols (sorted by name, or ``symbols``)
    that is True where ``region`` holds, for evaluating an exact region on sampled points.

    >>> import sympy as sp
    >>> lr, s = sp.symbols("lr s", positive=True)
    >>> inside = predicate(lr * s < 1)
    >>> inside(lr=[0.5, 2.0], s=1.0).tolist()
    [True, False]
    """
    import numpy as np

    region = sp.sympify(region)
    # Algebraic numbers without a radical form (CRootOf) become 30-digit floats for numpy.
    region = region.xreplace({r: sp.Float(r.evalf(30), 30) for r in region.atoms(sp.CRootOf)})
    names = sorted(region.free_symbols, key=lambda s: s.name) if symbols is None else list(symbols)
    fn = sp.lambdify(names, region, modules="numpy")
    keys = [s.name for s in names]

    def evaluate(**values):
        missing = [k for k in keys if k not in values]
        if missing:
            raise ValueError(f"the region needs values for {missing}; got {sorted(values)}")
        args = (
            np.broadcast_arrays(*[np.asarray(values[k], dtype=float) for k in keys]) if keys else []
        )
        out = fn(*args)
        shape = np.broadcast_shapes(*[np.shape(a) for a in args]) if args else ()
        return np.broadcast_to(np.asarray(out, dtype=bool), shape)

    evaluate.symbols = tuple(names)
    return evaluate
