"""Every study still runs and still writes the figure the repository ships."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_every_study_runs_at_fast_sizes_and_writes_its_committed_figure(tmp_path):
    script = Path(sys.executable).with_name("gamedyn")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "gamedyn"]
    env = {**os.environ, "GAMEDYN_CACHE": str(tmp_path / "cache")}
    proc = subprocess.run([*command, "figures", "--fast", "--out", str(tmp_path / "figs")], cwd=ROOT,
                          capture_output=True, text=True, env=env, timeout=3600)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-4000:]
    written = {p.name for p in (tmp_path / "figs").glob("*.png")}
    committed = {p.name for p in (ROOT / "figures").glob("*.png")}
    assert committed <= written, f"studies no longer write {sorted(committed - written)}"
    studies = sorted(p for p in (ROOT / "studies").glob("fig_*.py"))
    assert len(studies) == len(committed), "one committed figure per study"
