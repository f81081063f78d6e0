"""``bridge_check``: do the oscillation and mode collapse the toy layer predicts show up
when the same update rules train real convolutional GANs?

Two pairs of trainings, each pair differing in one thing the toy theory has an opinion on:

* **oscillation** — alternating GDA without regularisation (Dirac GAN: update-map
  eigenvalues on the unit circle, the iterates cycle) against the same rule with R1
  (eigenvalues inside the unit circle, they converge; Mescheder et al. 2018). Observed: the
  amplitude and period of the oscillation of ``D(real) - D(fake)`` and of the generator's
  distance to its running average, and the rotation / real parts of the top eigenvalues of
  the trained game's Jacobian (Berard et al. 2020).
* **mode collapse** — simultaneous GDA (bilinear / Dirac GAN: spectral radius above 1, a
  growing rotation) against extragradient (below 1). Observed: modes captured, KL(mode
  histogram || uniform), and mode hopping across evaluations.

Each run is an ordinary :func:`gamedyn.bridge.train` run (resumable: a second call reuses the
finished runs). The report (``report.md`` + figures) puts prediction, observation and
agreement side by side; a disagreement is reported, not hidden.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import torch

from .. import analysis, games, optim
from .._checks import check_choice
from ._config import TrainConfig
from ._train import atomic_write, build_rule, resolve_device, train

__all__ = ["SIZES", "bridge_check", "CheckPair", "run_spectrum", "run_path_angle"]

#: Run sizes: ``smoke`` finishes in minutes on a 2-core CPU (10 image islands, tiny
#: networks); ``medium`` is the Stacked-digits protocol (1,000 modes, 26,000 evaluation
#: samples) with a width-32 DCGAN trained 3,000 steps, about an hour on a 2-core CPU;
#: ``full`` is the GPU run (width 64, 20,000 steps).
SIZES = {
    "smoke": dict(data="islands", n_data=2000, width=8, batch=32, steps=600, log_every=5,
                  eval_every=200, eval_samples=1000, classifier_steps=100, sample_every=200,
                  checkpoint_every=200, lr=5e-4, base="adam", spectrum_k=4,
                  spectrum_batches=3),
    "medium": dict(data="stacked-digits", n_data=None, width=32, batch=64, steps=3000, log_every=10,
                   eval_every=1000, eval_samples=26_000, classifier_steps=None, sample_every=1000,
                   checkpoint_every=500, lr=2e-4, base="adam", spectrum_k=6,
                   spectrum_batches=3),
    "full": dict(data="stacked-digits", n_data=None, width=64, batch=64, steps=20_000, log_every=20,
                 eval_every=2000, eval_samples=26_000, feature_metrics="final", classifier_steps=None,
                 sample_every=2000, checkpoint_every=1000, lr=2e-4, base="adam", spectrum_k=10,
                 spectrum_batches=5),
}


@dataclasses.dataclass
class CheckPair:
    """One comparison: two runs, the toy layer's predictions, the observations, agreement."""

    name: str
    question: str
    runs: dict
    predicted: dict
    observed: dict
    agree: bool | None
    reason: str

    @property
    def verdict(self) -> str:
        """``"agrees"``, ``"disagrees"`` or ``"inconclusive"`` (a difference within noise)."""
        return {True: "agrees", False: "disagrees", None: "inconclusive"}[self.agree]


#: The oscillation comparison needs the amplitudes to differ by this factor either way;
#: between ``1 / AMPLITUDE_RATIO`` and ``AMPLITUDE_RATIO`` it is inconclusive.
AMPLITUDE_RATIO = 1.25
#: KL differences below this many standard deviations of the sampling noise of two KL
#: estimates are inconclusive (2 N KL ~ chi^2 with K - 1 degrees of freedom for N exact
#: draws: sd = sqrt(2 (K - 1)) / (2 N) per estimate).
KL_SIGMAS = 3.0


def _compare(larger_expected: float, smaller_expected: float, ratio: float) -> bool | None:
    """True / False when one value exceeds ``ratio`` times the other (strictly: two zero
    amplitudes, e.g. of runs too short to log a cycle, are no evidence either way)."""
    if larger_expected > ratio * smaller_expected:
        return True
    if smaller_expected > ratio * larger_expected:
        return False
    return None


