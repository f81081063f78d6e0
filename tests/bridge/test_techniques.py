"""Every stabilising technique is reachable from TrainConfig and ``gamedyn train``, with its
source in the help; each one changes what is trained; resumption stays exact with the ones
that keep state (historical averaging)."""

import re
from pathlib import Path

import pytest
import torch

import gamedyn as gd
from gamedyn.bridge import FIELD_HELP, RULE_FIELDS
from gamedyn.bridge._classifier import mode_classifier
from gamedyn.bridge._data import load_data

TINY = dict(data="islands", n_data=400, width=4, batch=16, log_every=5, sample_every=0, checkpoint_every=5,
            eval_samples=200, classifier_steps=40, base="adam", lr=2e-3, rule="gda", alternating=True)
#: The techniques of the stabiliser atlas that are TrainConfig fields, each with a setting.
TECHNIQUES = {
    "label_smoothing": {"label_smoothing": 0.1}, "instance_noise": {"reg": "instance_noise", "gamma": 0.1},
    "r1": {"reg": "r1", "gamma": 1.0}, "augment": {"augment": "translation"}, "clip": {"clip": 0.05},
    "spectral_norm": {"spectral_norm": True}, "minibatch_std": {"minibatch_std": True},
    "minibatch_discrimination": {"minibatch_discrimination": 8}, "feature_matching": {"feature_matching": True},
    "historical_averaging": {"historical_averaging": 0.5}, "adversarial": {"adversarial": 0.05},
    "hinge": {"loss": "hinge"}, "least_squares": {"loss": "least_squares"}, "norm": {"norm": "batch,none"},
    "k_steps": {"k": 2}, "pacgan2": {"pack": 2}, "ttur": {"lr_y": 4e-3}, "rmsprop": {"base": "rmsprop"},
}
SOURCED = ["label_smoothing", "reg", "augment", "clip", "spectral_norm", "minibatch_std", "minibatch_discrimination",
           "feature_matching", "historical_averaging", "adversarial", "loss", "ema", "norm", "lr_y", "base"]


@pytest.fixture(scope="module")
def classifier(tmp_path_factory):
    return mode_classifier(load_data("islands", n=400), steps=40, cache=tmp_path_factory.mktemp("cache"), verbose=False)


def _g(out):
    saved = torch.load(Path(out) / "checkpoint.pt", weights_only=False)
    return torch.cat([v.reshape(-1).double() for v in saved["G"].values()])


def test_every_field_has_help_and_every_technique_its_source():
    fields = {f.name for f in __import__("dataclasses").fields(gd.bridge.TrainConfig)}
    assert fields - set(RULE_FIELDS) - {"rule"} == set(FIELD_HELP)
    for name in SOURCED:
        assert re.search(r"\b(19|20)\d\d\b", FIELD_HELP[name]), name  # an author-year citation


def test_the_techniques_are_flags_of_gamedyn_train(capsys):
    from gamedyn.cli import main

    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for flag in ("--feature-matching", "--minibatch-discrimination", "--historical-averaging", "--adversarial",
                 "--label-smoothing", "--augment", "--minibatch-std", "--spectral-norm", "--norm", "--ema"):
        assert flag in text
    assert "Salimans et al. 2016, Sec. 3.3" in text and "Zhou & Krähenbühl 2019" in text


@pytest.mark.parametrize("name", sorted(TECHNIQUES))
def test_each_technique_changes_what_is_trained(tmp_path, classifier, name):
    base = gd.bridge.TrainConfig(out=str(tmp_path / "baseline"), steps=5, **TINY)
    gd.bridge.train(base, progress=False, classifier=classifier)
    config = gd.bridge.TrainConfig(**{**base.to_json(), "out": str(tmp_path / name), **TECHNIQUES[name]})
    result = gd.bridge.train(config, progress=False, classifier=classifier)
    assert result.status == "completed" and result.steps == 5
    assert not torch.equal(_g(tmp_path / name), _g(tmp_path / "baseline"))  # the option took effect


def test_the_generator_average_is_kept_apart(tmp_path, classifier):
    config = gd.bridge.TrainConfig(out=str(tmp_path / "ema"), steps=5, ema=0.5, **TINY)
    gd.bridge.train(config, progress=False, classifier=classifier)
    saved = torch.load(tmp_path / "ema" / "checkpoint.pt", weights_only=False)
    average = torch.cat([v.reshape(-1).double() for k, v in saved["ema"]["model"].items() if k in saved["G"]])
    assert saved["ema"]["updates"] == 5
    assert not torch.equal(average, _g(tmp_path / "ema"))  # the evaluated generator is the average, not G


def test_historical_averaging_resumes_exactly(tmp_path, classifier):
    options = dict(TINY, historical_averaging=0.5, steps=10)
    gd.bridge.train(gd.bridge.TrainConfig(out=str(tmp_path / "straight"), **options), progress=False,
                    classifier=classifier)
    split = gd.bridge.TrainConfig(out=str(tmp_path / "split"), **options)
    gd.bridge.train(split, progress=False, classifier=classifier, stop_after=5)
    gd.bridge.train(split, resume=True, progress=False, classifier=classifier)
    torch.testing.assert_close(_g(tmp_path / "split"), _g(tmp_path / "straight"), rtol=0, atol=0)
    saved = torch.load(tmp_path / "split" / "checkpoint.pt", weights_only=False)
    assert [a["count"] for a in saved["historical_averages"]] == [11, 11]  # the start and 10 steps


def test_a_packed_discriminator_judges_consecutive_images_together():
    _, D = gd.bridge.make_models(image_size=28, channels=1, width=4, pack=2, norm="none", seed=0)
    x = torch.randn(6, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    logits = D(x)
    assert logits.shape == (3,)
    # packs are consecutive pairs: reordering whole packs reorders the logits ...
    order = torch.tensor([4, 5, 0, 1, 2, 3])
    # (float32 convolutions may round differently with a sample's place in the batch: 1e-5)
    torch.testing.assert_close(D(x[order]), logits[[2, 0, 1]], rtol=1e-5, atol=1e-6)
    # ... and D(pack) is the unpacked network on the pair stacked along the channels
    body_input = torch.cat([x[0:1], x[1:2]], dim=1)
    D.pack, D.channels = 1, 2
    torch.testing.assert_close(D(body_input), logits[:1], rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="pack=3 is not accepted with batch=16"):
        gd.bridge.TrainConfig(pack=3, batch=16)


@pytest.mark.parametrize("kwargs, message", [
    (dict(norm="batch,none,none"), "norm='batch,none,none' is not accepted"),
    (dict(norm="layer"), "norm='layer' is not accepted"),
    (dict(adversarial=-0.1), "adversarial=-0.1 is not accepted"),
    (dict(minibatch_discrimination=-1), "minibatch_discrimination=-1 is not accepted"),
    (dict(feature_matching="yes"), "feature_matching='yes' is not accepted"),
])
def test_bad_technique_settings_are_named(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        gd.bridge.TrainConfig(**kwargs)
