"""``bridge_check``: does the real network's update map predict the oscillation and mode
collapse that the same update rules show when they train real convolutional GANs?

Two pairs of trainings, each pair differing in one thing the theory has an opinion on, each
run over several seeds (cells of :func:`gamedyn.bridge.sweep`):

* **oscillation** — alternating GDA without regularisation against the same rule with R1.
  Toy: on the Dirac GAN the update-map eigenvalues lie on the unit circle without R1 (the
  iterates cycle) and inside it with R1 (Mescheder et al. 2018). Observed: the amplitude and
  period of the oscillation of ``D(real) - D(fake)``, and the rotation of the trained game's
  Jacobian (Berard et al. 2020).
* **mode collapse** — simultaneous GDA against extragradient. Toy: the islands table's runs
  of the same two rules trained to convergence (VEEGAN's 8-mode ring, 8 seeds each,
  :func:`gamedyn.islands.committed_stats`): their paired KL difference and its interval
  give the predicted order, or none. Observed: modes captured and KL(mode histogram ||
  uniform). ``benchmarks/stacked_digits.py`` ranks more rules on both sides (Kendall's tau,
  ``results/cross_scale.json``).

The prediction that decides each verdict is the real network's own: the top eigenvalues of
the one-step update map of the run's rule, step size and Adam state
(:func:`gamedyn.bridge.update_spectrum`, second moment frozen) at every evaluation
checkpoint. A verdict compares the predicted difference (log |mu|) with the observed one,
paired over seeds with 95 % bootstrap intervals: "agrees" / "disagrees" only when both
intervals exclude zero, otherwise "inconclusive". The report (``report.md`` + figure) puts
the toy prediction, the real-network prediction and the observation side by side; a
disagreement is reported, not hidden. Runs are resumable and reused by a second call.
"""

from __future__ import annotations

import dataclasses
import json
import math
import shutil
from pathlib import Path

import numpy as np
import torch

from .. import analysis, games, optim
from .._checks import check_choice, check_int, check_positive
from ..metrics import PairedDifference, paired_difference
from ._config import TrainConfig
from .._files import atomic_write
from ._train import build_rule, load_checkpoint, models_of, read_config, resolve_device

__all__ = ["SIZES", "bridge_check", "CheckPair", "run_spectrum", "run_path_angle", "run_update_spectrum"]

#: Run sizes: ``smoke`` finishes in minutes per run on a 2-core CPU (10 image islands, tiny
#: networks); ``medium`` is the Stacked-digits protocol (1,000 modes, 26,000 evaluation
#: samples) with a width-16 DCGAN trained 2,000 steps, sized so that ``--seeds 3`` (12 runs)
#: fits about 75 minutes of the 2-core CPU (a probe on 2026-12-06, under load: 0.06-0.08 s
#: per step, 26 s per evaluation, 64 s per update-map spectrum; 5-6 minutes a run with its
#: two predictions); ``full`` is the GPU run (width 64, 20,000 steps). ``update_k``,
#: ``update_tol``, ``update_maxiter``, ``update_batch``: eigenvalues of each update map found
#: for the prediction, ARPACK's budget and the fixed batch's size; ``spectrum_k`` /
#: ``spectrum_batches``: the trained game's Jacobian spectrum (first seed).
SIZES = {
    "smoke": dict(data="islands", n_data=2000, width=8, batch=32, steps=600, log_every=5,
                  eval_every=200, eval_samples=1000, classifier_steps=100, sample_every=200,
                  checkpoint_every=200, lr=5e-4, base="adam", spectrum_k=4,
                  spectrum_batches=3, update_k=2, update_tol=1e-6,
                  update_maxiter=None, update_batch=32),
    "medium": dict(data="stacked-digits", n_data=None, width=16, batch=64, steps=2000, log_every=10,
                   eval_every=1000, eval_samples=26_000, classifier_steps=None, sample_every=1000,
                   checkpoint_every=500, lr=2e-4, base="adam", spectrum_k=6,
                   spectrum_batches=3, update_k=2, update_tol=1e-6,
                  update_maxiter=None, update_batch=32),
    "full": dict(data="stacked-digits", n_data=None, width=64, batch=64, steps=20_000, log_every=20,
                 eval_every=2000, eval_samples=26_000, feature_metrics="final", classifier_steps=None,
                 sample_every=2000, checkpoint_every=1000, lr=2e-4, base="adam", spectrum_k=10,
                 spectrum_batches=5, update_k=2, update_tol=1e-6,
                 update_maxiter=None, update_batch=32),
}


@dataclasses.dataclass
class CheckPair:
    """One comparison: two runs (each over seeds), the toy layer's predictions, the
    observations, the paired predicted and observed differences (``difference``, ``low``,
    ``high``, ``n``, ``level`` of :class:`gamedyn.metrics.PairedDifference`), agreement.

    >>> import dataclasses
    >>> from gamedyn.bridge import CheckPair
    >>> pair = CheckPair(name="oscillation", question="Which run oscillates more?", runs={}, predicted={},
    ...                  observed={}, agree=None, reason="the observed interval holds 0")
    >>> pair.verdict, dataclasses.replace(pair, agree=False).verdict
    ('inconclusive', 'disagrees')
    """

    name: str
    question: str
    runs: dict
    predicted: dict
    observed: dict
    agree: bool | None
    reason: str
    predicted_difference: dict | None = None
    observed_difference: dict | None = None
    toy_agree: bool | None = None

    @property
    def verdict(self) -> str:
        """``"agrees"``, ``"disagrees"`` or ``"inconclusive"`` (an interval holding zero)."""
        return {True: "agrees", False: "disagrees", None: "inconclusive"}[self.agree]


#: Default seeds per size (the issue's >= 5 at smoke, >= 3 at medium and full).
DEFAULT_SEEDS = {"smoke": 5, "medium": 3, "full": 3}
#: R1 weight of the regularised oscillation run.
GAMMA_R1 = 1.0


def _toy_predictions(config: TrainConfig, gamma_r1: float) -> dict:
    """Regimes and spectra of the oscillation pair's rules on the Dirac GAN (no base: the
    rule itself)."""
    lr = config.lr if config.base == "none" else 0.1  # the toy step size for preconditioned runs
    out = {}
    dirac = games.DiracGAN(loss=config.loss if config.loss in games.DiracGAN.LOSSES else "nonsaturating")
    dirac_r1 = games.DiracGAN(loss=dirac.loss, reg="r1", gamma=gamma_r1)
    for name, game, rule in [
        ("alternating GDA", dirac, optim.gda(lr, alternating=True)),
        ("alternating GDA + R1", dirac_r1, optim.gda(lr, alternating=True)),
    ]:
        rho = float(analysis.spectral_radius(game, rule))
        jac = np.asarray(analysis.eigenvalues(game))
        out[name] = {"game": repr(game), "lr": lr, "spectral_radius": rho,
                     "regime": analysis.regime_name(analysis.regime_of_rho(rho, tol=1e-9)),
                     "jacobian_eigenvalues": [[float(v.real), float(v.imag)] for v in jac]}
    return out


