"""The Dirac GAN's local response to the stabilising tricks (docs/stabilisers.md), by sympy.

Each game is written here from its definition (Mescheder et al. 2018, Sec. 2.2: data at 0,
generator at theta, discriminator D(x) = psi x, objective f(psi theta) + f(D_real)) and
expanded to second order by ``gd.symbolic.symbolic_game``; the eigenvalues are compared with
the closed forms derived by hand in the docs page.
"""

import sympy as sp

import gamedyn as gd

theta, psi = gd.symbolic.X, gd.symbolic.Y
s, sigma = sp.symbols("s sigma", positive=True)


def f(t):
    """The logistic f(t) = log sigmoid(t): f'(0) = 1/2, f''(0) = -1/4."""
    return -sp.log(1 + sp.exp(-t))


def nonsaturating_generator(t):
    return -f(-t)


def eigenvalues(loss_x, loss_y):
    game = gd.symbolic.symbolic_game(loss_x, loss_y, expand=True)
    return sorted((sp.simplify(v) for v in game.eigenvalues()), key=sp.default_sort_key)


def quadratic(g):
    """Second-order Taylor polynomial of g(t) at t = 0."""
    t = sp.Symbol("t")
    return lambda u: sum(sp.diff(g(t), t, k).subs(t, 0) * u**k / sp.factorial(k) for k in range(3))


def expect(expr, eps):
    """E over eps ~ N(0, sigma^2) of a polynomial in eps (moments 0, sigma^2, 0, 3 sigma^4)."""
    moments = {0: 1, 1: 0, 2: sigma**2, 3: 0, 4: 3 * sigma**4}
    poly = sp.Poly(sp.expand(expr), eps)
    return sum(c * moments[m[0]] for m, c in poly.terms())


def noisy_dirac_jacobian(real_term):
    """J of the Dirac GAN with instance noise of std sigma and real term ``real_term(t)``."""
    eps = sp.Symbol("epsilon", real=True)
    f2, g2 = quadratic(f), quadratic(nonsaturating_generator)
    fake = expect(f2(psi * (theta + eps)), eps)
    real = expect(quadratic(real_term)(-psi * eps), eps)
    loss_x = expect(g2(psi * (theta + eps)), eps)
    return gd.symbolic.symbolic_game(loss_x, -(fake + real), expand=True).jacobian()


def test_one_sided_label_smoothing_leaves_the_dirac_gan_unchanged():
    # without noise the real logit is psi * 0: the smoothed term is a constant
    t = psi * theta
    smoothed = (1 - s) * f(0 * psi) + s * f(-0 * psi)
    assert eigenvalues(nonsaturating_generator(t), -(f(t) + smoothed)) == eigenvalues(
        nonsaturating_generator(t), -(f(t) + f(sp.S.Zero)))
    # with instance noise the real logit -psi eps moves: the smoothed term's slope (1 - 2s) f'(0)
    # meets E eps = 0 and its curvature equals f''(0), so J is the unsmoothed one
    smoothed_real = noisy_dirac_jacobian(lambda u: (1 - s) * f(u) + s * f(-u))
    plain = noisy_dirac_jacobian(f)
    assert sp.simplify(smoothed_real - plain) == sp.zeros(2, 2)
    assert sp.simplify(plain - sp.Matrix([[0, -sp.Rational(1, 2)], [sp.Rational(1, 2), -sigma**2 / 2]])) == sp.zeros(2, 2)


def test_two_sided_smoothing_slows_the_rotation_and_makes_a_saddle_past_one_half():
    t = psi * theta
    fake = (1 - s) * f(t) + s * f(-t)
    J = gd.symbolic.symbolic_game(nonsaturating_generator(t), -fake, expand=True).jacobian()
    assert sp.simplify(J - sp.Matrix([[0, -sp.Rational(1, 2)], [(1 - 2 * s) / 2, 0]])) == sp.zeros(2, 2)
    # eigenvalues +- (1/2) sqrt(2s - 1): imaginary below s = 1/2, real (one positive) above
    values = J.eigenvals()
    assert set(sp.simplify(v**2 - (2 * s - 1) / 4) for v in values) == {0}


def test_instance_noise_damps_the_logistic_losses_and_not_the_linear_ones():
    # closed form: J = [[0, -f'(0)], [f'(0), 2 f''(0) sigma^2]]
    logistic = gd.symbolic.dirac("nonsaturating", "instance_noise", gamma=sigma).jacobian()
    assert sp.simplify(logistic - sp.Matrix([[0, -sp.Rational(1, 2)], [sp.Rational(1, 2), -sigma**2 / 2]])) == sp.zeros(2, 2)
    wasserstein = gd.symbolic.dirac("wasserstein", "instance_noise", gamma=sigma).jacobian()
    assert wasserstein == sp.Matrix([[0, -1], [1, 0]])
