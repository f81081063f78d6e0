"""End-to-end tests of ``gamedyn check`` (the console script, run as a user runs it)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from gamedyn.testing import claims

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).with_name("gamedyn")

# `gamedyn check --all` in the default suite: a reduced search budget keeps it to about a
# minute on 2 cores (compilation, not the search, dominates); the CLI's default is 100.
ALL_EXAMPLES = "20"


def gamedyn(*args):
    command = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "gamedyn.cli"]
    return subprocess.run([*command, *args], cwd=ROOT, capture_output=True, text=True, timeout=900)


def test_check_all_verdicts_match_and_refutations_carry_counterexamples():
    proc = gamedyn("check", "--all", "--examples", ALL_EXAMPLES, "--json")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads(proc.stdout)
    verdicts = report["verdicts"]
    assert len(verdicts) == len(claims.CLAIMS) >= 15
    assert report["summary"]["mismatches"] == []
    assert all(v["matches"] for v in verdicts)
    for v in verdicts:
        if v["verdict"] == "refuted" and v["quantifier"] == "all":
            example = v["example"]
            assert v["example_role"] == "counterexample"
            assert example["predicted"] != v["claimed_regime"]
            # a person can read it: the matrix or loss, the rule, rho, the trajectory
            assert example["game_text"] and example["rule_text"] and example["rho"] is not None
            assert len(example["trajectory_norms"]) >= 2
    names = {v["name"]: v for v in verdicts}
    # the folklore issue 5 names is refuted, with the counterexample the theory predicts
    optimism = names["optimism-any-step-below-1"]["example"]
    assert optimism["coordinates"]["u"] > 1 / 3**0.5  # beyond lr s_max = 1/sqrt(3)
    assert names["alternating-gda-converges"]["example"]["predicted"] == "cycling"


def test_check_one_claim_prints_a_readable_counterexample():
    proc = gamedyn("check", "optimism-any-step-below-1")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "[ok] optimism-any-step-below-1: REFUTED (expected refuted)" in out
    assert "counterexample (minimal after shrinking):" in out
    assert "coordinates: u=0.75" in out  # Hypothesis shrinks to a short number
    assert "Bilinear game x^T A y, A =\n          [[1.]]" in out
    assert "rule: optimistic(lr=0.75)" in out
    assert "rho = 1.401258538 -> predicted diverged" in out
    assert "trajectory |z_t - z*| from z0 =" in out
    assert "1 claims checked" in out and "1 as expected" in out


def test_check_list_text_and_json(capsys):
    proc = gamedyn("check", "--list")
    assert proc.returncode == 0, proc.stderr
    for claim in claims.CLAIMS:
        assert claim.name in proc.stdout
    # the rest in-process: each subprocess pays for importing JAX again
    from gamedyn.cli import main

    assert main(["check", "--list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)["claims"]
    assert [c["name"] for c in listed] == claims.names()
    assert all(c["source"] and c["equation"] and c["region"] for c in listed)


@pytest.mark.parametrize(
    "args, message",
    [
        (["nope"], "name='nope' is not a shipped claim"),
        (["optimistic-bilinar"], "did you mean optimistic-bilinear"),
        ([], "nothing to check; pass claim names, --all or --list"),
        (["--all", "extragradient-bilinear"], "--all and claim names are not accepted together"),
        (["--all", "--examples", "0"], "--examples 0 is not accepted"),
    ],
)
def test_check_rejects_bad_input_by_name(args, message, capsys):
    from gamedyn.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["check", *args])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_check_rejects_bad_input_end_to_end():
    proc = gamedyn("check", "nope")
    assert proc.returncode == 2 and "name='nope' is not a shipped claim" in proc.stderr


def test_exit_status_is_1_when_a_verdict_is_not_the_expected_one(monkeypatch, capsys):
    # a true claim filed as folklore: verified, but "refuted" was expected
    import dataclasses

    from gamedyn.cli import main

    wrong = dataclasses.replace(claims.get("extragradient-bilinear"), expected="refuted")
    monkeypatch.setattr(claims, "get", lambda name: wrong)
    assert main(["check", "extragradient-bilinear", "--examples", "5", "--no-simulate"]) == 1
    out = capsys.readouterr().out
    assert "[MISMATCH] extragradient-bilinear: VERIFIED (expected refuted)" in out
    assert "MISMATCH: extragradient-bilinear" in out
