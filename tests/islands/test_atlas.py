"""benchmarks/atlas.py: its verdicts follow the interval's sign, and the tiny atlas runs end to
end in the binding schema, keeping its rows as it goes."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import gamedyn as gd

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
import atlas  # noqa: E402

KEYS = {"technique", "setting", "data", "seeds", "metric", "baseline", "treated", "effect", "ci_low", "ci_high",
        "toy_prediction", "verdict"}


@pytest.mark.parametrize("claim, metric, interval, expected", [
    ("helps", "modes", (0.5, 1.5), "supports"),      # more modes: better
    ("helps", "kl", (0.5, 1.5), "contradicts"),      # more KL: worse
    ("hurts", "kl", (0.5, 1.5), "supports"),
    ("helps", "modes", (-0.5, 1.5), "inconclusive"),  # the interval holds 0
    ("nothing", "modes", (-0.5, 1.5), "inconclusive"),  # no evidence of an effect is not evidence of none
    ("nothing", "modes", (0.5, 1.5), "contradicts"),
])
def test_a_verdict_follows_the_intervals_side(claim, metric, interval, expected):
    effect = gd.metrics.PairedDifference(sum(interval) / 2, *interval, 8, 0.95)
    assert atlas.verdict(claim, metric, effect) == expected


def test_every_technique_names_its_source_and_toy_prediction():
    for name, spec in {**atlas.TECHNIQUES, **atlas.IMAGE_TECHNIQUES}.items():
        assert spec["claim"][0] in ("helps", "hurts", "nothing") and any(ch.isdigit() for ch in spec["claim"][1]), name
        assert spec["toy"][0] in ("helps", "hurts", "none", None) and spec["toy"][1], name
    assert len({spec["technique"] for spec in atlas.TECHNIQUES.values()}) >= 14
    assert sum(spec["claim"][0] in ("hurts", "nothing") for spec in atlas.TECHNIQUES.values()) >= 4


def test_the_tiny_atlas_end_to_end(tmp_path):
    cmd = [sys.executable, "atlas.py", "--tiny", "--seeds", "2", "--only", "label_smoothing,ttur",
           "--cache", str(tmp_path / "cache"), "--results", str(tmp_path / "results")]
    done = subprocess.run(cmd, cwd=ROOT / "benchmarks", capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads((tmp_path / "results" / "atlas.json").read_text())
    assert [r["metric"] for r in report["rows"]] == list(atlas.METRICS) * 2
    for row in report["rows"]:
        assert KEYS <= set(row) and row["seeds"] == 2 and row["data"] == "ring"
        if row["effect"] == row["effect"]:  # NaN where a metric has no finite pair (an infinite KL)
            assert row["ci_low"] <= row["effect"] <= row["ci_high"]
        assert row["verdict"] in ("supports", "contradicts", "inconclusive")
    assert "label_smoothing" not in report["missing"] and "hinge" in report["missing"]
    back = subprocess.run(cmd[:-4] + ["--cache", str(tmp_path / "cache"), "--results", str(tmp_path / "again"),
                                      "--read-back", "--only", "label_smoothing,hinge"],
                          cwd=ROOT / "benchmarks", capture_output=True, text=True, timeout=900)
    assert back.returncode == 0, back.stderr[-3000:]
    again = json.loads((tmp_path / "again" / "atlas.json").read_text())
    assert {r["name"] for r in again["rows"]} == {"label_smoothing"}  # hinge was never trained: left out


def test_an_image_technique_end_to_end(tmp_path):
    """An image-only technique trains the bridge's DCGAN on the image islands (tiny size) with
    its baseline, paired by seed; its rows carry the image metrics (no high-quality fraction)."""
    import os

    cmd = [sys.executable, "atlas.py", "--tiny", "--seeds", "2", "--image-seeds", "2", "--only", "diffaugment",
           "--cache", str(tmp_path / "cache"), "--results", str(tmp_path / "results")]
    env = {**os.environ, "GAMEDYN_CACHE": str(tmp_path / "classifiers")}
    done = subprocess.run(cmd, cwd=ROOT / "benchmarks", capture_output=True, text=True, timeout=900, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads((tmp_path / "results" / "atlas.json").read_text())
    assert [r["metric"] for r in report["rows"]] == list(atlas.IMAGE_METRICS)
    assert all(KEYS <= set(r) and r["data"] == "image islands (smoke)" and r["seeds"] == 2 for r in report["rows"])
    # the rows are the paired differences of the runs' own final evaluations
    finals = {}
    for arm in ("baseline", "diffaugment"):
        finals[arm] = [json.loads((tmp_path / "cache" / "images" / f"{arm}-tiny-s{s}" / "result.json").read_text())
                       for s in range(2)]
    assert all(json.loads((tmp_path / "cache" / "images" / f"diffaugment-tiny-s{s}" / "config.json").read_text())
               ["augment"] == "color,translation,cutout" for s in range(2))
    modes = {arm: [r["evaluation"]["modes"] for r in runs] for arm, runs in finals.items()}
    expected = gd.metrics.paired_difference(modes["diffaugment"], modes["baseline"])
    assert report["rows"][0]["effect"] == pytest.approx(expected.difference, abs=1e-12)
    assert "Image rows" in (tmp_path / "results" / "atlas.md").read_text()


def test_pairs_with_an_infinite_kl_are_counted_out_and_said():
    # a mode with no sample makes a KL infinite: that pair leaves the paired effect, and the
    # table says how many pairs remain
    base = {m: np.array([1.0, 2.0, 3.0, 4.0]) for m in atlas.METRICS}
    treated = {m: np.array([2.0, 3.0, 4.0, 5.0]) for m in atlas.METRICS}
    treated["kl"] = np.array([2.0, np.inf, 4.0, 5.0])
    rows = {r["metric"]: r for r in atlas.rows_of("ttur", base, treated, seeds=4)}
    assert rows["kl"]["pairs"] == 3 and rows["modes"]["pairs"] == 4
    assert rows["kl"]["effect"] == 1.0  # the three finite pairs each differ by 1
    report = {"command": "test", "minutes": 0.0, "seeds": 4, "baseline": {}, "rows": list(rows.values()),
              "missing": []}
    text = atlas.render(report)
    assert "(3 of 4 pairs finite)" in text and text.count("pairs finite)") == 1
