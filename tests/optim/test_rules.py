"""Update rules: each step against the rule's formula written out with explicit matrices.

On a linear game ``F(z) = J z`` (``J = [[-B, -A], [A^T, -C]]``), so every rule's step is a
product of matrices that numpy can form independently of the package.
"""

import re

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import gamedyn as gd

RNG = np.random.default_rng(1)
N_X, N_Y = 2, 3
A = RNG.normal(size=(N_X, N_Y))
B = np.diag([0.3, -0.2])
C = np.diag([0.1, 0.4, -0.1])
GAME = gd.games.Quadratic(A, B=B, C=C)
J = np.block([[-B, -A], [A.T, -C]])
Z0 = RNG.normal(size=N_X + N_Y)
LR_X, LR_Y = 0.07, 0.11
ETA = np.diag([LR_X] * N_X + [LR_Y] * N_Y)
TIGHT = 1e-13  # a handful of float64 roundings on O(1) numbers


def run(rule, steps, z0=Z0, game=GAME):
    state = rule.init(*game.split(jnp.asarray(z0)))
    out = []
    for _ in range(steps):
        state = rule.step(game, state)
        out.append(np.concatenate([state.x, state.y]))
    return out


def blocks(z):
    return z[:N_X], z[N_X:]


def test_simultaneous_gda_with_ttur():
    (z1,) = run(gd.optim.gda((LR_X, LR_Y)), 1)
    np.testing.assert_allclose(z1, Z0 + ETA @ J @ Z0, atol=TIGHT)


@pytest.mark.parametrize("first", ["x", "y"])
@pytest.mark.parametrize("k", [1, 3])
def test_alternating_gda_moves_first_player_k_times(first, k):
    (z1,) = run(gd.optim.gda((LR_X, LR_Y), alternating=True, first=first, k=k), 1)
    x, y = blocks(Z0.copy())
    fx = lambda x, y: -(B @ x + A @ y)  # noqa: E731
    fy = lambda x, y: A.T @ x - C @ y  # noqa: E731
    if first == "y":
        for _ in range(k):
            y = y + LR_Y * fy(x, y)
        x = x + LR_X * fx(x, y)
    else:
        for _ in range(k):
            x = x + LR_X * fx(x, y)
        y = y + LR_Y * fy(x, y)
    np.testing.assert_allclose(z1, np.concatenate([x, y]), atol=TIGHT)


def test_alternating_k_may_be_a_traced_array():
    rule = gd.optim.gda(0.1, alternating=True, k=3)
    expected = run(rule, 1)[0]
    step = jax.jit(lambda k: gd.optim.gda(0.1, alternating=True, k=k).step(
        GAME, gd.optim.gda(0.1).init(*GAME.split(jnp.asarray(Z0)))))
    state = step(jnp.asarray(3))
    np.testing.assert_allclose(np.concatenate([state.x, state.y]), expected, atol=TIGHT)


def test_extragradient_with_separate_extrapolation_step():
    (z1,) = run(gd.optim.extragradient((LR_X, LR_Y), lr_extra=0.2), 1)
    half = Z0 + 0.2 * J @ Z0
    np.testing.assert_allclose(z1, Z0 + ETA @ J @ half, atol=TIGHT)


def test_optimistic_uses_the_first_field_twice_then_the_previous_one():
    z1, z2, z3 = run(gd.optim.optimistic((LR_X, LR_Y)), 3)
    np.testing.assert_allclose(z1, Z0 + ETA @ J @ Z0, atol=TIGHT)
    np.testing.assert_allclose(z2, z1 + 2 * ETA @ J @ z1 - ETA @ J @ Z0, atol=TIGHT)
    np.testing.assert_allclose(z3, z2 + 2 * ETA @ J @ z2 - ETA @ J @ z1, atol=TIGHT)


@pytest.mark.parametrize("beta", [0.5, -0.4, (0.3, -0.6)])
def test_simultaneous_heavy_ball(beta):
    b = np.diag([np.broadcast_to(beta, 2)[0]] * N_X + [np.broadcast_to(beta, 2)[1]] * N_Y)
    z1, z2, z3 = run(gd.optim.momentum((LR_X, LR_Y), beta), 3)
    np.testing.assert_allclose(z1, Z0 + ETA @ J @ Z0, atol=TIGHT)  # zero initial velocity
    np.testing.assert_allclose(z2, z1 + ETA @ J @ z1 + b @ (z1 - Z0), atol=TIGHT)
    np.testing.assert_allclose(z3, z2 + ETA @ J @ z2 + b @ (z2 - z1), atol=TIGHT)


