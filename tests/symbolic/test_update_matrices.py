"""Symbolic update matrices against two independent computations:

1. the rules' formulas (README / issue 3) written out as explicit sympy matrices here, by
   hand, without the rule code;
2. finite differences of the *numeric* JAX step (the code the simulations run), at random
   hyperparameters — and ``gd.update_jacobian`` where the two should coincide.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sympy as sp

import gamedyn as gd

S = gd.symbolic
a, b, c = sp.symbols("a b c", real=True)
s = sp.Symbol("s", positive=True)
lr, lr_x, lr_y, lr_e, gamma = sp.symbols("lr lr_x lr_y lr_e gamma", positive=True)
beta, beta_x, beta_y, lam = sp.symbols("beta beta_x beta_y lam", real=True)
I2, O2 = sp.eye(2), sp.zeros(2)

QUAD = S.quadratic()
JQ = sp.Matrix([[-b, -a], [a, -c]])  # Jacobian of F for b x^2/2 + a x y - c y^2/2
BIL = S.bilinear()
JB = sp.Matrix([[0, -s], [s, 0]])


def same(m1, m2):
    return (sp.Matrix(m1) - sp.Matrix(m2)).applyfunc(sp.simplify) == sp.zeros(*sp.Matrix(m1).shape)


def eta(x, y):
    return sp.diag(x, y)


# -- by hand, from the formulas ---------------------------------------------------------------
def alternating_gda(J, lx, ly, first, k):
    # one player moves with the other fixed: x' = x + lr_x (J00 x + J01 y), similarly y'
    Px = sp.Matrix([[1 + lx * J[0, 0], lx * J[0, 1]], [0, 1]])
    Py = sp.Matrix([[1, 0], [ly * J[1, 0], 1 + ly * J[1, 1]]])
    return Px * Py**k if first == "y" else Py * Px**k


def alternating_momentum(J, lx, ly, bx, by):
    # y+ = y + ly F_y(x, y) + by (y - y_p); x+ = x + lx F_x(x, y+) + bx (x - x_p), on
    # (x, y, x_p, y_p); rows: x+, y+, x, y.
    y_plus = sp.Matrix([[ly * J[1, 0], 1 + by + ly * J[1, 1], 0, -by]])
    x_row = sp.Matrix([[1 + bx + lx * J[0, 0], 0, -bx, 0]]) + lx * J[0, 1] * y_plus
    return sp.Matrix.vstack(x_row, y_plus, sp.Matrix([[1, 0, 0, 0], [0, 1, 0, 0]]))


def unrolled_by_differentiation(loss_x, J, lx, ly, k, through):
    # The generator descends loss_x(x, y_k(x)), y_{i+1} = y_i + ly F_y(x, y_i): composed and
    # differentiated by sympy (not by the jet arithmetic of the backend).
    x, y, u = sp.symbols("x y u", real=True)
    v = y
    for _ in range(k):
        v = v + ly * (J[1, 0] * u + J[1, 1] * v)
    if through:
        gx = sp.diff(loss_x.subs({S.X: u, S.Y: v}, simultaneous=True), u)
    else:
        w = sp.Symbol("w", real=True)
        gx = sp.diff(loss_x.subs({S.X: u, S.Y: w}, simultaneous=True), u).subs(w, v)
    x_new = x - lx * gx.subs(u, x)
    y_new = y + ly * (J[1, 0] * x + J[1, 1] * y)
    return sp.Matrix([x_new, y_new]).jacobian([x, y])


def hand_matrices(game, J):
    Jt = J.T
    return [
        ("gda", {}, I2 + lr * J),
        ("gda", dict(lr=("lr_x", "lr_y")), I2 + eta(lr_x, lr_y) * J),
        (
            "gda alternating y, k=1",
            dict(lr=("lr_x", "lr_y"), alternating=True),
            alternating_gda(J, lr_x, lr_y, "y", 1),
        ),
        (
            "gda alternating x, k=3",
            dict(lr=("lr_x", "lr_y"), alternating=True, first="x", k=3),
            alternating_gda(J, lr_x, lr_y, "x", 3),
        ),
        ("extragradient", dict(lr_extra="lr_e"), I2 + lr * J * (I2 + lr_e * J)),
        ("optimistic", {}, sp.BlockMatrix([[I2 + 2 * lr * J, -lr * J], [I2, O2]]).as_explicit()),
        (
            "momentum",
            dict(lr=("lr_x", "lr_y"), beta=("beta_x", "beta_y")),
            sp.BlockMatrix(
                [
                    [eta(1 + beta_x, 1 + beta_y) + eta(lr_x, lr_y) * J, -eta(beta_x, beta_y)],
                    [I2, O2],
                ]
            ).as_explicit(),
        ),
        (
            "momentum alternating",
            dict(lr=("lr_x", "lr_y"), beta=("beta_x", "beta_y"), alternating=True),
            alternating_momentum(J, lr_x, lr_y, beta_x, beta_y),
        ),
        ("consensus", {}, I2 + lr * (J - gamma * Jt * J)),
        ("sga", {}, I2 + lr * (J + lam / 2 * (J - Jt) * J)),
        ("proximal", {}, (I2 - lr * J).inv()),
        ("unrolled k=2", dict(k=2), unrolled_by_differentiation(game.loss_x, J, lr, lr, 2, True)),
        (
            "unrolled k=3, no backprop",
            dict(k=3, through=False),
            unrolled_by_differentiation(game.loss_x, J, lr, lr, 3, False),
        ),
    ]


def spec_name(label):
    return label.split()[0]


@pytest.mark.parametrize("game, J", [(BIL, JB), (QUAD, JQ)], ids=["bilinear", "quadratic"])
def test_update_matrices_equal_the_rule_formulas(game, J):
    for label, fields, expected in hand_matrices(game, J):
        got = S.update_matrix(game, S.rule(spec_name(label), **fields))
        assert same(got, expected), f"{label}: {got} != {expected}"


def test_dirac_gan_update_matrix_uses_its_jacobian():
    # Near the equilibrium the Dirac GAN with R1 has J = [[0, -f'(0)], [f'(0), -gamma]]
    # (Mescheder et al. 2018, eq. for R1); GDA's matrix is I + lr J.
    fp0 = sp.Symbol("fp0", positive=True)
    game = S.dirac("generic", "r1")
    J = sp.Matrix([[0, -fp0], [fp0, -gamma]])
    assert same(S.update_matrix(game, S.rule("gda")), I2 + lr * J)
    assert same(S.update_matrix(game, S.rule("extragradient")), I2 + lr * J + lr**2 * J * J)


def test_numeric_hyperparameters_are_read_exactly():
    matrix = S.update_matrix(BIL, gd.optim.gda(0.1))
    assert matrix == sp.Matrix([[1, -s / 10], [s / 10, 1]])


# -- against the numeric code ----------------------------------------------------------------
NUMERIC_RULES = [
    ("gda", dict(lr=(0.21, 0.13))),
    ("gda", dict(lr=(0.21, 0.13), alternating=True, first="x", k=2)),
    ("extragradient", dict(lr=0.3, lr_extra=0.17)),
    ("optimistic", dict(lr=(0.2, 0.31))),
    ("momentum", dict(lr=0.2, beta=(-0.3, 0.4))),
    ("momentum", dict(lr=(0.2, 0.25), beta=-0.45, alternating=True)),
    ("consensus", dict(lr=0.2, gamma=0.7)),
    ("sga", dict(lr=0.2, lam=-0.6)),
    ("sga", dict(lr=0.2, lam=0.6, align=True)),
    ("proximal", dict(lr=(0.4, 0.9))),
    ("unrolled", dict(lr=0.3, k=2)),
    ("unrolled", dict(lr=(0.3, 0.2), k=2, through=False)),
    ("cgd", dict(lr=(0.4, 0.9))),
]
NUMERIC_GAME = gd.games.Quadratic([[0.7]], B=[[0.3]], C=[[-0.2]])
NUMERIC_VALUES = {a: sp.Rational(7, 10), b: sp.Rational(3, 10), c: sp.Rational(-2, 10)}


def finite_difference_jacobian(game, rule, h=1e-6):
    """Central differences of one numeric step at the equilibrium (on (z, z_prev) for
    rules with memory)."""
    n = game.n

    def step(w):
        if rule.memory:
            state = rule.history_state(game, *game.split(w[:n]), *game.split(w[n:]))
            new = rule.step(game, state)
            return jnp.concatenate([new.x, new.y, w[:n]])
        state = rule.init(*game.split(w))._replace(count=1)
        new = rule.step(game, state)
        return jnp.concatenate([new.x, new.y])

    dim = 2 * n if rule.memory else n
    step = jax.jit(step)  # one compilation instead of one eager dispatch per probe
    return np.stack(
        [(np.asarray(step(h * e)) - np.asarray(step(-h * e))) / (2 * h) for e in np.eye(dim)],
        axis=1,
    )


def symbolic_numeric(rule):
    return np.array(S.update_matrix(QUAD, rule).subs(NUMERIC_VALUES), dtype=float)


@pytest.mark.parametrize("name, kwargs", NUMERIC_RULES, ids=lambda v: str(v))
def test_symbolic_matrix_equals_finite_differences_of_the_jax_step(name, kwargs):
    rule = gd.optim.RULES[name](**kwargs)
    # The step is linear, so central differences are exact up to rounding: ~eps / h = 1e-10.
    np.testing.assert_allclose(
        symbolic_numeric(rule), finite_difference_jacobian(NUMERIC_GAME, rule), atol=1e-8
    )


@pytest.mark.parametrize("name, kwargs", NUMERIC_RULES, ids=lambda v: str(v))
def test_symbolic_matrix_equals_update_jacobian(name, kwargs):
    rule = gd.optim.RULES[name](**kwargs)
    # a few float64 roundings of O(1) numbers
    numeric = jax.jit(gd.update_jacobian)(NUMERIC_GAME, rule)  # compiled: eager proximal is slow
    np.testing.assert_allclose(symbolic_numeric(rule), numeric, atol=1e-12)


# -- a user's own rule -----------------------------------------------------------------------
@gd._pytree.pytree_dataclass
class Lookahead(gd.optim.Rule):
    """Lookahead-minimax (Chavdarova et al. 2021): k GDA steps, then move alpha of the way."""

    lr: float
    alpha: float = 0.5
    k: int = 3

    def _step(self, oracle, state):
        def gda(z):
            fx, fy = oracle.field(*z)
            return oracle.axpy(self.lr, fx, z[0]), oracle.axpy(self.lr, fy, z[1])

        xk, yk = oracle.repeat(self.k, gda, (state.x, state.y))
        x = oracle.axpy(self.alpha, oracle.sub(xk, state.x), state.x)
        y = oracle.axpy(self.alpha, oracle.sub(yk, state.y), state.y)
        return state._replace(x=x, y=y, count=state.count + 1)


def test_a_user_rule_gets_its_symbolic_matrix_and_region():
    alpha = sp.Symbol("alpha", real=True)
    rule = S.rule(Lookahead(lr=0.1, k=3))
    # z+ = z + alpha ((I + lr J)^k - I) z
    expected = I2 + alpha * ((I2 + lr * JB) ** 3 - I2)
    assert same(S.update_matrix(BIL, rule), expected)
    region = S.convergence_region(BIL, S.rule(Lookahead(lr=0.1, k=3), alpha=0.5))
    inside = S.predicate(region)
    # numeric check at two points on either side of the boundary the region reports
    rho = jax.jit(
        jax.vmap(
            lambda v: gd.spectral_radius(
                gd.games.Bilinear([[1.0]]), Lookahead(lr=v, alpha=0.5, k=3)
            )
        )
    )
    lrs = np.array([0.3, 1.5])
    np.testing.assert_array_equal(inside(lr=lrs, s=1.0), np.asarray(rho(lrs)) < 1)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="spec='newton' is not accepted"):
        S.rule("newton")
    with pytest.raises(ValueError, match="stateful base"):
        S.rule(gd.optim.gda(0.1, base=gd.optim.adam()))
    with pytest.raises(ValueError, match="expected a symbolic game"):
        S.update_matrix(gd.games.Bilinear([[1.0]]), S.rule("gda"))
    with pytest.raises(ValueError, match="quadratic polynomial"):
        S.symbolic_game(S.X**3, -S.X * S.Y)
    with pytest.raises(ValueError, match="equilibrium at the origin"):
        S.symbolic_game(S.X, -S.X * S.Y)
    with pytest.raises(ValueError, match="reg='gp' is not accepted"):
        S.dirac(reg="gp")
