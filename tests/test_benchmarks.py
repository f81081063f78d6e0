"""``benchmarks/run.py --quick`` end to end: it writes a BENCHMARKS.md with the machine header
and every section, and every ratio in it is a finite number. No timing is asserted: the
numbers depend on the machine and its load, and a benchmark that fails on a busy machine
tells nothing."""

import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# section name (the script it comes from) -> ratio columns, and the rows every run has
EXPECTED = {
    "bench_phase.py": {
        "ratios": ["vs loop", "vs batched", "simulation vs numpy"],
        "rows": ["alternating GDA, bilinear", "simultaneous GDA, Dirac GAN + R1"],
        "finite": ["gamedyn warm (cells/s)", "numpy loop (cells/s)", "numpy batched (cells/s)"],
    },
    "bench_spectra.py": {
        "ratios": ["dense / SVD"],
        "rows": ["gda (alternating)", "optimistic (memory)"],
        "finite": ["SVD path (ms)", "dense (ms)"],
    },
    "bench_topk.py": {
        "ratios": ["dense / top-k"],
        "rows": [],
        "finite": ["top-k (s)", "dense total (s)", "nearest / ρ", "moduli / ρ"],
    },
    "bench_update.py": {
        "ratios": ["update / top", "per product"],
        "rows": ["gda (simultaneous)", "extragradient", "optimistic"],
        "finite": [],
    },
    "bench_toy.py": {
        "ratios": ["extragradient / gda"],
        "rows": ["bare `rule.step`", "`gd.simulate`", "`vmap(gd.simulate)`"],
        "finite": ["gda (ns/step)", "extragradient (ns/step)"],
    },
    "bench_bridge.py": {
        "ratios": ["candidate / baseline", "overhead"],
        "rows": ["gda (simultaneous)", "gda (alternating)", "extragradient"],
        "finite": ["baseline (ms/step)", "candidate (ms/step)"],
    },
    "bench_knn.py": {  # the prdc columns read "not installed" where prdc is not (CI)
        "ratios": ["support / limit", "two calls / support", "cdist / support"],
        "rows": [],
        "finite": ["support (s)", "two calls (s)", "chunks of 2^17 (s)", "cdist (s)", "BLAS limit (s)"],
    },
}


def number(cell: str) -> float:
    """``12.3x``, ``+1.2%``, ``4.5e+06 (...)`` -> the leading number."""
    match = re.match(r"\s*([-+]?(?:\d[\d,]*\.?\d*(?:e[-+]?\d+)?|nan|inf))", cell.strip().lower())
    assert match, f"not a number: {cell!r}"
    return float(match.group(1).replace(",", ""))


def tables(text: str) -> dict:
    """``{section heading: (columns, rows)}`` of the first table under each ``## `` heading."""
    out = {}
    for block in re.split(r"^## ", text, flags=re.M)[1:]:
        heading, _, body = block.partition("\n")
        lines = [line for line in body.splitlines() if line.startswith("|")]
        if not lines:
            out[heading] = ([], [])
            continue

        def cells(line):
            return [c.strip() for c in line.strip().strip("|").split("|")]

        columns = cells(lines[0])
        rows = [cells(line) for line in lines[2:]]
        assert all(len(row) == len(columns) for row in rows), heading
        out[heading] = (columns, rows)
    return out


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "BENCHMARKS.md"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=1200,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    return out.read_text()


@pytest.mark.slow
def test_header_names_the_machine(written):
    assert written.startswith("# Benchmarks\n")
    for field in ("| CPU |", "| GPU |", "| versions |", "jax ", "torch ", "| load average |"):
        assert field in written
    assert re.search(r"on \d{4}-\d{2}-\d{2} ", written)  # the date
    assert "--quick" in written  # a quick file says it is one


@pytest.mark.slow
@pytest.mark.parametrize("script", list(EXPECTED))
def test_every_section_has_its_rows_and_finite_ratios(written, script):
    found = {heading: table for heading, table in tables(written).items() if f"({script})" in heading}
    assert len(found) == 1, f"no single section from {script}: {list(tables(written))}"
    (columns, rows), = found.values()
    expected = EXPECTED[script]
    assert rows, f"{script}: empty table"
    for column in expected["ratios"] + expected["finite"]:
        assert column in columns, f"{script}: no column {column!r} in {columns}"
        for row in rows:
            value = number(row[columns.index(column)])
            assert math.isfinite(value), f"{script}: {column} = {row[columns.index(column)]!r} in {row}"
    for ratio_column in expected["ratios"]:
        cells = [row[columns.index(ratio_column)] for row in rows]
        assert all(cell.endswith(("x", "%")) for cell in cells), cells
    for label in expected["rows"]:
        assert any(row[0].startswith(label) for row in rows), f"{script}: no row {label!r}"


@pytest.mark.slow
def test_only_runs_the_named_benchmark_and_replaces_the_file(tmp_path):
    out = tmp_path / "BENCHMARKS.md"
    out.write_text("stale content from an earlier run\n")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--only", "spectra", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    text = out.read_text()
    assert "stale content" not in text
    assert list(tables(text)) == [h for h in tables(text) if "(bench_spectra.py)" in h] != []
    assert not list(tmp_path.glob(".BENCHMARKS.md.*"))  # no temporary file left behind


@pytest.mark.slow
def test_linear_response_study_end_to_end_on_the_tiny_configuration(tmp_path):
    """``benchmarks/linear_response.py --tiny``: every output, in the binding schema."""
    import json
    import os

    env = {**os.environ, "GAMEDYN_CACHE": str(tmp_path / "cache"), "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "linear_response.py", "--tiny", "--seeds", "1", "--rules", "sim-gda,optimistic",
                           "--results", str(tmp_path / "results"), "--cache", str(tmp_path / "runs")],
                          cwd=ROOT / "benchmarks", capture_output=True, text=True, timeout=3600, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = json.loads((tmp_path / "results" / "linear_response.json").read_text())["rows"]
    keys = {"size", "rule", "seed", "checkpoint_step", "predicted_log_growth", "observed_log_growth",
            "predicted_period", "observed_period", "frozen", "horizon"}
    assert rows and all(keys <= set(r) for r in rows)
    assert {(r["rule"], r["frozen"]) for r in rows} == {(a, b) for a in ("sim-gda", "optimistic") for b in (True, False)}
    saved = json.loads((tmp_path / "results" / "linear_response.json").read_text())
    # the smooth DCGAN on Adam (frozen and real), the smooth one without a base (one response)
    assert {(r["rule"], r["frozen"]) for r in saved["smooth_rows"]} == {(a, b) for a in ("sim-gda", "optimistic")
                                                                         for b in (True, False)}
    assert {(r["rule"], r["frozen"], r["base"]) for r in saved["plain_rows"]} == {
        ("sim-gda", True, "none"), ("optimistic", True, "none")}
    # the step-size scan: every arm, rule and factor, the factor scaling the run's step
    scan = saved["scan"]
    assert {(r["arm"], r["rule"], r["lr_scale"]) for r in scan} == {
        (arm, rule, f) for arm in ("relu", "smooth", "plain") for rule in ("sim-gda", "optimistic")
        for f in (1.0, 0.1, 0.01, 0.001)}
    for r in scan:
        base_lr = 0.02 if r["arm"] == "plain" else 5e-4
        assert r["lr"] == pytest.approx(base_lr * r["lr_scale"], rel=1e-12)
    assert (tmp_path / "results" / "linear_response.png").stat().st_size > 0
