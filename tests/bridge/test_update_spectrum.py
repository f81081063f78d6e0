"""``gd.bridge.update_spectrum``: the spectrum of a rule's one-step map on a torch game,
against the JAX layer's spectral radius on linear games (where it is exact), against a dense
Jacobian of the step written independently with ``torch.func`` on a tiny MLP GAN, and
against the frozen-preconditioner closed form for Adam and RMSProp."""

import math

import numpy as np
import pytest
import torch
from torch.func import functional_call, grad, jacfwd

import gamedyn as gd

RNG = np.random.default_rng(7)
A = RNG.normal(size=(2, 3))
B = np.diag([0.3, -0.2])
C = np.diag([0.1, 0.4, -0.1])
QUADRATIC = gd.games.Quadratic(A, B=B, C=C)
BILINEAR = gd.games.Bilinear(A)
# Eigenvalues from ARPACK / a dense solve of the same products, against JAX's dense
# eigenvalues: a few roundings of O(1) numbers.
TOL = 1e-10


def torch_game(game):
    At = torch.tensor(A)
    Bt = torch.tensor(B if isinstance(game, gd.games.Quadratic) else np.zeros((2, 2)))
    Ct = torch.tensor(C if isinstance(game, gd.games.Quadratic) else np.zeros((3, 3)))
    x = torch.tensor(RNG.normal(size=2), requires_grad=True)
    y = torch.tensor(RNG.normal(size=3), requires_grad=True)

    def losses():
        f = 0.5 * x @ Bt @ x + x @ At @ y - 0.5 * y @ Ct @ y
        return f, -f

    return x, y, losses


RULES = {
    "gda": gd.optim.gda(0.1),
    "gda, second step size": gd.optim.gda(0.35),
    "alternating gda, TTUR": gd.optim.gda((0.07, 0.11), alternating=True),
    "alternating gda, second step size": gd.optim.gda(0.3, alternating=True),
    "k = 3 discriminator steps": gd.optim.gda(0.1, alternating=True, k=3),
    "extragradient": gd.optim.extragradient(0.3),
    "optimistic": gd.optim.optimistic(0.2),
    "negative momentum": gd.optim.momentum(0.1, -0.3),
    "alternating momentum": gd.optim.momentum(0.1, 0.5, alternating=True),
    "consensus": gd.optim.consensus(0.1, 0.5),
    "sga": gd.optim.sga(0.1, 0.5),
    "sga, aligned": gd.optim.sga(0.1, 0.5, align=True),
    "proximal": gd.optim.proximal(0.3),
    "cgd": gd.optim.cgd(0.3),
}


@pytest.mark.parametrize("game", [QUADRATIC, BILINEAR], ids=["quadratic", "bilinear"])
@pytest.mark.parametrize("rule", RULES.values(), ids=RULES.keys())
def test_rho_equals_the_jax_spectral_radius_on_linear_games(game, rule):
    gd.enable_x64()
    x, y, losses = torch_game(game)
    opt = gd.bridge.GameOptimizer(rule, [x], [y])
    spec = gd.bridge.update_spectrum(opt, losses, k=3)
    assert spec.n == (10 if rule.memory else 5)
    assert abs(spec.rho - float(gd.spectral_radius(game, rule))) < TOL
    # The whole spectrum too (rules with memory: the map on (z, u_prev) vs (z, z_prev) has
    # the same eigenvalues when J is invertible, which the quadratic game's is).
    if not rule.memory or game is QUADRATIC:
        expected = np.linalg.eigvals(np.asarray(gd.update_jacobian(game, rule)))
        expected = expected[np.argsort(-np.abs(expected))][:3]
        np.testing.assert_allclose(np.sort(np.abs(spec.eigenvalues)), np.sort(np.abs(expected)), atol=TOL)


