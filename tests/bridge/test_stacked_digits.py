"""benchmarks/stacked_digits.py end to end at its tiny size: every output in its schema, the
calibration rows right by construction, and a rerun that reads the runs back."""

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

import gamedyn as gd

ROOT = Path(__file__).resolve().parents[2]


def run(tmp_path, *args, size=("--tiny",), methods="gan,gan_alternating,pacgan2"):
    cmd = [sys.executable, "stacked_digits.py", *size, "--seeds", "2", "--methods", methods,
           "--cache", str(tmp_path / "cache"), "--results", str(tmp_path / "results"), *args]
    env = {**__import__("os").environ, "GAMEDYN_CACHE": str(tmp_path / "classifiers")}
    return subprocess.run(cmd, cwd=ROOT / "benchmarks", capture_output=True, text=True, timeout=900, env=env)


def test_the_tiny_study_end_to_end(tmp_path):
    done = run(tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads((tmp_path / "results" / "stacked_digits.json").read_text())
    assert [r["method"] for r in report["rows"]] == ["gan", "gan_alternating", "pacgan2"]
    for r in report["rows"]:
        assert {"method", "seeds", "modes", "modes_se", "kl", "kl_se", "diverged", "steps"} <= set(r)
        assert r["seeds"] == 2 and r["steps"] == 20 and 0 <= r["modes"] <= 10
    real, one = report["calibration"]
    assert one["modes"] == 1.0  # one image repeated is one mode, whatever the classifier says
    assert abs(one["kl"] - math.log(10)) < 1e-6  # KL(delta || uniform over 10) = log 10
    assert real["modes"] == 10.0
    cross = json.loads((tmp_path / "results" / "cross_scale.json").read_text())
    assert set(cross) >= {"rules", "islands", "images", "kendall_tau_modes", "kendall_tau_modes_ci", "kendall_tau_kl",
                          "kendall_tau_kl_ci", "image_size", "cpu_hours"}
    assert cross["image_size"] == {"width": 4, "steps": 20, "batch": 16} and cross["cpu_hours"] > 0
    # the committed islands samples (VEEGAN ring) hold all three methods with 8 seeds
    assert cross["rules"] == ["gan", "gan_alternating", "pacgan2"]
    assert all(len(cross["islands"][m]["modes"]) == 8 and len(cross["images"][m]["kl"]) == 2 for m in cross["rules"])
    # tau is recomputable from the per-seed numbers in the file
    for metric in ("modes", "kl"):
        again = gd.metrics.rank_agreement({m: cross["islands"][m][metric] for m in cross["rules"]},
                                          {m: cross["images"][m][metric] for m in cross["rules"]}, n_resamples=2000)
        if cross[f"kendall_tau_{metric}"] is None:
            assert math.isnan(again.tau)
        else:
            assert again.tau == cross[f"kendall_tau_{metric}"]
            assert [again.low, again.high] == cross[f"kendall_tau_{metric}_ci"]
    text = (tmp_path / "results" / "stacked_digits.md").read_text()
    assert "Lin et al. 2018, Table 3" in text and "PacDCGAN2" in text
    again = run(tmp_path)  # finished runs are read back, not retrained
    assert again.returncode == 0, again.stderr[-3000:]
    assert json.loads((tmp_path / "results" / "stacked_digits.json").read_text())["rows"][0]["modes"] == \
        report["rows"][0]["modes"]
    # an earlier report's rows join a run of the other methods, as recorded, in the methods' order
    first = tmp_path / "results" / "stacked_digits.json"
    done = run(tmp_path, "--from-report", str(first), "--results", str(tmp_path / "merged"), methods="gan_alternating")
    assert done.returncode == 0, done.stderr[-3000:]
    merged = json.loads((tmp_path / "merged" / "stacked_digits.json").read_text())
    assert [r["method"] for r in merged["rows"]] == ["gan", "gan_alternating", "pacgan2"]
    assert [r.get("recorded_in") for r in merged["rows"]] == [str(first), None, str(first)]
    assert [r.get("recorded_by") for r in merged["rows"]] == [report["command"], None, report["command"]]
    strip = lambda r: {k: v for k, v in r.items() if k not in ("recorded_in", "recorded_by")}  # noqa: E731
    assert [strip(r) for r in merged["rows"]] == report["rows"]
    assert json.loads((tmp_path / "merged" / "cross_scale.json").read_text()) == cross
    assert "Rows read from an earlier report" in (tmp_path / "merged" / "stacked_digits.md").read_text()
    done = run(tmp_path, "--from-report", str(first), "--results", str(tmp_path / "other"), "--seeds", "3",
               methods="gan_alternating")
    assert done.returncode == 2 and "--from-report" in done.stderr and "expected the same set-up" in done.stderr


def test_bad_arguments_are_named(tmp_path):
    done = run(tmp_path, methods="gan,wgan")
    assert done.returncode == 2 and "unknown ['wgan']" in done.stderr
    done = run(tmp_path, "--jobs", "0")
    assert done.returncode == 2 and "--jobs 0: expected at least 1" in done.stderr


def test_runs_in_parallel_processes_equal_the_runs_one_after_another(tmp_path):
    # single-threaded CPU runs are deterministic: the same seeds give the same numbers
    first, second = tmp_path / "one", tmp_path / "two"
    assert run(first).returncode == 0
    done = run(second, "--jobs", "2")
    assert done.returncode == 0, done.stderr[-3000:]
    rows = [json.loads((p / "results" / "stacked_digits.json").read_text())["rows"] for p in (first, second)]
    assert [(r["per_seed_modes"], r["per_seed_kl"]) for r in rows[0]] == [
        (r["per_seed_modes"], r["per_seed_kl"]) for r in rows[1]]


@pytest.mark.slow
def test_the_gpu_script_runs_on_the_cpu_for_two_steps(tmp_path):
    """benchmarks/gpu_stacked_digits.sh, the command a GPU session runs (``--size gpu``:
    width 64, Stacked digits, 26,000 evaluation samples), cut to two steps of three rules on
    the CPU: every output under its _gpu name in $OUT."""
    import os

    env = {**os.environ, "PYTHON": sys.executable, "OUT": str(tmp_path / "results"), "JOBS": "2",
           "CACHE": str(tmp_path / "cache"), "GAMEDYN_CACHE": str(tmp_path / "classifiers")}
    done = subprocess.run(["bash", str(ROOT / "benchmarks" / "gpu_stacked_digits.sh"), "--device", "cpu", "--steps",
                           "2", "--seeds", "2", "--methods", "gan,gan_alternating,pacgan2"],
                          capture_output=True, text=True, timeout=1800, env=env)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    assert "stacked digits at the GPU size" in done.stdout
    report = json.loads((tmp_path / "results" / "stacked_digits_gpu.json").read_text())
    assert report["settings"]["width"] == 64 and report["settings"]["steps"] == 2
    assert all(r["steps"] == 2 and r["n_modes"] == 1000 for r in report["rows"])
    cross = json.loads((tmp_path / "results" / "cross_scale_gpu.json").read_text())
    assert cross["image_size"] == {"width": 64, "steps": 2, "batch": 64}
    assert (tmp_path / "results" / "stacked_digits_gpu.md").exists()
