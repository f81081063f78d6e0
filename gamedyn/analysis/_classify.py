"""Classification of a critical point from the players' Hessian blocks."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ..games import Game
from ._spectra import _point

__all__ = ["PointClass", "classify_point"]


class PointClass(NamedTuple):
    """What kind of critical point ``z`` is, with the evidence.

    Attributes
    ----------
    kind : ``"local_nash"``, ``"local_minimax"``, ``"saddle"`` or ``"none"``
    strict : the defining inequalities hold strictly (positive definite, not only
        semi-definite)
    residual : ``|F(z)|`` (``kind == "none"`` when it exceeds the tolerance)
    eig_xx, eig_yy : eigenvalues of ``grad^2_xx loss_x`` and ``grad^2_yy loss_y``
    eig_schur : eigenvalues of the (symmetric part of the) leader's Schur complement
        ``grad^2_xx loss_x - grad^2_xy loss_x (grad^2_yy loss_y)^{-1} grad^2_yx loss_y``,
        NaN where ``grad^2_yy loss_y`` is not positive definite

    Examples
    --------
    On the quadratic game ``f = b x^2/2 + a x y - c y^2/2`` the Hessian blocks are ``b`` and
    ``c``, and the Schur complement is ``b + a^2 / c``:

    >>> import gamedyn as gd
    >>> point = gd.classify_point(gd.games.Quadratic([[1.0]], B=[[2.0]], C=[[4.0]]))
    >>> point.kind, point.strict
    ('local_nash', True)
    >>> point.eig_xx.tolist(), point.eig_yy.tolist(), point.eig_schur.tolist()
    ([2.0], [4.0], [2.25])
    """

    kind: str
    strict: bool
    residual: float
    eig_xx: np.ndarray
    eig_yy: np.ndarray
    eig_schur: np.ndarray


def classify_point(game: Game, z=None, *, atol: float = 1e-9) -> PointClass:
    """Classify ``z`` (default: the equilibrium) from the player-Hessian blocks.

    * ``local_nash``: ``F(z) = 0`` and each player's own Hessian is positive semi-definite
      (definite: strict local Nash). Each player is at a local minimum of its own loss.
    * ``local_minimax``: not Nash, but the follower ``y`` is at a strict local minimum of its
      loss and the leader's Schur complement is positive semi-definite: local minimax of
      Jin, Netrapalli & Jordan (2020) for zero-sum games, the differential Stackelberg
      equilibrium of Fiez, Chasnov & Ratliff (2020) in general.
    * ``saddle``: a critical point that is neither (some player can improve to second
      order).
    * ``none``: not a critical point (``|F(z)| > atol * max(1, |z|)``).

    Eigenvalues within ``atol`` times the largest Hessian entry of zero count as zero.

    >>> import gamedyn as gd
    >>> game = gd.games.Quadratic([[2.0]], B=[[-1.0]], C=[[1.0]])
    >>> gd.classify_point(game).kind  # x sits on a local max of its loss, yet minimax
    'local_minimax'
    """
    z = _point(game, z)
    x, y = game.split(z)

    def loss_x(u, v):
        return game.losses(u, v)[0]

    def loss_y(u, v):
        return game.losses(u, v)[1]

    h_xx = np.asarray(jax.hessian(loss_x, argnums=0)(x, y))
    h_yy = np.asarray(jax.hessian(loss_y, argnums=1)(x, y))
    h_xy = np.asarray(jax.jacfwd(jax.grad(loss_x, argnums=0), argnums=1)(x, y))
    h_yx = np.asarray(jax.jacfwd(jax.grad(loss_y, argnums=1), argnums=0)(x, y))
    residual = float(jnp.linalg.norm(jnp.concatenate(game.field(x, y))))

    scale = max(1.0, *(float(np.max(np.abs(h))) for h in (h_xx, h_yy, h_xy, h_yx)))
    tol = atol * scale
    eig_xx = np.linalg.eigvalsh((h_xx + h_xx.T) / 2)
    eig_yy = np.linalg.eigvalsh((h_yy + h_yy.T) / 2)
    if eig_yy.min() > tol:
        schur = h_xx - h_xy @ np.linalg.solve(h_yy, h_yx)
        eig_schur = np.linalg.eigvalsh((schur + schur.T) / 2)
    else:
        eig_schur = np.full(h_xx.shape[0], np.nan)

    if residual > atol * max(1.0, float(jnp.linalg.norm(z))):
        return PointClass("none", False, residual, eig_xx, eig_yy, eig_schur)
    if eig_xx.min() >= -tol and eig_yy.min() >= -tol:
        strict = bool(eig_xx.min() > tol and eig_yy.min() > tol)
        return PointClass("local_nash", strict, residual, eig_xx, eig_yy, eig_schur)
    if eig_yy.min() > tol and eig_schur.min() >= -tol:
        strict = bool(eig_schur.min() > tol)
        return PointClass("local_minimax", strict, residual, eig_xx, eig_yy, eig_schur)
    return PointClass("saddle", False, residual, eig_xx, eig_yy, eig_schur)