def run_spectrum(run, k: int = 6, *, which: str = "LI", batch: int = 32, batches: int = 1,
                 tol: float = 1e-4, maxiter: int = 100, seed: int | None = None,
                 device: str = "cpu", cache=None) -> dict | None:
    """Top-``k`` eigenvalues of the game Jacobian of a trained run, at its last checkpoint.

    ``run`` is a :func:`gamedyn.bridge.train` output folder (its ``config.json`` and
    ``checkpoint.pt`` rebuild the models, the data and the losses, in float64 on ``device``,
    with spectral norms frozen). The Jacobian is that of the losses on a fixed batch of
    ``batch`` real images and latents; with ``batches`` > 1 it is taken again on each of
    ``batches`` independent batches (seeds ``seed``, ``seed + 1``, ...; ``seed`` defaults to
    the run's seed + 3), so that the spread over batches says how much of a difference
    between two runs is batch noise. ``which`` is ARPACK's selection: ``"LI"`` (largest
    imaginary part: the rotational modes behind oscillation; the default), ``"LM"`` (largest
    modulus, often the stiff, real discriminator directions) or ``"LR"``. The ARPACK budget
    is bounded (``tol``, ``maxiter``): eigenvalues that did not converge are left out.

    ``cache`` (a path to a JSON file) keeps each batch's spectrum as soon as it is found, one
    entry per combination of settings and checkpoint step; a later call with the same
    settings on the same checkpoint reads the batches from it, so an interrupted call loses no
    finished batch, and calls with other settings keep their own entries beside it.

    Returns ``None`` when ARPACK converged on no batch, else a dict with ``n_parameters``,
    ``which``, ``batches`` (one dict per batch: ``seed``, ``eigenvalues`` as ``[re, im]``
    pairs, empty if none converged, ``max_real``, ``max_abs_imag``, ``mean_rotation`` and
    ``median_rotation`` of ``|Im| / |Re|`` capped at 1e6), and at the top level the fields
    of the first batch with eigenvalues.

    >>> import tempfile, gamedyn as gd
    >>> tmp = tempfile.TemporaryDirectory()
    >>> config = gd.bridge.TrainConfig(out=tmp.name, data="islands", n_data=32, width=1, latent=1, norm="none",
    ...                                rule="gda", base="none", lr=1e-3, batch=4, steps=10, sample_every=0,
    ...                                checkpoint_every=0)  # the smallest DCGAN: 164 + 164 parameters
    >>> _ = gd.bridge.train(config, stop_after=1, progress=False, tensorboard=False)  # one step, a checkpoint
    >>> spec = gd.bridge.run_spectrum(tmp.name, k=2, which="LR", batch=4, batches=2)
    >>> spec["n_parameters"], [b["seed"] for b in spec["batches"]]  # the run's seed + 3, then + 4
    (328, [3, 4])
    >>> spec["max_real"] == max(re for re, im in spec["eigenvalues"])
    True
    >>> tmp.cleanup()
    """
    from ._spectrum import top_eigenvalues

    run = Path(run)
    config, saved = _read_run(run)
    if not isinstance(batches, int) or isinstance(batches, bool) or batches < 1:
        raise ValueError(f"batches={batches!r} is not accepted; expected an integer >= 1")
    first_seed = config.seed + 3 if seed is None else int(seed)
    key = {"k": k, "which": which, "batch": batch, "tol": tol, "maxiter": maxiter,
           "seed": first_seed, "step": saved.get("step"),
           "config": {name: v for name, v in config.to_json().items() if name not in ("out", "device")}}
    key = json.loads(json.dumps(key))  # compared as JSON would read it back
    others, found = [], []
    if cache is not None and Path(cache).is_file():
        stored = json.loads(Path(cache).read_text())
        for entry in stored.get("entries", [stored] if "key" in stored else []):
            if entry["key"] == key:
                found = entry["batches"][:batches]
            else:
                others.append(entry)
    if len(found) < batches:
        dev = resolve_device(device)
        data, G, D = _rebuild(config, dev, saved)
    for i in range(len(found), batches):
        closure = _fixed_batch_losses(config, data, G, D, batch, first_seed + i, dev)
        spec = top_eigenvalues(closure, G.parameters(), D.parameters(), k=k, which=which, tol=tol,
                               maxiter=maxiter, ncv=max(2 * k + 1, 20))
        found.append(_batch_summary(first_seed + i, spec.eigenvalues, spec.n))
        if cache is not None:
            payload = {"entries": [*others, {"key": key, "batches": found}]}
            atomic_write(Path(cache), lambda tmp: Path(tmp).write_text(json.dumps(payload, indent=1)))
    converged = [b for b in found if b["eigenvalues"]]
    if not converged:
        return None
    first = converged[0]
    return {"n_parameters": first["n_parameters"], "which": which,
            **{name: first[name] for name in ("eigenvalues", "max_real", "max_abs_imag",
                                              "mean_rotation", "median_rotation")},
            "batches": found}


def _read_run(run: Path, checkpoint=None):
    """A training folder's config and a checkpoint (on the CPU): the last one, or
    ``checkpoint`` (a path, or the step of a kept ``checkpoints/step_*.pt``); a ValueError
    naming what is missing."""
    if not (run / "config.json").is_file() or not (run / "checkpoint.pt").is_file():
        raise ValueError(f"run={str(run)!r} is not accepted; expected a training folder with "
                         "config.json and checkpoint.pt (gamedyn train --out)")
    config = read_config(run / "config.json")
    if checkpoint is None:
        path = run / "checkpoint.pt"
    elif isinstance(checkpoint, int) and not isinstance(checkpoint, bool):
        path = run / "checkpoints" / f"step_{checkpoint:07d}.pt"
    else:
        path = Path(checkpoint)
    if not path.is_file():
        kept = sorted(p.name for p in (run / "checkpoints").glob("step_*.pt"))
        raise ValueError(f"checkpoint={checkpoint!r} is not accepted; {path} does not exist (kept "
                         f"checkpoints of {run}: {', '.join(kept) or 'none; train with keep_checkpoints'})")
    if checkpoint is None:
        return config, load_checkpoint(path)
    try:
        return config, torch.load(path, map_location="cpu", weights_only=False)
    except Exception as error:  # torch raises RuntimeError, OSError, EOFError, pickle errors
        raise ValueError(f"{path} is damaged ({type(error).__name__}: {str(error)[:120]}); take another "
                         "checkpoint") from None


