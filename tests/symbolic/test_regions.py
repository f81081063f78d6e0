"""Exact regions and closed forms: the literature's formulas come out of the Jury /
Schur–Cohn conditions, and every region agrees with numeric spectral radii
(``gd.spectral_radius``) on random points."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sympy as sp

import gamedyn as gd

S = gd.symbolic
s = sp.Symbol("s", positive=True)
lr, lr_x, lr_y, gamma, fp0 = sp.symbols("lr lr_x lr_y gamma fp0", positive=True)
fpp0 = sp.Symbol("fpp0", real=True)
L = S.LAMBDA
BIL = S.bilinear()


def equal(e1, e2):
    return sp.simplify(e1 - e2) == 0


# -- closed forms of issue 3 ------------------------------------------------------------------
def test_simultaneous_gda_rho_and_no_region():
    # rho = sqrt(1 + lr_x lr_y s^2) > 1 for every step (Gidel et al. 2019, Sec. 3)
    rule = S.rule("gda", lr=("lr_x", "lr_y"))
    assert equal(S.spectral_radius(BIL, rule), sp.sqrt(1 + lr_x * lr_y * s**2))
    assert S.convergence_region(BIL, rule) is sp.false
    assert S.cycling_region(BIL, rule) is sp.false


def test_alternating_gda_cycles_iff_lr_x_lr_y_s2_below_4():
    # det = 1 (symplectic), trace 2 - lr_x lr_y s^2 (Bailey, Gidel & Piliouras 2020)
    rule = S.rule("gda", lr=("lr_x", "lr_y"), alternating=True)
    poly = S.characteristic_polynomial(BIL, rule)
    assert equal(poly.as_expr(), L**2 - (2 - lr_x * lr_y * s**2) * L + 1)
    assert S.convergence_region(BIL, rule) is sp.false
    assert S.cycling_region(BIL, rule) == (lr_x * lr_y * s**2 < 4)
    assert S.in_terms_of(S.cycling_region(BIL, rule)) == (
        lr_x * lr_y * s**2,
        sp.Interval.open(0, 4),
    )


def test_extragradient_converges_iff_lr_s_below_1():
    # |l|^2 = 1 - a + a^2, a = lr^2 s^2 (Korpelevich 1976; Mokhtari et al. 2020)
    rule = S.rule("extragradient")
    assert S.convergence_region(BIL, rule) == (lr * s < 1)
    assert equal(S.spectral_radius(BIL, rule) ** 2, 1 - (lr * s) ** 2 + (lr * s) ** 4)


def test_optimistic_converges_iff_lr_s_below_1_over_sqrt3():
    # degree-4 characteristic polynomial; the Jury table leaves 3 lr^2 s^2 < 1
    # (Daskalakis et al. 2018; Mokhtari, Ozdaglar & Pattathil 2020)
    region = S.convergence_region(BIL, S.rule("optimistic"))
    assert region == (lr * s < 1 / sp.sqrt(3))
    assert S.in_terms_of(region) == (lr * s, sp.Interval.open(0, 1 / sp.sqrt(3)))


def test_proximal_point_rho_closed_form():
    # (I - lr J)^{-1}: rho = (1 + lr^2 s^2)^{-1/2} < 1 for every lr (Rockafellar 1976)
    rule = S.rule("proximal")
    assert equal(S.spectral_radius(BIL, rule), 1 / sp.sqrt(1 + lr**2 * s**2))
    assert S.convergence_region(BIL, rule) is sp.true


@pytest.mark.parametrize(
    "loss, fp",
    [
        ("saturating", sp.Rational(1, 2)),
        ("nonsaturating", sp.Rational(1, 2)),
        ("wasserstein", 1),
        ("least_squares", 1),
        ("hinge", 1),
        ("generic", fp0),
    ],
)
def test_dirac_gan_eigenvalues(loss, fp):
    # Mescheder et al. 2018: +-i f'(0) unregularised; -gamma/2 +- sqrt(gamma^2/4 - f'(0)^2)
    # with R1 or R2; f'(0) = 1/2 for the logistic losses, 1 for the others.
    got = S.dirac(loss).eigenvalues()
    assert all(
        equal(u, v) for u, v in zip(got, sorted([sp.I * fp, -sp.I * fp], key=sp.default_sort_key))
    )
    for reg in ("r1", "r2"):
        got = S.dirac(loss, reg).eigenvalues()
        root = sp.sqrt(gamma**2 / 4 - fp**2)
        expected = [-gamma / 2 - root, -gamma / 2 + root]
        assert sorted(map(sp.expand, got), key=sp.default_sort_key) == sorted(
            map(sp.expand, expected), key=sp.default_sort_key
        ) or all(equal(u, v) for u, v in zip(got, expected))


def test_dirac_gan_instance_noise_eigenvalues():
    # Sec. 3.3: f''(0) sigma^2 +- sqrt(f''(0)^2 sigma^4 - f'(0)^2) (sigma = gamma here)
    got = S.dirac("generic", "instance_noise").eigenvalues()
    root = sp.sqrt(fpp0**2 * gamma**4 - fp0**2)
    assert {sp.expand(v) for v in got} == {
        sp.expand(fpp0 * gamma**2 + root),
        sp.expand(fpp0 * gamma**2 - root),
    }
    # the logistic loss has f''(0) = -1/4
    got = S.dirac("nonsaturating", "instance_noise").jacobian()
    assert got[1, 1] == -(gamma**2) / 2


def test_consensus_on_the_dirac_gan():
    # J - gamma J^T J has eigenvalues -gamma a^2 +- i a (Mescheder et al. 2017), a = f'(0);
    # one consensus step is I + lr (J - gamma J^T J).
    matrix = S.update_matrix(S.dirac("generic"), S.rule("consensus"))
    field_jacobian = ((matrix - sp.eye(2)) / lr).applyfunc(sp.simplify)
    values = sorted(field_jacobian.eigenvals(), key=sp.default_sort_key)
    assert values == sorted(
        [-gamma * fp0**2 + sp.I * fp0, -gamma * fp0**2 - sp.I * fp0], key=sp.default_sort_key
    )


# -- regions beyond the quoted closed forms ---------------------------------------------------
@pytest.mark.parametrize("k", [1, 2, 5])
def test_unrolled_region(k):
    # trace 2 - 2k a, det 1 - (2k - 1) a (a = lr^2 s^2): Jury gives a < 4 / (4k - 1)
    region = S.convergence_region(BIL, S.rule("unrolled", k=k))
    assert S.in_terms_of(region) == (lr * s, sp.Interval.open(0, 2 / sp.sqrt(4 * k - 1)))


@pytest.mark.parametrize("beta", [sp.Rational(-1, 2), sp.Rational(-1, 4), sp.Rational(-3, 4)])
def test_alternating_negative_momentum_region(beta):
    # Gidel et al. 2019: alternating updates with negative momentum converge; the Jury table
    # of (l^2 - (1 + beta) l + beta)^2 + lr^2 s^2 l^3 leaves lr s < 2 (1 + beta).
    region = S.convergence_region(BIL, S.rule("momentum", alternating=True, beta=beta))
    assert S.in_terms_of(region) == (lr * s, sp.Interval.open(0, 2 * (1 + beta)))


@pytest.mark.parametrize("beta", [sp.Rational(1, 4), sp.Rational(-1, 2)])
def test_simultaneous_momentum_never_converges(beta):
    # Gidel et al. 2019, Thm 3: simultaneous updates diverge with any momentum
    assert S.convergence_region(BIL, S.rule("momentum", beta=beta)) is sp.false
    assert S.convergence_region(BIL, S.rule("momentum")) is sp.false


def test_consensus_and_sga_regions_solve_for_the_step():
    # |l|^2 = (1 - lr c s^2)^2 + lr^2 s^2 < 1 iff lr < 2 c / (1 + c^2 s^2)
    lam = sp.Symbol("lam", real=True)
    assert S.convergence_region(BIL, S.rule("consensus")) == (
        lr < 2 * gamma / (gamma**2 * s**2 + 1)
    )
    assert S.convergence_region(BIL, S.rule("sga")) == (lr < 2 * lam / (lam**2 * s**2 + 1))


# -- the criteria themselves -------------------------------------------------------------------
def test_jury_and_schur_cohn_agree_with_numpy_roots_on_random_polynomials():
    rng = np.random.default_rng(0)
    for degree in (1, 2, 3, 4, 5):
        for _ in range(12):
            coeffs = [sp.Rational(int(v), 64) for v in rng.integers(-64, 65, size=degree)]
            poly = sp.Poly([1, *coeffs], L)
            stable = np.abs(np.roots([1.0, *map(float, coeffs)])).max() < 1
            jury = all(bool(c) for c in S.jury_conditions(poly))
            schur = all(bool(c) for c in S.schur_cohn_conditions(poly))
            # coefficients are multiples of 1/64, so no root is within 1e-12 of the circle
            # unless it lies on it exactly — where both criteria (strict) say "not stable".
            assert jury == schur == stable or np.isclose(
                np.abs(np.roots([1.0, *map(float, coeffs)])).max(), 1
            )


def test_schur_cohn_handles_complex_coefficients():
    # l^2 - (1 + 2i a) l + i a: one factor of optimism's polynomial, stable iff a < 1/sqrt(3)
    alpha = sp.Symbol("alpha", positive=True)
    conditions = S.schur_cohn_conditions(
        sp.Poly(L**2 - (1 + 2 * sp.I * alpha) * L + sp.I * alpha, L)
    )
    for value in (0.3, 0.55, 0.6, 0.9):
        holds = all(bool(c.subs(alpha, value)) for c in conditions)
        assert holds == (value < 1 / np.sqrt(3))


# -- every region against gd.spectral_radius at random points --------------------------------
RULES = [
    ("gda", dict(lr=("lr_x", "lr_y"))),
    ("gda", dict(lr=("lr_x", "lr_y"), alternating=True)),
    ("gda", dict(alternating=True, first="x", k=2)),
    ("extragradient", {}),
    ("optimistic", {}),
    ("momentum", dict(alternating=True)),
    ("momentum", {}),
    ("consensus", {}),
    ("sga", {}),
    ("proximal", {}),
    ("unrolled", dict(k=2)),
    ("cgd", dict(lr=("lr_x", "lr_y"))),
]
# Hyperparameter ranges wide enough to see every regime of each rule.
RANGES = {
    "lr": (0.02, 2.5),
    "lr_x": (0.02, 2.5),
    "lr_y": (0.02, 2.5),
    "beta": (-0.95, 0.95),
    "gamma": (0.0, 2.0),
    "lam": (-1.5, 1.5),
    "s": (0.2, 2.0),
    "a": (-2.0, 2.0),
    "b": (-1.0, 1.5),
    "c": (-1.0, 1.5),
}
POINTS = 96


def numeric_rule(name, fields, values):
    kwargs = {k: v for k, v in fields.items() if k in ("alternating", "first", "k")}
    kwargs["lr"] = (values["lr_x"], values["lr_y"]) if "lr_x" in values else values["lr"]
    for key in ("beta", "gamma", "lam"):
        if key in values:
            kwargs[key] = values[key]
    return gd.optim.RULES[name](**kwargs)


def compare(game_kind, name, fields):
    game = BIL if game_kind == "bilinear" else S.quadratic()
    rule = S.rule(name, **fields)
    verdicts = S.regions(game, rule)
    symbols = sorted(S.update_matrix(game, rule).free_symbols, key=lambda v: v.name)
    rng = np.random.default_rng(abs(hash((game_kind, name, str(fields)))) % 2**32)
    values = {v.name: rng.uniform(*RANGES[v.name], size=POINTS) for v in symbols}

    def rho(point):
        if game_kind == "bilinear":
            numeric_game = gd.games.Bilinear(point["s"].reshape(1, 1))
        else:
            numeric_game = gd.games.Quadratic(
                point["a"].reshape(1, 1), B=point["b"].reshape(1, 1), C=point["c"].reshape(1, 1)
            )
        return gd.spectral_radius(numeric_game, numeric_rule(name, fields, point))

    rhos = np.asarray(jax.jit(jax.vmap(rho))({k: jnp.asarray(v) for k, v in values.items()}))
    inside = {
        regime: np.asarray(S.predicate(region, symbols)(**values))
        for regime, region in verdicts.items()
    }
    # Each point is in exactly one region.
    assert np.all(inside["converged"].astype(int) + inside["cycling"] + inside["diverged"] == 1)
    # Eigenvalues are accurate to ~1e-13 except at defective (double) roots, ~1e-8; points
    # within 1e-6 of rho = 1 that the regions do not call cycling lie on a boundary (measure
    # zero) and are left out.
    near = np.abs(rhos - 1) < 1e-6
    assert np.all(rhos[inside["converged"]] < 1)
    assert np.all(np.abs(rhos[inside["cycling"]] - 1) < 1e-6)
    assert np.all(rhos[inside["diverged"] & ~near] > 1)
    assert np.all(inside["converged"][(rhos < 1) & ~near])
    return {regime: int(mask.sum()) for regime, mask in inside.items()}


@pytest.mark.parametrize("name, fields", RULES, ids=lambda v: str(v))
def test_bilinear_regions_match_numeric_spectral_radius(name, fields):
    counts = compare("bilinear", name, fields)
    assert sum(counts.values()) == POINTS


@pytest.mark.parametrize(
    "name, fields", [RULES[0], RULES[1], RULES[3], RULES[9]], ids=lambda v: str(v)
)
def test_quadratic_regions_match_numeric_spectral_radius(name, fields):
    counts = compare("quadratic", name, fields)
    assert counts["converged"] > 0 and counts["diverged"] > 0  # both sides were sampled


@pytest.mark.slow
@pytest.mark.parametrize("name, fields", RULES, ids=lambda v: str(v))
def test_quadratic_regions_match_numeric_spectral_radius_every_rule(name, fields):
    compare("quadratic", name, fields)


def test_dirac_regions_match_numeric_spectral_radius():
    # Simultaneous and alternating GDA on the Dirac GAN with R1, in (lr, gamma).
    for alternating in (False, True):
        rule = S.rule("gda", alternating=alternating)
        region = S.convergence_region(S.dirac("nonsaturating", "r1"), rule)
        rng = np.random.default_rng(int(alternating))
        lrs, gammas = rng.uniform(0.05, 8, 64), rng.uniform(0.05, 3, 64)
        inside = S.predicate(region, [gamma, lr])(gamma=gammas, lr=lrs)

        def rho(lr_, gamma_, alternating=alternating):
            return gd.spectral_radius(
                gd.games.DiracGAN(reg="r1", gamma=gamma_),
                gd.optim.gda(lr_, alternating=alternating),
            )

        rhos = np.asarray(jax.jit(jax.vmap(rho))(lrs, gammas))
        ok = np.abs(rhos - 1) > 1e-6  # off the boundary, as above
        assert np.array_equal(inside[ok], rhos[ok] < 1)
