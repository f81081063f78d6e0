"""bridge-check: the toy predictions it reports are the closed forms, the report holds both
comparisons, and the smoke size runs end to end from the command line (slow)."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import gamedyn as gd

# The same run sizes as test_train.py's TINY: seconds per run, every code path exercised.
TINY = dict(n_data=400, width=4, batch=16, steps=12, log_every=2, eval_every=6, eval_samples=200,
            classifier_steps=40, sample_every=6, checkpoint_every=6, spectrum_k=2,
            spectrum_batches=2)


def _alternating_dirac_radius(a, gamma, h):
    """Spectral radius of alternating GDA (y first) on the linearised Dirac GAN, written out:
    F = J z with J = [[0, -a], [a, -gamma]] (Mescheder et al. 2018, Sec. 2-3)."""
    step_y = np.array([[1.0, 0.0], [h * a, 1.0 - h * gamma]])  # y+ = y + h (a x - gamma y)
    step_x = np.array([[1.0, -h * a], [0.0, 1.0]])               # x+ = x - h a y+
    return max(abs(np.linalg.eigvals(step_x @ step_y)))


@pytest.fixture(scope="module")
def check(tmp_path_factory):
    out = tmp_path_factory.mktemp("check")
    mp = pytest.MonkeyPatch()
    mp.setenv("GAMEDYN_CACHE", str(out / "cache"))
    try:
        pairs = gd.bridge.bridge_check("smoke", out=out / "report", device="cpu", progress=False, **TINY)
    finally:
        mp.undo()
    return out / "report", pairs


def test_predictions_are_the_dirac_gan_closed_forms(check):
    _, pairs = check
    # Nonsaturating Dirac GAN at its equilibrium: J = [[0, -a], [a, 0]] with a = f'(0) = 1/2
    # (Mescheder et al. 2018); the check uses the toy step size h = 0.1 a for Adam runs.
    a, lr = 0.5, 0.1
    h = lr * a
    oscillation, collapse = pairs
    # 1e-9: float64 eigenvalues of a 2x2 map with entries of order 1.
    assert oscillation.predicted["alt-gda"]["spectral_radius"] == pytest.approx(1.0, abs=1e-9)
    assert oscillation.predicted["alt-gda"]["regime"] == "cycling"
    r1 = _alternating_dirac_radius(a, 1.0, lr)
    assert oscillation.predicted["alt-gda-r1"]["spectral_radius"] == pytest.approx(r1, abs=1e-9)
    assert r1 < 1 and oscillation.predicted["alt-gda-r1"]["regime"] == "converged"
    # simultaneous GDA: eigenvalues 1 +- i h; extragradient: 1 - h^2 +- i h.
    assert collapse.predicted["sim-gda"]["spectral_radius"] == pytest.approx(np.hypot(1, h), abs=1e-9)
    assert collapse.predicted["sim-gda"]["regime"] == "diverged"
    eg = np.sqrt((1 - h**2) ** 2 + h**2)
    assert collapse.predicted["extragradient"]["spectral_radius"] == pytest.approx(eg, abs=1e-9)
    assert collapse.predicted["extragradient"]["regime"] == "converged"


def test_report_has_both_comparisons_with_observations(check):
    out, pairs = check
    assert [p.name for p in pairs] == ["oscillation", "mode collapse"]
    table = [line for line in (out / "report.md").read_text().splitlines() if line.startswith("| ")]
    runs = [line.split("|")[2].strip() for line in table[1:]]
    assert runs == ["alt-gda", "alt-gda-r1", "sim-gda", "extragradient"]
    saved = json.loads((out / "report.json").read_text())
    for name in ("alt-gda", "alt-gda-r1"):
        observed = saved[0]["observed"][name]
        assert observed["oscillation"]["gap"]["amplitude"] >= 0
        spectrum = observed["spectrum"]
        if spectrum is not None:  # ARPACK may return fewer than k within its bounded budget
            assert len(spectrum["batches"]) == TINY["spectrum_batches"]
            for batch in spectrum["batches"]:
                assert len(batch["eigenvalues"]) <= TINY["spectrum_k"]
                ratios = [min(abs(im) / abs(re), 1e6) if re else 1e6 for re, im in batch["eigenvalues"]]
                if ratios:  # same numbers, other order
                    assert batch["median_rotation"] == pytest.approx(np.median(ratios), rel=1e-12)
    for name in ("sim-gda", "extragradient"):
        observed = saved[1]["observed"][name]
        assert 0 <= observed["modes"] <= observed["n_modes"] == 10 and observed["n_samples"] == 200
        assert observed["kl"] >= 0
        # the report's series over training are the run's own evaluations, in order
        evals = [json.loads(line) for line in (out / name / "eval.jsonl").read_text().splitlines()]
        assert observed["kl_over_training"] == [[e["step"], e["kl"]] for e in evals]
        assert observed["modes_over_training"] == [[e["step"], e["modes"]] for e in evals]
    assert (out / "bridge_check.png").stat().st_size > 0
    for name in runs:
        assert json.loads((out / name / "result.json").read_text())["steps"] == TINY["steps"]
    import torch

    # all four runs trained in this process: one environment, named once
    described = f"Runs trained with device cpu, threads {torch.get_num_threads()}, torch {torch.__version__}."
    assert sum(line.startswith(described) for line in (out / "report.md").read_text().splitlines()) == 1


def test_a_repeated_check_reuses_finished_runs(check):
    out, _ = check
    before = {p: (out / p / "result.json").stat().st_mtime_ns for p in ("alt-gda", "sim-gda")}
    gd.bridge.bridge_check("smoke", out=out, device="cpu", progress=False, **TINY)
    assert before == {p: (out / p / "result.json").stat().st_mtime_ns for p in before}


def test_unknown_settings_are_named():
    with pytest.raises(ValueError, match="unknown settings \\['stepz'\\]"):
        gd.bridge.bridge_check("smoke", stepz=3)
    with pytest.raises(ValueError, match="size"):
        gd.bridge.bridge_check("huge")


@pytest.mark.slow
def test_gamedyn_bridge_check_smoke_end_to_end(tmp_path):
    """The README's `gamedyn bridge-check --size smoke` (minutes on 2 cores)."""
    env = {"GAMEDYN_CACHE": str(tmp_path / "cache")}
    import os

    done = subprocess.run([sys.executable, "-m", "gamedyn", "bridge-check", "--size", "smoke", "--quiet",
                           "--out", str(tmp_path / "report"), "--device", "cpu"],
                          capture_output=True, text=True, env={**os.environ, **env}, timeout=3600)
    assert done.returncode == 0, done.stderr
    assert "oscillation:" in done.stdout and "mode collapse:" in done.stdout
    assert (tmp_path / "report" / "report.md").exists()