def _fixed_batch_losses(config: TrainConfig, data, G, D, batch: int, seed: int, device):
    """The run's losses (loss, regulariser, label smoothing, feature matching) on one fixed
    batch of ``batch`` real images and latents drawn with ``seed``: a pure function of the
    parameters. Left out, because they are not one: DiffAugment's random draws, the
    adversarial perturbation (a maximisation per step) and historical averaging (a function
    of the past iterates)."""
    from ._losses import gan_losses

    gen = torch.Generator().manual_seed(seed)
    real = data.sample(min(batch, len(data)), generator=gen)[0].double().to(device)
    latent = G.sample_latent(real.shape[0], generator=gen)
    return gan_losses(G, D, real, latent, loss=config.loss, reg=config.reg, gamma=config.gamma,
                      label_smoothing=config.label_smoothing, feature_matching=config.feature_matching)


def _rebuild(config: TrainConfig, device, saved: dict | None):
    """The run's data and models in float64 on ``device`` with spectral norms frozen: at the
    checkpoint ``saved``, or (``None``) at the initialisation ``train`` started from, which
    the run's seed determines."""
    from ._data import load_data
    from ._models import freeze_spectral_norm

    data = load_data(config.data, size=config.image_size, n=config.n_data, seed=config.seed)
    G, D = models_of(config, data.shape[0])
    if saved is not None:
        G.load_state_dict(saved["G"])
        D.load_state_dict(saved["D"])
    G, D = G.double().to(device), D.double().to(device)
    freeze_spectral_norm(G)
    freeze_spectral_norm(D)
    return data, G, D


def run_path_angle(run, *, alphas=None, batch: int = 32, seed: int | None = None,
                   device: str = "cpu") -> dict:
    """Berard et al.'s (2020) path-angle diagnostic of a trained run, on the straight line
    from the initialisation ``train`` started from (rebuilt from the run's seed) to its last
    checkpoint: at ``z(alpha) = z_0 + alpha (z_T - z_0)`` the cosine of the angle between the
    vector field and the path, and the field's norm, for ``alphas`` (default -0.5 to 1.5 in
    41 points), with the losses of the run on one fixed batch of ``batch`` real images and
    latents (seed ``seed``, default the run's seed + 3, the first batch of
    :func:`run_spectrum`). Spectral norms keep the final checkpoint's singular-vector
    estimates along the whole path; batch norm uses the batch's statistics.

    If the end point is a stationary point with Jacobian ``J``, the linearised field is
    ``F = (alpha - 1) J d`` with ``d = z_T - z_0``: the cosine switches sign at ``alpha = 1``
    (from + to - at a stable point) while the norm dips, with magnitude
    ``|d^T J d| / (|J d| |d|)``: near 1 for a well-conditioned minimisation, 0 for a pure
    rotation (``d^T J d = 0`` for antisymmetric ``J``). Small cosines around a dip of the
    norm are the rotation Berard et al. found in real GANs; an end point that is not yet
    stationary shifts the switch and leaves a bump near ``alpha = 1``. Returns a
    dict with ``alphas``, ``cosine``, ``norm`` (lists), ``distance`` (the path's length,
    ``|z_T - z_0|``), ``batch_seed`` and ``step`` of the checkpoint.

    >>> import tempfile, gamedyn as gd
    >>> tmp = tempfile.TemporaryDirectory()
    >>> config = gd.bridge.TrainConfig(out=tmp.name, data="islands", n_data=32, width=1, latent=1, norm="none",
    ...                                rule="gda", base="none", lr=1e-3, batch=4, steps=10, sample_every=0,
    ...                                checkpoint_every=0)  # the smallest DCGAN: 164 + 164 parameters
    >>> _ = gd.bridge.train(config, stop_after=1, progress=False, tensorboard=False)  # one step, a checkpoint
    >>> angle = gd.bridge.run_path_angle(tmp.name, alphas=[0.0, 0.5, 1.0], batch=4)
    >>> angle["step"], angle["batch_seed"], len(angle["cosine"])  # the run's seed + 3
    (1, 3, 3)
    >>> all(-1 <= c <= 1 for c in angle["cosine"]), angle["distance"] > 0
    (True, True)
    >>> tmp.cleanup()
    """
    from ._spectrum import path_angle

    run = Path(run)
    config, saved = _read_run(run)
    dev = resolve_device(device)
    _, G0, D0 = _rebuild(config, dev, None)
    data, G, D = _rebuild(config, dev, saved)
    batch_seed = config.seed + 3 if seed is None else int(seed)
    closure = _fixed_batch_losses(config, data, G, D, batch, batch_seed, dev)
    start = [p.detach() for p in (*G0.parameters(), *D0.parameters())]
    end = [p.detach().clone() for p in (*G.parameters(), *D.parameters())]
    distance = float(torch.sqrt(sum(torch.sum((e - s) ** 2) for s, e in zip(start, end))))
    found = path_angle(closure, G.parameters(), D.parameters(), start, end, alphas=alphas)
    return {"alphas": found.alphas.tolist(), "cosine": found.cosine.tolist(), "norm": found.norm.tolist(),
            "distance": distance, "batch_seed": batch_seed, "step": saved.get("step")}


def _batch_summary(seed: int, values: np.ndarray, n_parameters: int) -> dict:
    """One batch's spectrum as JSON-ready numbers (``None`` statistics when none converged)."""
    pairs = [[float(v.real), float(v.imag)] for v in values]
    rotations = _rotations(pairs)
    some = bool(pairs)
    return {"seed": seed, "n_parameters": int(n_parameters), "eigenvalues": pairs,
            "max_real": float(values.real.max()) if some else None,
            "max_abs_imag": float(np.abs(values.imag).max()) if some else None,
            "mean_rotation": float(np.mean(rotations)) if some else None,
            "median_rotation": float(np.median(rotations)) if some else None}


def _series(out: Path, key: str):
    rows = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    return np.array([r["step"] for r in rows]), np.array([r[key] for r in rows], dtype=float)


def _evaluations(out: Path):
    path = out / "eval.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


