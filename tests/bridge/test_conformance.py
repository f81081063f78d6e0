"""Conformance: every rule run by the PyTorch executor gives the same iterates as the JAX
``gd.simulate`` on a bilinear game, to 1e-10 over 100 steps.

This is what makes "the same optimizer" true: one rule object, two backends. The torch side
splits each player into two parameter tensors to exercise the list-of-tensors trees.
"""

import numpy as np
import pytest
import torch

import gamedyn as gd

RNG = np.random.default_rng(7)
N_X, N_Y = 3, 2
A = RNG.normal(size=(N_X, N_Y)) / 1.5
Z0 = RNG.normal(size=N_X + N_Y)
STEPS = 100

RULES = {
    "gda": gd.optim.gda(0.1),
    "gda_ttur": gd.optim.gda((0.05, 0.2)),
    "gda_alternating_k3": gd.optim.gda((0.1, 0.07), alternating=True, k=3),
    "gda_alternating_x_first": gd.optim.gda(0.1, alternating=True, first="x"),
    "extragradient": gd.optim.extragradient(0.3, lr_extra=0.2),
    "optimistic": gd.optim.optimistic(0.2),
    "momentum_negative": gd.optim.momentum(0.2, -0.3),
    "momentum_alternating": gd.optim.momentum((0.2, 0.3), (-0.2, 0.1), alternating=True),
    "consensus": gd.optim.consensus(0.2, 0.5),
    "sga": gd.optim.sga(0.2, 0.7),
    "sga_align": gd.optim.sga(0.2, 0.7, align=True),
    "proximal": gd.optim.proximal(0.5),
    "unrolled": gd.optim.unrolled(0.1, 3),
    "unrolled_no_backprop": gd.optim.unrolled(0.1, 2, through=False),
    "unrolled_through_adam": gd.optim.unrolled(0.01, 3, base=gd.optim.adam(b1=0.5), look_ahead="base"),
    "unrolled_through_rmsprop": gd.optim.unrolled(0.01, 2, base=gd.optim.rmsprop(), look_ahead="base"),
    "cgd": gd.optim.cgd(0.3),
    "cgd_ttur": gd.optim.cgd((0.2, 0.5)),
    "gda_adam": gd.optim.gda(0.01, base=gd.optim.adam(b1=0.5, b2=0.9)),
    "extragradient_adam": gd.optim.extragradient(0.01, base=gd.optim.adam()),
    "optimistic_adam": gd.optim.optimistic(0.01, base=gd.optim.adam()),
    "gda_alternating_rmsprop": gd.optim.gda(0.01, alternating=True, base=gd.optim.rmsprop()),
}


def torch_trajectory(rule):
    x = torch.tensor(Z0[:N_X], dtype=torch.float64)
    y = torch.tensor(Z0[N_X:], dtype=torch.float64)
    # two tensors per player: x = (x_a, x_b), y = (y_a, y_b)
    xs = [x[:2].clone().requires_grad_(), x[2:].clone().requires_grad_()]
    ys = [y[:1].clone().requires_grad_(), y[1:].clone().requires_grad_()]
    At = torch.tensor(A, dtype=torch.float64)

    def losses():
        value = torch.cat(xs) @ At @ torch.cat(ys)
        return value, -value

    opt = gd.bridge.GameOptimizer(rule, xs, ys)
    out = [Z0.copy()]
    for _ in range(STEPS):
        opt.step(losses)
        out.append(torch.cat([t.detach() for t in xs + ys]).numpy().copy())
    return np.array(out)


@pytest.mark.parametrize("name", list(RULES))
def test_torch_iterates_equal_jax_iterates(name):
    rule = RULES[name]
    jax_traj = np.asarray(gd.simulate(gd.games.Bilinear(A), rule, Z0, STEPS, blowup=1e300).trajectory)
    torch_traj = torch_trajectory(rule)
    # Both backends do the same float64 operations in a different order (and GMRES vs a
    # dense solve for the proximal step): differences are round-off, amplified at most by
    # the map's growth over 100 steps; 1e-10 is the bar.
    np.testing.assert_allclose(torch_traj, jax_traj, atol=1e-10, rtol=0)


