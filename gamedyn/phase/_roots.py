"""Eigenvalues of small matrices in closed form: characteristic polynomials and the root
formulas of degree 1 to 4, batched elementwise over any leading axes.

A phase diagram asks for the spectral radius of millions of 2x2 (or 4x4, with memory)
update maps. A general eigen-solver (LAPACK ``geev``) per cell costs a function call and a
Hessenberg reduction each; the closed forms below are a few dozen fused multiply-adds per
cell, vectorised over the whole grid:

* ``det(l I - M) = l^n + c_1 l^(n-1) + ... + c_n`` with ``c_k = (-1)^k E_k(M)``, ``E_k`` the
  sum of the principal ``k x k`` minors (exact polynomial expressions, no divisions);
* degree 2: ``l = tr/2 +- sqrt(((m00 - m11)/2)^2 + m01 m10)`` for matrices (the discriminant
  written without the cancellation of ``tr^2/4 - det``), the cancellation-free quadratic
  formula for polynomials;
* degree 3: Cardano's formula (one real root) or Viete's trigonometric form (three real
  roots) for a real root, then deflation to a quadratic;
* degree 4: Ferrari's method: the depressed quartic ``y^4 + p y^2 + q y + r`` factors into
  ``(y^2 + a y + b)(y^2 - a y + g)`` with ``a^2`` the largest root of the resolvent cubic
  ``u^3 + 2p u^2 + (p^2 - 4r) u - q^2``;

all in real arithmetic (a complex root is a pair of reals), with two guarded Newton steps
on every real cubic root. Simple roots come out to ~1e-14 relative to ``numpy.linalg.eigvals``;
at a root of multiplicity ``m`` any method resolves it only to ``~eps^(1/m)``.

>>> import numpy as np
>>> import gamedyn as gd
>>> M = np.array([[0.75, -0.5], [0.5, 1.0]])  # alternating GDA on s x y, lr s = 0.5
>>> np.round(np.asarray(gd.phase.eigvals_small(M)), 6)
array([0.875+0.484123j, 0.875-0.484123j])
>>> float(gd.phase.spectral_radius_small(M))
1.0
"""

from __future__ import annotations

import functools
from itertools import combinations

import jax
import jax.numpy as jnp

__all__ = ["charpoly", "poly_roots", "eigvals_small", "spectral_radius_small", "spectral_radius_entries",
           "MAX_CLOSED_FORM"]

#: Largest matrix size handled in closed form (larger ones go to ``jnp.linalg.eigvals``).
MAX_CLOSED_FORM = 4

_NEWTON_STEPS = 2


def _jitted(fn):
    """``fn`` compiled once per input shape (outside ``jit`` each of its few hundred
    elementwise operations would otherwise be dispatched, and compiled, one by one)."""
    compiled = jax.jit(fn)

    @functools.wraps(fn)
    def wrapper(x):
        x = jnp.asarray(x)
        if not jnp.issubdtype(x.dtype, jnp.inexact):
            x = x.astype(jnp.result_type(float))
        return compiled(x)

    return wrapper


def _det(rows):
    """Determinant of a small matrix given as nested lists of (batched) entries (Laplace)."""
    n = len(rows)
    if n == 1:
        return rows[0][0]
    if n == 2:
        return rows[0][0] * rows[1][1] - rows[0][1] * rows[1][0]
    total = 0.0
    for j in range(n):
        minor = [row[:j] + row[j + 1 :] for row in rows[1:]]
        term = rows[0][j] * _det(minor)
        total = total + term if j % 2 == 0 else total - term
    return total


def _check_square(M):
    if M.ndim < 2 or M.shape[-1] != M.shape[-2]:
        raise ValueError(f"M has shape {tuple(M.shape)}; expected (..., n, n) square matrices")


@_jitted
def charpoly(M):
    """Coefficients ``[c_1, ..., c_n]`` of ``det(l I - M) = l^n + c_1 l^(n-1) + ... + c_n``.

    ``c_k = (-1)^k E_k(M)`` where ``E_k`` sums the principal ``k x k`` minors (so
    ``c_1 = -tr M`` and ``c_n = (-1)^n det M``). Closed form for ``n <= 4``; batched over the
    leading axes of ``M`` (shape ``(..., n, n)``).

    >>> import gamedyn as gd
    >>> gd.phase.charpoly([[1.0, 2.0], [3.0, 4.0]])  # l^2 - 5 l - 2
    Array([-5., -2.], dtype=float64)
    """
    M = jnp.asarray(M)
    if not jnp.issubdtype(M.dtype, jnp.inexact):
        M = M.astype(jnp.result_type(float))
    _check_square(M)
    n = M.shape[-1]
    if n > MAX_CLOSED_FORM:
        raise ValueError(
            f"M is {n}x{n}; charpoly has closed forms for n <= {MAX_CLOSED_FORM} only "
            "(use jnp.poly(jnp.linalg.eigvals(M)) beyond)"
        )
    entries = [[M[..., i, j] for j in range(n)] for i in range(n)]
    coeffs = []
    for k in range(1, n + 1):
        minors = [_det([[entries[i][j] for j in idx] for i in idx]) for idx in combinations(range(n), k)]
        total = minors[0]
        for m in minors[1:]:
            total = total + m
        coeffs.append(total if k % 2 == 0 else -total)
    return jnp.stack(coeffs, axis=-1)