#: The four runs of a check, as changes to the size's configuration.
ARMS = {
    "alt-gda": dict(rule="gda", alternating=True),
    "alt-gda-r1": dict(rule="gda", alternating=True, reg="r1", gamma=GAMMA_R1),
    "sim-gda": dict(rule="gda"),
    "extragradient": dict(rule="extragradient"),
}


def _update_predictions(run: Path, k: int, device: str, reuse: bool, tol: float = 1e-6,
                        maxiter: int | None = None, batch: int = 32) -> list[dict]:
    """The run's update-map spectrum (:func:`run_update_spectrum`, frozen second moment) at
    every kept checkpoint, cached in ``run/update_spectrum.json`` as each is found. A
    checkpoint where the map is not defined (Adam before its first step) or where ARPACK
    did not converge is kept with the reason instead of numbers."""
    cache = run / "update_spectrum.json"
    found = json.loads(cache.read_text()) if reuse and cache.is_file() else {}
    settings = {"k": k, "tol": tol, "maxiter": maxiter, "batch": batch}
    found = found if found.get("settings") == settings else {"settings": settings, "checkpoints": {}}
    for path in sorted((run / "checkpoints").glob("step_*.pt")):
        if path.name in found["checkpoints"]:
            continue
        step = int(path.stem.split("_")[1])
        try:
            spec = run_update_spectrum(run, k=k, tol=tol, maxiter=maxiter, batch=batch, device=device,
                                       checkpoint=path)
            if math.isfinite(spec["rho"]):
                entry = {"step": step, **{name: spec[name] for name in ("rho", "log_growth", "period", "eigenvalues", "n")}}
            else:
                entry = {"step": step, "undefined": f"ARPACK converged on no eigenvalue (tol {tol:g}, maxiter {maxiter})"}
        except ValueError as error:  # not defined there (no second moment yet)
            entry = {"step": step, "undefined": str(error)}
        except RuntimeError as error:  # e.g. scipy's ArpackError
            entry = {"step": step, "undefined": f"ARPACK failed: {error}"}
        found["checkpoints"][path.name] = entry
        atomic_write(cache, lambda tmp: Path(tmp).write_text(json.dumps(found, indent=1)))
    return sorted(found["checkpoints"].values(), key=lambda e: e["step"])


def _mean_log_growth(predictions: list[dict]) -> float:
    """Mean over the checkpoints where it is defined of log |mu| (NaN if none)."""
    values = [p["log_growth"] for p in predictions if "log_growth" in p]
    return float(np.mean(values)) if values else math.nan


def _finite(value) -> float:
    return math.nan if value is None else float(value)


def _agreement(predicted: PairedDifference, observed: PairedDifference) -> bool | None:
    """Agrees / disagrees only when both intervals exclude no difference; else None."""
    if predicted.sign == 0 or observed.sign == 0:
        return None
    return predicted.sign == observed.sign


def bridge_check(size: str = "smoke", *, out="runs/bridge-check", device: str = "auto",
                 seed: int = 0, seeds: int | None = None, backend: str = "local",
                 address: str | None = None, threads: int | None = None, progress: bool = True,
                 reuse: bool = True, **overrides) -> list[CheckPair]:
    """Run the two comparisons at ``size`` (``"smoke"``, ``"medium"`` or ``"full"``) over
    ``seeds`` seeds (``seed``, ``seed + 1``, ...; default :data:`DEFAULT_SEEDS`), write
    ``out/report.md``, ``out/report.json`` and figures, and return the pairs.

    Every run is a cell of :func:`gamedyn.bridge.sweep` (``backend``, ``address``,
    ``threads`` as there), in ``out/<run>/seed=<seed>``, keeping its checkpoint at step 0 and
    at every evaluation. The prediction is the run's own update map
    (:func:`gamedyn.bridge.update_spectrum`: rule, step size and Adam state of the real
    network, second moment frozen) at each kept checkpoint; the Dirac-GAN spectrum stays as
    the toy column. Each verdict is a paired comparison over seeds with a 95 % bootstrap
    interval (:func:`gamedyn.metrics.paired_difference`): it agrees or disagrees only when
    the intervals of both the predicted and the observed difference exclude zero.

    ``overrides`` replace entries of ``SIZES[size]`` (e.g. ``steps=``, ``width=``,
    ``spectrum_k=``) for a custom-sized check. ``reuse=False`` deletes and retrains the runs.

    Even the smoke check is 20 training runs (4 arms, 5 seeds: minutes each;
    ``tests/bridge/test_check.py`` runs a tiny one), so here only what is checked before
    anything runs:

    >>> import gamedyn as gd
    >>> sorted(gd.bridge.SIZES)
    ['full', 'medium', 'smoke']
    >>> gd.bridge.bridge_check("smoke", stepz=300)  # a misspelt override is named, with the accepted ones
    Traceback (most recent call last):
    ...
    ValueError: bridge_check got unknown settings ['stepz']; accepted: [...'steps'...]
    """
    check_choice("size", size, tuple(SIZES))
    unknown = sorted(set(overrides) - set(SIZES[size]))
    if unknown:
        raise ValueError(f"bridge_check got unknown settings {unknown}; accepted: {sorted(SIZES[size])}")
    seeds = DEFAULT_SEEDS[size] if seeds is None else seeds
    check_int("seeds", seeds, minimum=1)
    from ._sweep import sweep

    settings = {**SIZES[size], **overrides}
    spectrum_k = settings.pop("spectrum_k")
    spectrum_batches = settings.pop("spectrum_batches")
    update = {name: settings.pop("update_" + name) for name in ("k", "tol", "maxiter", "batch")}
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    base = TrainConfig(out=str(out), device=device, seed=seed, loss="nonsaturating", keep_checkpoints=True,
                       **settings)
    toy = _toy_predictions(base, GAMMA_R1)
    seed_list = [seed + i for i in range(seeds)]

    runs = {}
    for name, changes in ARMS.items():
        arm = dataclasses.replace(base, **changes)
        if not reuse:
            shutil.rmtree(out / name, ignore_errors=True)
        rows = sweep(arm, {"seed": seed_list}, out=out / name, backend=backend, address=address,
                     threads=threads, progress=progress)
        runs[name] = []
        for s, r in zip(seed_list, rows):
            folder = Path(r["out"])
            result = json.loads((folder / "result.json").read_text())
            runs[name].append({"seed": s, "out": folder, "result": result,
                               "predicted": _update_predictions(folder, update["k"], device, reuse, update["tol"],
                                                                 update["maxiter"], update["batch"])})
        runs[name + ":rule"] = repr(build_rule(arm))

    pairs = [_oscillation_pair(out, runs, toy, spectrum_k, spectrum_batches, device, reuse),
             _collapse_pair(runs)]
    _write_report(out, size, pairs, runs, seed_list)
    return pairs