def test_evaluations_per_step_follow_the_rule():
    # GDA evaluates the field once, extragradient twice, k=3 alternating four times.
    x = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    y = torch.ones(1, dtype=torch.float64, requires_grad=True)
    for rule, count in [(gd.optim.gda(0.1), 1), (gd.optim.extragradient(0.1), 2),
                        (gd.optim.gda(0.1, alternating=True, k=3), 4)]:
        opt = gd.bridge.GameOptimizer(rule, [x], [y])
        opt.step(lambda: (x @ y, -(x @ y)))
        assert opt.evaluations == count


def test_external_parameter_changes_are_picked_up():
    x = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
    y = torch.tensor([0.0], dtype=torch.float64, requires_grad=True)
    opt = gd.bridge.GameOptimizer(gd.optim.gda(0.1), [x], [y])
    opt.step(lambda: (x @ y, -(x @ y)))
    with torch.no_grad():
        x.fill_(2.0)  # e.g. a checkpoint load
    opt.step(lambda: (x @ y, -(x @ y)))
    # from (2, 0.1): x <- 2 - 0.1 * 0.1, y <- 0.1 + 0.1 * 2
    np.testing.assert_allclose([x.item(), y.item()], [1.99, 0.3], rtol=1e-14)


def test_clipping_projection_applies_after_each_move():
    x = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
    y = torch.tensor([0.0], dtype=torch.float64, requires_grad=True)
    opt = gd.bridge.GameOptimizer(gd.optim.gda(1.0), [x], [y], project_y=gd.bridge.clip_projection(0.05))
    opt.step(lambda: (x @ y, -(x @ y)))
    assert y.item() == pytest.approx(0.05)


def test_bad_arguments_are_named():
    x = torch.zeros(1, requires_grad=True)
    with pytest.raises(ValueError, match="rule='gda' is not accepted"):
        gd.bridge.GameOptimizer("gda", [x], [x])
    with pytest.raises(ValueError, match="y_params must be a non-empty iterable of tensors"):
        gd.bridge.GameOptimizer(gd.optim.gda(0.1), [x], [])
    with pytest.raises(ValueError, match="x_params and y_params share a tensor"):
        gd.bridge.GameOptimizer(gd.optim.gda(0.1), [x], [x])
    import optax
    y = torch.zeros(1, requires_grad=True)
    with pytest.raises(ValueError, match="not accepted by the PyTorch backend"):
        gd.bridge.GameOptimizer(gd.optim.gda(0.1, base=optax.sgd(0.1)), [x], [y])


def quadratic_trajectories(rule, B, C, steps):
    """The iterates of ``rule`` on the quadratic game ``x'Bx/2 + x'Ay - y'Cy/2`` (zero-sum)
    from ``Z0``, by JAX's ``gd.simulate`` and by the torch executor."""
    jax_traj = np.asarray(gd.simulate(gd.games.Quadratic(A, B=B, C=C), rule, Z0, steps).trajectory)
    x = torch.tensor(Z0[:N_X], dtype=torch.float64, requires_grad=True)
    y = torch.tensor(Z0[N_X:], dtype=torch.float64, requires_grad=True)
    At, Bt, Ct = (torch.tensor(m, dtype=torch.float64) for m in (A, B, C))

    def losses():
        f = x @ Bt @ x / 2 + x @ At @ y - y @ Ct @ y / 2
        return f, -f

    opt = gd.bridge.GameOptimizer(rule, [x], [y])
    torch_traj = [Z0]
    for _ in range(steps):
        opt.step(losses)
        torch_traj.append(torch.cat([x, y]).detach().numpy().copy())
    return jax_traj, np.array(torch_traj)


def test_cgd_conforms_where_the_jacobian_has_diagonal_blocks():
    # On a bilinear game J_off = J; a quadratic game's diagonal blocks -B and -C tell the
    # off-diagonal system of CGD from the proximal one.
    B, C = np.diag([0.4, -0.3, 0.2]), np.diag([0.5, 0.1])
    jax_traj, torch_traj = quadratic_trajectories(gd.optim.cgd((0.3, 0.5)), B, C, 30)
    np.testing.assert_allclose(torch_traj, jax_traj, atol=1e-10, rtol=0)


