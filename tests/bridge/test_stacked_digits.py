"""benchmarks/stacked_digits.py end to end at its tiny size: every output in its schema, the
calibration rows right by construction, and a rerun that reads the runs back."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(tmp_path, *args):
    cmd = [sys.executable, "stacked_digits.py", "--tiny", "--seeds", "2", "--methods", "gan,pacgan2",
           "--cache", str(tmp_path / "cache"), "--results", str(tmp_path / "results"), *args]
    env = {**__import__("os").environ, "GAMEDYN_CACHE": str(tmp_path / "classifiers")}
    return subprocess.run(cmd, cwd=ROOT / "benchmarks", capture_output=True, text=True, timeout=900, env=env)


def test_the_tiny_study_end_to_end(tmp_path):
    done = run(tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads((tmp_path / "results" / "stacked_digits.json").read_text())
    assert [r["method"] for r in report["rows"]] == ["gan", "pacgan2"]
    for r in report["rows"]:
        assert {"method", "seeds", "modes", "modes_se", "kl", "kl_se", "diverged", "steps"} <= set(r)
        assert r["seeds"] == 2 and r["steps"] == 20 and 0 <= r["modes"] <= 10
    real, one = report["calibration"]
    assert one["modes"] == 1.0  # one image repeated is one mode, whatever the classifier says
    assert abs(one["kl"] - __import__("math").log(10)) < 1e-6  # KL(delta || uniform over 10) = log 10
    assert real["modes"] == 10.0
    text = (tmp_path / "results" / "stacked_digits.md").read_text()
    assert "Lin et al. 2018, Table 3" in text and "PacDCGAN2" in text
    again = run(tmp_path)  # finished runs are read back, not retrained
    assert again.returncode == 0, again.stderr[-3000:]
    assert json.loads((tmp_path / "results" / "stacked_digits.json").read_text())["rows"][0]["modes"] == \
        report["rows"][0]["modes"]


def test_bad_arguments_are_named(tmp_path):
    done = run(tmp_path, "--methods", "gan,wgan")
    assert done.returncode == 2 and "unknown ['wgan']" in done.stderr