def _per_seed(runs, name) -> list[dict]:
    """Per seed: predicted mean log-growth, the last checkpoint's prediction, observations."""
    rows = []
    for run in runs[name]:
        result, predicted = run["result"], run["predicted"]
        defined = [p for p in predicted if "log_growth" in p]
        last = defined[-1] if defined else None
        evals = _evaluations(run["out"])
        final = result.get("evaluation") or (evals[-1] if evals else None)
        gap = result.get("oscillation", {}).get("gap", {})
        rows.append({
            "seed": run["seed"], "status": result["status"], "diverged_at": result.get("diverged_at"),
            "predicted_log_growth": _mean_log_growth(predicted),
            "predicted_rho_last": None if last is None else last["rho"],
            "predicted_period_last": None if last is None else last["period"],
            "checkpoints": [{k: p.get(k) for k in ("step", "rho", "log_growth", "period", "undefined")} for p in predicted],
            "gap_amplitude": gap.get("amplitude"), "gap_period": gap.get("period_steps"),
            "modes": None if final is None else final["modes"],
            "n_modes": None if final is None else final["n_modes"],
            "kl": None if final is None or result["status"] == "diverged" else final["kl"],
            "modes_over_training": [(e["step"], e["modes"]) for e in evals],
            "kl_over_training": [(e["step"], e["kl"]) for e in evals],
        })
    return rows


def _column(rows, key, transform=float):
    return np.array([math.nan if r[key] is None else transform(r[key]) for r in rows], dtype=float)


def _oscillation_pair(out, runs, toy, spectrum_k, spectrum_batches, device, reuse) -> CheckPair:
    observed = {n: {"seeds": _per_seed(runs, n)} for n in ("alt-gda", "alt-gda-r1")}
    for name in observed:
        # The trained game's Jacobian (Berard et al. 2020): the first seed's last checkpoint.
        first = runs[name][0]
        spectrum = None
        if first["result"]["status"] != "diverged" and (first["out"] / "checkpoint.pt").exists():
            cache = first["out"] / "spectrum.json"
            if not reuse:
                cache.unlink(missing_ok=True)
            spectrum = run_spectrum(first["out"], spectrum_k, which="LI", batches=spectrum_batches,
                                    device=device, cache=cache)
        observed[name]["spectrum"] = spectrum
    a, b = (observed[n]["seeds"] for n in ("alt-gda", "alt-gda-r1"))
    log_amp = lambda rows: _column(rows, "gap_amplitude", lambda v: math.log(v) if v > 0 else math.nan)  # noqa: E731
    obs = paired_difference(log_amp(a), log_amp(b))
    pred = paired_difference(_column(a, "predicted_log_growth"), _column(b, "predicted_log_growth"))
    periods = {n: [r["gap_period"] for r in observed[n]["seeds"] if r["gap_period"] is not None] for n in observed}
    predicted_periods = {n: [r["predicted_period_last"] for r in observed[n]["seeds"]
                             if r["predicted_period_last"] is not None] for n in observed}
    period_text = "; ".join(
        f"{n}: gap period {_median_text(periods[n])} steps observed, top update-map eigenvalue's period "
        f"{_median_text(predicted_periods[n])} predicted"
        + ("" if predicted_periods[n] else " (its top eigenvalues are real: no rotation predicted)")
        for n in observed)
    spectra = {n: observed[n]["spectrum"] for n in observed}
    spectrum_text = ""
    if all(spectra.values()):
        medians = {n: _batch_medians(spectra[n]) for n in spectra}
        more = _separated(medians["alt-gda"], medians["alt-gda-r1"])
        spectrum_text = (f". The trained game's Jacobian (seed {runs['alt-gda'][0]['seed']}, ARPACK 'LI', "
                         f"{min(len(m) for m in medians.values())} batches): median |Im| / |Re| "
                         f"{_spread(medians['alt-gda'])} without R1 vs {_spread(medians['alt-gda-r1'])} with R1; "
                         f"more rotation without R1 on every batch: {_yes_no(more)}")
    toy_sign = 1 if toy["alternating GDA"]["spectral_radius"] > toy["alternating GDA + R1"]["spectral_radius"] else -1
    return _pair(
        "oscillation",
        "Does the real network's update map predict which of alternating GDA with and without R1 oscillates more?",
        runs, {"alt-gda": toy["alternating GDA"], "alt-gda-r1": toy["alternating GDA + R1"]}, observed, pred, obs,
        toy_sign, (f"over {pred.n} paired seeds, predicted log-growth per step without minus with R1 (mean over "
                f"checkpoints of log |mu|, update map of the real network) {pred}; observed log amplitude ratio of "
                f"D(real) - D(fake), without over with R1, {obs} (95 % bootstrap intervals); the toy (Dirac GAN) "
                f"predicts a {'larger' if toy_sign > 0 else 'smaller'} spectral radius without R1, and the observed "
                f"difference goes its way: {_yes_no(_toy_agreement(obs, toy_sign))}; {period_text}{spectrum_text}"))


#: The islands rows that predict the mode-collapse pair: VEEGAN's 8-mode ring, where the
#: islands table trains every rule to convergence with 8 seeds (results/islands_table.md).
ISLANDS_PROTOCOL = ("veegan", "ring")
#: The islands method each collapse arm is predicted by.
_ISLANDS_METHOD = {"sim-gda": "gan", "extragradient": "extragradient"}


def _islands_prediction() -> tuple[dict, PairedDifference | None]:
    """The islands' per-seed modes and KL for the collapse arms, and their paired KL
    difference (simultaneous GDA minus extragradient) with its bootstrap interval; None
    where the committed islands samples are not installed."""
    from ..islands import committed_stats

    protocol, data = ISLANDS_PROTOCOL
    stats = committed_stats(protocol, data)
    if not all(m in stats for m in _ISLANDS_METHOD.values()):
        return {n: {"islands": f"{protocol}/{data}/{m}", "available": False} for n, m in _ISLANDS_METHOD.items()}, None
    toy = {}
    for name, method in _ISLANDS_METHOD.items():
        v = stats[method]
        toy[name] = {"islands": f"{protocol}/{data}/{method}", "available": True,
                     "modes": v["modes"].tolist(), "kl": v["kl_capped"].tolist()}
    diff = paired_difference(*(stats[_ISLANDS_METHOD[n]]["kl_capped"] for n in ("sim-gda", "extragradient")))
    return toy, diff


