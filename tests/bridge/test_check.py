"""bridge-check: the toy predictions it reports are the closed forms, the real-network
predictions are the runs' own update maps at their kept checkpoints, the verdicts follow
the paired intervals, the report holds both comparisons over seeds, and the smoke size runs
end to end from the command line (slow)."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import gamedyn as gd

# The same run sizes as test_train.py's TINY: seconds per run, every code path exercised;
# the update maps' ARPACK budget cut to a few restarts on a fixed batch of 4.
TINY = dict(n_data=400, width=4, batch=16, steps=12, log_every=2, eval_every=6, eval_samples=200,
            classifier_steps=40, sample_every=6, checkpoint_every=6, spectrum_k=2,
            spectrum_batches=2, update_tol=1e-3, update_maxiter=3, update_batch=4)
SEEDS = 2
RUNS = ("alt-gda", "alt-gda-r1", "sim-gda", "extragradient")


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
        pairs = gd.bridge.bridge_check("smoke", out=out / "report", device="cpu", progress=False, seeds=SEEDS,
                                       **TINY)
    finally:
        mp.undo()
    return out / "report", pairs


def test_predictions_are_the_dirac_gan_closed_forms(check):
    _, pairs = check
    # Nonsaturating Dirac GAN at its equilibrium: J = [[0, -a], [a, 0]] with a = f'(0) = 1/2
    # (Mescheder et al. 2018); the check uses the toy step size 0.1 for Adam runs.
    a, lr = 0.5, 0.1
    oscillation = pairs[0]
    # 1e-9: float64 eigenvalues of a 2x2 map with entries of order 1.
    assert oscillation.predicted["alt-gda"]["spectral_radius"] == pytest.approx(1.0, abs=1e-9)
    assert oscillation.predicted["alt-gda"]["regime"] == "cycling"
    r1 = _alternating_dirac_radius(a, 1.0, lr)
    assert oscillation.predicted["alt-gda-r1"]["spectral_radius"] == pytest.approx(r1, abs=1e-9)
    assert r1 < 1 and oscillation.predicted["alt-gda-r1"]["regime"] == "converged"



def test_the_collapse_pair_is_predicted_by_the_islands_rows(check):
    """Mode collapse is predicted by the committed islands runs of the same rules (VEEGAN's
    ring, per seed), not by a Dirac-GAN lookup; the islands' order decides ``toy_agree``."""
    _, pairs = check
    collapse = pairs[1]
    stats = gd.islands.committed_stats("veegan", "ring")
    for name, method in (("sim-gda", "gan"), ("extragradient", "extragradient")):
        toy = collapse.predicted[name]
        assert toy["islands"] == f"veegan/ring/{method}" and toy["available"]
        assert toy["modes"] == stats[method]["modes"].tolist() and len(toy["modes"]) == 8
        assert toy["kl"] == stats[method]["kl_capped"].tolist()
    islands = gd.metrics.paired_difference(stats["gan"]["kl_capped"], stats["extragradient"]["kl_capped"])
    assert collapse.predicted["sim-gda"]["kl_difference"]["difference"] == pytest.approx(islands.difference, rel=1e-12)
    obs = gd.metrics.PairedDifference(**collapse.observed_difference)
    assert collapse.toy_agree is (None if obs.sign == 0 or islands.sign == 0 else obs.sign == islands.sign)