@pytest.mark.parametrize("base", [gd.optim.adam(b1=0.5), gd.optim.rmsprop(decay=0.8)])
def test_unrolling_the_discriminators_optimiser_conforms_where_its_field_depends_on_it(base):
    # On a bilinear game F_y ignores y, so the look-ahead's pull-back never passes through
    # d F_y / d y; with C != 0 it does, at every look-ahead step, through the base's moments.
    B, C = np.diag([0.4, -0.3, 0.2]), np.array([[0.5, 0.2], [0.2, 0.3]])
    rule, steps = gd.optim.unrolled(0.02, 4, base=base, look_ahead="base"), 40
    jax_traj, torch_traj = quadratic_trajectories(rule, B, C, steps)
    # the same float64 operations in another order: round-off, as in the bilinear test
    np.testing.assert_allclose(torch_traj, jax_traj, atol=1e-10, rtol=0)
    plain = gd.simulate(gd.games.Quadratic(A, B=B, C=C), gd.optim.unrolled(0.02, 4, base=base), Z0, steps)
    assert np.abs(np.asarray(plain.trajectory) - jax_traj).max() > 1e-4  # the look-ahead kind matters here


def test_off_diagonal_jacobian_products_on_a_general_sum_game():
    # loss_x = x'Py + x'Bx/2, loss_y = x'Qy + y'Cy/2 (not zero-sum): F = -(Py + Bx, Q'x + Cy),
    # J = [[-B, -P], [-Q', -C]], so J v = (-Bv_x - Pv_y, -Q'v_x - Cv_y), J_off v = (-Pv_y, -Q'v_x).
    rng = np.random.default_rng(3)
    P, Q = rng.normal(size=(N_X, N_Y)), rng.normal(size=(N_X, N_Y))
    B, C = np.diag([0.4, -0.3, 0.2]), np.diag([0.5, 0.1])
    x = torch.tensor(rng.normal(size=N_X), requires_grad=True)
    y = torch.tensor(rng.normal(size=N_Y), requires_grad=True)
    Pt, Qt, Bt, Ct = (torch.tensor(m) for m in (P, Q, B, C))
    oracle = gd.bridge.TorchOracle(
        lambda: (x @ Pt @ y + x @ Bt @ x / 2, x @ Qt @ y + y @ Ct @ y / 2), [x], [y])
    vx, vy = rng.normal(size=N_X), rng.normal(size=N_Y)
    point = ([x.detach().clone()], [y.detach().clone()])
    full = oracle.jvp(*point, [torch.tensor(vx)], [torch.tensor(vy)])
    off = oracle.jvp(*point, [torch.tensor(vx)], [torch.tensor(vy)], off_diagonal=True)
    # second derivatives of quadratics by autograd: a few roundings of O(1) numbers
    np.testing.assert_allclose(full[0][0].numpy(), -B @ vx - P @ vy, atol=1e-13)
    np.testing.assert_allclose(full[1][0].numpy(), -Q.T @ vx - C @ vy, atol=1e-13)
    np.testing.assert_allclose(off[0][0].numpy(), -P @ vy, atol=1e-13)
    np.testing.assert_allclose(off[1][0].numpy(), -Q.T @ vx, atol=1e-13)


@pytest.mark.parametrize("norm", ["batch", "none"])
def test_field_is_the_negated_gradient_bit_for_bit(norm):
    # The oracle seeds backward with -1 instead of negating the gradients afterwards; backward
    # is linear in its seed and negation is exact in floating point, so the two must agree
    # exactly (torch.equal, no tolerance), R1's double backward inside the loss included.
    torch.manual_seed(0)
    G, D = gd.bridge.make_models("dcgan", image_size=28, channels=1, width=8, norm=norm, seed=0)
    real = torch.rand(6, 1, 28, 28) * 2 - 1
    closure = gd.bridge.gan_losses(G, D, real, G.sample_latent(6), loss="nonsaturating", reg="r1")
    xs, ys = list(G.parameters()), list(D.parameters())
    oracle = gd.bridge.TorchOracle(closure, xs, ys)
    here = ([p.detach().clone() for p in xs], [p.detach().clone() for p in ys])
    fx, fy = oracle.field(*here)
    fx_alone, fy_alone = oracle.field_x(*here), oracle.field_y(*here)
    loss_x, loss_y = closure()
    gx = torch.autograd.grad(loss_x, xs, retain_graph=True)
    gy = torch.autograd.grad(loss_y, ys)
    for field, alone, grad in zip(fx + fy, fx_alone + fy_alone, gx + gy):
        assert torch.equal(field, -grad) and torch.equal(alone, -grad)
