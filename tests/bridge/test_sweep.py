"""Training sweeps: cells, resumable reuse, the table, Ray tasks, and the CLI."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import gamedyn as gd
from gamedyn.bridge._sweep import _run_cell

TINY = dict(data="islands", n_data=300, width=4, batch=16, steps=6, log_every=3, sample_every=0,
            checkpoint_every=0, eval_samples=100, classifier_steps=20)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GAMEDYN_CACHE", str(tmp_path / "cache"))
    # the islands classifier needs fewer steps than the default for 300 images: 20 steps here
    # reach 100% held-out accuracy on these well-separated clusters (checked by its tests)


def test_cells_cover_the_grid_with_named_folders(tmp_path):
    base = gd.bridge.TrainConfig(**TINY)
    cells = gd.bridge.sweep_cells(base, {"rule": ["gda", "extragradient"], "reg": [None, "r1"]}, tmp_path)
    assert [v for v, _ in cells] == [{"rule": r, "reg": g} for r in ("gda", "extragradient") for g in (None, "r1")]
    assert Path(cells[1][1].out).name == "rule=gda-reg=r1"
    with pytest.raises(ValueError, match="grid parameter 'speed' is not a training parameter"):
        gd.bridge.sweep_cells(base, {"speed": [1]}, tmp_path)
    with pytest.raises(ValueError, match="grid is empty"):
        gd.bridge.sweep_cells(base, {}, tmp_path)


def test_local_sweep_writes_one_row_per_cell_and_reuses_finished_cells(tmp_path, cache):
    base = gd.bridge.TrainConfig(**TINY)
    grid = {"rule": ["gda", "optimistic"], "alternating": [False]}
    rows = gd.bridge.sweep(base, grid, out=tmp_path / "s", progress=False)
    assert [r["rule"] for r in rows] == ["gda", "optimistic"]
    assert all(r["status"] == "completed" and r["steps"] == 6 and r["n_modes"] == 10 for r in rows)
    table = json.loads((tmp_path / "s" / "table.json").read_text())
    assert table == rows
    assert "| rule | alternating | status |" in (tmp_path / "s" / "table.md").read_text()
    stamp = (tmp_path / "s" / "rule=gda-alternating=False" / "checkpoint.pt").stat().st_mtime_ns
    again = gd.bridge.sweep(base, grid, out=tmp_path / "s", progress=False)
    assert again == rows
    assert (tmp_path / "s" / "rule=gda-alternating=False" / "checkpoint.pt").stat().st_mtime_ns == stamp


def test_an_interrupted_cell_resumes(tmp_path, cache):
    config = gd.bridge.TrainConfig(out=str(tmp_path / "cell"), **TINY)
    gd.bridge.train(config, progress=False, stop_after=3)
    result = _run_cell(config.to_json(), threads=1)
    assert result["status"] == "completed" and result["steps"] == 6


@pytest.mark.slow
def test_ray_backend_gives_the_same_rows(tmp_path, cache):
    ray = pytest.importorskip("ray", reason="Ray is an optional extra (pip install 'gamedyn[ray]')")
    base = gd.bridge.TrainConfig(**TINY)
    grid = {"rule": ["gda", "extragradient"]}
    local = gd.bridge.sweep(base, grid, out=tmp_path / "local", progress=False)
    try:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False,
                 runtime_env={"env_vars": {"GAMEDYN_CACHE": os.environ["GAMEDYN_CACHE"]}})
        remote = gd.bridge.sweep(base, grid, out=tmp_path / "ray", backend="ray", progress=False)
    finally:
        ray.shutdown()
    # same seeds and one thread each: identical trainings; the metrics agree to float32
    # precision (a Ray worker runs JAX in its default float32, the tests in float64)
    for a, b in zip(remote, local):
        for key in a:
            if key == "out":
                continue
            if isinstance(a[key], float):
                assert a[key] == pytest.approx(b[key], rel=1e-6), key
            else:
                assert a[key] == b[key], key


def test_gamedyn_sweep_end_to_end(tmp_path):
    script = Path(sys.executable).with_name("gamedyn")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "gamedyn.cli"]
    flags = ["--data", "islands", "--n-data", "300", "--width", "4", "--batch", "16", "--steps", "4",
             "--log-every", "2", "--sample-every", "0", "--eval-samples", "100", "--classifier-steps", "20"]
    env = {**os.environ, "GAMEDYN_CACHE": str(tmp_path / "cache")}
    proc = subprocess.run([*command, "sweep", "--grid", "lr=1e-3,2e-3", *flags, "--out", str(tmp_path / "cli"), "--quiet"],
                          capture_output=True, text=True, timeout=900, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "lr=0.001: completed" in proc.stdout and "lr=0.002: completed" in proc.stdout
    bad = subprocess.run([*command, "sweep", "--grid", "speed=1,2", "--out", str(tmp_path / "bad")],
                         capture_output=True, text=True, timeout=300, env=env)
    assert bad.returncode != 0 and "--grid 'speed' is not a training parameter" in bad.stderr


def test_a_rule_hyperparameter_without_a_field_is_swept_through_rule_options(tmp_path):
    from gamedyn.cli._sweep import parse_grid

    grid = parse_grid(["look_ahead=plain,base", "through=true,false"], "unrolled")
    assert grid == {"look_ahead": ["plain", "base"], "through": [True, False]}
    cells = gd.bridge.sweep_cells(gd.bridge.TrainConfig(rule="unrolled"), grid, tmp_path)
    assert [c.rule_options for _, c in cells][:2] == [{"look_ahead": "plain", "through": True},
                                                     {"look_ahead": "plain", "through": False}]
    with pytest.raises(ValueError, match="grid parameter 'look_ahead' is not a training parameter.*rule='gda'"):
        gd.bridge.sweep_cells(gd.bridge.TrainConfig(rule="gda"), {"look_ahead": ["plain"]}, tmp_path)
    with pytest.raises(SystemExit, match="--grid 'look_ahead' is not a training parameter.*--rule gda"):
        parse_grid(["look_ahead=plain"], "gda")