def test_verdicts_need_a_difference_beyond_noise():
    from gamedyn.bridge._check import AMPLITUDE_RATIO, _collapse_agreement, _compare

    assert _compare(2.0, 1.0, AMPLITUDE_RATIO) is True
    assert _compare(1.0, 2.0, AMPLITUDE_RATIO) is False
    assert _compare(1.1, 1.0, AMPLITUDE_RATIO) is None
    assert _compare(0.0, 0.0, AMPLITUDE_RATIO) is None  # e.g. two logged points: no amplitude at all
    assert _compare(0.1, 0.0, AMPLITUDE_RATIO) is True
    observed = {n: {"n_modes": 10, "n_samples": 1000} for n in ("sim-gda", "extragradient")}
    # K = 10, N = 1000: sd of one KL estimate sqrt(18) / 2000 = 2.1e-3; 3 sd of a difference 9.0e-3
    agree, noise = _collapse_agreement({"sim-gda": (0, 0.1008), "extragradient": (0, 0.0938)}, observed)
    assert agree is None and noise == pytest.approx(3 * np.sqrt(2) * np.sqrt(18) / 2000)
    assert _collapse_agreement({"sim-gda": (0, 0.2), "extragradient": (0, 0.1)}, observed)[0] is True
    assert _collapse_agreement({"sim-gda": (3, 0.1), "extragradient": (0, 0.5)}, observed)[0] is True
    assert _collapse_agreement({"sim-gda": (0, 0.1), "extragradient": (2, 0.1)}, observed)[0] is False