def _toy_predictions(config: TrainConfig, gamma_r1: float) -> dict:
    """Regimes and spectra of the same rules on the toy games (no base: the rule itself)."""
    lr = config.lr if config.base == "none" else 0.1  # the toy step size for preconditioned runs
    out = {}
    dirac = games.DiracGAN(loss=config.loss if config.loss in games.LOSSES else "nonsaturating")
    dirac_r1 = games.DiracGAN(loss=dirac.loss, reg="r1", gamma=gamma_r1)
    for name, game, rule in [
        ("alternating GDA", dirac, optim.gda(lr, alternating=True)),
        ("alternating GDA + R1", dirac_r1, optim.gda(lr, alternating=True)),
        ("simultaneous GDA", dirac, optim.gda(lr)),
        ("extragradient", dirac, optim.extragradient(lr)),
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


def _read_run(run: Path):
    """A training folder's config and last checkpoint (on the CPU), or a ValueError naming it."""
    if not (run / "config.json").is_file() or not (run / "checkpoint.pt").is_file():
        raise ValueError(f"run={str(run)!r} is not accepted; expected a training folder with "
                         "config.json and checkpoint.pt (gamedyn train --out)")
    config = TrainConfig.from_json(json.loads((run / "config.json").read_text()))
    return config, torch.load(run / "checkpoint.pt", map_location="cpu", weights_only=False)


def _fixed_batch_losses(config: TrainConfig, data, G, D, batch: int, seed: int, device):
    """The run's losses (loss, regulariser) on one fixed batch of ``batch`` real images and
    latents drawn with ``seed``: a pure function of the parameters."""
    from ._losses import gan_losses

    gen = torch.Generator().manual_seed(seed)
    real = data.sample(min(batch, len(data)), generator=gen)[0].double().to(device)
    latent = G.sample_latent(real.shape[0], generator=gen)
    return gan_losses(G, D, real, latent, loss=config.loss, reg=config.reg, gamma=config.gamma)


def _rebuild(config: TrainConfig, device, saved: dict | None):
    """The run's data and models in float64 on ``device`` with spectral norms frozen: at the
    checkpoint ``saved``, or (``None``) at the initialisation ``train`` started from, which
    the run's seed determines."""
    from ._data import load_data
    from ._models import freeze_spectral_norm, make_models

    data = load_data(config.data, size=config.image_size, n=config.n_data, seed=config.seed)
    G, D = make_models(config.arch, image_size=config.image_size, channels=data.shape[0],
                       width=config.width, latent=config.latent, norm=config.norm,
                       spectral_norm=config.spectral_norm, attention=config.attention,
                       minibatch_std=config.minibatch_std, seed=config.seed)
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


def _run(base: TrainConfig, out: Path, name: str, resume_ok: bool, progress: bool, **changes):
    config = dataclasses.replace(base, out=str(out / name), **changes)
    result_path = out / name / "result.json"
    if resume_ok and result_path.exists():
        saved = json.loads(result_path.read_text())
        if saved["status"] in ("completed", "diverged", "early-stopped"):
            return config, saved
    resume = (out / name / "checkpoint.pt").exists()
    result = train(config, resume=resume, progress=progress)
    return config, result.to_json()


def bridge_check(size: str = "smoke", *, out="runs/bridge-check", device: str = "auto",
                 seed: int = 0, progress: bool = True, reuse: bool = True,
                 **overrides) -> list[CheckPair]:
    """Run the two comparisons at ``size`` (``"smoke"``, ``"medium"`` or ``"full"``), write
    ``out/report.md``, ``out/report.json`` and figures, and return the pairs.

    ``overrides`` replace entries of ``SIZES[size]`` (e.g. ``steps=``, ``width=``,
    ``spectrum_k=``) for a custom-sized check.
    """
    check_choice("size", size, tuple(SIZES))
    unknown = sorted(set(overrides) - set(SIZES[size]))
    if unknown:
        raise ValueError(f"bridge_check got unknown settings {unknown}; accepted: {sorted(SIZES[size])}")
    from ..metrics import mode_hopping

    settings = {**SIZES[size], **overrides}
    spectrum_k = settings.pop("spectrum_k")
    spectrum_batches = settings.pop("spectrum_batches")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    gamma_r1 = 1.0
    base = TrainConfig(out=str(out), device=device, seed=seed, loss="nonsaturating", **settings)
    predicted = _toy_predictions(base, gamma_r1)

    runs = {}
    for name, changes in [
        ("alt-gda", dict(rule="gda", alternating=True)),
        ("alt-gda-r1", dict(rule="gda", alternating=True, reg="r1", gamma=gamma_r1)),
        ("sim-gda", dict(rule="gda")),
        ("extragradient", dict(rule="extragradient")),
    ]:
        config, result = _run(base, out, name, reuse, progress, **changes)
        runs[name] = {"config": config, "result": result, "rule": repr(build_rule(config))}

    pairs = []
    # -- oscillation -------------------------------------------------------------------------
    observed = {}
    for name in ("alt-gda", "alt-gda-r1"):
        run_out = out / name
        result = runs[name]["result"]
        spectrum = None
        if result["status"] != "diverged" and (run_out / "checkpoint.pt").exists():
            cache = run_out / "spectrum.json"
            if not reuse:
                cache.unlink(missing_ok=True)
            spectrum = run_spectrum(run_out, spectrum_k, which="LI", batches=spectrum_batches,
                                    device=device, cache=cache)
        observed[name] = {"status": result["status"], "oscillation": result["oscillation"], "spectrum": spectrum}
    amp = {n: observed[n]["oscillation"]["gap"]["amplitude"] for n in observed}
    agree = _compare(amp["alt-gda"], amp["alt-gda-r1"], AMPLITUDE_RATIO)
    spectra = {n: observed[n]["spectrum"] for n in observed}
    spectrum_text = ""
    if all(spectra.values()):
        # Per batch, the median over the k eigenvalues found (one eigenvalue's ratio is
        # noisy); over batches, the range says whether the difference beats batch noise.
        medians = {n: _batch_medians(spectra[n]) for n in spectra}
        top = {n: _rotation(spectra[n]) for n in spectra}
        found = {len(spectra[n]["eigenvalues"]) for n in spectra}
        more = _separated(medians["alt-gda"], medians["alt-gda-r1"])
        n_batches = min(len(m) for m in medians.values())
        on = (f"on each of {n_batches} batches" if n_batches > 1 else "on one batch")
        spectrum_text = (f"; of the trained game's {' / '.join(map(str, sorted(found)))} most rotational "
                         f"eigenvalues (ARPACK 'LI') {on}, the median |Im| / |Re| is "
                         f"{_spread(medians['alt-gda'])} without R1 vs {_spread(medians['alt-gda-r1'])} "
                         f"with R1 (that of the largest |Im| on the first batch: {top['alt-gda']:.3g} vs "
                         f"{top['alt-gda-r1']:.3g}); more rotation without R1"
                         f"{' on every batch' if n_batches > 1 else ''}, as predicted: {_yes_no(more)}"
                         + (" (the batch ranges overlap)" if more is None else ""))
    pairs.append(CheckPair(
        name="oscillation",
        question="Does R1 damp the oscillation that alternating GDA shows without it?",
        runs={n: runs[n]["rule"] for n in ("alt-gda", "alt-gda-r1")},
        predicted={"alt-gda": predicted["alternating GDA"], "alt-gda-r1": predicted["alternating GDA + R1"]},
        observed=observed,
        agree=agree,
        reason=(f"amplitude of D(real) - D(fake): {amp['alt-gda']:.4g} without R1 vs "
                f"{amp['alt-gda-r1']:.4g} with R1; the toy predicts cycling vs convergence, so "
                f"the unregularised run should oscillate more (by a factor {AMPLITUDE_RATIO} at "
                f"least to count): {_yes_no(agree)}{spectrum_text}"),
    ))
    # -- mode collapse -----------------------------------------------------------------------
    observed = {}
    for name in ("sim-gda", "extragradient"):
        evals = _evaluations(out / name)
        result = runs[name]["result"]
        last = result.get("evaluation") or (evals[-1] if evals else None)
        hop = None
        if evals:
            k = evals[-1]["n_modes"]
            captured = np.array([_captured_mask(e) for e in evals])
            if captured.ndim == 2 and captured.shape[1] == k and len(evals) >= 2:
                h = mode_hopping(captured)
                hop = {"hops": int(h.n_hops), "visited": int(h.visited), "max_held": int(h.max_held),
                       "hopping": bool(h.hopping)}
        observed[name] = {"status": result["status"], "diverged_at": result.get("diverged_at"),
                          "modes": None if last is None else last["modes"],
                          "kl": None if last is None else last["kl"],
                          "n_modes": None if last is None else last["n_modes"], "hopping": hop,
                          "n_samples": None if last is None else last.get("n_finite", last.get("n_samples")),
                          "modes_over_training": [(e["step"], e["modes"]) for e in evals],
                          "kl_over_training": [(e["step"], e["kl"]) for e in evals]}
    score = {n: _collapse_score(observed[n]) for n in observed}
    agree, noise = _collapse_agreement(score, observed)
    pairs.append(CheckPair(
        name="mode collapse",
        question="Does the rule the toy layer predicts to diverge (simultaneous GDA) lose more modes than the one it predicts to converge (extragradient)?",
        runs={n: runs[n]["rule"] for n in ("sim-gda", "extragradient")},
        predicted={"sim-gda": predicted["simultaneous GDA"], "extragradient": predicted["extragradient"]},
        observed=observed,
        agree=agree,
        reason=(f"collapse score (modes missed, then KL): simultaneous GDA {score['sim-gda']}, "
                f"extragradient {score['extragradient']}; predicted worse for simultaneous GDA: "
                f"{_yes_no(agree)}" + ("" if noise is None else
                                       f" (KL differences below {noise:.2g}, {KL_SIGMAS:g} sd of "
                                       "the sampling noise, do not count)")),
    ))
    _write_report(out, size, pairs, runs)
    return pairs


def _yes_no(agree) -> str:
    return {True: "yes", False: "no", None: "inconclusive"}[agree]


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


def _collapse_agreement(score: dict, observed: dict):
    """Simultaneous GDA should miss more modes, or at equal modes have a larger KL; a KL
    difference within the sampling noise is inconclusive. Returns (agree, noise)."""
    sim, eg = score["sim-gda"], score["extragradient"]
    if sim[0] != eg[0]:
        return sim[0] > eg[0], None
    if math.isinf(sim[1]) or math.isinf(eg[1]):
        return (None if sim[1] == eg[1] else sim[1] > eg[1]), None
    k = observed["sim-gda"]["n_modes"]
    n = min(observed[name].get("n_samples") or 0 for name in ("sim-gda", "extragradient"))
    if not n:
        return None, None
    noise = KL_SIGMAS * math.sqrt(2) * math.sqrt(2 * (k - 1)) / (2 * n)
    if abs(sim[1] - eg[1]) < noise:
        return None, noise
    return sim[1] > eg[1], noise


def _captured_mask(evaluation: dict):
    counts = evaluation.get("counts")
    return None if counts is None else np.asarray(counts) > 0


def _collapse_score(observed: dict):
    if observed["status"] == "diverged" or observed["modes"] is None:
        return (math.inf, math.inf)
    kl = observed["kl"] if observed["kl"] is not None else math.inf
    return (observed["n_modes"] - observed["modes"], round(float(kl), 4))


def _write_report(out: Path, size: str, pairs: list[CheckPair], runs: dict) -> None:
    from ..plots import save_figure, use_style

    use_style()
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 4, figsize=(18, 4))
    for name, color in (("alt-gda", "C1"), ("alt-gda-r1", "C0")):
        steps, gap = _series(out / name, "gap")
        axes[0].plot(steps, gap, color=color, label=name)
    axes[0].set(title="oscillation: D(real) - D(fake)", xlabel="step", ylabel="gap")
    axes[0].legend()
    for name, color, marker in (("alt-gda", "C1", "o"), ("alt-gda-r1", "C0", "s")):
        spec = pairs[0].observed[name]["spectrum"]
        if spec:
            batches = [b["eigenvalues"] for b in spec.get("batches") or [spec] if b["eigenvalues"]]
            values = np.concatenate([np.array(b) for b in batches])
            label = name if len(batches) == 1 else f"{name} ({len(batches)} batches)"
            axes[1].scatter(values[:, 0], values[:, 1], color=color, marker=marker, alpha=0.6, label=label)
    axes[1].axvline(0, color="0.5", lw=0.8)
    axes[1].set(title="trained game: eigenvalues of largest |Im|", xlabel="Re", ylabel="Im")
    axes[1].legend()
    for ax, key, title, label in ((axes[2], "modes_over_training", "modes captured during training", "modes"),
                                  (axes[3], "kl_over_training", "KL(mode histogram || uniform)", "KL")):
        for name, color in (("sim-gda", "C3"), ("extragradient", "C2")):
            series = pairs[1].observed[name][key]
            if series:
                s, v = zip(*series)
                v = [math.nan if x is None else x for x in v]  # not finite (e.g. no finite sample)
                ax.plot(s, v, "o-", color=color, label=name)
        ax.set(title=title, xlabel="step", ylabel=label)
        ax.legend()
    fig.suptitle(f"bridge-check ({size}): prediction from the toy layer vs observation on a real GAN")
    save_figure(fig, out / "bridge_check.png")
    plt.close(fig)

    toy = next(iter(pairs[0].predicted.values()))
    step = ("the same step size" if runs["alt-gda"]["config"].base == "none" else
            f"the rule without its {runs['alt-gda']['config'].base} preconditioner (whose spectrum is "
            f"not stationary), at the toy step size {toy['lr']}")
    lines = [f"# bridge-check ({size})", "",
             f"Prediction: the toy layer (the Dirac GAN at its equilibrium, same rule and loss, {step}). "
             "Observation: the same rule object training a real convolutional GAN with "
             "`gamedyn.bridge` (see each run's folder).", "",
             "| comparison | run | rule | predicted (toy rho, regime) | observed | agree |",
             "|---|---|---|---|---|---|"]
    for pair in pairs:
        for name, rule in pair.runs.items():
            p = pair.predicted[name]
            o = pair.observed[name]
            if pair.name == "oscillation":
                osc = o["oscillation"]["gap"]
                period = "none" if osc["period_steps"] is None else f"{osc['period_steps']:.0f} steps"
                spec = o["spectrum"]
                top = max(spec["eigenvalues"], key=lambda v: abs(v[1])) if spec else None
                several = spec is not None and len(_batch_medians(spec)) > 1
                spec_text = "" if not spec else (
                    f"; trained game{' (first batch)' if several else ''}: eigenvalue of largest |Im| "
                    f"{top[0]:.3g} +- {abs(top[1]):.3g}i (|Im|/|Re| {_rotation(spec):.3g}), median "
                    f"|Im|/|Re| of the {len(spec['eigenvalues'])} found {_spread(_batch_medians(spec))}")
                seen = f"{o['status']}; gap amplitude {osc['amplitude']:.4g}, period {period}{spec_text}"
            else:
                hop = o["hopping"]
                hop_text = ("" if not hop else "; no mode hopping" if not hop["hops"]
                            else f"; {hop['hops']} mode hops, {hop['visited']} modes visited")
                seen = f"{o['status']}; modes {o['modes']} of {o['n_modes']}, KL {o['kl'] if o['kl'] is None else round(o['kl'], 4)}{hop_text}"
            lines.append(f"| {pair.name} | {name} | `{rule}` | {p['spectral_radius']:.4f}, {p['regime']} | {seen} | "
                         f"{_yes_no(pair.agree)} |")
    lines += ["", *[f"* **{p.name}** ({p.verdict}) — {p.question} {p.reason}." for p in pairs], "",
              "![bridge-check](bridge_check.png)", ""]
    environments = {json.dumps(r["result"].get("environment") or {}, sort_keys=True) for r in runs.values()}
    if environments != {"{}"}:
        described = "; ".join(", ".join(f"{k} {v}" for k, v in json.loads(e).items()) or "not recorded"
                              for e in sorted(environments))
        lines += [f"Runs trained with {described}. A GAN's trajectory amplifies the order of "
                  "floating-point sums, so another thread count or device gives other, equally "
                  "valid runs; the verdicts, not the digits, are what should carry over.", ""]
    atomic_write(out / "report.md", lambda tmp: Path(tmp).write_text("\n".join(lines)))
    payload = [dataclasses.asdict(p) for p in pairs]
    atomic_write(out / "report.json", lambda tmp: Path(tmp).write_text(json.dumps(payload, indent=2, default=str)))


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
                        frozen: bool = True) -> dict:
    """The update-map spectrum of a trained run at its last checkpoint, and optionally the
    linear-response check (:func:`gamedyn.bridge.update_spectrum`,
    :func:`gamedyn.bridge.linear_response`).

    The models, losses (loss, regulariser) and optimiser state are the run's, in float64 on
    ``device``, with spectral norms frozen, on one fixed batch of ``batch`` real images and
    latents (seed ``seed``, default the run's seed + 3). ``rule``: another rule name to
    predict for at the same point (the run's step sizes and base; its base moments carry
    over when both use the same base, its memory starts empty); default the run's own rule
    with its saved state. Returns a JSON-able dict.
    """
    from ._optimizer import GameOptimizer
    from ._update import linear_response, update_spectrum

    run = Path(run)
    config, saved = _read_run(run)
    own = config.rule
    if rule is not None:
        config = dataclasses.replace(config, rule=rule)
    dev = resolve_device(device)
    data, G, D = _rebuild(config, dev, saved)
    batch_seed = config.seed + 3 if seed is None else int(seed)
    closure = _fixed_batch_losses(config, data, G, D, batch, batch_seed, dev)
    the_rule = build_rule(config)
    opt = GameOptimizer(the_rule, G.parameters(), D.parameters())
    stored = _as_double(saved["optimizer"]["state"], dev)
    if config.rule == own:
        opt.load_state_dict({"state": stored, "steps": saved["optimizer"]["steps"]})
    elif config.base != "none":
        # Another rule at the same point: keep the run's base moments (same base), fresh memory.
        opt.state = opt.state._replace(base=tuple(stored["base"]), count=stored["count"])
    out = {"run": str(run), "rule": config.rule, "run_rule": own, "step": saved.get("step"),
           "batch_seed": batch_seed, "base": config.base, "lr": config.lr}
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
        }
    return out
