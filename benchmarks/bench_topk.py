"""Top-k eigenvalues of a real GAN's game Jacobian: ``gd.bridge.top_eigenvalues`` (Jacobian-
vector products + ARPACK, the Jacobian never formed) against forming the full Jacobian and
calling ``numpy.linalg.eigvals``, at parameter counts where the dense path is feasible.

The game is a small MLP GAN in float64 (generator 2 -> h -> h -> 2, discriminator
2 -> h -> h -> 1, tanh, non-saturating loss, one fixed batch from an 8-mode ring) at its
initialisation. The dense reference is built by a different code path from the one under
test: ``torch.func.jacfwd`` of ``torch.func.grad`` over ``functional_call`` (forward-over-
reverse), then LAPACK's nonsymmetric eigensolver. Both are timed in the same run, in turn,
and the top-k agreement is reported. ``run()`` returns the section; the script prints it, and
``--write`` appends it to BENCHMARKS.md.

    .venv/bin/python benchmarks/bench_topk.py [--hidden 10 20 34] [--k 6] [--write]
"""

import argparse
import statistics
import time

import numpy as np
import torch
from torch.func import functional_call, jacfwd

import gamedyn as gd
from _common import THREADS_WHY, Section, append_section, interleaved, load_average, ratio, torch_threads

DEFAULT = {"hidden": (10, 20, 34), "k": 6, "repeats": 2, "threads": 1}
QUICK = {"hidden": (6, 10), "k": 6, "repeats": 1, "threads": 1}


def mlp_gan(hidden: int, batch: int = 64, seed: int = 0):
    torch.manual_seed(seed)
    Tanh, Linear = torch.nn.Tanh, torch.nn.Linear

    def mlp(out):
        return torch.nn.Sequential(Linear(2, hidden), Tanh(), Linear(hidden, hidden), Tanh(),
                                   Linear(hidden, out)).double()

    G, D = mlp(2), mlp(1)
    generator = torch.Generator().manual_seed(seed)
    latent = torch.randn(batch, 2, generator=generator, dtype=torch.float64)
    angle = 2 * torch.pi * torch.randint(0, 8, (batch,), generator=generator).double() / 8
    real = torch.stack([torch.cos(angle), torch.sin(angle)], 1) * 2.0
    real = real + 0.02 * torch.randn(batch, 2, generator=generator, dtype=torch.float64)
    return G, D, latent, real


def _loss_g(d_fake):
    return torch.nn.functional.softplus(-d_fake).mean()  # non-saturating


def _loss_d(d_real, d_fake):
    # the discriminator is large on real data
    return torch.nn.functional.softplus(-d_real).mean() + torch.nn.functional.softplus(d_fake).mean()


def closure(G, D, latent, real):
    def losses():
        d_fake = D(G(latent))
        return _loss_g(d_fake), _loss_d(D(real), d_fake)

    return losses


def dense_jacobian(G, D, latent, real) -> np.ndarray:
    """``J = dF/dz`` of ``F = -(grad_x loss_x, grad_y loss_y)`` by ``torch.func``, a code
    path that shares nothing with ``TorchOracle``'s double-backward products."""
    g_names = [n for n, _ in G.named_parameters()]
    d_names = [n for n, _ in D.named_parameters()]
    shapes = [p.shape for p in G.parameters()] + [p.shape for p in D.parameters()]

    def unpack(z):
        out, i = [], 0
        for shape in shapes:
            size = int(np.prod(shape))
            out.append(z[i:i + size].reshape(shape))
            i += size
        return dict(zip(g_names, out[:len(g_names)])), dict(zip(d_names, out[len(g_names):]))

    def loss_g(gp, dp):
        return _loss_g(functional_call(D, dp, (functional_call(G, gp, (latent,)),)))

    def loss_d(dp, gp):
        fake = functional_call(G, gp, (latent,))
        return _loss_d(functional_call(D, dp, (real,)), functional_call(D, dp, (fake,)))

    def field(z):
        gp, dp = unpack(z)
        grad_g, grad_d = torch.func.grad(loss_g)(gp, dp), torch.func.grad(loss_d)(dp, gp)
        return -torch.cat([grad_g[n].reshape(-1) for n in g_names] + [grad_d[n].reshape(-1) for n in d_names])

    z = torch.cat([p.detach().reshape(-1) for p in list(G.parameters()) + list(D.parameters())])
    return jacfwd(field)(z).numpy()


