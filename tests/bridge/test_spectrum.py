"""Top-k spectrum of a real game's Jacobian against the exact eigenvalues of a network small
enough to form the full Jacobian, the path-angle diagnostic on games with known geometry, and
the matrix-free solves of CGD and the proximal step against dense solves with that Jacobian."""

import numpy as np
import pytest
import torch
from torch.func import functional_call, jacfwd

import gamedyn as gd

torch.manual_seed(0)


def tiny_gan():
    G = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1)).double()
    D = torch.nn.Sequential(torch.nn.Linear(1, 5), torch.nn.Tanh(), torch.nn.Linear(5, 1)).double()
    latent = torch.randn(16, 2, dtype=torch.float64)
    real = torch.randn(16, 1, dtype=torch.float64) * 0.5 + 1.0

    def losses():
        fake = G(latent)
        d_real, d_fake = D(real), D(fake)
        # non-saturating GAN, D large on real data
        loss_d = torch.nn.functional.softplus(-d_real).mean() + torch.nn.functional.softplus(d_fake).mean()
        loss_g = torch.nn.functional.softplus(-d_fake).mean()
        return loss_g, loss_d

    return G, D, latent, real, losses


def exact_jacobian(G, D, latent, real):
    """The Jacobian of F by torch.func (functional_call + jacfwd of grads), a code path
    independent of the double-backward products under test."""
    g_names = [n for n, _ in G.named_parameters()]
    d_names = [n for n, _ in D.named_parameters()]
    g_shapes = [p.shape for p in G.parameters()]
    d_shapes = [p.shape for p in D.parameters()]

    def unpack(z):
        out, i = [], 0
        for shape in g_shapes + d_shapes:
            n = int(np.prod(shape))
            out.append(z[i:i + n].reshape(shape))
            i += n
        return dict(zip(g_names, out[:len(g_names)])), dict(zip(d_names, out[len(g_names):]))

    def field(z):
        gp, dp = unpack(z)

        def loss_g(gp):
            d_fake = functional_call(D, dp, (functional_call(G, gp, (latent,)),))
            return torch.nn.functional.softplus(-d_fake).mean()

        def loss_d(dp):
            fake = functional_call(G, gp, (latent,))
            return (torch.nn.functional.softplus(-functional_call(D, dp, (real,))).mean()
                    + torch.nn.functional.softplus(functional_call(D, dp, (fake,))).mean())

        grad_g = torch.func.grad(loss_g)(gp)
        grad_d = torch.func.grad(loss_d)(dp)
        return -torch.cat([grad_g[n].reshape(-1) for n in g_names] + [grad_d[n].reshape(-1) for n in d_names])

    z = torch.cat([p.detach().reshape(-1) for p in list(G.parameters()) + list(D.parameters())])
    return jacfwd(field)(z).numpy()


def test_top_k_eigenvalues_match_the_full_jacobian():
    G, D, latent, real, losses = tiny_gan()
    J = exact_jacobian(G, D, latent, real)
    exact = np.linalg.eigvals(J)
    exact = exact[np.argsort(-np.abs(exact))]
    k = 6
    spec = gd.bridge.top_eigenvalues(losses, G.parameters(), D.parameters(), k=k)
    assert spec.n == J.shape[0] == (2 * 4 + 4 + 4 + 1) + (5 + 5 + 5 + 1)  # G: 17, D: 16
    # ARPACK converges to tol=1e-8 relative; the top-k by modulus must be the exact top-k
    for value in spec.eigenvalues:
        assert np.min(np.abs(exact[: k + 2] - value)) < 1e-6 * np.abs(exact[0])
    np.testing.assert_allclose(spec.max_real, max(v.real for v in spec.eigenvalues))