def _collapse_pair(runs) -> CheckPair:
    observed = {n: {"seeds": _per_seed(runs, n)} for n in ("sim-gda", "extragradient")}
    a, b = (observed[n]["seeds"] for n in ("sim-gda", "extragradient"))
    for name in observed:
        rows = observed[name]["seeds"]
        observed[name]["diverged"] = sum(r["status"] == "diverged" for r in rows)
    obs = paired_difference(_column(a, "kl"), _column(b, "kl"))
    missed = lambda rows: np.array([math.nan if r["modes"] is None or r["status"] == "diverged"  # noqa: E731
                                    else r["n_modes"] - r["modes"] for r in rows], dtype=float)
    modes = paired_difference(missed(a), missed(b))
    pred = paired_difference(_column(a, "predicted_log_growth"), _column(b, "predicted_log_growth"))
    diverged = {n: observed[n]["diverged"] for n in observed}
    islands, islands_diff = _islands_prediction()
    if islands_diff is None:
        toy_sign, islands_text = 0, "the committed islands samples are not installed: no islands prediction"
    else:
        toy_sign = islands_diff.sign
        order = {1: "simultaneous GDA collapses more", -1: "extragradient collapses more",
                 0: "no order (the interval holds 0)"}[toy_sign]
        islands_text = (f"the islands ({'/'.join(ISLANDS_PROTOCOL)}, {islands_diff.n} seeds, trained to convergence) "
                        f"give KL, simultaneous GDA minus extragradient, {islands_diff}: {order}; the observed "
                        f"order goes the islands' way: {_yes_no(_toy_agreement(obs, toy_sign))}")
        for entry in islands.values():
            entry["kl_difference"] = islands_diff._asdict()
    return _pair(
        "mode collapse",
        ("Does the real network's update map predict which of simultaneous GDA and extragradient "
         "collapses more (larger KL of the mode histogram against uniform)?"),
        runs, islands, observed, pred, obs,
        toy_sign, (f"over {pred.n} paired seeds, predicted log-growth per step, simultaneous GDA minus extragradient, "
                f"{pred}; observed KL, simultaneous GDA minus extragradient, {obs} over {obs.n} pairs, and modes "
                f"missed {modes} (95 % bootstrap intervals); diverged runs (left out of the pairs): "
                f"{diverged['sim-gda']} simultaneous GDA, {diverged['extragradient']} extragradient; "
                + islands_text))


def _toy_agreement(observed: PairedDifference, toy_sign: int) -> bool | None:
    """Whether the observed difference goes the toy's way (None: either interval holds 0)."""
    return None if observed.sign == 0 or toy_sign == 0 else observed.sign == toy_sign


def _pair(name, question, runs, toy, observed, pred, obs, toy_sign, reason) -> CheckPair:
    """The pair of runs ``toy``'s keys, decided from the predicted and observed differences."""
    return CheckPair(name=name, question=question, runs={n: runs[n + ":rule"] for n in toy}, predicted=toy,
                     observed=observed, agree=_agreement(pred, obs), reason=reason,
                     predicted_difference=pred._asdict(), observed_difference=obs._asdict(),
                     toy_agree=_toy_agreement(obs, toy_sign))


def _median_text(values) -> str:
    values = [v for v in values if v is not None and math.isfinite(v)]
    if not values:
        return "none"
    return f"{np.median(values):.3g}" + ("" if len(values) == 1 else f" (seeds {min(values):.3g}-{max(values):.3g})")


def _yes_no(agree) -> str:
    return {True: "yes", False: "no", None: "inconclusive"}[agree]


def _mean_sd(values, digits=3) -> str:
    v = np.asarray([x for x in values if x is not None and math.isfinite(x)], dtype=float)
    if v.size == 0:
        return "–"
    return f"{v.mean():.{digits}g}" + ("" if v.size == 1 else f" ± {v.std(ddof=1):.{digits - 1}g}")


