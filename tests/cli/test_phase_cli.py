"""End-to-end tests of ``gamedyn phase`` (run as a subprocess, as a user runs it)."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).with_name("gamedyn")


def gamedyn(*args, cwd=ROOT):
    command = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "gamedyn.cli"]
    return subprocess.run([*command, *args], cwd=cwd, capture_output=True, text=True, timeout=600)


def test_the_issues_example_writes_a_figure_and_a_dataset(tmp_path):
    # the command of issue 4, on a smaller grid
    fig, data = tmp_path / "figures" / "x.png", tmp_path / "x.nc"
    proc = gamedyn("phase", "--game", "dirac", "--loss", "nonsaturating", "--reg", "r1",
                   "--rule", "gda", "--alternating", "--axis", "lr=0.01:2:24",
                   "--axis", "gamma=0:2:20", "--out", str(fig), "--data", str(data))
    assert proc.returncode == 0, proc.stderr
    assert fig.stat().st_size > 20_000
    with xr.open_dataset(data) as ds:
        assert ds.spectral_radius.dims == ("lr", "gamma")
        assert ds.sizes == {"lr": 24, "gamma": 20}
        np.testing.assert_allclose(ds.lr.values, np.linspace(0.01, 2, 24))
        assert {"predicted", "observed", "agree", "rate"} <= set(ds.data_vars)
        assert "reg='r1'" in ds.attrs["game"] and "alternating=True" in ds.attrs["rule"]
    assert "agree" in proc.stdout and "cells away from the boundary" in proc.stdout


def test_ttur_axes_and_a_sympy_boundary(tmp_path):
    # lr_x, lr_y per player; the closed form lr_x lr_y s^2 <= 4 (Bailey et al. 2020)
    data = tmp_path / "ttur.nc"
    proc = gamedyn("phase", "--game", "bilinear", "--matrix", "1", "--rule", "gda",
                   "--alternating", "--axis", "lr_x=0.1:3:12", "--axis", "lr_y=0.5,1,2",
                   "--steps", "0", "--boundary", "lr_x*lr_y - 4",
                   "--out", str(tmp_path / "ttur.png"), "--data", str(data))
    assert proc.returncode == 0, proc.stderr
    with xr.open_dataset(data) as ds:
        a = ds.lr_x.values[:, None] * ds.lr_y.values[None, :]
        assert np.all((ds.predicted.values == 2) == (a > 4 + 1e-9))
        assert "observed" not in ds


def test_help_lists_every_game_rule_and_parameter():
    proc = gamedyn("phase", "--help")
    assert proc.returncode == 0
    text = proc.stdout
    for word in ["bilinear", "quadratic", "dirac", "gda", "extragradient", "optimistic",
                 "momentum", "consensus", "sga", "proximal", "unrolled", "cgd", "lr_x", "lr_y",
                 "ratio", "beta", "gamma", "lam", "lr_extra", "lr_unroll", "gp_target",
                 "START:STOP:NUM", "game.gamma"]:
        assert word in text, word


@pytest.mark.parametrize(
    "args, message",
    [
        (["--axis", "lr=0.01:2"], "--axis 'lr=0.01:2': expected START:STOP:NUM"),
        (["--axis", "lr"], "--axis 'lr' is not NAME=START:STOP:NUM"),
        (["--axis", "lr=a:b:3"], "START and STOP must be numbers"),
        (["--axis", "lr=0:1:0"], "--axis 'lr=0:1:0' gives an empty grid"),
        (["--axis", "lr=,"], "gives an empty grid"),
        (["--axis", "lr=0:1:5:log"], "a log axis needs START > 0"),
        (["--axis", "foo=0:1:3"], "--axis foo: unknown parameter 'foo' for --game dirac --rule gda"),
        (["--rule", "consensus", "--axis", "gamma=0:1:3"],
         "--axis gamma is ambiguous with --game dirac --rule consensus: write game.gamma"),
        (["--axis", "lr=0.1:1:3", "--axis", "lr=0.2:1:3"], "swept twice"),
        (["--axis", "lr=0.1:1:3", "--axis", "lr_x=0.2:1:3"], "--axis lr and --axis lr_x"),
        (["--alternating", "--axis", "k=1.5,2"], "k takes whole numbers"),
        ([], "--axis is required"),
        (["--axis", "lr=0.1:1:3", "--boundary", "lr*q"], "--boundary 'lr*q' uses q"),
    ],
)
def test_bad_flags_are_named(args, message, tmp_path):
    extra = ["--out", str(tmp_path / "x.png")] if "--boundary" in args else []
    proc = gamedyn("phase", "--steps", "0", *args, *extra)
    assert proc.returncode != 0
    assert message in proc.stderr, proc.stderr


@pytest.mark.parametrize("args, message", [
    (["--out", "{tmp}"], "is not accepted; expected a figure file ending in one of"),
    (["--out", "{tmp}/x.xyz"], "--out '{tmp}/x.xyz' is not accepted"),
    (["--boundary", "lr - 1"], "--boundary is drawn on the figure; give --out PNG too"),
    (["--data", "{tmp}"], "is a folder; expected a NetCDF file path"),
    (["--data", "{tmp}/notes.nc"], "exists and is not a phase diagram written by gamedyn"),
    (["--backend", "ray", "--address", "127.0.0.1:1"], "no Ray cluster answers there"),
])
def test_outputs_are_checked_before_the_sweep(args, message, tmp_path):
    (tmp_path / "notes.nc").write_text("my notes")
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    if "--backend" in args:
        pytest.importorskip("ray", reason="Ray is an optional extra")
    # 10,000 steps per cell: a check made after the sweep would take far longer than one made before
    proc = gamedyn("phase", "--steps", "10000", "--axis", "lr=0.1:1:50", *args)
    assert proc.returncode != 0
    assert message.replace("{tmp}", str(tmp_path)) in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    assert (tmp_path / "notes.nc").read_text() == "my notes"


def test_qualified_names_resolve_the_ambiguity(tmp_path):
    data = tmp_path / "c.nc"
    proc = gamedyn("phase", "--rule", "consensus", "--reg", "r1", "--axis", "game.gamma=0:1:3",
                   "--axis", "rule.gamma=0,0.5", "--steps", "0", "--data", str(data))
    assert proc.returncode == 0, proc.stderr
    with xr.open_dataset(data) as ds:
        assert ds.spectral_radius.dims == ("game_gamma", "rule_gamma")


@pytest.mark.slow
def test_figures_regenerates_the_seven_phase_studies(tmp_path):
    # reduced sizes (--fast); each study checks its own closed forms and agreement and fails
    # (exit 1) otherwise
    proc = gamedyn("figures", "--fast", "--only", "fig_phase_", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    names = ["phase_bilinear_rules", "phase_ttur", "phase_negative_momentum", "phase_dirac_fields",
             "phase_dirac_r1", "phase_euler_stability", "phase_k_steps_ttur"]
    for name in names:
        assert (tmp_path / f"{name}.png").stat().st_size > 20_000, name
