"""End-to-end tests of the ``gamedyn`` command (run as a subprocess, as a user runs it)."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]


# The console script installed next to this interpreter: what the README's commands run.
SCRIPT = Path(sys.executable).with_name("gamedyn")


def gamedyn(*args, cwd=ROOT, env=None):
    command = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "gamedyn.cli"]
    return subprocess.run(
        [*command, *args],
        cwd=cwd, capture_output=True, text=True, env=env, timeout=600,
    )


def test_spectrum_json_reports_the_closed_forms():
    # Extragradient on s x y with lr s = 0.5: |l|^2 = 1 - a + a^2, a = 1/4.
    proc = gamedyn("spectrum", "--game", "bilinear", "--matrix", "1", "--rule", "extragradient",
                   "--lr", "0.5", "--steps", "500", "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    np.testing.assert_allclose(report["spectral_radius"], np.sqrt(1 - 0.25 + 0.0625), rtol=1e-12)
    assert report["predicted"] == "converged"
    assert report["simulated"]["regime"] == "converged"
    eigs = sorted(complex(*v).imag for v in report["jacobian_eigenvalues"])
    np.testing.assert_allclose(eigs, [-1.0, 1.0], atol=1e-12)


def test_spectrum_text_for_the_dirac_gan_with_r1():
    proc = gamedyn("spectrum", "--game", "dirac", "--reg", "r1", "--gamma", "0.5", "--rule", "gda",
                   "--alternating", "--lr", "0.2")
    assert proc.returncode == 0, proc.stderr
    assert "-0.25+0.433013j" in proc.stdout  # -gamma/2 + i sqrt(f'(0)^2 - gamma^2/4)
    assert "predicted converged" in proc.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["--lr", "-1"], "lr=-1.0 is not accepted"),
        (["--game", "bilinear", "--matrix", "1,2;3"], "--matrix '1,2;3'"),
        (["--game", "bilinear", "--matrix", "a"], "--matrix 'a' is not a matrix"),
        (["--rule", "proximal", "--base", "adam"], "--base is not accepted with --rule proximal"),
        (["--rule", "cgd", "--base", "rmsprop"], "--base is not accepted with --rule cgd"),
        (["--game", "dirac", "--z0", "1,2,3"], "--z0 has 3 entries"),
        (["--rule", "newton"], "invalid choice: 'newton'"),
    ],
)
def test_spectrum_rejects_bad_flags_by_name(args, message):
    proc = gamedyn("spectrum", *args)
    assert proc.returncode != 0
    assert message in proc.stderr


def test_figures_runs_every_study_and_reports_failures(tmp_path):
    studies = tmp_path / "studies"
    studies.mkdir()
    (studies / "fig_ok.py").write_text(textwrap.dedent('''
        """Writes one figure."""
        import matplotlib.pyplot as plt
        import gamedyn as gd
        gd.plots.use_style()
        fig, ax = plt.subplots()
        ax.plot([0, 1], [0, 1])
        gd.plots.save_figure(fig, gd.plots.figures_dir() / "ok.png")
    '''))
    (studies / "_helper.py").write_text("raise SystemExit(3)\n")  # not a study: skipped
    out = tmp_path / "figs"
    proc = gamedyn("figures", "--studies", str(studies), "--out", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (out / "ok.png").stat().st_size > 1000
    assert "1 of 1 studies ran" in proc.stdout and "fig_ok.py" in proc.stdout and "ok: ok.png" in proc.stdout

    (studies / "fig_bad.py").write_text("raise RuntimeError('boom')\n")
    (studies / "fig_silent.py").write_text("print('forgot to save')\n")  # runs, writes nothing
    proc = gamedyn("figures", "--studies", str(studies), "--out", str(out))
    assert proc.returncode == 1
    assert "fig_bad.py" in proc.stdout and "FAILED (exit 1)" in proc.stdout and "boom" in proc.stderr
    assert "fig_silent.py" in proc.stdout and "FAILED (no figure written)" in proc.stdout
    assert "1 of 3 studies ran" in proc.stdout

    listing = gamedyn("figures", "--studies", str(studies), "--list")
    assert "fig_ok.py" in listing.stdout and "Writes one figure." in listing.stdout


@pytest.mark.slow
def test_figures_regenerates_the_shipped_study(tmp_path):
    proc = gamedyn("figures", "--only", "bilinear_rho_vs_lr", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (tmp_path / "bilinear_rho_vs_lr.png").stat().st_size > 10_000


def test_figures_names_a_missing_studies_folder(tmp_path):
    proc = gamedyn("figures", "--studies", str(tmp_path / "nope"))
    assert proc.returncode != 0 and "--studies" in proc.stderr


def test_figures_from_an_installed_copy_finds_the_studies_it_ships(tmp_path, monkeypatch):
    # a wheel installs studies/ and results/ as gamedyn/_repo/{studies,results}; away from a
    # checkout, `gamedyn figures` runs that copy (here: a stand-in package tree)
    from gamedyn.cli import _figures

    package = tmp_path / "site" / "gamedyn"
    (package / "cli").mkdir(parents=True)
    (package / "_repo" / "studies").mkdir(parents=True)
    monkeypatch.setattr(_figures, "__file__", str(package / "cli" / "_figures.py"))
    monkeypatch.chdir(tmp_path)
    assert _figures.studies_folder(None) == package / "_repo" / "studies"
    (tmp_path / "studies").mkdir()
    assert _figures.studies_folder(None) == Path("studies")  # a checkout's own studies first
    (tmp_path / "studies").rmdir()
    (package / "_repo" / "studies").rmdir()
    with pytest.raises(SystemExit, match="studies/ is not in the working directory"):
        _figures.studies_folder(None)


def test_the_wheel_lists_every_subpackage_and_ships_the_studies():
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    found = {".".join(p.relative_to(ROOT).parent.parts) for p in (ROOT / "gamedyn").rglob("__init__.py")}
    assert found <= set(config["packages"])
    assert config["package-dir"] == {"gamedyn._repo.studies": "studies", "gamedyn._repo.results": "results"}
