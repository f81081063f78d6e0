"""Bridge training: files written, divergence classified, resumption exact, CLI end to end."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import gamedyn as gd
from gamedyn.bridge import _config, _losses, _models
from gamedyn.bridge._classifier import mode_classifier
from gamedyn.bridge._data import load_data

TINY = dict(data="islands", n_data=400, width=4, batch=16, log_every=5, sample_every=10,
            checkpoint_every=10, eval_samples=200, classifier_steps=40, base="adam", lr=2e-3)


@pytest.fixture(scope="module")
def classifier(tmp_path_factory):
    return mode_classifier(load_data("islands", n=400), steps=40,
                           cache=tmp_path_factory.mktemp("cache"), verbose=False)


def test_config_names_match_the_torch_modules():
    assert _losses.LOSSES is _config.LOSSES  # one definition
    assert _config.ARCHITECTURES is _models.ARCHITECTURES and _config.NORMS is _models.NORMS


def test_a_run_writes_its_logs_checkpoint_samples_and_result(tmp_path, classifier):
    config = gd.bridge.TrainConfig(out=str(tmp_path / "run"), steps=20, rule="gda", alternating=True, **TINY)
    result = gd.bridge.train(config, progress=False, classifier=classifier)
    out = tmp_path / "run"
    assert result.status == "completed" and result.steps == 20
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == [5, 10, 15, 20]
    assert {"loss_x", "loss_y", "d_real", "d_fake", "gap", "g_distance"} <= set(log[0])
    evaluation = json.loads((out / "eval.jsonl").read_text().splitlines()[-1])
    assert evaluation["n_modes"] == 10 and 0 <= evaluation["modes"] <= 10
    assert sorted(p.name for p in (out / "samples").iterdir()) == ["step_0000010.png", "step_0000020.png"]
    assert (out / "checkpoint.pt").exists() and any((out / "tb").iterdir())
    saved = json.loads((out / "result.json").read_text())
    assert saved["status"] == "completed" and saved["evaluation"]["modes"] == result.evaluation["modes"]
    assert saved["environment"] == {"torch": torch.__version__, "threads": torch.get_num_threads(), "device": "cpu"}
    assert gd.bridge.TrainConfig.from_json(json.loads((out / "config.json").read_text())) == config


def test_the_unrolled_gan_trains_through_the_discriminators_adam(tmp_path, classifier):
    # Metz et al.'s look-ahead (D's own Adam, unrolled) on the conv GAN: it completes and
    # moves the generator differently from plain look-ahead steps of the same size.
    finals = {}
    for look in ("base", "plain"):
        config = gd.bridge.TrainConfig(out=str(tmp_path / look), steps=4, rule="unrolled", unroll=2,
                                       rule_options={"look_ahead": look}, **{**TINY, "sample_every": 0})
        result = gd.bridge.train(config, progress=False, classifier=classifier, tensorboard=False)
        assert result.status == "completed" and result.steps == 4
        finals[look] = _final_params(tmp_path / look)
    assert torch.isfinite(finals["base"]).all() and not torch.equal(finals["base"], finals["plain"])


def _final_params(out):
    saved = torch.load(Path(out) / "checkpoint.pt", weights_only=False)
    return torch.cat([v.reshape(-1).double() for v in saved["G"].values()])


def test_an_interrupted_run_resumes_to_the_same_parameters(tmp_path, classifier):
    straight = gd.bridge.TrainConfig(out=str(tmp_path / "straight"), steps=20, rule="extragradient", **TINY)
    gd.bridge.train(straight, progress=False, classifier=classifier)
    split = gd.bridge.TrainConfig(out=str(tmp_path / "split"), steps=20, rule="extragradient", **TINY)
    first = gd.bridge.train(split, progress=False, classifier=classifier, stop_after=10)
    assert first.status == "interrupted" and first.steps == 10
    second = gd.bridge.train(split, resume=True, progress=False, classifier=classifier)
    assert second.status == "completed" and second.steps == 20
    # every draw depends on (seed, step) only, so the resumed run is the same computation
    torch.testing.assert_close(_final_params(tmp_path / "split"), _final_params(tmp_path / "straight"), rtol=0, atol=0)
    steps = [json.loads(line)["step"] for line in (tmp_path / "split" / "log.jsonl").read_text().splitlines()]
    assert steps == [5, 10, 15, 20]  # nothing logged twice


def test_divergence_is_a_result_with_its_step(tmp_path, classifier):
    config = gd.bridge.TrainConfig(out=str(tmp_path / "boom"), steps=40, rule="gda",
                                   **{**TINY, "lr": 1e4, "base": "none", "explode": 1e3})
    result = gd.bridge.train(config, progress=False, classifier=classifier)
    assert result.status == "diverged"
    assert 1 <= result.diverged_at <= 40 and f"diverged at step {result.diverged_at}" in result.message
    assert json.loads((tmp_path / "boom" / "result.json").read_text())["diverged_at"] == result.diverged_at


def test_refuses_to_overwrite_a_run_and_checks_resumed_configs(tmp_path, classifier):
    config = gd.bridge.TrainConfig(out=str(tmp_path / "r"), steps=10, **TINY)
    gd.bridge.train(config, progress=False, classifier=classifier)
    with pytest.raises(ValueError, match="already holds a run; pass resume=True"):
        gd.bridge.train(config, progress=False, classifier=classifier)
    other = gd.bridge.TrainConfig(out=str(tmp_path / "r"), steps=10, **{**TINY, "lr": 1e-3})
    with pytest.raises(ValueError, match="describes another run"):
        gd.bridge.train(other, resume=True, progress=False, classifier=classifier)


@pytest.mark.parametrize("kwargs, message", [
    (dict(rule="newton"), "rule='newton' is not accepted"),
    (dict(rule="cgd"), "base='adam' is not accepted with rule='cgd', which takes no base"),
    (dict(loss="bce"), "loss='bce' is not accepted"),
    (dict(image_size=64), "image_size=64 is not accepted"),
    (dict(ema=1.5), "ema=1.5 is not accepted"),
    (dict(steps=0), "steps=0 is not accepted"),
    (dict(feature_metrics="sometimes"), "feature_metrics='sometimes' is not accepted"),
    (dict(early_stop="recall", feature_metrics="final"), "early_stop='recall' needs feature_metrics='every'"),
])
def test_bad_configurations_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        gd.bridge.TrainConfig(**kwargs)


@pytest.mark.parametrize("when, computed", [("every", [True, True]), ("final", [False, True]),
                                            ("never", [False, False])])
def test_feature_metrics_are_computed_when_asked_and_null_otherwise(tmp_path, classifier, when, computed):
    config = gd.bridge.TrainConfig(out=str(tmp_path / when), steps=10, eval_every=5, feature_metrics=when,
                                   rule="gda", **TINY)
    result = gd.bridge.train(config, progress=False, classifier=classifier)
    evals = [json.loads(line) for line in (tmp_path / when / "eval.jsonl").read_text().splitlines()]
    assert [e["step"] for e in evals] == [5, 10]
    for record, expected in zip(evals, computed):
        assert 0 <= record["modes"] <= 10 and record["kl"] >= 0  # always
        for metric in ("frechet", "precision", "recall", "density", "coverage"):
            assert (record[metric] is not None) == expected, (metric, record)
    assert result.evaluation == evals[-1]


@pytest.mark.parametrize("when", ["every", "final"])
def test_early_stop_ends_the_run_at_the_patience_th_stale_evaluation(tmp_path, classifier, when, monkeypatch):
    # lr 1e-30 with plain gradient steps leaves the float32 parameters unchanged, and without
    # normalisation layers nothing else moves: every evaluation sees the same samples, so
    # "modes" never improves and the run must stop at the 1 + patience-th evaluation.
    settings = {**TINY, "base": "none", "lr": 1e-30}
    config = gd.bridge.TrainConfig(out=str(tmp_path / when), steps=40, eval_every=5, norm="none",
                                   early_stop="modes", patience=2, feature_metrics=when, rule="gda",
                                   **settings)
    import gamedyn.bridge._evaluate as evaluate_module

    draws = []
    classify = evaluate_module.classify_samples
    monkeypatch.setattr(evaluate_module, "classify_samples", lambda *a, **kw: draws.append(1) or classify(*a, **kw))
    result = gd.bridge.train(config, progress=False, classifier=classifier)
    assert result.status == "early-stopped" and result.steps == 15
    assert len(draws) == 3  # one draw per evaluation: the stopping one is not drawn again for "final"
    assert "early-stopped at step 15: modes did not improve" in result.message
    evals = [json.loads(line) for line in (tmp_path / when / "eval.jsonl").read_text().splitlines()]
    assert [e["step"] for e in evals] == [5, 10, 15]
    assert len({e["modes"] for e in evals}) == 1 and len({e["kl"] for e in evals}) == 1
    # the evaluation that ends the run carries the feature metrics under "final" as under "every"
    assert [e["frechet"] is not None for e in evals] == ([True] * 3 if when == "every" else [False, False, True])
    assert result.evaluation == evals[-1]
    assert json.loads((tmp_path / when / "result.json").read_text())["status"] == "early-stopped"


def test_the_path_angle_starts_from_the_initialisation_train_started_from(tmp_path, classifier):
    # As above, lr 1e-30 leaves every nonzero float32 parameter where it started (only the
    # zero-initialised biases move, to about lr |g| ~ 1e-30), so the run's checkpoint is its
    # initialisation: the path rebuilt from the seed is that short only if its start is the
    # initialisation train started from (another draw would be O(1) away).
    settings = {**TINY, "base": "none", "lr": 1e-30}
    still = gd.bridge.TrainConfig(out=str(tmp_path / "still"), steps=4, norm="none", rule="gda", **settings)
    gd.bridge.train(still, progress=False, classifier=classifier)
    assert gd.bridge.run_path_angle(tmp_path / "still", alphas=[0.0])["distance"] < 1e-25
    moved = gd.bridge.TrainConfig(out=str(tmp_path / "moved"), steps=4, norm="none", rule="gda",
                                  **{**settings, "lr": 1e-3})
    gd.bridge.train(moved, progress=False, classifier=classifier)
    angle = gd.bridge.run_path_angle(tmp_path / "moved", alphas=[0.0, 1.0])
    assert angle["step"] == 4 and angle["distance"] > 1e-4 and all(n > 0 for n in angle["norm"])


def test_gamedyn_train_end_to_end(tmp_path):
    script = Path(sys.executable).with_name("gamedyn")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "gamedyn.cli"]
    proc = subprocess.run(
        [*command, "train", "--data", "islands", "--n-data", "400", "--width", "4", "--batch", "16",
         "--steps", "10", "--log-every", "5", "--eval-samples", "200", "--classifier-steps", "40",
         "--rule", "gda", "--alternating", "--lr", "1e-3", "--out", str(tmp_path / "cli"), "--json", "--quiet"],
        capture_output=True, text=True, timeout=900, env={**__import__("os").environ, "GAMEDYN_CACHE": str(tmp_path / "cache")},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout)
    assert result["status"] == "completed" and result["steps"] == 10
    assert result["evaluation"]["n_modes"] == 10


def test_resume_into_a_folder_without_a_run_is_refused(tmp_path, classifier):
    config = gd.bridge.TrainConfig(out=str(tmp_path / "empty"), steps=10, **TINY)
    with pytest.raises(ValueError, match="holds no run to continue"):
        gd.bridge.train(config, resume=True, progress=False, classifier=classifier)


def test_a_damaged_checkpoint_falls_back_to_the_previous_one_and_loses_nothing(tmp_path, classifier):
    straight = gd.bridge.TrainConfig(out=str(tmp_path / "straight"), steps=30, rule="gda", **TINY)
    gd.bridge.train(straight, progress=False, classifier=classifier)
    split = gd.bridge.TrainConfig(out=str(tmp_path / "split"), steps=30, rule="gda", **TINY)
    gd.bridge.train(split, progress=False, classifier=classifier, stop_after=20)
    checkpoint = tmp_path / "split" / "checkpoint.pt"
    assert (tmp_path / "split" / "checkpoint.prev.pt").exists()
    checkpoint.write_bytes(checkpoint.read_bytes()[:100])  # a truncated copy
    with pytest.warns(UserWarning, match="checkpoint.pt is damaged.*resuming from the previous checkpoint"):
        result = gd.bridge.train(split, resume=True, progress=False, classifier=classifier)
    assert result.status == "completed" and result.steps == 30
    # the lost interval is trained again: the same parameters as an uninterrupted run
    torch.testing.assert_close(_final_params(tmp_path / "split"), _final_params(tmp_path / "straight"),
                               rtol=0, atol=0)
    steps = [json.loads(line)["step"] for line in (tmp_path / "split" / "log.jsonl").read_text().splitlines()]
    assert steps == [5, 10, 15, 20, 25, 30]


def test_damaged_run_files_are_named(tmp_path, classifier):
    config = gd.bridge.TrainConfig(out=str(tmp_path / "r"), steps=10, **TINY)
    gd.bridge.train(config, progress=False, classifier=classifier)
    for name in ("checkpoint.pt", "checkpoint.prev.pt"):
        path = tmp_path / "r" / name
        if path.exists():
            path.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="no readable checkpoint: .*checkpoint.pt is damaged"):
        gd.bridge.train(config, resume=True, progress=False, classifier=classifier)
    (tmp_path / "r" / "config.json").write_text('{"out": "r",\n')
    with pytest.raises(ValueError, match="config.json cannot be read as a run configuration"):
        gd.bridge.train(config, resume=True, progress=False, classifier=classifier)