def test_report_has_both_comparisons_with_observations(check):
    out, pairs = check
    assert [p.name for p in pairs] == ["oscillation", "mode collapse"]
    table = [line for line in (out / "report.md").read_text().splitlines() if line.startswith("| ")]
    assert [line.split("|")[2].strip() for line in table[1:5]] == list(RUNS)
    # the every-seed table: one row per run and seed
    assert [(line.split("|")[1].strip(), line.split("|")[2].strip()) for line in table[6:]] == [
        (name, str(seed)) for name in RUNS for seed in range(SEEDS)]
    saved = json.loads((out / "report.json").read_text())
    for name in ("alt-gda", "alt-gda-r1"):
        observed = saved[0]["observed"][name]
        assert [r["seed"] for r in observed["seeds"]] == list(range(SEEDS))
        for row in observed["seeds"]:
            result = json.loads((out / name / f"seed={row['seed']}" / "result.json").read_text())
            assert row["gap_amplitude"] == result["oscillation"]["gap"]["amplitude"] >= 0
        spectrum = observed["spectrum"]  # the trained game's Jacobian, first seed
        if spectrum is not None:  # ARPACK may return fewer than k within its bounded budget
            assert len(spectrum["batches"]) == TINY["spectrum_batches"]
            for batch in spectrum["batches"]:
                assert len(batch["eigenvalues"]) <= TINY["spectrum_k"]
                ratios = [min(abs(im) / abs(re), 1e6) if re else 1e6 for re, im in batch["eigenvalues"]]
                if ratios:  # same numbers, other order
                    assert batch["median_rotation"] == pytest.approx(np.median(ratios), rel=1e-12)
    for name in ("sim-gda", "extragradient"):
        for row in saved[1]["observed"][name]["seeds"]:
            assert 0 <= row["modes"] <= row["n_modes"] == 10 and row["kl"] >= 0
            # the series over training are the run's own evaluations, in order
            folder = out / name / f"seed={row['seed']}"
            evals = [json.loads(line) for line in (folder / "eval.jsonl").read_text().splitlines()]
            assert row["kl_over_training"] == [[e["step"], e["kl"]] for e in evals]
            assert row["modes_over_training"] == [[e["step"], e["modes"]] for e in evals]
    assert (out / "bridge_check.png").stat().st_size > 0
    for name in RUNS:
        for seed in range(SEEDS):
            result = json.loads((out / name / f"seed={seed}" / "result.json").read_text())
            assert result["steps"] == TINY["steps"]
            config = json.loads((out / name / f"seed={seed}" / "config.json").read_text())
            assert config["seed"] == seed and config["keep_checkpoints"] is True
    import torch

    # all runs trained in this process: one environment, named once
    described = f"Runs trained with device cpu, threads {torch.get_num_threads()}, torch {torch.__version__}."
    assert sum(line.startswith(described) for line in (out / "report.md").read_text().splitlines()) == 1


def test_predictions_are_each_runs_update_map_at_its_kept_checkpoints(check):
    """Steps 0, 6, 12 kept; at step 0 Adam has no second moment (no prediction); at the last
    one the prediction is gd.bridge.update_spectrum of the run's optimiser at the final
    checkpoint, rebuilt here from checkpoint.pt (not from the kept copy)."""
    import torch

    from gamedyn.bridge._check import _as_double, _fixed_batch_losses, _rebuild
    from gamedyn.bridge._train import build_rule

    out, pairs = check
    run = out / "sim-gda" / "seed=1"
    assert sorted(p.name for p in (run / "checkpoints").glob("*.pt")) == [
        "step_0000000.pt", "step_0000006.pt", "step_0000012.pt"]
    rows = {r["seed"]: r for r in pairs[1].observed["sim-gda"]["seeds"]}
    checkpoints = rows[1]["checkpoints"]
    assert [c["step"] for c in checkpoints] == [0, 6, 12]
    assert "second moment" in checkpoints[0]["undefined"] and checkpoints[0]["log_growth"] is None
    config = gd.bridge.TrainConfig.from_json(json.loads((run / "config.json").read_text()))
    saved = torch.load(run / "checkpoint.pt", weights_only=False)
    data, G, D = _rebuild(config, torch.device("cpu"), saved)
    closure = _fixed_batch_losses(config, data, G, D, TINY["update_batch"], config.seed + 3, torch.device("cpu"))
    opt = gd.bridge.GameOptimizer(build_rule(config), G.parameters(), D.parameters())
    opt.load_state_dict(_as_double(saved["optimizer"], torch.device("cpu")))
    spec = gd.bridge.update_spectrum(opt, closure, k=2, tol=TINY["update_tol"], maxiter=TINY["update_maxiter"])
    if np.isfinite(spec.rho):
        # the same Krylov iteration on the same operator: equal up to summation order
        assert checkpoints[2]["rho"] == pytest.approx(spec.rho, rel=1e-9)
    defined = [c["log_growth"] for c in checkpoints if c["log_growth"] is not None]
    assert rows[1]["predicted_log_growth"] == pytest.approx(np.mean(defined), rel=1e-12)


