"""The wheel, installed into a fresh virtual environment, runs a study from its own copy of
``studies/`` (issue 24: ``gamedyn figures`` from a wheel install)."""

import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(args, cwd, env=None):
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"{args}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def test_a_wheel_in_a_fresh_venv_runs_a_study_from_anywhere(tmp_path):
    # Built without build isolation, with this environment's setuptools (torch requires it),
    # so that nothing is downloaded
    setuptools = pytest.importorskip("setuptools")
    if int(setuptools.__version__.split(".")[0]) < 68:
        pytest.skip(f"setuptools {setuptools.__version__} is older than pyproject.toml's build requirement (68)")
    wheels = tmp_path / "wheels"
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels),
         str(ROOT)], cwd=tmp_path)
    (wheel,) = wheels.glob("gamedyn-*.whl")
    # A fresh venv; its dependencies (jax, torch, ...) are this environment's, seen through a
    # .pth line (a plain path: the editable install's own hooks there are not run, so the
    # only gamedyn the fresh venv can import is the wheel's)
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    fresh_site = Path(run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          cwd=tmp_path).stdout.strip())
    (fresh_site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q", "--target", str(fresh_site),
         str(wheel)], cwd=tmp_path)
    where = run([str(python), "-c", "import gamedyn; print(gamedyn.__file__)"], cwd=tmp_path).stdout
    assert where.startswith(str(fresh_site)), where  # the wheel's copy, not the checkout
    # from a folder with no studies/: the wheel's own, one study at reduced size
    env = {**os.environ, "MPLBACKEND": "Agg"}
    gamedyn = [str(python), "-m", "gamedyn"]
    out = tmp_path / "figs"
    proc = run(gamedyn + ["figures", "--only", "fig_bilinear_rho_vs_lr", "--fast", "--out", str(out)],
               cwd=tmp_path, env=env)
    assert (out / "bilinear_rho_vs_lr.png").stat().st_size > 10_000, proc.stdout
    assert not (tmp_path / "studies").exists()