def test_the_parameters_are_left_as_they_were():
    x, y, losses = torch_game(QUADRATIC)
    before = (x.detach().clone(), y.detach().clone())
    opt = gd.bridge.GameOptimizer(gd.optim.extragradient(0.3), [x], [y])
    gd.bridge.update_spectrum(opt, losses, k=2)
    torch.testing.assert_close(x.detach(), before[0], rtol=0, atol=0)
    torch.testing.assert_close(y.detach(), before[1], rtol=0, atol=0)


# -- a tiny MLP GAN: the dense Jacobian of the step written independently -----------------
class TinyGAN:
    """A 2-D generator (3 -> 5 -> 2, tanh) and discriminator (2 -> 4 -> 1, tanh), float64,
    non-saturating loss, on a fixed batch; 52 parameters, far from any equilibrium."""

    def __init__(self, seed=0):
        torch.manual_seed(seed)
        self.G = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2)).double()
        self.D = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1)).double()
        self.z = torch.randn(16, 3, dtype=torch.float64)
        self.real = torch.randn(16, 2, dtype=torch.float64) + 1.0
        self.gx = list(self.G.parameters())
        self.gy = list(self.D.parameters())
        self.names_x = [n for n, _ in self.G.named_parameters()]
        self.names_y = [n for n, _ in self.D.named_parameters()]

    def losses(self):
        fake = self.G(self.z)
        lx = torch.nn.functional.softplus(-self.D(fake)).mean()
        ly = torch.nn.functional.softplus(-self.D(self.real)).mean() + torch.nn.functional.softplus(self.D(fake)).mean()
        return lx, ly

    # functional form: z flat -> losses, for torch.func
    def split(self, z):
        out, start = [], 0
        for p in self.gx + self.gy:
            out.append(z[start:start + p.numel()].reshape(p.shape))
            start += p.numel()
        n = len(self.gx)
        return dict(zip(self.names_x, out[:n])), dict(zip(self.names_y, out[n:]))

    def field(self, z):
        def lx(w):
            px, py = self.split(w)
            fake = functional_call(self.G, px, (self.z,))
            return torch.nn.functional.softplus(-functional_call(self.D, py, (fake,))).mean()

        def ly(w):
            px, py = self.split(w)
            fake = functional_call(self.G, px, (self.z,))
            d_fake = functional_call(self.D, py, (fake,))
            d_real = functional_call(self.D, py, (self.real,))
            return torch.nn.functional.softplus(-d_real).mean() + torch.nn.functional.softplus(d_fake).mean()

        n_x = sum(p.numel() for p in self.gx)
        gx, gy = grad(lx)(z), grad(ly)(z)
        return -torch.cat([gx[:n_x], gy[n_x:]])

    def z0(self):
        return torch.cat([p.detach().reshape(-1) for p in self.gx + self.gy])


def top(values, k):
    """The k largest by modulus, a conjugate pair with its positive imaginary part first
    (the order update_spectrum reports)."""
    values = np.asarray(values, complex)
    return values[np.lexsort((-values.imag, -np.round(np.abs(values), 12)))][:k]


def assert_same_top(actual, expected, **tol):
    """Equal up to conjugation: when k cuts a conjugate pair in two, ARPACK may return
    either member."""
    a, e = np.asarray(actual, complex), top(expected, len(actual))
    np.testing.assert_allclose(a.real, e.real, **tol)
    np.testing.assert_allclose(np.abs(a.imag), np.abs(e.imag), **tol)


def dense_spectrum(T, z):
    return np.linalg.eigvals(jacfwd(T)(z).numpy())


@pytest.mark.parametrize("name", ["gda", "alternating", "extragradient", "consensus", "optimistic", "sga", "cgd",
                                  "proximal"])