def test_alternating_heavy_ball_uses_the_updated_discriminator():
    beta = -0.3
    z1, z2 = run(gd.optim.momentum((LR_X, LR_Y), beta, alternating=True), 2)
    fx = lambda x, y: -(B @ x + A @ y)  # noqa: E731
    fy = lambda x, y: A.T @ x - C @ y  # noqa: E731
    x0, y0 = blocks(Z0)
    y1 = y0 + LR_Y * fy(x0, y0)
    x1 = x0 + LR_X * fx(x0, y1)
    y2 = y1 + LR_Y * fy(x1, y1) + beta * (y1 - y0)
    x2 = x1 + LR_X * fx(x1, y2) + beta * (x1 - x0)
    np.testing.assert_allclose(z1, np.concatenate([x1, y1]), atol=TIGHT)
    np.testing.assert_allclose(z2, np.concatenate([x2, y2]), atol=TIGHT)


def test_consensus_moves_along_f_minus_gamma_jt_f():
    (z1,) = run(gd.optim.consensus((LR_X, LR_Y), 0.8), 1)
    F = J @ Z0
    np.testing.assert_allclose(z1, Z0 + ETA @ (F - 0.8 * J.T @ F), atol=TIGHT)


def test_sga_follows_balduzzi_eq_4():
    lam = 0.6
    (z1,) = run(gd.optim.sga((LR_X, LR_Y), lam), 1)
    xi = -J @ Z0  # simultaneous gradient
    H = -J  # its Jacobian, the game Hessian
    A_anti = (H - H.T) / 2
    np.testing.assert_allclose(z1, Z0 - ETA @ (xi + lam * A_anti.T @ xi), atol=TIGHT)


def test_sga_alignment_flips_lambda_when_the_paper_says_so():
    # Balduzzi et al. 2018, Alg. 1: lam <- lam * sign(<xi, grad H> <A^T xi, grad H> / n + eps).
    lam, eps = 0.6, 0.1
    (z1,) = run(gd.optim.SGA(lr=0.05, lam=lam, align=True, align_eps=eps), 1)
    xi = -J @ Z0
    H = -J
    A_anti = (H - H.T) / 2
    grad_ham = H.T @ xi
    sign = np.sign(xi @ grad_ham * (A_anti.T @ xi) @ grad_ham / Z0.size + eps)
    np.testing.assert_allclose(z1, Z0 - 0.05 * (xi + sign * lam * A_anti.T @ xi), atol=TIGHT)


def test_proximal_is_the_implicit_step_on_linear_games():
    (z1,) = run(gd.optim.proximal((LR_X, LR_Y)), 1)
    np.testing.assert_allclose(z1, np.linalg.solve(np.eye(5) - ETA @ J, Z0), atol=TIGHT)


def test_proximal_solves_the_implicit_equation_on_a_nonlinear_game():
    game = gd.games.DiracGAN(loss="nonsaturating", reg="r1", gamma=0.3)
    z0 = np.array([1.5, -2.0])
    (z1,) = run(gd.optim.proximal(0.9), 1, z0=z0, game=game)
    residual = z1 - z0 - 0.9 * np.asarray(gd.vector_field(game, z1))
    assert np.max(np.abs(residual)) < 1e-12  # the default tol is 100 eps * (1 + |z|)


@pytest.mark.parametrize("through", [True, False])
def test_unrolled_on_bilinear_matches_the_surrogate_gradient(through):
    # y_k = y + k lr_y A^T x, so d/dx [x^T A y_k(x)] = A y + 2 k lr_y A A^T x (through the
    # look-ahead), or A y_k with y_k held constant.
    k = 4
    game = gd.games.Bilinear(A)
    (z1,) = run(gd.optim.unrolled((LR_X, LR_Y), k, through=through), 1, game=game)
    x, y = blocks(Z0)
    y_k = y + k * LR_Y * A.T @ x
    grad = A @ y + 2 * k * LR_Y * A @ A.T @ x if through else A @ y_k
    np.testing.assert_allclose(z1, np.concatenate([x - LR_X * grad, y + LR_Y * A.T @ x]), atol=TIGHT)