def test_cli_sizes_are_the_library_sizes():
    from gamedyn.bridge._check import SIZES
    from gamedyn.cli._bridge_check import SIZE_NAMES

    assert SIZE_NAMES == tuple(SIZES)
    # medium and full are the Stacked-digits protocol: 1,000 modes, 26,000 samples (VEEGAN / PacGAN)
    for size in ("medium", "full"):
        assert SIZES[size]["data"] == "stacked-digits" and SIZES[size]["eval_samples"] == 26_000


def test_rotation_statistics_of_a_spectrum():
    from gamedyn.bridge._check import _median_rotation, _rotation

    # conjugate pairs with |Im| / |Re| = 2, 0.1 and a purely imaginary pair (capped at 1e6)
    spectrum = {"eigenvalues": [[-1, 2], [-1, -2], [-10, 1], [-10, -1], [0, 5], [0, -5]]}
    assert _rotation(spectrum) == 1e6  # largest |Im|: the imaginary pair, capped
    assert _rotation({"eigenvalues": [[-1, 2], [-10, 1]]}) == 2.0
    assert _median_rotation(spectrum) == 2.0  # sorted ratios 0.1 0.1 2 2 1e6 1e6: middle two are 2
    assert _median_rotation({"eigenvalues": [[-3, 4], [-3, -4], [-8, 2]]}) == pytest.approx(4 / 3)


def test_run_spectrum_takes_independent_batches_and_keeps_each_in_its_cache(check, tmp_path, monkeypatch):
    import gamedyn.bridge._spectrum as spectrum_module

    out, _ = check
    run = out / "alt-gda"
    settings = dict(which="LM", maxiter=1000)  # the stiffest directions: ARPACK converges at once
    one = gd.bridge.run_spectrum(run, 2, **settings)
    cache = tmp_path / "spectrum.json"
    two = gd.bridge.run_spectrum(run, 2, batches=2, cache=cache, **settings)
    seed = one["batches"][0]["seed"]
    assert [b["seed"] for b in two["batches"]] == [seed, seed + 1]
    # batch 0 is the one-batch spectrum (same seed, same batch, same ARPACK start vector) ...
    assert two["batches"][0] == one["batches"][0] and two["eigenvalues"] == one["eigenvalues"]
    # ... and batch 1 another batch, so another Jacobian
    assert two["batches"][1]["eigenvalues"] != two["batches"][0]["eigenvalues"]

    calls = []
    real = spectrum_module.top_eigenvalues
    monkeypatch.setattr(spectrum_module, "top_eigenvalues", lambda *a, **kw: calls.append(1) or real(*a, **kw))
    three = gd.bridge.run_spectrum(run, 2, batches=3, cache=cache, **settings)
    assert len(calls) == 1 and three["batches"][:2] == two["batches"]  # two read back, one computed
    gd.bridge.run_spectrum(run, 2, batches=1, cache=cache, which="LM", maxiter=999)
    assert len(calls) == 2  # other settings: the cache is not theirs ...
    again = gd.bridge.run_spectrum(run, 2, batches=3, cache=cache, **settings)
    assert len(calls) == 2 and again == three  # ... and their entry sits beside the first one
    assert len(json.loads(cache.read_text())["entries"]) == 2

    def interrupted(*a, **kw):
        if len(calls) == 3:
            raise KeyboardInterrupt
        calls.append(1)
        return real(*a, **kw)

    monkeypatch.setattr(spectrum_module, "top_eigenvalues", interrupted)
    fresh = tmp_path / "interrupted.json"
    with pytest.raises(KeyboardInterrupt):
        gd.bridge.run_spectrum(run, 2, batches=3, cache=fresh, **settings)
    assert json.loads(fresh.read_text())["entries"][0]["batches"] == [one["batches"][0]]  # the finished batch kept

    with pytest.raises(ValueError, match="batches=0 is not accepted"):
        gd.bridge.run_spectrum(run, 2, batches=0)