# -- roots (real arithmetic: a root is a pair (re, im)) --------------------------------------
# Complex arithmetic costs XLA's CPU compiler an order of magnitude more compile time and the
# run several times more work (complex sqrt and division expand to long sequences); every
# polynomial here has real coefficients, so its roots are computed as (re, im) pairs of real
# arrays and joined into complex numbers only at the end.


def _quadratic(b, c):
    """Roots of ``y^2 + b y + c`` (real ``b``, ``c``) as two ``(re, im)`` pairs, without
    cancellation: a real pair is ``q`` and ``c / q`` with ``q = -(b + sign(b) sqrt(D)) / 2``."""
    disc = b * b - 4.0 * c
    root = jnp.sqrt(jnp.abs(disc))
    q = -0.5 * (b + jnp.where(b >= 0, root, -root))
    other = jnp.where(q == 0, 0.0, c / jnp.where(q == 0, 1.0, q))
    real = disc >= 0
    zero = jnp.zeros_like(root)
    return (
        (jnp.where(real, q, -0.5 * b), jnp.where(real, zero, 0.5 * root)),
        (jnp.where(real, other, -0.5 * b), jnp.where(real, zero, -0.5 * root)),
    )


def _complex_sqrt(re, im):
    """The principal square root of ``re + i im`` as an ``(re, im)`` pair."""
    modulus = jnp.sqrt(re * re + im * im)
    a = jnp.sqrt(jnp.maximum((modulus + re) / 2.0, 0.0))
    b = jnp.sqrt(jnp.maximum((modulus - re) / 2.0, 0.0))
    return a, jnp.where(im < 0, -b, b)


def _cbrt(x):
    return jnp.sign(x) * jnp.abs(x) ** (1.0 / 3.0)


def _horner(coeffs, x):
    """``P(x)`` and ``P'(x)`` for the monic polynomial with coefficients ``coeffs`` (real x)."""
    p = jnp.ones_like(x)
    dp = jnp.zeros_like(x)
    for c in coeffs:
        dp = dp * x + p
        p = p * x + c
    return p, dp


def _residual(coeffs, roots):
    """``max |P(root)|^2`` over ``(re, im)`` roots of the monic polynomial (NaN -> inf)."""
    worst = None
    for re, im in roots:
        pr, pi = jnp.ones_like(re), jnp.zeros_like(re)
        for c in coeffs:
            pr, pi = pr * re - pi * im + c, pr * im + pi * re
        size = pr * pr + pi * pi
        worst = size if worst is None else jnp.maximum(worst, size)
    return jnp.where(jnp.isnan(worst), jnp.inf, worst)


def _newton(coeffs, x):
    """Newton steps on a real monic polynomial at real ``x``, each kept only where it
    reduces ``|P|``."""
    for _ in range(_NEWTON_STEPS):
        p, dp = _horner(coeffs, x)
        new = x - p / jnp.where(dp == 0, 1.0, dp)
        p_new, _ = _horner(coeffs, new)
        better = (dp != 0) & jnp.isfinite(new) & (jnp.abs(p_new) < jnp.abs(p))
        x = jnp.where(better, new, x)
    return x


def _largest_real_cubic_root(a, b, c):
    """The largest real root of ``x^3 + a x^2 + b x + c`` (real coefficients)."""
    p = b - a * a / 3.0
    q = 2.0 * a**3 / 27.0 - a * b / 3.0 + c
    disc = (q / 2.0) ** 2 + (p / 3.0) ** 3
    # one real root (disc > 0): Cardano, with u chosen so that |u| is the larger cube root
    sq = jnp.sqrt(jnp.maximum(disc, 0.0))
    u = _cbrt(-q / 2.0 - jnp.where(q >= 0, 1.0, -1.0) * sq)
    one = jnp.where(u == 0, 0.0, u - p / (3.0 * jnp.where(u == 0, 1.0, u)))
    # three real roots (disc <= 0, so p <= 0): Viete, the k = 0 branch is the largest
    r = jnp.sqrt(jnp.maximum(-p / 3.0, 0.0))
    cos_arg = jnp.clip((-q / 2.0) / jnp.where(r == 0, 1.0, r**3), -1.0, 1.0)
    three = 2.0 * r * jnp.cos(jnp.arccos(cos_arg) / 3.0)
    x = jnp.where(disc > 0, one, three) - a / 3.0
    return _newton((a, b, c), x)