# -- competitive gradient descent: the paper's closed forms ------------------------------
def test_cgd_is_the_papers_zero_sum_step_on_a_quadratic_game():
    # Schäfer & Anandkumar 2019, eq. (4), zero-sum f = loss_x = -loss_y, one step size:
    # dx = -lr (I + lr^2 D_xy f D_yx f)^-1 (grad_x f + lr D_xy f grad_y f)
    # dy = +lr (I + lr^2 D_yx f D_xy f)^-1 (grad_y f - lr D_yx f grad_x f)
    lr = 0.3
    (z1,) = run(gd.optim.cgd(lr), 1)
    x, y = blocks(Z0)
    gx, gy = B @ x + A @ y, A.T @ x - C @ y  # f = x'Bx/2 + x'Ay - y'Cy/2
    dx = -lr * np.linalg.solve(np.eye(N_X) + lr**2 * A @ A.T, gx + lr * A @ gy)
    dy = lr * np.linalg.solve(np.eye(N_Y) + lr**2 * A.T @ A, gy - lr * A.T @ gx)
    np.testing.assert_allclose(z1, np.concatenate([x + dx, y + dy]), atol=TIGHT)


def test_cgd_with_two_step_sizes_is_the_nash_equilibrium_of_the_local_game():
    # Each player's best response in the bilinear local game with penalty |d|^2 / (2 lr_p):
    # d_x = -lr_x (grad_x f + D_xy f d_y),  d_y = +lr_y (grad_y f - D_yx f d_x)
    (z1,) = run(gd.optim.cgd((LR_X, LR_Y)), 1)
    x, y = blocks(Z0)
    gx, gy = B @ x + A @ y, A.T @ x - C @ y
    system = np.block([[np.eye(N_X), LR_X * A], [-LR_Y * A.T, np.eye(N_Y)]])
    d = np.linalg.solve(system, np.concatenate([-LR_X * gx, LR_Y * gy]))
    np.testing.assert_allclose(z1, Z0 + d, atol=TIGHT)


def test_cgd_on_a_general_sum_game_uses_each_players_own_mixed_derivative():
    # Schäfer & Anandkumar 2019, eq. (4), general sum (f = loss_x, g = loss_y):
    # dx = -lr (I - lr^2 D_xy f D_yx g)^-1 (grad_x f - lr D_xy f grad_y g), dy symmetric.
    # The non-saturating Dirac GAN is general-sum; its derivatives come from jax.hessian.
    game = gd.games.DiracGAN(loss="nonsaturating")
    lr, z0 = 0.4, np.array([0.8, -0.6])
    (z1,) = run(gd.optim.cgd(lr), 1, z0=z0, game=game)

    def loss(i):
        return lambda z: game.losses(z[:1], z[1:])[i]

    f_grad, g_grad = jax.grad(loss(0))(z0), jax.grad(loss(1))(z0)
    f_hess, g_hess = jax.hessian(loss(0))(z0), jax.hessian(loss(1))(z0)
    fxy, gyx = f_hess[0, 1], g_hess[1, 0]
    assert abs(fxy + gyx) > 0.01  # not zero-sum here: the two mixed derivatives differ
    dx = -lr * (f_grad[0] - lr * fxy * g_grad[1]) / (1 - lr**2 * fxy * gyx)
    dy = -lr * (g_grad[1] - lr * gyx * f_grad[0]) / (1 - lr**2 * gyx * fxy)
    np.testing.assert_allclose(z1, z0 + np.array([dx, dy]), atol=TIGHT)


def test_cgd_is_the_proximal_point_step_on_bilinear_games():
    # J has no diagonal blocks on a bilinear game, so (I - eta J) d = eta F(z) is the
    # implicit step z+ = z + eta F(z+) (F linear); spectral radius 1 / sqrt(1 + lr^2 s_min^2).
    game, lr = gd.games.Bilinear(A[:, :N_X]), (0.6, 0.6)
    z0 = Z0[: 2 * N_X]
    np.testing.assert_allclose(run(gd.optim.cgd(lr), 50, z0=z0, game=game),
                               run(gd.optim.proximal(lr), 50, z0=z0, game=game), atol=TIGHT)
    s_min = np.linalg.svd(A[:, :N_X], compute_uv=False).min()
    assert float(gd.spectral_radius(game, gd.optim.cgd(0.6))) == pytest.approx(
        1 / np.sqrt(1 + 0.36 * s_min**2), abs=1e-14)