def _write_report(out: Path, size: str, pairs: list[CheckPair], runs: dict, seed_list: list[int]) -> None:
    from ..plots import save_figure, use_style

    use_style()
    import matplotlib.pyplot as plt

    colors = {"alt-gda": "C1", "alt-gda-r1": "C0", "sim-gda": "C3", "extragradient": "C2"}
    fig, axes = plt.subplots(1, 4, figsize=(19, 4))
    for name in ("alt-gda", "alt-gda-r1"):
        for i, run in enumerate(runs[name]):
            steps, gap = _series(run["out"], "gap")
            axes[0].plot(steps, gap, color=colors[name], lw=0.8, alpha=0.7, label=name if i == 0 else None)
    axes[0].set(title="oscillation: D(real) - D(fake), every seed", xlabel="step", ylabel="gap")
    axes[0].legend()
    for name in ARMS:
        for i, run in enumerate(runs[name]):
            points = [(p["step"], p["log_growth"]) for p in run["predicted"] if "log_growth" in p]
            if points:
                s, g = zip(*points)
                axes[1].plot(s, g, "o-", color=colors[name], lw=0.8, ms=3, alpha=0.8, label=name if i == 0 else None)
    axes[1].axhline(0, color="0.5", lw=0.8)
    axes[1].set(title="predicted: log |mu| of the real update map", xlabel="checkpoint step",
                ylabel="log-growth per step")
    axes[1].legend(fontsize=7)
    collapse = pairs[1].observed
    for ax, key, title in ((axes[2], "modes_over_training", "modes captured"),
                           (axes[3], "kl_over_training", "KL(mode histogram || uniform)")):
        for name in ("sim-gda", "extragradient"):
            for i, row in enumerate(collapse[name]["seeds"]):
                if row[key]:
                    s, v = zip(*row[key])
                    v = [math.nan if x is None else x for x in v]
                    ax.plot(s, v, "o-", color=colors[name], lw=0.8, ms=3, alpha=0.8, label=name if i == 0 else None)
        ax.set(title=f"{title}, every seed", xlabel="step")
        ax.legend()
    fig.suptitle(f"bridge-check ({size}, {len(seed_list)} seeds): the real network's update map against what the runs do")
    save_figure(fig, out / "bridge_check.png")
    plt.close(fig)

    config = TrainConfig.from_json(json.loads((runs["alt-gda"][0]["out"] / "config.json").read_text()))
    lines = [
        f"# bridge-check ({size}, {len(seed_list)} seeds: {', '.join(map(str, seed_list))})", "",
        "Prediction: the update map of the real network — the Jacobian of one step of the run's own rule, "
        f"step size {config.lr:g} and {config.base} state, {config.base + ' second moment frozen, ' if config.base != 'none' else ''}"
        "on one fixed batch, top eigenvalues by ARPACK (`gd.bridge.update_spectrum`) — at every evaluation "
        "checkpoint; log-growth = log |mu| of the top eigenvalue, averaged over the checkpoints where it is "
        "defined. The toy column is, for oscillation, the Dirac GAN at its equilibrium with the same rule "
        f"(step size {pairs[0].predicted['alt-gda']['lr']}, no preconditioner), and for mode collapse the "
        "islands table's converged runs of the same rules (VEEGAN's 8-mode ring, per-seed modes and KL; a seed "
        "with no high-quality sample counts as one mode, KL log 8). Observation: the same rule "
        "objects training a real convolutional GAN with `gamedyn.bridge` (one folder per run and seed). "
        "Verdicts: paired over seeds, 95 % percentile-bootstrap intervals of the mean difference; agrees / "
        "disagrees only when both the predicted and the observed interval exclude zero, else inconclusive.", "",
        "| comparison | run | rule | toy (Dirac GAN or islands) | predicted log-growth (mean ± sd over seeds) | "
        "predicted rho, last checkpoint | observed (mean ± sd over seeds) | agree | toy agrees |",
        "|---|---|---|---|---|---|---|---|---|"]
    for pair in pairs:
        for name, rule in pair.runs.items():
            toy = pair.predicted[name]
            rows = pair.observed[name]["seeds"]
            if pair.name == "oscillation":
                seen = (f"gap amplitude {_mean_sd([r['gap_amplitude'] for r in rows])}, period "
                        f"{_median_text([r['gap_period'] for r in rows])} steps")
            else:
                ok = [r for r in rows if r["status"] != "diverged"]
                seen = (f"modes {_mean_sd([r['modes'] for r in ok])} of {rows[0]['n_modes']}, KL "
                        f"{_mean_sd([r['kl'] for r in ok])}; diverged {len(rows) - len(ok)} of {len(rows)}")
            lines.append(
                f"| {pair.name} | {name} | `{rule}` | {_toy_text(toy)} | "
                f"{_mean_sd([r['predicted_log_growth'] for r in rows])} | "
                f"{_median_text([r['predicted_rho_last'] for r in rows])} | {seen} | {_yes_no(pair.agree)} | "
                f"{_yes_no(pair.toy_agree)} |")
    lines += ["", *[f"* **{p.name}** ({p.verdict}) — {p.question} {p.reason}." for p in pairs], "",
              "![bridge-check](bridge_check.png)", "", "## Every seed", "",
              "| run | seed | status | predicted log |mu| at each checkpoint (step: value) | gap amplitude | "
              "gap period | modes | KL |", "|---|---|---|---|---|---|---|---|"]
    for pair in pairs:
        for name in pair.runs:
            for r in pair.observed[name]["seeds"]:
                checkpoints = ", ".join(f"{c['step']}: {c['log_growth']:+.3g}" if c.get("log_growth") is not None
                                        else f"{c['step']}: –" for c in r["checkpoints"])
                lines.append(f"| {name} | {r['seed']} | {r['status']} | {checkpoints} | "
                             f"{_fmt_number(r['gap_amplitude'])} | {_fmt_number(r['gap_period'])} | "
                             f"{_fmt_number(r['modes'])} | {_fmt_number(r['kl'])} |")
    lines += ["", "A checkpoint marked – has no prediction: Adam's second moment is zero before the first step, "
              "so the frozen-preconditioner map is not defined there (or ARPACK did not converge; "
              "`update_spectrum.json` in the run folder says which).", ""]
    environments = {json.dumps(r["result"].get("environment") or {}, sort_keys=True)
                    for name in ARMS for r in runs[name]}
    if environments != {"{}"}:
        described = "; ".join(", ".join(f"{k} {v}" for k, v in json.loads(e).items()) or "not recorded"
                              for e in sorted(environments))
        lines += [f"Runs trained with {described}. A GAN's trajectory amplifies the order of "
                  "floating-point sums, so another thread count or device gives other, equally "
                  "valid runs; the verdicts, not the digits, are what should carry over.", ""]
    atomic_write(out / "report.md", lambda tmp: Path(tmp).write_text("\n".join(lines)))
    payload = [dataclasses.asdict(p) for p in pairs]
    atomic_write(out / "report.json", lambda tmp: Path(tmp).write_text(json.dumps(payload, indent=2, default=str)))


def _toy_text(toy: dict) -> str:
    """The toy column of a report row: the Dirac GAN's spectral radius, or the islands' scores."""
    if "spectral_radius" in toy:
        return f"Dirac rho {toy['spectral_radius']:.4f} ({toy['regime']})"
    if not toy.get("available"):
        return f"islands {toy['islands']}: not installed"
    return f"islands {toy['islands']}: modes {_mean_sd(toy['modes'])} of 8, KL {_mean_sd(toy['kl'])}"


def _fmt_number(value) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


_ROTATION_CAP = 1e6  # |Im| / |Re| of an eigenvalue with Re = 0 (inf) is reported as this


def _rotations(values) -> np.ndarray:
    """|Im| / |Re| of eigenvalues given as ``[re, im]`` pairs, capped at ``_ROTATION_CAP``."""
    values = np.asarray(values, dtype=float).reshape(-1, 2)
    re, im = np.abs(values[:, 0]), np.abs(values[:, 1])
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.minimum(np.where(re > 0, im / re, np.inf), _ROTATION_CAP)


def _rotation(spectrum: dict) -> float:
    """|Im| / |Re| of the eigenvalue of largest |Im| found."""
    values = np.array(spectrum["eigenvalues"])
    return float(_rotations(values[np.argmax(np.abs(values[:, 1]))])[0])


def _median_rotation(spectrum: dict) -> float:
    """Median of |Im| / |Re| over the eigenvalues found."""
    return float(np.median(_rotations(spectrum["eigenvalues"])))


def _batch_medians(spectrum: dict) -> list[float]:
    """The median |Im| / |Re| of each batch on which eigenvalues were found."""
    batches = spectrum.get("batches") or [spectrum]
    return [_median_rotation(b) for b in batches if b["eigenvalues"]]


def _separated(first: list[float], second: list[float]):
    """True when every value of ``first`` exceeds every value of ``second``, False for the
    reverse, None when the ranges overlap."""
    if min(first) > max(second):
        return True
    if max(first) < min(second):
        return False
    return None