def test_a_spectral_difference_counts_only_beyond_the_batch_range():
    from gamedyn.bridge._check import _batch_medians, _separated, _spread

    assert _separated([17.8, 13.6, 16.4], [2.0, 2.4]) is True
    assert _separated([1.0, 1.5], [2.0, 2.4]) is False
    assert _separated([17.8, 2.1], [2.0, 2.4]) is None  # the ranges overlap
    assert _spread([17.8, 13.6, 16.4]) == "16.4 (batches 13.6 to 17.8)" and _spread([2.0]) == "2"
    spectrum = {"eigenvalues": [[-1, 2]], "batches": [{"eigenvalues": [[-1, 2], [-1, -2], [-4, 2]]},
                                                      {"eigenvalues": []}, {"eigenvalues": [[-1, 8]]}]}
    assert _batch_medians(spectrum) == [2.0, 8.0]  # a batch without eigenvalues is left out
    assert _batch_medians({"eigenvalues": [[-1, 3]]}) == [3.0]  # a report written before batches


def test_cli_passes_only_the_settings_it_was_given(monkeypatch, capsys):
    import gamedyn.bridge._check as check_module
    from gamedyn.cli import main

    seen = []
    monkeypatch.setattr(check_module, "bridge_check", lambda size, **kw: seen.append((size, kw)) or [])
    assert main(["bridge-check", "--size", "medium", "--spectrum-batches", "4", "--out", "somewhere"]) == 0
    assert main(["bridge-check", "--steps", "7"]) == 0
    (size, given), (_, plain) = seen
    assert size == "medium" and given["spectrum_batches"] == 4 and "steps" not in given
    assert plain["steps"] == 7 and "spectrum_batches" not in plain
    assert "somewhere" in capsys.readouterr().out