@pytest.mark.parametrize("off_diagonal", [False, True])
def test_matrix_free_shifted_solve_equals_the_dense_one(off_diagonal, monkeypatch):
    import gamedyn.optim._backend as backend

    oracle = gd.optim.as_oracle(GAME)
    x, y = (jnp.asarray(b) for b in blocks(Z0))
    r_x, r_y = jnp.asarray(RNG.normal(size=N_X)), jnp.asarray(RNG.normal(size=N_Y))
    dense = oracle.solve_shifted(x, y, LR_X, LR_Y, r_x, r_y, off_diagonal=off_diagonal)
    monkeypatch.setattr(backend, "DENSE_SOLVE_MAX", 0)  # GMRES on Jacobian-vector products
    gmres = oracle.solve_shifted(x, y, LR_X, LR_Y, r_x, r_y, off_diagonal=off_diagonal)
    matrix = J * np.block([[np.zeros((N_X, N_X)), np.ones((N_X, N_Y))],
                           [np.ones((N_Y, N_X)), np.zeros((N_Y, N_Y))]]) if off_diagonal else J
    expected = np.linalg.solve(np.eye(5) - ETA @ matrix, np.concatenate([r_x, r_y]))
    # GMRES stops at a relative residual of 1e-12 on this well-conditioned 5 x 5 system
    for d in (dense, gmres):
        np.testing.assert_allclose(np.concatenate(d), expected, atol=1e-10)


def numpy_adam(grads, lr, b1=0.9, b2=0.999, eps=1e-8):
    """Adam from Kingma & Ba (2015), Algorithm 1, for a list of successive gradients."""
    m = v = 0.0
    steps = []
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        steps.append(-lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps))
    return steps


def test_adam_base_is_adam_on_each_players_gradient():
    game = gd.games.Bilinear(A)
    rule = gd.optim.gda((LR_X, LR_Y), base=gd.optim.adam(b1=0.5, b2=0.9))
    zs = run(rule, 3, game=game)
    # replay: gradients at the iterates the rule visited, Adam written out by hand
    x, y = blocks(Z0)
    gx, gy = [], []
    for t in range(3):
        gx.append(A @ y)  # grad_x loss_x
        gy.append(-A.T @ x)  # grad_y loss_y
        x = x + numpy_adam(gx, LR_X, 0.5, 0.9)[-1]
        y = y + numpy_adam(gy, LR_Y, 0.5, 0.9)[-1]
        np.testing.assert_allclose(zs[t], np.concatenate([x, y]), atol=1e-12)


def test_any_optax_transformation_can_be_the_base():
    game = gd.games.Bilinear(A)
    rule = gd.optim.gda(1.0, base=optax.sgd(0.1, momentum=0.5))
    z1, z2 = run(rule, 2, game=game)
    x, y = blocks(Z0)
    # optax.sgd with momentum: trace t = g + 0.5 t_prev, update -0.1 t
    tx, ty = A @ y, -A.T @ x
    x1, y1 = x - 0.1 * tx, y - 0.1 * ty
    tx, ty = A @ y1 + 0.5 * tx, -A.T @ x1 + 0.5 * ty
    np.testing.assert_allclose(z1, np.concatenate([x1, y1]), atol=TIGHT)
    np.testing.assert_allclose(z2, np.concatenate([x1 - 0.1 * tx, y1 - 0.1 * ty]), atol=TIGHT)


def test_rules_vmap_over_hyperparameters():
    lrs = jnp.array([0.01, 0.1, 0.3])
    betas = jnp.array([-0.5, 0.0, 0.5])

    def one(lr, beta):
        rule = gd.optim.momentum(lr, beta)
        state = rule.step(GAME, rule.init(*GAME.split(jnp.asarray(Z0))))
        return rule.step(GAME, state).x

    batched = jax.vmap(one)(lrs, betas)
    for i in range(3):
        np.testing.assert_allclose(batched[i], one(float(lrs[i]), float(betas[i])), atol=TIGHT)


