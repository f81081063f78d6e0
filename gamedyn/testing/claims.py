"""A library of convergence claims from the literature — true results, and false folklore that
:func:`~gamedyn.testing.check` must refute with a counterexample.

Each claim's region is written in coordinates scaled by the game (``u = lr s_max``,
``u = lr / lr_limit``), computed here with numpy from the game's matrices or closed-form
Jacobian — independently of the package's spectral code, which the check then exercises.

>>> from gamedyn.testing import claims
>>> len(claims.CLAIMS) >= 15
True
>>> claims.get("optimism-any-step-below-1").expected
'refuted'
"""

from __future__ import annotations

import math

import numpy as np

from .. import optim
from ._check import Choice, Claim, Integers, Interval, Param
from ._strategies import bilinear_games, dirac_gans, quadratic_games

__all__ = [
    "CLAIMS",
    "get",
    "names",
    "s_max",
    "s_min",
    "field_jacobian",
    "monotonicity",
    "lipschitz",
    "gda_step_limit",
]


# -- game quantities (numpy, from the game's definition) --------------------------------------
def _singular_values(game):
    return np.linalg.svd(np.asarray(game.A, dtype=float), compute_uv=False)


def s_max(game) -> float:
    """Largest singular value of ``A``."""
    return float(_singular_values(game).max())


def s_min(game) -> float:
    """Smallest singular value of ``A`` (0 for a rectangular or singular ``A``)."""
    values = _singular_values(game)
    A = np.asarray(game.A)
    return 0.0 if A.shape[0] != A.shape[1] else float(values.min())


# f''(0) of the Dirac GAN's f (Mescheder et al. 2018): -1/4 for the logistic losses,
# -1 for least squares, 0 for the piecewise-linear ones.
_F_SECOND = {
    "saturating": -0.25,
    "nonsaturating": -0.25,
    "least_squares": -1.0,
    "wasserstein": 0.0,
    "hinge": 0.0,
}


def field_jacobian(game) -> np.ndarray:
    """The Jacobian of ``F`` at the equilibrium, from the game's matrices (bilinear,
    quadratic), from Mescheder et al.'s (2018) closed form (Dirac GAN):
    ``[[0, -f'(0)], [f'(0), -g]]`` with ``g = gamma`` for R1/R2 and ``-2 f''(0) sigma^2``
    for instance noise, or, for any other game, by sympy's exact differentiation of its
    losses (:func:`gamedyn.symbolic.jacobian_of`): never by the JAX autodiff under test."""
    from .. import games

    if isinstance(game, games.Bilinear):
        A = np.asarray(game.A, dtype=float)
        n_x, n_y = A.shape
        return np.block([[np.zeros((n_x, n_x)), -A], [A.T, np.zeros((n_y, n_y))]])
    if isinstance(game, games.Quadratic):
        A, B, C = (np.asarray(m, dtype=float) for m in (game.A, game.B, game.C))
        return np.block([[-B, -A], [A.T, -C]])
    if isinstance(game, games.DiracGAN):
        a = game.f_prime_0
        if game.reg in ("r1", "r2"):
            g = float(game.gamma)
        elif game.reg == "instance_noise":
            g = -2.0 * _F_SECOND[game.loss] * float(game.gamma) ** 2
        elif game.reg is None:
            g = 0.0
        else:
            raise ValueError(f"reg={game.reg!r} has no closed-form Jacobian here")
        return np.array([[0.0, -a], [a, -g]])
    if isinstance(game, games.Game) and game.symbolic_ready:
        from .. import symbolic

        return np.array(symbolic.jacobian_of(game).evalf(), dtype=float)
    raise ValueError(f"game={game!r} is not accepted; expected Bilinear, Quadratic, DiracGAN or a game whose "
                     "losses are written against backend operations (_losses(ops, x, y))")