def _spread(values: list[float]) -> str:
    """The median of ``values``, with their range when there are several."""
    centre = f"{np.median(values):.3g}"
    return centre if len(values) == 1 else f"{centre} (batches {min(values):.3g} to {max(values):.3g})"


def _as_double(tree, device):
    """Every floating tensor of a nested state (lists, tuples, dicts) in float64 on ``device``."""
    if isinstance(tree, torch.Tensor):
        return tree.to(device=device, dtype=torch.float64) if tree.is_floating_point() else tree.to(device)
    if isinstance(tree, dict):
        return {key: _as_double(value, device) for key, value in tree.items()}
    if isinstance(tree, (list, tuple)):
        return type(tree)(_as_double(value, device) for value in tree)
    return tree


def run_update_spectrum(run, rule: str | None = None, k: int = 6, *, batch: int = 32, seed: int | None = None,
                        tol: float = 1e-6, maxiter: int | None = None, device: str = "cpu",
                        response: bool = False, horizon: int = 200, eps: float = 1e-6,
                        frozen: bool = True, checkpoint=None, lr_scale: float = 1.0) -> dict:
    """The update-map spectrum of a trained run at its last checkpoint (or at
    ``checkpoint``: a path, or the step of a kept ``checkpoints/step_*.pt``), and optionally the
    linear-response check (:func:`gamedyn.bridge.update_spectrum`,
    :func:`gamedyn.bridge.linear_response`).

    The models, losses (loss, regulariser) and optimiser state are the run's, in float64 on
    ``device``, with spectral norms frozen, on one fixed batch of ``batch`` real images and
    latents (seed ``seed``, default the run's seed + 3). ``rule``: another rule name to
    predict for at the same point (the run's step sizes and base; its base moments carry
    over when both use the same base, its memory starts empty); default the run's own rule
    with its saved state. ``lr_scale``: every step size of the rule multiplied by this (the
    same point and optimiser state, a smaller or larger step: how far the linearisation
    carries as the step shrinks). Returns a JSON-able dict.

    Simultaneous GDA without a base steps ``z + lr F(z)``: its update map is ``I + lr J``,
    with eigenvalues ``1 + lr lambda``; at a step this small the largest in modulus is the one
    of ``lambda`` with the largest real part (:func:`run_spectrum` with ``which="LR"``, on the
    same fixed batch):

    >>> import tempfile, gamedyn as gd
    >>> tmp = tempfile.TemporaryDirectory()
    >>> config = gd.bridge.TrainConfig(out=tmp.name, data="islands", n_data=32, width=1, latent=1, norm="none",
    ...                                rule="gda", base="none", lr=1e-3, batch=4, steps=10, sample_every=0,
    ...                                checkpoint_every=0)  # the smallest DCGAN: 164 + 164 parameters
    >>> _ = gd.bridge.train(config, stop_after=1, progress=False, tensorboard=False)  # one step, a checkpoint
    >>> update = gd.bridge.run_update_spectrum(tmp.name, k=1, batch=4, tol=1e-10)
    >>> jacobian = gd.bridge.run_spectrum(tmp.name, k=1, which="LR", batch=4, tol=1e-10)
    >>> update["n"]  # x and y: no base, so no first moments in the state
    328
    >>> abs(update["rho"] - (1 + 1e-3 * jacobian["max_real"])) < 1e-9  # ARPACK's relative tol 1e-10 on each
    True
    >>> tmp.cleanup()
    """
    from ._optimizer import GameOptimizer
    from ._update import linear_response, update_spectrum

    run = Path(run)
    config, saved = _read_run(run, checkpoint)
    own = config.rule
    if config.base != "none" and GameOptimizer.saved_steps(saved["optimizer"]) == 0:
        raise ValueError(f"the checkpoint of {run} at step 0 has no {config.base} second moment yet (it is zero "
                         "before the first step), so the frozen-preconditioner update map is not defined there; "
                         "take a later checkpoint")
    if rule is not None and rule != own:
        # Another rule at the same point: its own settings at their defaults (the run's
        # alternating / k / beta / ... belong to the run's rule).
        from ._config import RULE_FIELDS

        defaults = {f.name: f.default for f in dataclasses.fields(TrainConfig) if f.name in RULE_FIELDS}
        config = dataclasses.replace(config, rule=rule, rule_options=None, **defaults)
    check_positive("lr_scale", lr_scale)
    if lr_scale != 1:
        config = dataclasses.replace(config, **{name: getattr(config, name) * lr_scale
                                                for name in ("lr", "lr_y", "lr_extra") if getattr(config, name) is not None})
    dev = resolve_device(device)
    data, G, D = _rebuild(config, dev, saved)
    batch_seed = config.seed + 3 if seed is None else int(seed)
    closure = _fixed_batch_losses(config, data, G, D, batch, batch_seed, dev)
    the_rule = build_rule(config)
    opt = GameOptimizer(the_rule, G.parameters(), D.parameters())
    stored = _as_double(saved["optimizer"], dev)
    if config.rule == own:
        opt.load_state_dict(stored)  # restores the run's step sizes (torch's semantics): scaled again
        for group in opt.param_groups:
            group["lr"] = group["lr"] * lr_scale
    elif config.base != "none":
        # Another rule at the same point: keep the run's base moments (same base), fresh memory.
        state, _, _ = opt._parse(stored)
        opt.state = opt.state._replace(base=tuple(state.base), count=state.count)
    out = {"run": str(run), "rule": config.rule, "run_rule": own, "step": saved.get("step"),
           "batch_seed": batch_seed, "base": config.base, "lr": config.lr, "lr_scale": float(lr_scale)}
    spec = update_spectrum(opt, closure, k=k, tol=tol, maxiter=maxiter)
    out.update(n=spec.n, eigenvalues=[[float(v.real), float(v.imag)] for v in spec.eigenvalues], rho=spec.rho,
               log_growth=spec.log_growth, period=spec.period, frozen_preconditioner=config.base != "none")
    if response:
        r = linear_response(opt, closure, k=k, eps=eps, horizon=horizon, frozen=frozen, tol=tol, maxiter=maxiter)
        out["linear_response"] = {
            "frozen": r.frozen, "eps": r.eps, "steps": r.steps, "message": r.message,
            "e_folding": r.e_folding, "at_10": r.at(10), "at_e_folding": r.at(r.e_folding),
            "observed_log_growth": r.observed_log_growth.tolist(),
            "tangent_log_growth": r.tangent_log_growth.tolist(),
            "norm_log_growth": r.norm_log_growth.tolist(),
            "map_drift": r.map_drift.tolist(),
        }
    return out