def test_rules_are_pytrees_with_static_switches():
    rule = gd.optim.gda((0.1, 0.2), alternating=True, first="x", k=2)
    leaves, treedef = jax.tree.flatten(rule)
    assert sorted(float(v) for v in leaves) == [0.1, 0.2, 2.0]
    rebuilt = jax.tree.unflatten(treedef, leaves)
    assert rebuilt.alternating and rebuilt.first == "x" and rebuilt.lr_y == 0.2


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: gd.optim.gda(-0.1), r"lr=-0.1 is not accepted; expected a finite step size >= 0"),
        (lambda: gd.optim.gda(float("nan")), "lr=nan is not accepted"),
        (lambda: gd.optim.gda((0.1, 0.2, 0.3)), r"expected a finite step size >= 0, or a pair"),
        (lambda: gd.optim.gda(0.1, first="z"), r"first='z' is not accepted; expected one of 'x', 'y'"),
        (lambda: gd.optim.gda(0.1, alternating=True, k=0), r"k=0 is not accepted; expected a whole number >= 1"),
        (lambda: gd.optim.gda(0.1, k=2), r"k=2 is not accepted with alternating=False"),
        (lambda: gd.optim.gda(0.1, base="adam"), r"base='adam' is not accepted; expected None, gd.optim.adam\(\)"),
        (lambda: gd.optim.momentum(0.1, float("inf")), r"beta=inf is not accepted"),
        (lambda: gd.optim.consensus(0.1, -1.0), r"gamma=-1.0 is not accepted"),
        (lambda: gd.optim.extragradient(0.1, lr_extra=-2.0), r"lr_extra=-2.0 is not accepted"),
        (lambda: gd.optim.unrolled(0.1, -1), r"k=-1 is not accepted"),
        (lambda: gd.optim.proximal(0.1, max_iter=0), r"max_iter=0 is not accepted"),
        (lambda: gd.optim.cgd(-0.5), r"lr=-0.5 is not accepted; expected a finite step size >= 0"),
        (lambda: gd.optim.adam(eps=0.0), r"eps=0.0 is not accepted"),
    ],
)
def test_bad_hyperparameters_are_named_in_the_error(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_rule_named_takes_what_each_rule_accepts_and_refuses_the_rest():
    # reprs: rule fields may hold JAX arrays, whose == is elementwise
    assert repr(gd.optim.rule_named("gda", 0.1, alternating=True, first="x", k=3)) == repr(
        gd.optim.gda(0.1, alternating=True, first="x", k=3))
    assert repr(gd.optim.rule_named("unrolled", 0.1, k=3)) == repr(gd.optim.unrolled(0.1, 3))
    assert repr(gd.optim.rule_named("consensus", 0.1, gamma=0.7)) == repr(gd.optim.consensus(0.1, 0.7))
    assert repr(gd.optim.rule_named("extragradient", 0.1, lr_extra=0.05)) == repr(gd.optim.extragradient(0.1, 0.05))
    assert repr(gd.optim.rule_named("cgd", 0.1)) == repr(gd.optim.cgd(0.1))
    # an option the rule does not take would be silently dropped: it is an error naming it
    with pytest.raises(ValueError, match="beta is not accepted by rule='gda'; it takes alternating, first, k, base"):
        gd.optim.rule_named("gda", 0.1, beta=0.9)
    with pytest.raises(ValueError, match="alternating, k are not accepted by rule='extragradient'"):
        gd.optim.rule_named("extragradient", 0.1, alternating=True, k=2)
    with pytest.raises(ValueError, match="lam is not accepted by rule='cgd'; it takes no options"):
        gd.optim.rule_named("cgd", 0.1, lam=0.1)
    with pytest.raises(ValueError, match="base is not accepted with rule='proximal'"):
        gd.optim.rule_named("proximal", 0.1, base=gd.optim.adam())
    with pytest.raises(ValueError, match="base is not accepted with rule='cgd'"):
        gd.optim.rule_named("cgd", 0.1, base=gd.optim.adam())
    with pytest.raises(ValueError, match="rule='newton' is not accepted"):
        gd.optim.rule_named("newton", 0.1)


@pytest.mark.parametrize("name", sorted(gd.optim.RULES))
def test_every_option_a_rule_does_not_take_is_refused(name):
    """Over the registry: each option another rule takes, passed to a rule without it."""
    import inspect

    takes = {n: set(inspect.signature(f).parameters) - {"lr"} for n, f in gd.optim.RULES.items()}
    values = dict(alternating=True, first="x", k=2, beta=0.3, gamma=0.2, lam=0.2, lr_extra=0.05, align=True, align_eps=0.2,
                  tol=1e-6, max_iter=10, lr_unroll=0.1, through=False, look_ahead="base")
    for option in sorted(set().union(*takes.values()) - takes[name] - {"base"}):
        with pytest.raises(ValueError, match=f"{option} is not accepted by rule='{name}'"):
            gd.optim.rule_named(name, 0.1, **{option: values[option]})


def explicit_unrolled_through_adam(game, x, y, m, v, count, k, lr, b1, b2, eps):
    """-d/dx loss_x(x, y_k(x)) where y_k is k steps of Adam (Kingma & Ba 2015, Algorithm 1)
    written out from the paper's formulas, from moments (m, v) after ``count`` steps; the
    square root carries eps^2 inside it (optax's eps_root), which the look-ahead uses."""

    def y_k(u):
        yy, mm, vv = y, m, v
        for i in range(k):
            g = jax.grad(lambda w: game.losses(u, w)[1])(yy)
            mm = b1 * mm + (1 - b1) * g
            vv = b2 * vv + (1 - b2) * g * g
            t = count + i + 1
            m_hat, v_hat = mm / (1 - b1**t), vv / (1 - b2**t)
            yy = yy - lr * m_hat / (jnp.sqrt(v_hat + eps**2) + eps)
        return yy

    return -jax.grad(lambda u: game.losses(u, y_k(u))[0])(x)


def test_unrolled_through_the_discriminators_adam_matches_the_explicit_formula():
    # Metz et al. (2017) unroll the discriminator's own optimiser: the look-ahead advances
    # Adam's moments from the discriminator's current state (here after two real steps).
    game = gd.games.GaussianMixture.ring(latent_dim=2, gen_hidden=(5,), disc_hidden=(4,), batch_size=6)
    game = game.with_key(jax.random.PRNGKey(2))
    x, y = game.init(jax.random.PRNGKey(1))
    adam = gd.optim.adam(b1=0.5, b2=0.9)
    rule = gd.optim.unrolled(0.05, 3, base=adam, look_ahead="base")
    state = rule.init(x, y)
    for _ in range(2):
        state = rule.step(game, state)
    adam_state = state.base[1][0]
    expected = explicit_unrolled_through_adam(
        game, state.x, state.y, adam_state.mu, adam_state.nu, int(adam_state.count), 3, 0.05, 0.5, 0.9, 1e-8
    )
    oracle = gd.optim._backend.as_oracle(game)
    from gamedyn.optim._rules import _differentiable

    got = oracle.unrolled_field_x(state.x, state.y, 3, 0.05, True, base=_differentiable(adam), base_state=state.base[1])
    # float64, the same operations in another order: a few roundings of O(1) numbers.
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)
    # Without a base the option changes nothing.
    plain = gd.optim.unrolled(0.05, 3)
    z_plain = plain.step(game, plain.init(x, y))
    z_base = gd.optim.unrolled(0.05, 3, look_ahead="base").step(game, plain.init(x, y))
    np.testing.assert_array_equal(z_plain.x, z_base.x)
    # And with Adam, unrolling Adam differs from plain ascent steps of the same size.
    plain_adam = gd.optim.unrolled(0.05, 3, base=adam)
    assert not np.allclose(plain_adam.step(game, state).x, rule.step(game, state).x)


def test_unrolled_look_ahead_is_checked_and_refused_where_unsupported():
    with pytest.raises(ValueError, match="look_ahead='adam' is not accepted"):
        gd.optim.unrolled(0.1, 2, look_ahead="adam")
    S = gd.symbolic
    with pytest.raises(ValueError, match="look_ahead='base'.*not accepted by the sympy backend"):
        S.SympyOracle(S.bilinear()).unrolled_field_x(0, 0, 2, 0.1, base=gd.optim.adam(), base_state=None)


@pytest.mark.parametrize("make, message", [
    (lambda: gd.optim.gda("0.1"), "lr='0.1' is not accepted"),
    (lambda: gd.optim.momentum(0.1, "0.5"), "beta='0.5' is not accepted"),
    (lambda: gd.optim.extragradient((0.1, "0.2")), "lr='0.2' is not accepted"),
])
def test_a_number_given_as_a_string_is_refused_at_construction(make, message):
    # numpy reads "0.1" as 0.1; the rule must refuse it rather than fail later inside JAX;
    # a TypeError (what Python raises for a wrong type) that `except ValueError` also catches
    with pytest.raises(TypeError, match=re.escape(message)):
        make()