def _roots_real(coeffs):
    """Roots of a real monic polynomial of degree 1..4 as a list of ``(re, im)`` pairs."""
    n = coeffs.shape[-1]
    c = [coeffs[..., k] for k in range(n)]
    if n == 1:
        return [(-c[0], jnp.zeros_like(c[0]))]
    if n == 2:
        return list(_quadratic(c[0], c[1]))
    if n == 3:
        a, b, d = c
        r = _largest_real_cubic_root(a, b, d)
        e = a + r  # x^3 + a x^2 + b x + d = (x - r)(x^2 + e x + (b + r e))
        return [(r, jnp.zeros_like(r)), *_quadratic(e, b + r * e)]
    a, b, cc, d = c
    shift = a / 4.0
    p = b - 3.0 * a * a / 8.0
    q = cc - a * b / 2.0 + a**3 / 8.0
    r = d - a * cc / 4.0 + a * a * b / 16.0 - 3.0 * a**4 / 256.0
    # y^4 + p y^2 + q y + r = (y^2 + alpha y + beta)(y^2 - alpha y + gamma), alpha^2 = u the
    # largest root of the resolvent cubic (it is >= 0: the cubic is -q^2 <= 0 at u = 0)
    u = jnp.maximum(_largest_real_cubic_root(2.0 * p, p * p - 4.0 * r, -q * q), 0.0)
    alpha = jnp.sqrt(u)
    usable = alpha > 0
    safe = jnp.where(usable, alpha, 1.0)
    ferrari = [*_quadratic(alpha, (p + u - q / safe) / 2.0), *_quadratic(-alpha, (p + u + q / safe) / 2.0)]
    # Near q = 0 the resolvent has a double root at 0, alpha is only ~ eps^(1/4) accurate, and
    # the biquadratic (y^2 + w1)(y^2 + w2) (w1 + w2 = p, w1 w2 = r, q dropped) is the better
    # factorisation: keep, per cell, whichever root set has the smaller residual.
    (w1r, w1i), (w2r, w2i) = _quadratic(-p, r)
    s1, s2 = _complex_sqrt(-w1r, -w1i), _complex_sqrt(-w2r, -w2i)
    biquadratic = [s1, (-s1[0], -s1[1]), s2, (-s2[0], -s2[1])]
    depressed = (0.0, p, q, r)
    pick = usable & (_residual(depressed, ferrari) <= _residual(depressed, biquadratic))
    return [
        (jnp.where(pick, fr, gr) - shift, jnp.where(pick, fi, gi))
        for (fr, fi), (gr, gi) in zip(ferrari, biquadratic)
    ]


def _real_coefficients(coeffs):
    coeffs = jnp.asarray(coeffs)
    if jnp.issubdtype(coeffs.dtype, jnp.complexfloating):
        raise ValueError("coeffs must be real (characteristic polynomials of real matrices)")
    if not jnp.issubdtype(coeffs.dtype, jnp.inexact):
        coeffs = coeffs.astype(jnp.result_type(float))
    if coeffs.ndim < 1 or not 1 <= coeffs.shape[-1] <= MAX_CLOSED_FORM:
        raise ValueError(
            f"coeffs has shape {tuple(coeffs.shape)}; expected (..., n) with 1 <= n <= "
            f"{MAX_CLOSED_FORM}"
        )
    return coeffs


@_jitted
def poly_roots(coeffs):
    """All roots of the monic polynomial ``x^n + c_1 x^(n-1) + ... + c_n``, ``n <= 4``, in
    closed form (complex, unordered), batched over the leading axes of ``coeffs``
    (shape ``(..., n)``, real).

    >>> import numpy as np
    >>> import gamedyn as gd
    >>> r = gd.phase.poly_roots([-10.0, 35.0, -50.0, 24.0])  # (x-1)(x-2)(x-3)(x-4)
    >>> np.sort(np.asarray(r).real).round(12)
    array([1., 2., 3., 4.])
    """
    roots = _roots_real(_real_coefficients(coeffs))
    return jnp.stack([re + 1j * im for re, im in roots], axis=-1)