def test_top_eigenvalues_equal_the_dense_jacobian_of_the_step_on_a_tiny_mlp_gan(name):
    gan = TinyGAN()
    lr, n_x = 0.2, sum(p.numel() for p in gan.gx)
    z = gan.z0()
    F = gan.field
    if name == "gda":
        rule, T = gd.optim.gda(lr), (lambda w: w + lr * F(w))
    elif name == "alternating":
        def T(w):  # the discriminator first, then the generator at the new discriminator
            w1 = torch.cat([w[:n_x], w[n_x:] + lr * F(w)[n_x:]])
            return torch.cat([w1[:n_x] + lr * F(w1)[:n_x], w1[n_x:]])
        rule = gd.optim.gda(lr, alternating=True)
    elif name == "extragradient":
        rule, T = gd.optim.extragradient(lr), (lambda w: w + lr * F(w + lr * F(w)))
    elif name == "consensus":
        gamma = 0.4

        def T(w):  # F - gamma J^T F with J^T F = grad |F|^2 / 2
            return w + lr * (F(w) - gamma * grad(lambda u: 0.5 * torch.sum(F(u) ** 2))(w))
        rule = gd.optim.consensus(lr, gamma)
    elif name == "sga":
        lam = 0.5

        def T(w):  # Balduzzi et al. (2018): xi = -F, A = (H - H^T)/2 with H = -J; z+ = z - lr (xi + lam A^T xi)
            J = jacfwd(F)(w)
            xi = -F(w)
            A = 0.5 * (-J + J.T)
            return w - lr * (xi + lam * A.T @ xi)
        rule = gd.optim.sga(lr, lam)
    elif name == "cgd":
        def T(w):  # Schäfer & Anandkumar (2019): (I - lr J_off) d = lr F
            J = jacfwd(F)(w)
            block = torch.zeros_like(J)
            block[:n_x, n_x:], block[n_x:, :n_x] = J[:n_x, n_x:], J[n_x:, :n_x]
            return w + torch.linalg.solve(torch.eye(w.numel(), dtype=w.dtype) - lr * block, lr * F(w))
        rule = gd.optim.cgd(lr)
    elif name == "proximal":
        T = None  # implicit: dz+/dz = (I - lr J(z+))^-1 at the solution z+ = z + lr F(z+)
        rule = gd.optim.proximal(lr)
    else:
        def T(s):  # state (z_t, u_{t-1}): z+ = z + lr (2 F(z) - u), u+ = F(z)
            w, u = s[: z.numel()], s[z.numel():]
            f = F(w)
            return torch.cat([w + lr * (2 * f - u), f])
        rule = gd.optim.optimistic(lr)
    opt = gd.bridge.GameOptimizer(rule, gan.gx, gan.gy)
    if name == "optimistic":
        opt.step(gan.losses)  # the memory now holds u_0 = F(z_0); linearise at (z_1, u_0)
        s0 = torch.cat([gan.z0(), torch.cat([t.reshape(-1) for t in opt.state.memory[0] + opt.state.memory[1]])])
        expected = dense_spectrum(T, s0)
    elif name == "proximal":
        w = z.clone()
        for _ in range(50):  # Newton on w - z - lr F(w) = 0, written out here
            w = w - torch.linalg.solve(torch.eye(z.numel(), dtype=z.dtype) - lr * jacfwd(F)(w), w - z - lr * F(w))
        assert float(torch.linalg.norm(w - z - lr * F(w))) < 1e-13
        expected = np.linalg.eigvals(np.linalg.inv(np.eye(z.numel()) - lr * jacfwd(F)(w).numpy()))
    else:
        expected = dense_spectrum(T, z)
    spec = gd.bridge.update_spectrum(opt, gan.losses, k=4, tol=1e-12)
    # ARPACK to tol 1e-12 against LAPACK on a 52-104 dimensional matrix.
    assert_same_top(spec.eigenvalues, expected, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("base_name", ["adam", "rmsprop"])
def test_frozen_preconditioner_against_its_closed_form(base_name):
    # Frozen Adam (simultaneous GDA): state (z, m), g = -F(z) the gradient, H = dg/dz = -J,
    # D = sqrt(nu / (1 - b2^t)) + eps frozen, c = 1 - b1^(t+1):
    #   m' = b1 m + (1 - b1) g(z),  z' = z - lr m' / (c D),  so
    #   d(z', m') / d(z, m) = [[I - lr (1 - b1) diag(1/(c D)) H, -lr b1 diag(1/(c D))],
    #                          [(1 - b1) H,                       b1 I               ]].
    # Frozen RMSProp: z' = z - lr g / D with D = sqrt(nu + eps): I - lr diag(1/D) H.
    gan = TinyGAN(seed=1)
    lr = 0.05
    base = gd.optim.adam(b1=0.5, b2=0.9) if base_name == "adam" else gd.optim.rmsprop(decay=0.9)
    opt = gd.bridge.GameOptimizer(gd.optim.gda(lr, base=base), gan.gx, gan.gy)
    for _ in range(3):
        opt.step(gan.losses)
    z = gan.z0()
    H = -jacfwd(gan.field)(z).numpy()
    n = z.numel()
    states = opt.state.base
    nu = np.concatenate([t.reshape(-1).numpy() for s in states for t in s["nu"]])
    t = states[0]["count"]
    if base_name == "adam":
        D = np.sqrt(nu / (1 - 0.9**t)) + 1e-8
        c = 1 - 0.5 ** (t + 1)
        P = np.diag(1 / (c * D))
        M = np.block([[np.eye(n) - lr * 0.5 * P @ H, -lr * 0.5 * P], [0.5 * H, 0.5 * np.eye(n)]])
    else:
        M = np.eye(n) - lr * np.diag(1 / np.sqrt(nu + 1e-8)) @ H
    spec = gd.bridge.update_spectrum(opt, gan.losses, k=4, tol=1e-12)
    assert spec.n == M.shape[0]
    assert_same_top(spec.eigenvalues, np.linalg.eigvals(M), rtol=1e-8, atol=1e-10)
    assert spec.rotation.shape == (4,) and math.isclose(spec.log_growth, math.log(spec.rho))


def test_refusals_name_what_is_accepted():
    x, y, losses = torch_game(QUADRATIC)
    with pytest.raises(ValueError, match="not available for rule Unrolled"):
        gd.bridge.update_spectrum(gd.bridge.GameOptimizer(gd.optim.unrolled(0.1, 2), [x], [y]), losses)
    opt = gd.bridge.GameOptimizer(gd.optim.gda(0.1, base=gd.optim.adam()), [x], [y])
    with pytest.raises(ValueError, match="has taken no step"):
        gd.bridge.update_spectrum(opt, losses)
    opt = gd.bridge.GameOptimizer(gd.optim.gda(0.1), [x], [y])
    with pytest.raises(ValueError, match="k=9 is not accepted"):
        gd.bridge.update_spectrum(opt, losses, k=9)
    with pytest.raises(ValueError, match="which='LI' is not accepted"):
        gd.bridge.update_spectrum(opt, losses, which="LI")
    clipped = gd.bridge.GameOptimizer(gd.optim.gda(0.1), [x], [y], project_y=gd.bridge.clip_projection(0.1))
    with pytest.raises(ValueError, match="does not linearise projections"):
        gd.bridge.update_spectrum(clipped, losses)


# -- the linear-response check ------------------------------------------------------------
@pytest.mark.parametrize("rule", [gd.optim.gda(0.1, alternating=True), gd.optim.extragradient(0.3),
                                  gd.optim.optimistic(0.2)], ids=["alternating", "extragradient", "optimistic"])
def test_on_a_linear_game_the_response_is_the_prediction_at_every_horizon(rule):
    # F is linear, so T is affine with a constant Jacobian: a perturbation in the top
    # eigenvector's plane scales by |mu| and turns by arg mu every step, exactly.
    x, y, losses = torch_game(QUADRATIC)
    opt = gd.bridge.GameOptimizer(rule, [x], [y])
    opt.step(losses)
    r = gd.bridge.linear_response(opt, losses, k=3, eps=1e-3, horizon=30)
    assert r.steps == 30 and r.message == "ran 30 steps"
    # float64 differences of O(1) iterates, divided by h: 1e-9 is 10^6 roundings' worth.
    np.testing.assert_allclose(r.observed_log_growth, r.predicted_log_growth, atol=1e-9)
    np.testing.assert_allclose(r.tangent_log_growth, r.predicted_log_growth, atol=1e-11)
    if r.predicted_period is not None:
        np.testing.assert_allclose(r.observed_period, r.predicted_period, rtol=1e-8)
    assert math.isclose(abs(r.eigenvalue), gd.bridge.update_spectrum(opt, losses, k=3).rho, rel_tol=1e-10)
    # a constant Jacobian does not drift (float64 products of O(1) entries: 1e-12)
    assert r.map_drift.shape == (30,) and np.all(r.map_drift < 1e-12)


@pytest.mark.parametrize("frozen", [True, False])
def test_on_a_network_the_tangent_starts_at_the_prediction_and_the_difference_follows_it(frozen):
    gan = TinyGAN(seed=2)
    opt = gd.bridge.GameOptimizer(gd.optim.gda(0.05, base=gd.optim.adam(b1=0.5, b2=0.9)), gan.gx, gan.gy)
    for _ in range(3):
        opt.step(gan.losses)
    before = [p.detach().clone() for p in gan.gx + gan.gy]
    r = gd.bridge.linear_response(opt, gan.losses, k=4, eps=1e-7, horizon=5, frozen=frozen, tol=1e-12)
    # One step from s_0: the tangent is M(s_0) applied to an eigen-direction, which scales
    # its plane coordinates by exactly |mu| (a rotation-scaling in the basis Re v, Im v).
    assert abs(r.tangent_log_growth[0] - r.predicted_log_growth) < 1e-9
    if frozen:
        # The real frozen step differs from its linearisation by O(eps) = 1e-7 relative.
        assert abs(r.observed_log_growth[0] - r.tangent_log_growth[0]) < 1e-5
        assert np.all(np.abs(r.observed_log_growth - r.tangent_log_growth) < 1e-5)
    assert r.n == 2 * sum(p.numel() for p in gan.gx + gan.gy)  # z and Adam's first moment
    # the map drifts along a nonlinear game's trajectory (0 at the start, by definition)
    assert r.map_drift[0] == 0 and np.all(np.isfinite(r.map_drift)) and r.map_drift[1] > 1e-9
    for p, q in zip(gan.gx + gan.gy, before):  # the models are left as they were
        torch.testing.assert_close(p.detach(), q, rtol=0, atol=0)


def test_linear_response_rejects_bad_settings_by_name():
    x, y, losses = torch_game(QUADRATIC)
    opt = gd.bridge.GameOptimizer(gd.optim.gda(0.1), [x], [y])
    with pytest.raises(ValueError, match="horizon=0 is not accepted"):
        gd.bridge.linear_response(opt, losses, horizon=0)
    with pytest.raises(ValueError, match="eps=-1 is not accepted"):
        gd.bridge.linear_response(opt, losses, eps=-1)


# -- on a run folder, and the command ----------------------------------------------------------
@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("update")
    mp = pytest.MonkeyPatch()
    mp.setenv("GAMEDYN_CACHE", str(out / "cache"))
    try:
        config = gd.bridge.TrainConfig(data="islands", rule="gda", alternating=True, base="adam", lr=5e-4, width=2,
                                       batch=8, steps=3, eval_every=3, n_data=100, eval_samples=100,
                                       classifier_steps=20, out=str(out / "run"), feature_metrics="never")
        gd.bridge.train(config, progress=False)
    finally:
        mp.undo()
    return out / "run"


def test_gamedyn_update_spectrum_end_to_end(tiny_run):
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    from gamedyn.bridge._check import run_update_spectrum

    script = Path(sys.executable).with_name("gamedyn")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "gamedyn"]
    flags = ["--k", "2", "--batch", "4", "--response", "--horizon", "3"]
    # One thread in the child too (see conftest.py: tiny tensors, a shared 2-core CPU).
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run([*command, "update-spectrum", str(tiny_run), *flags, "--json"],
                          capture_output=True, text=True, timeout=900, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    printed = json.loads(done.stdout)
    assert printed["rule"] == printed["run_rule"] == "gda" and printed["frozen_preconditioner"]
    direct = run_update_spectrum(tiny_run, k=2, batch=4)
    # The same checkpoint, batch and ARPACK start vector in another process: 1e-9 relative.
    np.testing.assert_allclose(printed["eigenvalues"], direct["eigenvalues"], rtol=1e-9)
    r = printed["linear_response"]
    assert r["steps"] == 3 and r["at_10"]["horizon"] == 3  # the horizon caps "10 steps"
    assert abs(r["tangent_log_growth"][0] - printed["log_growth"]) < 1e-9
    other = run_update_spectrum(tiny_run, "extragradient", k=2, batch=4)
    assert other["rule"] == "extragradient" and other["n"] == printed["n"]  # z and Adam's moments
    text = subprocess.run([*command, "update-spectrum", str(tiny_run), "--k", "2", "--batch", "4"],
                          capture_output=True, text=True, timeout=900, env=env)
    assert text.returncode == 0 and f"linearised state n = {printed['n']:,}" in text.stdout


def test_lr_scale_scales_the_step_at_the_same_point(tmp_path):
    """Simultaneous GDA without a base: the map is I + s lr J, eigenvalues 1 + s lr lambda, so
    at lr_scale s the top modulus is 1 + s lr max Re lambda (to second order in lr Im
    lambda, below 1e-9 here: the docstring of run_update_spectrum), with J's rightmost
    eigenvalue from run_spectrum on the same batch; the scale goes through the saved
    optimizer state (torch's format restores the run's lr)."""
    from gamedyn.bridge._check import run_update_spectrum

    config = gd.bridge.TrainConfig(out=str(tmp_path), data="islands", n_data=32, width=1, latent=1, norm="none",
                                   rule="gda", base="none", lr=1e-3, batch=4, steps=10, sample_every=0,
                                   checkpoint_every=0)
    gd.bridge.train(config, stop_after=1, progress=False, tensorboard=False)
    jacobian = gd.bridge.run_spectrum(tmp_path, k=1, which="LR", batch=4, tol=1e-10)
    for scale in (0.5, 4.0):
        update = run_update_spectrum(tmp_path, k=1, batch=4, tol=1e-10, lr_scale=scale)
        assert update["lr"] == scale * 1e-3 and update["lr_scale"] == scale
        # ARPACK's relative tolerance 1e-10 on each side; (s lr Im)^2 / 2 below 1e-9
        assert abs(update["rho"] - (1 + scale * 1e-3 * jacobian["max_real"])) < 1e-9
    with pytest.raises(ValueError, match="lr_scale=0 is not accepted"):
        run_update_spectrum(tmp_path, k=1, batch=4, lr_scale=0)


@pytest.mark.parametrize("argv, message", [
    (["update-spectrum", "nowhere", "--lr-scale", "-1"], "--lr-scale -1.0 is not accepted"),
    (["update-spectrum", "nowhere"], "run='nowhere' is not accepted; expected a training folder"),
    (["update-spectrum", "nowhere", "--k", "0"], "--k 0 is not accepted; expected an integer >= 1"),
    (["update-spectrum", "nowhere", "--eps", "0"], "--eps 0.0 is not accepted"),
    (["update-spectrum", "nowhere", "--rule", "adam"], "--rule 'adam' is not accepted; expected one of gda"),
])
def test_gamedyn_update_spectrum_names_bad_arguments(argv, message, capsys):
    from gamedyn.cli import main

    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2 and message in capsys.readouterr().err