def _row(h, k, repeats):
    G, D, latent, real = mlp_gan(h)
    losses = closure(G, D, latent, real)
    parts = {}

    def top_k():
        parts["spec"] = gd.bridge.top_eigenvalues(losses, G.parameters(), D.parameters(), k=k)

    def dense():
        tic = time.perf_counter()
        J = dense_jacobian(G, D, latent, real)
        toc = time.perf_counter()
        parts["exact"] = np.linalg.eigvals(J)
        parts.setdefault("jacobian", []).append(toc - tic)
        parts.setdefault("eigvals", []).append(time.perf_counter() - toc)

    times = interleaved({"top_k": top_k, "dense": dense}, repeats=repeats, warmup=0)
    spec, exact = parts["spec"], parts["exact"]
    exact = exact[np.argsort(-np.abs(exact))]
    scale = np.abs(exact[0])
    # each ARPACK value against its nearest exact eigenvalue, and the moduli of the k
    # largest against the exact k largest (both relative to the spectral radius)
    nearest = max(np.min(np.abs(exact - v)) for v in spec.eigenvalues) / scale
    moduli = np.max(np.abs(np.abs(spec.eigenvalues) - np.abs(exact[: spec.eigenvalues.size]))) / scale
    t_top, t_dense = statistics.median(times["top_k"]), statistics.median(times["dense"])
    return [
        f"{spec.n:,}", f"{spec.eigenvalues.size} of {k}", f"{t_top:.3f}",
        f"{statistics.median(parts['jacobian']):.3f}", f"{statistics.median(parts['eigvals']):.3f}",
        f"{t_dense:.3f}", ratio(t_dense / t_top, 2), f"{nearest:.1e}", f"{moduli:.1e}", f"{scale:.3g}",
    ]


def run(hidden=DEFAULT["hidden"], k=DEFAULT["k"], repeats=DEFAULT["repeats"],
        threads=DEFAULT["threads"]) -> Section:
    with torch_threads(threads):
        return _run(hidden, k, repeats)


def _run(hidden, k, repeats) -> Section:
    start = time.perf_counter()
    _row(3, 2, 1)  # first calls of autograd and torch.func (seconds) go to a 54-parameter GAN
    rows = [_row(h, k, repeats) for h in hidden]
    return Section(
        name="topk",
        title="Top-k Jacobian spectrum of a small GAN: JVP + ARPACK vs dense (bench_topk.py)",
        setup=(
            f"`gd.bridge.top_eigenvalues(losses, G.parameters(), D.parameters(), k={k})` (ARPACK "
            "`eigs`, `which=\"LM\"`, `tol=1e-8`, one double-backward Jacobian-vector product per "
            "matvec) against forming the full game Jacobian with `torch.func.jacfwd` of "
            "`torch.func.grad` and calling `numpy.linalg.eigvals` on it. MLP GAN (G: 2-h-h-2, "
            f"D: 2-h-h-1, tanh, non-saturating loss, batch 64, float64, hidden h = "
            f"{', '.join(map(str, hidden))}) at initialisation, {torch.get_num_threads()} torch "
            f"intra-op thread(s) ({THREADS_WHY}). Median of {repeats} interleaved call(s) each. "
            "*Nearest* is the largest distance of an ARPACK eigenvalue to the nearest exact one, "
            "*moduli* the largest difference between the k largest moduli of both, each relative "
            "to the largest modulus ρ."
        ),
        columns=["parameters n", "converged", "top-k (s)", "dense: Jacobian (s)", "dense: eigvals (s)",
                 "dense total (s)", "dense / top-k", "nearest / ρ", "moduli / ρ", "ρ = max modulus"],
        rows=rows,
        ratios=["dense / top-k"],
        notes=(
            "The dense path costs n Jacobian-vector products (vectorised) plus an O(n^3) "
            "eigensolver, the ARPACK path a number of products set by the spectrum's gaps, not by "
            "n; it is the only option beyond a few thousand parameters (a DCGAN has millions). "
            f"Load average at the end of this section: {load_average():.1f}."
        ),
        seconds=time.perf_counter() - start,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden", type=int, nargs="+", default=list(DEFAULT["hidden"]),
                        help="hidden widths h (parameters: 2 h^2 + 11 h + 3)")
    parser.add_argument("--k", type=int, default=DEFAULT["k"])
    parser.add_argument("--repeats", type=int, default=DEFAULT["repeats"])
    parser.add_argument("--threads", type=int, default=DEFAULT["threads"],
                        help="torch intra-op threads (0: torch's default; see _common.torch_threads)")
    parser.add_argument("--write", action="store_true", help="append the table to BENCHMARKS.md")
    args = parser.parse_args()
    section = run(args.hidden, args.k, args.repeats, args.threads)
    print(section.markdown())
    if args.write:
        append_section(section)


if __name__ == "__main__":
    main()