def test_operator_products_match_the_full_jacobian():
    G, D, latent, real, losses = tiny_gan()
    J = exact_jacobian(G, D, latent, real)
    op = gd.bridge.game_jacobian_operator(losses, G.parameters(), D.parameters())
    v = np.random.default_rng(1).normal(size=J.shape[0])
    np.testing.assert_allclose(op.matvec(v), J @ v, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(op.rmatvec(v), J.T @ v, rtol=1e-10, atol=1e-12)


def flat_field(losses, G, D):
    """``F = -(grad_G loss_G, grad_D loss_D)`` at the models' current parameters, flat."""
    loss_g, loss_d = losses()
    grads = (torch.autograd.grad(loss_g, list(G.parameters()), retain_graph=True)
             + torch.autograd.grad(loss_d, list(D.parameters())))
    return -torch.cat([g.reshape(-1) for g in grads]).numpy()


@pytest.mark.parametrize("name", ["cgd", "proximal"])
def test_solving_steps_on_a_network_match_dense_solves_with_its_jacobian(name):
    # cgd: (I - lr J_off) d = lr F on this general-sum (non-saturating) GAN, by GMRES on
    # double-backward products; the reference forms J by torch.func and solves densely.
    # proximal: z+ = z + lr F(z+), checked by its residual at z+ (Newton with GMRES inside).
    G, D, latent, real, losses = tiny_gan()
    J = exact_jacobian(G, D, latent, real)
    params = list(G.parameters()) + list(D.parameters())
    z0 = torch.cat([p.detach().reshape(-1) for p in params]).numpy()
    field, lr = flat_field(losses, G, D), 0.5
    opt = gd.bridge.GameOptimizer(getattr(gd.optim, name)(lr), G.parameters(), D.parameters())
    opt.step(losses)
    z1 = torch.cat([p.detach().reshape(-1) for p in params]).numpy()
    if name == "cgd":
        player = np.arange(J.shape[0]) < sum(p.numel() for p in G.parameters())
        off = np.where(player[:, None] != player[None, :], J, 0.0)
        expected = z0 + np.linalg.solve(np.eye(J.shape[0]) - lr * off, lr * field)
        # GMRES stops at a relative residual of 10 eps; the system is well conditioned
        np.testing.assert_allclose(z1, expected, rtol=0, atol=1e-12)
        assert np.abs(z1 - z0 - lr * field).max() > 1e-4  # not the plain GDA step
    else:
        # the models now hold z+; Newton stops at a residual of 100 eps (1 + |z|)
        np.testing.assert_allclose(z1, z0 + lr * flat_field(losses, G, D), rtol=0, atol=1e-10)


def test_path_angle_separates_rotation_from_potential():
    x = torch.tensor([1.0, -0.5], dtype=torch.float64, requires_grad=True)
    y = torch.tensor([0.3, 0.8], dtype=torch.float64, requires_grad=True)
    A = torch.tensor([[1.0, 0.5], [0.0, 2.0]], dtype=torch.float64)
    start = [x.detach().clone(), y.detach().clone()]
    end = [-x.detach().clone(), -y.detach().clone()]  # the path crosses the equilibrium 0
    # bilinear: F(z) = J z with J antisymmetric, so <F(a z), -2 z> = 0: cosine 0 everywhere
    bilinear = gd.bridge.path_angle(lambda: (x @ A @ y, -(x @ A @ y)), [x], [y], start, end)
    np.testing.assert_allclose(bilinear.cosine, 0.0, atol=1e-12)
    # a potential game (each player minimises its own quadratic): F = -z points along the
    # path towards 0 before it (cosine +1) and against it after (cosine -1)
    potential = gd.bridge.path_angle(lambda: (0.5 * x @ x, 0.5 * y @ y), [x], [y], start, end)
    before, after = potential.alphas < 0.5, potential.alphas > 0.5
    np.testing.assert_allclose(potential.cosine[before], 1.0, atol=1e-12)
    np.testing.assert_allclose(potential.cosine[after], -1.0, atol=1e-12)
    np.testing.assert_allclose(x.detach(), start[0])  # parameters left as they were


def test_spectrum_arguments_are_checked():
    x = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    y = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    with pytest.raises(ValueError, match=r"k=3 is not accepted; expected 1 <= k <= n - 2 = 2"):
        gd.bridge.top_eigenvalues(lambda: (x @ y, -(x @ y)), [x], [y], k=3)
    with pytest.raises(ValueError, match="which='XX' is not accepted"):
        gd.bridge.top_eigenvalues(lambda: (x @ y, -(x @ y)), [x], [y], which="XX")