@_jitted
def eigvals_small(M):
    """Eigenvalues of square matrices ``M`` (shape ``(..., n, n)``): closed forms for
    ``n <= 4`` (see the module docstring), ``jnp.linalg.eigvals`` beyond. Unordered.

    >>> import numpy as np
    >>> import gamedyn as gd
    >>> np.asarray(gd.phase.eigvals_small([[2.0, 0.0], [0.0, -3.0]])).real
    array([-3.,  2.])
    """
    M = jnp.asarray(M)
    if not jnp.issubdtype(M.dtype, jnp.inexact):
        M = M.astype(jnp.result_type(float))
    _check_square(M)
    n = M.shape[-1]
    if n == 1:
        return M[..., 0, :] + 0j
    if n == 2:
        half_trace = (M[..., 0, 0] + M[..., 1, 1]) / 2.0
        disc = ((M[..., 0, 0] - M[..., 1, 1]) / 2.0) ** 2 + M[..., 0, 1] * M[..., 1, 0]
        det = M[..., 0, 0] * M[..., 1, 1] - M[..., 0, 1] * M[..., 1, 0]
        root = jnp.sqrt(jnp.abs(disc))
        # real pair: the larger-magnitude root first, the other as det / it (no cancellation)
        big = half_trace + jnp.where(half_trace >= 0, root, -root)
        small = jnp.where(big == 0, 0.0, det / jnp.where(big == 0, 1.0, big))
        real_pair = jnp.stack([big, small], axis=-1) + 0j
        complex_pair = jnp.stack([half_trace + 1j * root, half_trace - 1j * root], axis=-1)
        return jnp.where((disc >= 0)[..., None], real_pair, complex_pair)
    if n <= MAX_CLOSED_FORM:
        return poly_roots(charpoly(M))
    return jnp.linalg.eigvals(M)


def _radius_2x2(m00, m01, m10, m11):
    half_trace = (m00 + m11) / 2.0
    disc = ((m00 - m11) / 2.0) ** 2 + m01 * m10
    real = disc >= 0
    # one square root per matrix: of disc (real pair: |tr|/2 + sqrt(disc)) or of the
    # determinant tr^2/4 - disc (complex pair), whichever applies
    root = jnp.sqrt(jnp.where(real, disc, jnp.maximum(half_trace * half_trace - disc, 0.0)))
    return jnp.where(real, jnp.abs(half_trace) + root, root)


def spectral_radius_entries(entries):
    """:func:`spectral_radius_small` of a matrix given as nested lists of its entries (each
    a scalar or an array of a batch): a 2x2 map never becomes an array of matrices, so that
    under ``vmap`` XLA fuses the map's entries and the closed form into one elementwise
    pass (a phase diagram's prediction, 10x faster than stacking ``(cells, 2, 2)``).

    >>> import gamedyn as gd
    >>> float(gd.phase.spectral_radius_entries([[1.0, -0.5], [0.5, 1.0]]))  # sqrt(1 + 0.25)
    1.118033988749895
    """
    if len(entries) == 1:
        return jnp.abs(jnp.asarray(entries[0][0]))
    if len(entries) == 2:
        (m00, m01), (m10, m11) = entries
        return _radius_2x2(*(jnp.asarray(v) for v in (m00, m01, m10, m11)))
    M = jnp.stack([jnp.stack([jnp.asarray(v) for v in row], axis=-1) for row in entries], axis=-2)
    return spectral_radius_small(M)


@_jitted
def spectral_radius_small(M):
    """``max |l|`` over the eigenvalues of ``M`` (batched; closed form for ``n <= 4``).

    For ``n = 2`` in real arithmetic: ``|tr|/2 + sqrt(D)`` for real eigenvalues
    (``D = ((m00 - m11)/2)^2 + m01 m10 >= 0``), ``sqrt(tr^2/4 - D)`` (``= sqrt(det)``) for a
    complex pair.

    >>> import gamedyn as gd
    >>> float(gd.phase.spectral_radius_small([[1.0, -0.5], [0.5, 1.0]]))  # sqrt(1 + 0.25)
    1.118033988749895
    """
    M = jnp.asarray(M)
    if not jnp.issubdtype(M.dtype, jnp.inexact):
        M = M.astype(jnp.result_type(float))
    _check_square(M)
    if M.shape[-1] == 2:
        return _radius_2x2(M[..., 0, 0], M[..., 0, 1], M[..., 1, 0], M[..., 1, 1])
    if M.shape[-1] > MAX_CLOSED_FORM:
        return jnp.max(jnp.abs(jnp.linalg.eigvals(M)), axis=-1)
    # max of |l|^2 over the (re, im) roots, one square root: no complex arithmetic at all
    worst = None
    for re, im in _roots_real(charpoly(M)):
        size = re * re + im * im
        worst = size if worst is None else jnp.maximum(worst, size)
    return jnp.sqrt(worst)