def test_verdicts_follow_the_paired_intervals(check):
    """Each pair's differences are recomputed from its per-seed rows; the verdict agrees /
    disagrees only when both intervals exclude zero."""
    _, pairs = check
    for pair, key in ((pairs[0], None), (pairs[1], "kl")):
        first, second = pair.runs
        a, b = pair.observed[first]["seeds"], pair.observed[second]["seeds"]
        pred = gd.metrics.paired_difference([r["predicted_log_growth"] for r in a],
                                            [r["predicted_log_growth"] for r in b])
        assert pair.predicted_difference["difference"] == pytest.approx(pred.difference, rel=1e-12, nan_ok=True)
        if key is None:
            amp = lambda rows: [np.log(r["gap_amplitude"]) if r["gap_amplitude"] > 0 else np.nan for r in rows]  # noqa: E731
            obs = gd.metrics.paired_difference(amp(a), amp(b))
        else:
            obs = gd.metrics.paired_difference([r[key] for r in a], [r[key] for r in b])
        assert pair.observed_difference["difference"] == pytest.approx(obs.difference, rel=1e-12, nan_ok=True)
        expected = None if pred.sign == 0 or obs.sign == 0 else pred.sign == obs.sign
        assert pair.agree is expected
        if key is None:  # the Dirac GAN predicts the unregularised run to be the less stable one
            assert pair.predicted[first]["spectral_radius"] > pair.predicted[second]["spectral_radius"]
            assert pair.toy_agree is (None if obs.sign == 0 else obs.sign == 1)


def test_a_repeated_check_reuses_finished_runs(check):
    out, _ = check
    files = [out / p / "seed=0" / name for p in ("alt-gda", "sim-gda") for name in ("result.json", "update_spectrum.json")]
    before = [f.stat().st_mtime_ns for f in files]
    gd.bridge.bridge_check("smoke", out=out, device="cpu", progress=False, seeds=SEEDS, **TINY)
    assert before == [f.stat().st_mtime_ns for f in files]


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


def test_agreement_needs_both_intervals_to_exclude_zero():
    from gamedyn.bridge._check import _agreement
    from gamedyn.metrics import PairedDifference

    up, down, zero = (PairedDifference(m, lo, hi, 5, 0.95) for m, lo, hi in
                      ((0.3, 0.1, 0.5), (-0.3, -0.5, -0.1), (0.1, -0.1, 0.3)))
    assert _agreement(up, up) is True and _agreement(down, down) is True
    assert _agreement(up, down) is False and _agreement(down, up) is False
    assert _agreement(zero, up) is None and _agreement(up, zero) is None


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
    run = out / "alt-gda" / "seed=0"
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
    import gamedyn.bridge as bridge
    from gamedyn.cli import main

    seen = []
    # the command line calls the public gd.bridge.bridge_check
    monkeypatch.setattr(bridge, "bridge_check", lambda size, **kw: seen.append((size, kw)) or [])
    assert main(["bridge-check", "--size", "medium", "--spectrum-batches", "4", "--out", "somewhere"]) == 0
    assert main(["bridge-check", "--steps", "7"]) == 0
    assert main(["bridge-check", "--seeds", "3", "--seed", "10", "--threads", "1"]) == 0
    (size, given), (_, plain), (_, seeded) = seen
    assert size == "medium" and given["spectrum_batches"] == 4 and "steps" not in given
    assert plain["steps"] == 7 and "spectrum_batches" not in plain
    assert given["seeds"] is None and given["backend"] == "local"  # the size's default seeds
    assert (seeded["seeds"], seeded["seed"], seeded["threads"]) == (3, 10, 1)
    assert "somewhere" in capsys.readouterr().out


def test_gamedyn_run_spectrum_end_to_end(check, tmp_path):
    import shutil

    out, _ = check
    run = tmp_path / "run"
    shutil.copytree(out / "alt-gda" / "seed=0", run)
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
    run = out / "alt-gda" / "seed=0"
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