def test_gamedyn_run_spectrum_end_to_end(check, tmp_path):
    import shutil

    out, _ = check
    run = tmp_path / "run"
    shutil.copytree(out / "alt-gda", run)
    (run / "spectrum.json").unlink(missing_ok=True)
    script = Path(sys.executable).with_name("gamedyn")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "gamedyn"]
    flags = ["--k", "2", "--which", "LM", "--maxiter", "1000", "--batches", "2"]
    done = subprocess.run([*command, "run-spectrum", str(run), *flags, "--path-angle", "--json"],
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    printed, angle = (json.loads(done.stdout)[name] for name in ("spectrum", "path_angle"))
    assert np.allclose(angle["alphas"], np.linspace(-0.5, 1.5, 41)) and angle["alphas"][30] == 1.0
    at_end = gd.bridge.run_path_angle(run, alphas=[1.0])  # 1e-9: the same sums in another process
    assert np.allclose([angle["cosine"][30], angle["norm"][30]], [at_end["cosine"][0], at_end["norm"][0]],
                       rtol=1e-9, atol=1e-12)
    # The library on the same checkpoint, batches and ARPACK start vector, without the cache:
    # the same Krylov iteration, so the same eigenvalues up to the summation order of another
    # process's BLAS (1e-9 relative, far above that and far below any eigenvalue gap here).
    direct = gd.bridge.run_spectrum(run, 2, which="LM", maxiter=1000, batches=2)
    assert [b["seed"] for b in printed["batches"]] == [b["seed"] for b in direct["batches"]]
    for got, want in zip(printed["batches"], direct["batches"]):
        assert np.allclose(got["eigenvalues"], want["eigenvalues"], rtol=1e-9, atol=0)
    cached = json.loads((run / "spectrum.json").read_text())["entries"]
    assert len(cached) == 1 and cached[0]["batches"] == printed["batches"]

    text = subprocess.run([*command, "run-spectrum", str(run), *flags, "--path-angle"],
                          capture_output=True, text=True, timeout=900)
    assert text.returncode == 0, text.stderr[-3000:]
    lines = text.stdout.splitlines()
    assert f"    +1.00   {angle['cosine'][30]:+12.4f}   {angle['norm'][30]:.4g}" in lines
    assert f"{printed['n_parameters']:,} parameters" in lines[0] and "rule gda" in lines[0]
    for batch in printed["batches"]:  # read back from the cache, printed as computed
        re, im = batch["eigenvalues"][0]
        assert any(line.startswith(f"batch (seed {batch['seed']}): {re:+.4g}{im:+.4g}j") for line in lines)


@pytest.mark.parametrize("argv, message", [
    (["run-spectrum", "nowhere"], "run='nowhere' is not accepted; expected a training folder"),
    (["run-spectrum", "nowhere", "--k", "0"], "--k 0 is not accepted; expected an integer >= 1"),
    (["run-spectrum", "nowhere", "--tol", "0"], "--tol 0.0 is not accepted"),
])
def test_gamedyn_run_spectrum_names_bad_arguments(argv, message, capsys):
    from gamedyn.cli import main

    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2 and message in capsys.readouterr().err


def test_run_path_angle_is_the_cosine_of_the_field_and_the_path(check):
    """At alpha = 1/2 and 1, the cosine and |F| written out with autograd on the run's own
    losses, batch and initialisation (rebuilt here from the run's config, not by the library)."""
    import torch

    from gamedyn.bridge._data import load_data
    from gamedyn.bridge._losses import gan_losses
    from gamedyn.bridge._models import freeze_spectral_norm, make_models

    out, _ = check
    run = out / "alt-gda"
    angle = gd.bridge.run_path_angle(run, alphas=[0.5, 1.0])
    config = json.loads((run / "config.json").read_text())
    saved = torch.load(run / "checkpoint.pt", weights_only=False)
    data = load_data(config["data"], size=config["image_size"], n=config["n_data"], seed=config["seed"])

    def models():
        G, D = make_models(config["arch"], image_size=config["image_size"], channels=data.shape[0],
                           width=config["width"], latent=config["latent"], norm=config["norm"],
                           seed=config["seed"])
        return G.double(), D.double()

    G0, D0 = models()
    G, D = models()
    G.load_state_dict(saved["G"])
    D.load_state_dict(saved["D"])
    freeze_spectral_norm(G), freeze_spectral_norm(D)
    z0 = torch.cat([p.detach().reshape(-1) for p in (*G0.parameters(), *D0.parameters())])
    z1 = torch.cat([p.detach().reshape(-1) for p in (*G.parameters(), *D.parameters())])
    assert angle["distance"] == pytest.approx(float(torch.linalg.norm(z1 - z0)), rel=1e-12)
    gen = torch.Generator().manual_seed(angle["batch_seed"])
    real = data.sample(32, generator=gen)[0].double()
    latent = G.sample_latent(32, generator=gen)
    losses = gan_losses(G, D, real, latent, loss=config["loss"], reg=config["reg"], gamma=config["gamma"])
    params = [*G.parameters(), *D.parameters()]
    n_g = len(list(G.parameters()))
    for alpha, cosine, norm in zip(angle["alphas"], angle["cosine"], angle["norm"]):
        point = z0 + alpha * (z1 - z0)
        torch.nn.utils.vector_to_parameters(point, params)
        loss_g, loss_d = losses()
        field = -torch.cat([g.reshape(-1) for g in (
            *torch.autograd.grad(loss_g, params[:n_g], retain_graph=True),
            *torch.autograd.grad(loss_d, params[n_g:]))])
        # 1e-9: the same float64 sums, in another order
        assert norm == pytest.approx(float(torch.linalg.norm(field)), rel=1e-9)
        assert cosine == pytest.approx(float(field @ (z1 - z0) / (torch.linalg.norm(field) * torch.linalg.norm(z1 - z0))),
                                       rel=1e-9, abs=1e-12)