def monotonicity(game) -> float:
    """``mu``: the smallest eigenvalue of the symmetric part of ``-J`` (``diag(B, C)`` for a
    zero-sum quadratic game); ``mu > 0`` is strong monotonicity."""
    J = field_jacobian(game)
    return float(np.linalg.eigvalsh(-(J + J.T) / 2).min())


def lipschitz(game) -> float:
    """``L = |J|_2``, the Lipschitz constant of ``F``."""
    return float(np.linalg.norm(field_jacobian(game), 2))


def gda_step_limit(J) -> float:
    """The largest step of ``z+ = z + lr J z`` with ``|1 + lr l| < 1`` for every eigenvalue
    ``l`` of ``J``: ``min_l -2 Re l / |l|^2`` (Mescheder, Nowozin & Geiger 2017, Sec. 3);
    0 if some ``Re l >= 0``."""
    values = np.linalg.eigvals(np.asarray(J, dtype=float))
    if np.any(values.real >= 0):
        return 0.0
    return float(np.min(-2 * values.real / np.abs(values) ** 2))


# -- families -----------------------------------------------------------------------------
def _bilinear():
    # n <= 2: a bilinear game's spectrum is the union of its 2x2 blocks (one per singular
    # value), so two singular values already exercise "the worst block decides"; each
    # further size only costs another compilation.
    return bilinear_games(min_dim=1, max_dim=2, square=True, s_max=(0.5, 2.0), max_condition=4.0)


BILINEAR_TEXT = "square bilinear games x^T A y, n <= 2, s_max in [0.5, 2], condition number <= 4"

GIDEL = (
    "Gidel, Askari Hemmat, Pezeshki, Le Priol, Huang, Lacoste-Julien & Mitliagkas "
    "2019, 'Negative momentum for improved game dynamics' (AISTATS)"
)
MESCHEDER_2017 = "Mescheder, Nowozin & Geiger 2017, 'The numerics of GANs' (NeurIPS)"
MESCHEDER_2018 = (
    "Mescheder, Geiger & Nowozin 2018, 'Which training methods for GANs do "
    "actually converge?' (ICML)"
)
MOKHTARI = (
    "Mokhtari, Ozdaglar & Pattathil 2020, 'A unified analysis of extra-gradient and "
    "optimistic gradient methods for saddle point problems' (AISTATS)"
)
JIN = (
    "Jin, Netrapalli & Jordan 2020, 'What is local optimality in nonconvex-nonconcave "
    "minimax optimization?' (ICML)"
)


def _ttur(u, r, s):
    # lr_x lr_y s^2 = u^2 with lr_y / lr_x = r
    return (u / (s * math.sqrt(r)), u * math.sqrt(r) / s)


def _dirac_limit(game):
    return gda_step_limit(field_jacobian(game))


def _dirac_alternating_limit(game):
    # From gd.symbolic: alternating GDA on J = [[0, -a], [a, -gamma]] converges iff
    # lr < 2/gamma and a^2 lr^2 + 2 gamma lr - 4 < 0, i.e. lr < 4 / (gamma + sqrt(gamma^2 + 4 a^2)).
    a, g = game.f_prime_0, float(game.gamma)
    return 4.0 / (g + math.sqrt(g * g + 4 * a * a))


def _tau_star(game):
    # scalar strict local minimax (c > 0, b + a^2/c > 0): diag(1, tau) J is stable iff its
    # trace -b - tau c < 0 (its determinant tau (b c + a^2) is positive)
    b, c = float(np.asarray(game.B)[0, 0]), float(np.asarray(game.C)[0, 0])
    return max(1.0, -b / c)


def _tau_gda(game, u, v):
    tau = (1.0 + v) * _tau_star(game)
    J = field_jacobian(game)
    limit = gda_step_limit(np.diag([1.0, tau]) @ J)
    lr_x = u * limit
    return optim.gda((lr_x, tau * lr_x))


