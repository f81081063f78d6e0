"""The spectrum of a real game: top-k eigenvalues of the Jacobian of the vector field of a
PyTorch GAN, from Jacobian-vector products (Berard, Gidel, Almahairi, Vincent & Lacoste-
Julien 2020, "A closer look at the optimization landscapes of generative adversarial
networks"), and their path-angle diagnostic.

The Jacobian ``J = dF/dz`` of ``F = -(grad_x loss_x, grad_y loss_y)`` over all parameters is
never formed: ``J v`` comes from a double-backward product (``TorchOracle.jvp``), wrapped as a
``scipy.sparse.linalg.LinearOperator`` for ARPACK (``scipy.sparse.linalg.eigs``).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch
from scipy.sparse.linalg import ArpackNoConvergence, LinearOperator, eigs

from ._backend import TorchOracle

__all__ = ["game_jacobian_operator", "TopSpectrum", "top_eigenvalues", "PathAngle", "path_angle"]


def _flat(tensors) -> np.ndarray:
    return torch.cat([t.detach().reshape(-1) for t in tensors]).cpu().double().numpy()


def _unflat(vector: np.ndarray, like):
    out, start = [], 0
    for t in like:
        n = t.numel()
        chunk = torch.as_tensor(vector[start : start + n], dtype=t.dtype, device=t.device)
        out.append(chunk.reshape(t.shape))
        start += n
    return out


def game_jacobian_operator(losses, x_params, y_params) -> LinearOperator:
    """``J`` at the current parameters as a LinearOperator (``matvec``: ``J v``, ``rmatvec``:
    ``J^T u``), over the flattened ``(x, y)`` in parameter order.

    ``losses()`` returns ``(loss_x, loss_y)`` at the current parameters on a fixed batch, and
    must be a pure function of the parameters: call ``gd.bridge.freeze_spectral_norm`` on
    models with spectral norm (its power iteration would otherwise move ``u`` at every call)
    and use ``eval()``-mode batch norm or fixed statistics.

    On the bilinear game ``2 x y``, ``F = (-2 y, 2 x)``, so ``J = [[0, -2], [2, 0]]``:

    >>> import numpy as np, torch
    >>> from gamedyn.bridge import game_jacobian_operator
    >>> x = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    >>> y = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    >>> J = game_jacobian_operator(lambda: (2 * x @ y, -2 * x @ y), [x], [y])
    >>> J @ np.eye(2) + 0.0  # column i: J e_i (+ 0.0 turns a -0. into 0.)
    array([[ 0., -2.],
           [ 2.,  0.]])
    >>> J.rmatvec(np.array([1.0, 0.0]))  # J^T e_1: the first row of J
    array([ 0., -2.])
    """
    oracle = TorchOracle(losses, x_params, y_params)
    x = [p.detach().clone() for p in oracle.x_params]
    y = [p.detach().clone() for p in oracle.y_params]
    n_x = sum(p.numel() for p in x)
    n = n_x + sum(p.numel() for p in y)

    def matvec(v):
        v = np.asarray(v, dtype=np.float64).reshape(-1)
        jx, jy = oracle.jvp(x, y, _unflat(v[:n_x], x), _unflat(v[n_x:], y))
        return _flat(jx + jy)

    def rmatvec(u):
        u = np.asarray(u, dtype=np.float64).reshape(-1)
        tx, ty = oracle.vjp(x, y, _unflat(u[:n_x], x), _unflat(u[n_x:], y))
        return _flat(tx + ty)

    return LinearOperator((n, n), matvec=matvec, rmatvec=rmatvec, dtype=np.float64)


class TopSpectrum(NamedTuple):
    """Top-k eigenvalues of a game's Jacobian with their rotation ``|Im| / |Re|``.

    ``max_real`` > 0 means some direction is unstable for the gradient flow; a large
    ``rotation`` means the dynamics there are dominated by the players' interaction (the
    Dirac GAN's purely imaginary pair is the extreme case).

    A bilinear game with damping 1/2 on each player: ``J = [[-I/2, -I], [I, -I/2]]``, whose
    eigenvalues are ``-1/2 +- i``:

    >>> import numpy as np, torch, gamedyn as gd
    >>> x = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    >>> y = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    >>> losses = lambda: (x @ y + x @ x / 4, -(x @ y) + y @ y / 4)
    >>> spec = gd.bridge.top_eigenvalues(losses, [x], [y], k=2)
    >>> spec.n, round(spec.max_real, 10), np.round(spec.rotation, 10)  # |Im| / |Re| = 1 / (1/2)
    (4, -0.5, array([2., 2.]))
    """

    eigenvalues: np.ndarray
    rotation: np.ndarray
    max_real: float
    n: int
    which: str


def top_eigenvalues(losses, x_params, y_params, k: int = 10, *, which: str = "LM",
                    tol: float = 1e-8, seed: int = 0, maxiter: int | None = None,
                    ncv: int | None = None) -> TopSpectrum:
    """The ``k`` eigenvalues of the game Jacobian largest by ``which`` (ARPACK's ``"LM"``
    magnitude, ``"LR"`` real part, ``"LI"`` imaginary part), sorted by decreasing modulus.
    ``tol``, ``maxiter`` (restarts) and ``ncv`` (Krylov basis size) go to ARPACK; eigenvalues
    that have not converged within ``maxiter`` are left out (fewer than ``k`` come back).

    >>> import torch, gamedyn as gd
    >>> x = torch.tensor([0.0, 0.0], dtype=torch.float64, requires_grad=True)
    >>> y = torch.tensor([0.0, 0.0], dtype=torch.float64, requires_grad=True)
    >>> A = torch.tensor([[2.0, 0.0], [0.0, 1.0]], dtype=torch.float64)
    >>> spec = gd.bridge.top_eigenvalues(lambda: (x @ A @ y, -(x @ A @ y)), [x], [y], k=2)
    >>> np.round(spec.eigenvalues, 10)  # +-i s_max of the bilinear game
    array([0.+2.j, 0.-2.j])
    """
    if which not in ("LM", "LR", "LI", "SR"):
        raise ValueError(f"which={which!r} is not accepted; expected 'LM', 'LR', 'LI' or 'SR'")
    operator = game_jacobian_operator(losses, x_params, y_params)
    n = operator.shape[0]
    if not 1 <= k <= n - 2:
        raise ValueError(f"k={k!r} is not accepted; expected 1 <= k <= n - 2 = {n - 2} (ARPACK)")
    start = np.random.default_rng(seed).normal(size=n)
    try:
        values = eigs(operator, k=k, which=which, tol=tol, v0=start, maxiter=maxiter, ncv=ncv,
                      return_eigenvectors=False)
    except ArpackNoConvergence as err:
        values = err.eigenvalues
    values = np.asarray(values, dtype=complex)
    order = np.lexsort((-values.imag, -np.abs(values)))
    values = values[order]
    real = np.abs(values.real)
    with np.errstate(divide="ignore", invalid="ignore"):
        rotation = np.where(real > 0, np.abs(values.imag) / real, np.inf)
    max_real = float(values.real.max()) if values.size else float("nan")
    return TopSpectrum(values, rotation, max_real, n, which)


class PathAngle(NamedTuple):
    """Along ``z(alpha) = start + alpha (end - start)``: ``cosine`` of the angle between the
    vector field ``F(z(alpha))`` and the path direction, and ``|F|`` (Berard et al. 2020,
    Sec. 4). A rotational game shows a bump of the angle near the end point where the norm
    dips; a potential game's field stays aligned with the path.

    The bilinear game ``x y`` is a pure rotation: on the path from ``(1, 1)`` to the
    equilibrium ``(0, 0)``, ``F = (1 - alpha) (-1, 1)`` is orthogonal to the path, and
    ``|F|^2 = 2 (1 - alpha)^2``.

    >>> import numpy as np, torch, gamedyn as gd
    >>> x = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    >>> y = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    >>> one, zero = torch.ones(1, dtype=torch.float64), torch.zeros(1, dtype=torch.float64)
    >>> angle = gd.bridge.path_angle(lambda: (x @ y, -(x @ y)), [x], [y], [one, one], [zero, zero],
    ...                              alphas=[0.0, 0.5, 2.0])
    >>> angle.cosine, np.round(angle.norm ** 2, 12)
    (array([0., 0., 0.]), array([2. , 0.5, 2. ]))
    """

    alphas: np.ndarray
    cosine: np.ndarray
    norm: np.ndarray


def path_angle(losses, x_params, y_params, start, end, *, alphas=None) -> PathAngle:
    """The path-angle diagnostic between two parameter vectors (lists ``[x..., y...]`` of
    tensors in parameter order, e.g. the initial and the final checkpoint).

    A potential game (each player minimises its own ``|.|^2 / 2``): ``F = -z`` points along
    the path towards the equilibrium ``(0, 0)``, so the cosine is ``+1`` before it, ``-1``
    past it, and 0 where ``F = 0``.

    >>> import numpy as np, torch, gamedyn as gd
    >>> x = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    >>> y = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    >>> one, zero = torch.ones(1, dtype=torch.float64), torch.zeros(1, dtype=torch.float64)
    >>> angle = gd.bridge.path_angle(lambda: (x @ x / 2, y @ y / 2), [x], [y], [one, one], [zero, zero],
    ...                              alphas=[0.0, 0.5, 1.0, 1.5])
    >>> np.round(angle.cosine, 12)
    array([ 1.,  1.,  0., -1.])
    """
    oracle = TorchOracle(losses, x_params, y_params)
    n_x = len(oracle.x_params)
    start, end = list(start), list(end)
    if len(start) != n_x + len(oracle.y_params) or len(end) != len(start):
        raise ValueError("start and end must list one tensor per parameter, x's then y's")
    alphas = np.linspace(-0.5, 1.5, 41) if alphas is None else np.asarray(alphas, dtype=float)
    saved = [p.detach().clone() for p in oracle.x_params + oracle.y_params]
    direction = [e.detach() - s.detach() for s, e in zip(start, end)]
    d_norm = float(torch.sqrt(sum(torch.sum(d * d) for d in direction)))
    if d_norm == 0:
        raise ValueError("start and end are the same point; the path has no direction")
    cosines, norms = [], []
    for alpha in alphas:
        point = [s.detach() + float(alpha) * d for s, d in zip(start, direction)]
        fx, fy = oracle.field(point[:n_x], point[n_x:])
        field = fx + fy
        f_norm = float(torch.sqrt(sum(torch.sum(f * f) for f in field)))
        inner = float(sum(torch.sum(f * d) for f, d in zip(field, direction)))
        cosines.append(inner / (f_norm * d_norm) if f_norm > 0 else 0.0)
        norms.append(f_norm)
    oracle._load(saved[:n_x], saved[n_x:])  # leave the parameters as they were
    return PathAngle(alphas, np.array(cosines), np.array(norms))
