"""docs/tutorial.md runs: its code blocks, in order, write every figure the page shows, print
every output line the page quotes, and the numbers they print are the Dirac GAN's closed
forms (Mescheder, Geiger & Nowozin 2018), recomputed here from explicit update matrices."""

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

TUTORIAL = Path(__file__).resolve().parents[1] / "docs" / "tutorial.md"
A = 0.5  # f'(0) of f(t) = log sigmoid(t), the non-saturating loss the page uses


def _blocks(kind):
    return re.findall(rf"```{kind}\n(.*?)```", TUTORIAL.read_text(), flags=re.DOTALL)


@pytest.fixture(scope="module")
def tutorial(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tutorial")
    code = "\n".join(_blocks("python"))
    env = {
        **os.environ,
        "GAMEDYN_FAST": "1",
        "GAMEDYN_TUTORIAL_OUT": str(tmp),
        "GAMEDYN_CACHE": str(tmp / "cache"),  # the islands mode classifier, trained once here
        "MPLBACKEND": "Agg",
        "OMP_NUM_THREADS": "1",
        "TMPDIR": str(tmp),  # the page's training folders
    }
    proc = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True,
                          text=True, env=env, cwd=TUTORIAL.parents[1], timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return tmp, proc.stdout


def _number(stdout, pattern):
    match = re.search(pattern, stdout)
    assert match, f"no line matches {pattern!r} in\n{stdout}"
    return float(match.group(1))


def _figures():
    return re.findall(r"\]\(img/([\w.-]+\.png)\)", TUTORIAL.read_text())


def test_every_figure_the_page_shows_is_written(tutorial):
    out, _ = tutorial
    names = _figures()
    assert len(names) == 5 and len(set(names)) == 5  # one figure per step
    for name in names:
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name


def test_the_committed_figures_exist_and_stay_small():
    for name in _figures():
        path = TUTORIAL.parent / "img" / name
        assert path.exists(), f"{path} is linked from the page; regenerate it (see the page's top)"
        assert path.stat().st_size < 300_000, name  # kept small for the repository


def test_every_quoted_output_line_is_printed(tutorial):
    _, stdout = tutorial
    printed = set(stdout.splitlines())
    quoted = [line for block in _blocks("text") for line in block.splitlines() if line]
    assert len(quoted) >= 15
    missing = [line for line in quoted if line not in printed]
    assert not missing, f"quoted on the page but not printed: {missing}\nprinted:\n{stdout}"


def _radius(matrix):
    return max(abs(np.linalg.eigvals(matrix)))


def test_printed_spectra_are_the_closed_forms(tutorial):
    _, stdout = tutorial
    lr, w = 0.5, 0.5 * A
    # Printed to 6 decimals (radii, rates) or 4 (step limits): the tolerances are half a unit
    # in the last printed place, plus 1e-8 for max_stable_lr, which stops where
    # rho <= 1 + 1e-9 (marginal) or rho < 1 - 1e-9, a few 1e-9 away from the exact limit.
    half6, half4 = 0.5e-6 + 1e-12, 0.5e-4 + 1e-8
    J = np.array([[0.0, -A], [A, 0.0]])  # Jacobian of F at (0, 0), both log-sigmoid losses
    assert np.allclose(np.sort(np.linalg.eigvals(J).imag), [-A, A])

    simultaneous = np.eye(2) + lr * J
    rho = _number(stdout, r"simultaneous GDA, spectral radius: ([\d.]+)")
    assert rho == pytest.approx(_radius(simultaneous), abs=half6)
    assert rho == pytest.approx(np.hypot(1.0, w), abs=half6)
    # the first 150 steps from |z_0| = 1e-4 stay linear: |z_t| = rho^t |z_0| (simultaneous
    # GDA on J is a scaled rotation). The loss's next terms damp by ~lr |z|^2 / 16 per step
    # (the flow's d log|z| / dt ~ -|z|^2 / 16 averaged over a turn): 2.8e-6 at
    # |z_150| ~ 9.4e-3, ~3e-7 averaged over the 150 steps; with the 6-decimal rounding that
    # stays inside 2e-6.
    rate = _number(stdout, r"growth rate of \|z\| over the first 150 steps: ([-\d.]+)")
    assert rate == pytest.approx(np.log(_radius(simultaneous)), abs=2e-6)

    # alternating, y (D) first: y+ = y + lr a x, then x+ = x - lr a y+
    step_y = np.array([[1.0, 0.0], [w, 1.0]])
    step_x = np.array([[1.0, -w], [0.0, 1.0]])
    alternating = step_x @ step_y
    assert np.linalg.det(alternating) == pytest.approx(1.0, abs=1e-15)
    rho = _number(stdout, r"alternating GDA, spectral radius: ([\d.]+)")
    assert rho == pytest.approx(_radius(alternating), abs=half6) and rho == 1.0
    # cycling up to w = lr a = 2, where the eigenvalues meet at -1
    limit = _number(stdout, r"largest lr with rho <= 1: ([\d.]+)")
    assert limit == pytest.approx(2 / A, abs=half4)

    # extragradient: z+ = z + lr F(z + lr F(z)) -> I + lr J + (lr J)^2 on a linear field;
    # stable iff lr f'(0) < 1, the page's closed form
    def extragradient(lr):
        return np.eye(2) + lr * J + (lr * J) @ (lr * J)

    rho = _number(stdout, r"extragradient\s+rho at lr = 0.5: ([\d.]+)")
    assert rho == pytest.approx(_radius(extragradient(lr)), abs=half6)
    assert _radius(extragradient(1 / A)) == pytest.approx(1.0, abs=1e-12)

    # optimistic: (z_t, z_{t-1}) -> (z_t + 2 lr J z_t - lr J z_{t-1}, z_t); the page's closed
    # form puts rho = 1 at lr f'(0) = 1/sqrt(3), below 1 just under it
    def optimistic(lr):
        return np.block([[np.eye(2) + 2 * lr * J, -lr * J], [np.eye(2), np.zeros((2, 2))]])

    rho = _number(stdout, r"optimistic GDA\s+rho at lr = 0.5: ([\d.]+)")
    assert rho == pytest.approx(_radius(optimistic(lr)), abs=half6)
    edge = 1 / (np.sqrt(3) * A)
    # 1e-12: eigenvalues of a 4x4 companion-like matrix with entries of order 1, in float64
    assert _radius(optimistic(edge)) == pytest.approx(1.0, abs=1e-12)
    assert _radius(optimistic(0.99 * edge)) < 1 < _radius(optimistic(1.01 * edge))


def test_printed_r1_step_limits_are_where_the_explicit_maps_reach_rho_1(tutorial):
    _, stdout = tutorial
    gamma = 0.3
    J = np.array([[0.0, -A], [A, -gamma]])  # R1 adds -gamma to the discriminator's diagonal
    mu = np.linalg.eigvals(J)
    assert mu.real == pytest.approx([-gamma / 2] * 2, abs=1e-15)

    def simultaneous(lr):
        return _radius(np.eye(2) + lr * J)

    def alternating(lr):
        step_y = np.array([[1.0, 0.0], [lr * A, 1.0 - lr * gamma]])
        step_x = np.array([[1.0, -lr * A], [0.0, 1.0]])
        return _radius(step_x @ step_y)

    for label, radius in (("simultaneous", simultaneous), ("alternating", alternating)):
        limit = _number(stdout, rf"largest stable lr, {label}: ([\d.]+)")
        # printed to 4 decimals, so within 0.5e-4 (+ the bisection's few 1e-9) of the exact
        # limit: +-1e-4 around it must bracket rho = 1
        assert radius(limit - 1e-4) < 1 < radius(limit + 1e-4), label
