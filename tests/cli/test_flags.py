"""A game or rule flag the chosen game or rule does not take is an error naming the flag and
what the game or rule takes, before any work (it used to be silently ignored); and the
same for a training configuration's rule settings."""

import inspect

import pytest

import gamedyn as gd
from gamedyn.cli import main
from gamedyn.cli._build import game_flags, rule_flags

VALUES = {"--alternating": [], "--first": ["x"], "--k": ["2"], "--beta": ["0.5"], "--consensus-gamma": ["0.3"],
          "--lam": ["0.2"], "--lr-extra": ["0.05"], "--align": [], "--align-eps": ["0.2"], "--tol": ["1e-6"],
          "--max-iter": ["5"], "--lr-unroll": ["0.1"], "--through": [], "--look-ahead": ["base"],
          "--matrix": ["1"], "--B": ["1"], "--C": ["1"], "--loss": ["hinge"], "--reg": ["r1"], "--gamma": ["0.5"],
          "--clip": ["1"], "--gp-target": ["0.5"], "--noise-nodes": ["4"], "--x-star": ["1"], "--y-star": ["1"]}


def _refused(argv, capsys):
    with pytest.raises(SystemExit) as stop:
        main(argv)
    message = str(stop.value.code) + capsys.readouterr().err
    assert stop.value.code != 0
    return message


def _inert_rule_flags():
    # independent of the flag table: each rule's constructor signature
    for rule, make in gd.optim.RULES.items():
        takes = set(inspect.signature(make).parameters)
        for spec in rule_flags().values():
            if spec.option not in takes:
                yield rule, spec.flag


def test_every_flag_has_a_test_value_and_every_option_a_flag():
    flags = {spec.flag for spec in (*rule_flags().values(), *game_flags().values())}
    assert flags <= set(VALUES)
    options = set().union(*(inspect.signature(m).parameters for m in gd.optim.RULES.values())) - {"lr", "base"}
    assert options == {spec.option for spec in rule_flags().values()}


@pytest.mark.parametrize("command", ["spectrum", "phase"])
@pytest.mark.parametrize("rule, flag", list(_inert_rule_flags()))
def test_a_rule_flag_the_rule_does_not_take_is_refused(command, rule, flag, capsys):
    message = _refused([command, "--rule", rule, flag, *VALUES[flag]], capsys)
    assert f"{flag} is not accepted with --rule {rule}" in message


@pytest.mark.parametrize("command", ["spectrum", "phase"])
@pytest.mark.parametrize("game, flag", [(g, spec.flag) for g in ("bilinear", "quadratic", "dirac")
                                        for spec in game_flags().values() if g not in spec.takers])
def test_a_game_flag_the_game_does_not_take_is_refused(command, game, flag, capsys):
    message = _refused([command, "--game", game, flag, *VALUES[flag]], capsys)
    assert f"{flag} is not accepted with --game {game}" in message


def test_the_issue_examples_and_first_without_alternating(capsys):
    assert "--beta is not accepted with --rule gda" in _refused(["spectrum", "--rule", "gda", "--beta", "0.9"], capsys)
    assert "--beta is not accepted with --rule gda" in _refused(["phase", "--rule", "gda", "--beta", "0.9"], capsys)
    message = _refused(["spectrum", "--rule", "extragradient", "--alternating"], capsys)
    assert "--alternating is not accepted with --rule extragradient; it takes --lr-extra, --base" in message
    assert "--first is not accepted without --alternating" in _refused(["spectrum", "--first", "x"], capsys)


def test_flags_the_rule_takes_still_work(capsys):
    assert main(["spectrum", "--rule", "momentum", "--beta", "0.5"]) == 0
    assert main(["spectrum", "--rule", "gda", "--alternating", "--first", "x", "--k", "2"]) == 0
    assert main(["spectrum", "--game", "bilinear", "--matrix", "1,0;0,2", "--rule", "consensus",
                 "--consensus-gamma", "0.3"]) == 0
    assert "momentum" in capsys.readouterr().out.lower()


def test_train_config_refuses_rule_settings_its_rule_does_not_take(capsys):
    with pytest.raises(ValueError, match="beta=0.9 is not accepted with rule='gda'; it takes alternating, first, k"):
        gd.bridge.TrainConfig(rule="gda", beta=0.9)
    with pytest.raises(ValueError, match="k=3 is not accepted with rule='unrolled'"):
        gd.bridge.TrainConfig(rule="unrolled", k=3)
    with pytest.raises(ValueError, match="unroll=3 is not accepted with rule='gda'"):
        gd.bridge.TrainConfig(rule="gda", unroll=3)
    # the command line: refused before a run folder is made
    message = _refused(["train", "--rule", "gda", "--beta", "0.9", "--out", "nowhere-made"], capsys)
    assert "beta=0.9 is not accepted with rule='gda'" in message
    from pathlib import Path

    assert not Path("nowhere-made").exists()