CLAIMS: tuple[Claim, ...] = (
    # -- bilinear games: true -------------------------------------------------------------
    Claim(
        name="extragradient-bilinear",
        statement="Extragradient converges on every bilinear game with an invertible matrix "
        "whenever lr s_max < 1.",
        games=_bilinear(),
        games_text=BILINEAR_TEXT,
        rule=lambda game, u: optim.extragradient(u / s_max(game)),
        rule_text="extragradient(lr)",
        region={"u": Param("lr s_max", Interval(0.01, 1.0, open_high=True))},
        regime="converged",
        source=f"Korpelevich 1976 (the method); {MOKHTARI} (bilinear analysis)",
        equation="per singular value s: |l|^2 = 1 - lr^2 s^2 + lr^4 s^4 < 1 iff lr s < 1",
    ),
    Claim(
        name="optimistic-bilinear",
        statement="Optimistic GDA converges on every invertible bilinear game whenever "
        "lr s_max < 1/sqrt(3).",
        games=_bilinear(),
        games_text=BILINEAR_TEXT,
        rule=lambda game, u: optim.optimistic(u / s_max(game)),
        rule_text="optimistic(lr)",
        region={"u": Param("lr s_max", Interval(0.01, 1 / math.sqrt(3), open_high=True))},
        regime="converged",
        source=f"Daskalakis, Ilyas, Syrgkanis & Zeng 2018, 'Training GANs with optimism' (ICLR); {MOKHTARI}",
        equation="l^2 - (1 + 2i lr s) l + i lr s = 0; Schur-Cohn: stable iff 3 lr^2 s^2 < 1 "
        "(gamedyn.symbolic derives it)",
    ),
    Claim(
        name="proximal-point-bilinear",
        statement="The proximal point method converges on every invertible bilinear game for "
        "every step size.",
        games=_bilinear(),
        games_text=BILINEAR_TEXT,
        rule=lambda game, u: optim.proximal(u / s_min(game)),
        rule_text="proximal(lr)",
        region={"u": Param("lr s_min", Interval(0.05, 50.0))},
        regime="converged",
        source=f"Rockafellar 1976, 'Monotone operators and the proximal point algorithm'; {MOKHTARI}",
        equation="(I - lr J)^{-1}: rho = (1 + lr^2 s_min^2)^{-1/2} < 1",
    ),
    Claim(
        name="cgd-bilinear",
        statement="Competitive gradient descent converges on every invertible bilinear game "
        "for every step size.",
        games=_bilinear(),
        games_text=BILINEAR_TEXT,
        rule=lambda game, u: optim.cgd(u / s_min(game)),
        rule_text="cgd(lr)",
        region={"u": Param("lr s_min", Interval(0.05, 50.0))},
        regime="converged",
        source="Schäfer & Anandkumar 2019, 'Competitive gradient descent' (NeurIPS)",
        equation="J_off = J on a bilinear game, so the step is (I - lr J)^{-1}: "
        "rho = (1 + lr^2 s_min^2)^{-1/2} < 1",
    ),
    Claim(
        name="alternating-gda-cycles",
        statement="Alternating GDA neither converges nor diverges on bilinear games: it cycles "
        "(rho = 1, bounded) whenever lr_x lr_y s_max^2 < 4.",
        games=_bilinear(),
        games_text=BILINEAR_TEXT,
        rule=lambda game, u, r: optim.gda(_ttur(u, r, s_max(game)), alternating=True),
        rule_text="gda((lr_x, lr_y), alternating=True)",
        region={
            "u": Param("sqrt(lr_x lr_y) s_max", Interval(0.01, 2.0, open_high=True)),
            "r": Param("lr_y / lr_x", Interval(0.25, 4.0)),
        },
        regime="cycling",
        source="Bailey, Gidel & Piliouras 2020, 'Finite regret and cycles with fixed step-size "
        "via alternating gradient descent-ascent' (COLT)",
        equation="det = 1 (symplectic), trace = 2 - lr_x lr_y s^2: |l| = 1 iff lr_x lr_y s^2 < 4",
    ),
    Claim(
        name="consensus-bilinear",
        statement="Consensus optimization converges on every invertible bilinear game for "
        "gamma > 0 and lr < 2 gamma / (1 + gamma^2 s_max^2).",
        games=_bilinear(),
        games_text=BILINEAR_TEXT,
        rule=lambda game, u, g: optim.consensus(
            u * 2 * (g / s_max(game)) / (1 + g**2), g / s_max(game)
        ),
        rule_text="consensus(lr, gamma)",
        region={
            "u": Param("lr (1 + gamma^2 s_max^2) / (2 gamma)", Interval(0.01, 1.0, open_high=True)),
            "g": Param("gamma s_max", Interval(0.1, 4.0)),
        },
        regime="converged",
        source=MESCHEDER_2017,
        equation="|l|^2 = (1 - lr gamma s^2)^2 + lr^2 s^2 < 1 iff lr < 2 gamma / (1 + gamma^2 s^2)",
    ),
    Claim(
        name="sga-hamiltonian",
        statement="Symplectic gradient adjustment with lam > 0 converges on Hamiltonian "
        "(bilinear) games for lr < 2 lam / (1 + lam^2 s_max^2).",
        games=_bilinear(),
        games_text=BILINEAR_TEXT,
        rule=lambda game, u, g: optim.sga(u * 2 * (g / s_max(game)) / (1 + g**2), g / s_max(game)),
        rule_text="sga(lr, lam)",
        region={
            "u": Param("lr (1 + lam^2 s_max^2) / (2 lam)", Interval(0.01, 1.0, open_high=True)),
            "g": Param("lam s_max", Interval(0.1, 4.0)),
        },
        regime="converged",
        source="Balduzzi, Racaniere, Martens, Foerster, Tuyls & Graepel 2018, 'The mechanics of "
        "n-player differentiable games' (ICML)",
        equation="on bilinear games SGA's step is consensus's: |l|^2 = (1 - lr lam s^2)^2 + lr^2 s^2",
    ),
    Claim(
        name="unrolled-bilinear",
        statement="Unrolled GAN updates with k look-ahead steps converge on every invertible "
        "bilinear game whenever lr s_max < 2 / sqrt(4k - 1).",
        games=_bilinear(),
        games_text=BILINEAR_TEXT,
        rule=lambda game, u, k: optim.unrolled(u * 2 / math.sqrt(4 * k - 1) / s_max(game), k),
        rule_text="unrolled(lr, k)",
        region={
            "u": Param("lr s_max sqrt(4k - 1) / 2", Interval(0.01, 1.0, open_high=True)),
            "k": Param("k", Integers(1, 3)),
        },
        regime="converged",
        source="Metz, Poole, Pfau & Sohl-Dickstein 2017, 'Unrolled generative adversarial "
        "networks' (ICLR) for the rule; the step-size bound is derived by gamedyn.symbolic",
        equation="trace 2 - 2k lr^2 s^2, det 1 - (2k - 1) lr^2 s^2; Jury: lr^2 s^2 < 4 / (4k - 1)",
    ),
    Claim(
        name="negative-momentum-alternating",
        statement="Alternating GDA with negative momentum -1 < beta < 0 converges on every "
        "invertible bilinear game whenever lr s_max < 2 (1 + beta).",
        games=_bilinear(),
        games_text=BILINEAR_TEXT,
        rule=lambda game, u, beta: optim.momentum(
            u * 2 * (1 + beta) / s_max(game), beta, alternating=True
        ),
        rule_text="momentum(lr, beta, alternating=True)",
        region={
            "u": Param("lr s_max / (2 (1 + beta))", Interval(0.05, 1.0, open_high=True)),
            "beta": Param("beta", Interval(-0.9, -0.1)),
        },
        regime="converged",
        source=f"{GIDEL} (negative momentum with alternating updates); the exact interval is "
        "derived by gamedyn.symbolic",
        equation="(l^2 - (1 + beta) l + beta)^2 + lr^2 s^2 l^3 = 0; Jury: lr s < 2 (1 + beta)",
    ),
    Claim(
        name="negative-momentum-exists",
        statement="Some negative momentum makes alternating GDA converge on a bilinear game.",
        games=_bilinear(),
        games_text=BILINEAR_TEXT,
        rule=lambda game, u, beta: optim.momentum(u / s_max(game), beta, alternating=True),
        rule_text="momentum(lr, beta, alternating=True)",
        region={
            "u": Param("lr s_max", Interval(0.01, 2.0)),
            "beta": Param("beta", Interval(-0.99, -0.01)),
        },
        regime="converged",
        quantifier="some",
        source=GIDEL,
        equation="a witness of the existential claim",
    ),
    # -- bilinear games: false folklore ---------------------------------------------------
    Claim(
        name="simultaneous-gda-small-steps",
        statement="Simultaneous GDA converges on bilinear games if the step size is small enough.",
        games=_bilinear(),
        games_text=BILINEAR_TEXT,
        rule=lambda game, u: optim.gda(u / s_max(game)),
        rule_text="gda(lr)",
        region={"u": Param("lr s_max", Interval(0.01, 0.1))},
        regime="converged",
        expected="refuted",
        source=f"folklore; refuted by {MESCHEDER_2017} and {GIDEL}",
        equation="per singular value: [[1, -lr s], [lr s, 1]], rho = sqrt(1 + lr^2 s^2) > 1 for every lr",
    ),
    Claim(
        name="ttur-simultaneous-gda",
        statement="A faster discriminator (two time-scale update rule) makes simultaneous GDA "
        "converge on bilinear games.",
        games=_bilinear(),
        games_text=BILINEAR_TEXT,
        rule=lambda game, u, r: optim.gda((u / s_max(game), r * u / s_max(game))),
        rule_text="gda((lr_x, lr_y))",
        region={
            "u": Param("lr_x s_max", Interval(0.01, 0.1)),
            "r": Param("lr_y / lr_x", Interval(2.0, 10.0)),
        },
        regime="converged",
        expected="refuted",
        source="folklore read into Heusel, Ramsauer, Unterthiner, Nessler & Hochreiter 2017 "
        "(TTUR, NeurIPS), whose theorem needs conditions a bilinear game violates",
        equation="rho = sqrt(1 + lr_x lr_y s_max^2) > 1 for every ratio",
    ),
    Claim(
        name="alternating-gda-converges",
        statement="Alternating updates fix GDA's oscillation: alternating GDA converges on "
        "bilinear games for lr s_max < 2.",
        games=_bilinear(),
        games_text=BILINEAR_TEXT,
        rule=lambda game, u: optim.gda(u / s_max(game), alternating=True),
        rule_text="gda(lr, alternating=True)",
        region={"u": Param("lr s_max", Interval(0.01, 2.0, open_high=True))},
        regime="converged",
        expected="refuted",
        source="folklore; refuted by Bailey, Gidel & Piliouras 2020 (COLT): the map is "
        "symplectic and cycles",
        equation="det = 1, so |l_1 l_2| = 1: no step size gives rho < 1",
    ),
    Claim(
        name="k-discriminator-steps",
        statement="Taking k > 1 discriminator steps per generator step (Goodfellow et al. "
        "2014, Algorithm 1) makes alternating GDA converge on bilinear games.",
        games=_bilinear(),
        games_text=BILINEAR_TEXT,
        rule=lambda game, u, k: optim.gda(u / s_max(game), alternating=True, k=k),
        rule_text="gda(lr, alternating=True, k)",
        region={"u": Param("lr s_max", Interval(0.01, 0.5)), "k": Param("k", Integers(2, 5))},
        regime="converged",
        expected="refuted",
        source="folklore around Goodfellow et al. 2014, 'Generative adversarial nets' (NeurIPS)",
        equation="[[1 - k lr^2 s^2, -lr s], [k lr s, 1]] has det = 1: cycling at best",
    ),
    Claim(
        name="optimism-any-step-below-1",
        statement="Optimistic GDA converges on bilinear games whenever lr s_max < 1, like "
        "extragradient.",
        games=_bilinear(),
        games_text=BILINEAR_TEXT,
        rule=lambda game, u: optim.optimistic(u / s_max(game)),
        rule_text="optimistic(lr)",
        region={"u": Param("lr s_max", Interval(0.01, 1.0, open_high=True))},
        regime="converged",
        expected="refuted",
        source=f"folklore; the exact threshold is 1/sqrt(3) ({MOKHTARI})",
        equation="rho < 1 iff lr s < 1/sqrt(3) ~ 0.577",
    ),
    Claim(
        name="positive-momentum-helps",
        statement="Positive (heavy-ball) momentum helps games as it helps minimisation: "
        "alternating GDA with 0 < beta < 1 converges on bilinear games for small steps.",
        games=_bilinear(),
        games_text=BILINEAR_TEXT,
        rule=lambda game, u, beta: optim.momentum(u / s_max(game), beta, alternating=True),
        rule_text="momentum(lr, beta, alternating=True)",
        region={
            "u": Param("lr s_max", Interval(0.01, 0.5)),
            "beta": Param("beta", Interval(0.1, 0.9)),
        },
        regime="converged",
        expected="refuted",
        source=f"folklore; refuted by {GIDEL}",
        equation="(l^2 - (1 + beta) l + beta)^2 + lr^2 s^2 l^3 has a root outside the unit disk for beta > 0",
    ),
    Claim(
        name="negative-momentum-simultaneous",
        statement="Negative momentum makes simultaneous GDA converge on bilinear games for "
        "small steps.",
        games=_bilinear(),
        games_text=BILINEAR_TEXT,
        rule=lambda game, u, beta: optim.momentum(u / s_max(game), beta),
        rule_text="momentum(lr, beta)",
        region={
            "u": Param("lr s_max", Interval(0.01, 0.5)),
            "beta": Param("beta", Interval(-0.9, -0.1)),
        },
        regime="converged",
        expected="refuted",
        source=f"folklore; refuted by {GIDEL} (simultaneous updates diverge with any momentum)",
        equation="per mode l^2 - (1 + beta + i lr s) l + beta: Schur-Cohn needs lr^2 s^2 < 0",
    ),
    Claim(
        name="simultaneous-momentum-exists",
        statement="Some momentum (positive or negative) and step size make simultaneous GDA "
        "converge on a bilinear game.",
        games=_bilinear(),
        games_text=BILINEAR_TEXT,
        rule=lambda game, u, beta: optim.momentum(u / s_max(game), beta),
        rule_text="momentum(lr, beta)",
        region={
            "u": Param("lr s_max", Interval(0.01, 2.0)),
            "beta": Param("beta", Interval(-0.99, 0.99)),
        },
        regime="converged",
        quantifier="some",
        expected="refuted",
        source=f"folklore; refuted by {GIDEL}",
        equation="no witness exists: Schur-Cohn on l^2 - (1 + beta + i lr s) l + beta needs lr^2 s^2 < 0",
    ),
    # -- Dirac GAN ------------------------------------------------------------------------
    Claim(
        name="r1-dirac-simultaneous",
        statement="R1 (or R2) regularisation makes the Dirac GAN locally convergent under "
        "simultaneous GDA with a small enough step, for every loss.",
        games=dirac_gans(regs=("r1", "r2"), gamma=(0.1, 4.0)),
        games_text="Dirac GANs, every loss, R1 or R2 with gamma in [0.1, 4]",
        rule=lambda game, u: optim.gda(u * _dirac_limit(game)),
        rule_text="gda(lr)",
        region={"u": Param("lr / lr_limit", Interval(0.01, 1.0, open_high=True))},
        regime="converged",
        source=f"{MESCHEDER_2018}, Thm 4.1; step limit from {MESCHEDER_2017}",
        equation="J eigenvalues -gamma/2 +- sqrt(gamma^2/4 - f'(0)^2); lr_limit = min -2 Re l / |l|^2",
    ),
    Claim(
        name="r1-dirac-alternating",
        statement="With R1 (or R2) alternating GDA converges locally on the Dirac GAN whenever "
        "lr < 4 / (gamma + sqrt(gamma^2 + 4 f'(0)^2)).",
        games=dirac_gans(regs=("r1", "r2"), gamma=(0.1, 4.0)),
        games_text="Dirac GANs, every loss, R1 or R2 with gamma in [0.1, 4]",
        rule=lambda game, u: optim.gda(u * _dirac_alternating_limit(game), alternating=True),
        rule_text="gda(lr, alternating=True)",
        region={
            "u": Param(
                "lr (gamma + sqrt(gamma^2 + 4 f'(0)^2)) / 4", Interval(0.01, 1.0, open_high=True)
            )
        },
        regime="converged",
        source=f"{MESCHEDER_2018} (R1 gives local convergence); the exact interval is derived "
        "by gamedyn.symbolic",
        equation="Jury on the alternating map: lr < 2/gamma and f'(0)^2 lr^2 + 2 gamma lr - 4 < 0",
    ),
    Claim(
        name="instance-noise-dirac",
        statement="Instance noise makes the Dirac GAN locally convergent under simultaneous "
        "GDA with a small enough step (losses with f''(0) < 0).",
        games=dirac_gans(
            losses=("nonsaturating", "least_squares"), regs=("instance_noise",), gamma=(0.3, 2.0)
        ),
        games_text="Dirac GANs (non-saturating, least squares) with instance noise sigma in [0.3, 2]",
        rule=lambda game, u: optim.gda(u * _dirac_limit(game)),
        rule_text="gda(lr)",
        region={"u": Param("lr / lr_limit", Interval(0.01, 1.0, open_high=True))},
        regime="converged",
        source=f"{MESCHEDER_2018}, Sec. 3.3 (instance noise)",
        equation="J eigenvalues f''(0) sigma^2 +- sqrt(f''(0)^2 sigma^4 - f'(0)^2), real parts < 0",
    ),
    Claim(
        name="unregularised-dirac-gan",
        statement="Unregularised GAN training converges locally: GDA (simultaneous or "
        "alternating) with small steps converges on the Dirac GAN.",
        games=dirac_gans(regs=(None,)),
        games_text="unregularised Dirac GANs, every loss",
        rule=lambda game, u, alternating: optim.gda(u / game.f_prime_0, alternating=alternating),
        rule_text="gda(lr, alternating)",
        region={
            "u": Param("lr f'(0)", Interval(0.01, 0.5)),
            "alternating": Param("alternating", Choice((False, True))),
        },
        regime="converged",
        expected="refuted",
        source=f"folklore; refuted by {MESCHEDER_2018}, Sec. 3 (simultaneous diverges, alternating cycles)",
        equation="J eigenvalues +-i f'(0): no damping at the equilibrium",
    ),
    Claim(
        name="wgan-clipping-dirac",
        statement="WGAN with weight clipping converges locally on the Dirac GAN.",
        games=dirac_gans(losses=("wasserstein",), regs=(None,), clip=(0.5, 2.0)),
        games_text="Wasserstein Dirac GANs with weight clipping |psi| <= c, c in [0.5, 2]",
        rule=lambda game, u: optim.gda(u, alternating=True),
        rule_text="gda(lr, alternating=True)",
        region={"u": Param("lr", Interval(0.01, 0.5))},
        regime="converged",
        expected="refuted",
        source=f"folklore; refuted by {MESCHEDER_2018}, Sec. 3.2 (WGAN is not locally convergent)",
        equation="inside the clipping box J = [[0, -1], [1, 0]]: alternating GDA cycles",
    ),
    # -- quadratic games ------------------------------------------------------------------
    Claim(
        name="gda-strongly-monotone",
        statement="Simultaneous GDA converges on every mu-strongly monotone, L-Lipschitz "
        "quadratic game whenever lr < 2 mu / L^2.",
        games=quadratic_games("strongly_monotone", max_dim=2),
        games_text="strongly monotone quadratic games (B, C > 0), n_x, n_y <= 2",
        rule=lambda game, u: optim.gda(u * 2 * monotonicity(game) / lipschitz(game) ** 2),
        rule_text="gda(lr)",
        region={"u": Param("lr L^2 / (2 mu)", Interval(0.05, 1.0, open_high=True))},
        regime="converged",
        source="classical forward-step contraction |I + lr J|^2 <= 1 - 2 lr mu + lr^2 L^2 "
        "(e.g. Facchinei & Pang 2003, Finite-Dimensional Variational Inequalities, Ch. 12)",
        equation="1 - 2 lr mu + lr^2 L^2 < 1 iff lr < 2 mu / L^2",
    ),
    Claim(
        name="extragradient-strongly-monotone",
        statement="Extragradient converges on every strongly monotone quadratic game whenever "
        "lr < 1 / L.",
        games=quadratic_games("strongly_monotone", max_dim=2),
        games_text="strongly monotone quadratic games (B, C > 0), n_x, n_y <= 2",
        rule=lambda game, u: optim.extragradient(u / lipschitz(game)),
        rule_text="extragradient(lr)",
        region={"u": Param("lr L", Interval(0.05, 1.0, open_high=True))},
        regime="converged",
        source=f"Tseng 1995, 'On linear convergence of iterative methods for the variational "
        f"inequality problem'; {MOKHTARI}",
        equation="linear convergence of extragradient for strongly monotone, L-Lipschitz F with lr < 1/L",
    ),
    Claim(
        name="gda-local-minimax-equal-steps",
        statement="GDA with equal small step sizes converges to every strict local minimax point.",
        games=quadratic_games("local_minimax", max_dim=2),
        games_text="quadratic games whose equilibrium is a strict local minimax point but not a "
        "local Nash equilibrium (B indefinite, C > 0, B + A C^-1 A^T > 0), n <= 2",
        rule=lambda game, u: optim.gda(u / lipschitz(game)),
        rule_text="gda(lr)",
        region={"u": Param("lr L", Interval(0.01, 0.1))},
        regime="converged",
        expected="refuted",
        source=f"folklore; refuted by {JIN} (GDA with equal steps can miss local minimax points)",
        equation="trace J = -tr B - tr C > 0 is possible at a strict local minimax point",
    ),
    Claim(
        name="two-timescale-gda-local-minimax",
        statement="GDA converges to a strict local minimax point once the discriminator's "
        "step is enough times larger than the generator's (tau > tau*) and the steps are small.",
        games=quadratic_games("local_minimax", max_dim=1),
        games_text="scalar quadratic games with a strict local minimax point (b < 0 < c, b + a^2/c > 0)",
        rule=_tau_gda,
        rule_text="gda((lr, tau lr))",
        region={
            "u": Param("lr / lr_limit(tau)", Interval(0.01, 1.0, open_high=True)),
            "v": Param("tau / tau* - 1", Interval(0.1, 10.0)),
        },
        regime="converged",
        source=f"{JIN}, two-timescale GDA; tau* = max(1, -b/c) makes diag(1, tau) J stable",
        equation="trace(diag(1, tau) J) = -b - tau c < 0 iff tau > -b/c; det = tau (b c + a^2) > 0",
    ),
)

_BY_NAME = {c.name: c for c in CLAIMS}
assert len(_BY_NAME) == len(CLAIMS), "claim names must be unique"


def names() -> list[str]:
    """The names of the shipped claims, in library order."""
    return [c.name for c in CLAIMS]


def get(name: str) -> Claim:
    """The shipped claim called ``name``.

    >>> get("alternating-gda-cycles").regime
    'cycling'
    """
    try:
        return _BY_NAME[name]
    except KeyError:
        import difflib

        close = difflib.get_close_matches(name, _BY_NAME, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else "; see `gamedyn check --list`"
        raise ValueError(f"name={name!r} is not a shipped claim{hint}") from None
