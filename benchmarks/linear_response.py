"""Does the update-map spectrum of the real network predict what a small perturbation does?

For each rule (simultaneous and alternating GDA, extragradient, optimistic, alternating GDA
with R1, consensus; all on Adam) and seed, this trains the smoke-size DCGAN of
``gamedyn bridge-check`` (10 image islands, width 8, 600 steps, lr 5e-4) and, at its last
checkpoint on a fixed batch, runs ``gd.bridge.linear_response``: the top eigenvalue ``mu`` of
the rule's one-step map (frozen second moment), then the real rule from the checkpoint and
from a point perturbed along the top eigenvector, with the second moment frozen (the model)
and training (the real Adam). The horizons are fixed before looking at the data: 10 steps,
and the predicted e-folding time ``1 / |log |mu||`` (capped at 200); the error at every
horizon 1..200 is kept.

Writes, atomically after every finished (rule, seed):

* ``results/linear_response.json``: ``{"rows": [...]}``, one row per (rule, seed, frozen,
  horizon): ``size, rule, seed, checkpoint_step, predicted_log_growth,
  observed_log_growth, predicted_period, observed_period, frozen, horizon`` (and the tangent
  dynamics' numbers beside them);
* ``results/linear_response.md``: the table, the median relative error, sign agreement, the
  error against horizon; ``results/linear_response.png``: predicted against observed
  log-growth, one point per rule x seed, the diagonal drawn.

The study also separates what breaks the prediction, on seed 0 of every rule:

* **smooth activations** (``activation="smooth"``: GELU-based, infinitely differentiable)
  against the papers' ReLU / LeakyReLU, whose Hessian jumps wherever a unit crosses its kink;
* **the step size**: the same checkpoint and optimiser state with every step size scaled by
  0.1, 0.01 and 0.001 (``run_update_spectrum(lr_scale=...)``), horizon 10, second moment
  frozen. Both the predicted growth per step and the map's change per step shrink with the
  step; the scan shows whether their ratio does.

    python benchmarks/linear_response.py                 # 6 rules x 3 seeds, + smooth seed 0, + the scan
    python benchmarks/linear_response.py --tiny --seeds 1 --rules sim-gda   # a smoke test

Each run folder (``runs/linear_response/``) keeps its training checkpoint and its
``response.json``: an interrupted study resumes where it stopped.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shlex
import sys
import time
from pathlib import Path

import numpy as np
from _common import write_atomically

ROOT = Path(__file__).resolve().parents[1]

RULES = {
    "sim-gda": dict(rule="gda"),
    "alt-gda": dict(rule="gda", alternating=True),
    "extragradient": dict(rule="extragradient"),
    "optimistic": dict(rule="optimistic"),
    "alt-gda-r1": dict(rule="gda", alternating=True, reg="r1", gamma=1.0),
    "consensus": dict(rule="consensus", consensus_gamma=0.1),
}
SMOKE = dict(data="islands", n_data=2000, width=8, batch=32, steps=600, log_every=50, eval_every=600,
             eval_samples=1000, classifier_steps=100, sample_every=600, checkpoint_every=200, lr=5e-4,
             base="adam", feature_metrics="never")
TINY = dict(data="islands", n_data=100, width=2, batch=8, steps=4, log_every=2, eval_every=4, eval_samples=100,
            classifier_steps=20, sample_every=4, checkpoint_every=4, lr=5e-4, base="adam", feature_metrics="never")
HORIZON, TINY_HORIZON = 200, 5
#: The step-size scan: factors of every step size, the horizon they run to, the seeds scanned.
SCALES, SCAN_HORIZON = (0.1, 0.01, 0.001), 10
#: The arms: the papers' DCGAN on Adam; the same with smooth activations; and the smooth one
#: trained by the rule without a base (plain gradient steps, at a step size that trains it).
ARMS = {"relu": dict(activation="relu"), "smooth": dict(activation="smooth"),
        "plain": dict(activation="smooth", base="none", lr=0.02)}
#: The perturbation: small against float64 rounding of O(1) parameters (1e-16) by ten orders,
#: small against the nonlinearity (checked by the tangent column).
EPS = 1e-6


def one(rule_name, seed, *, cache: Path, tiny: bool, arm: str = "relu", scan: bool = False):
    """Train (or resume) one run and run the linear-response check, frozen and not (and the
    step-size scan when ``scan``)."""
    import gamedyn as gd
    from gamedyn.bridge._check import run_update_spectrum

    settings = ARMS[arm]
    folder = _folder(cache, arm, seed, rule_name, tiny)
    done = folder / "response.json"
    if done.exists():
        saved = json.loads(done.read_text())
        # responses written before the map's drift was measured are redone (training is kept)
        if all("map_drift" in r["linear_response"] for r in saved["responses"].values()):
            saved.setdefault("activation", settings["activation"])
            saved.setdefault("arm", arm)
            return scanned(saved, folder, tiny) if scan else saved
    config = gd.bridge.TrainConfig(**{**(TINY if tiny else SMOKE), **RULES[rule_name], **settings}, seed=seed,
                                   out=str(folder / "run"))
    tic = time.perf_counter()
    gd.bridge.train(config, progress=False, resume=(folder / "run" / "checkpoint.pt").exists())
    train_seconds = time.perf_counter() - tic
    out = {"rule": rule_name, "seed": seed, "arm": arm, "activation": settings["activation"], "base": config.base,
           "train_seconds": round(train_seconds, 1), "responses": {}}
    # without a base there is no second moment to freeze: one response
    for frozen in (True, False) if config.base != "none" else (True,):
        tic = time.perf_counter()
        result = run_update_spectrum(folder / "run", k=2 if tiny else 6, tol=1e-6 if tiny else 1e-8, response=True,
                                     horizon=TINY_HORIZON if tiny else HORIZON, eps=EPS, frozen=frozen)
        result["seconds"] = round(time.perf_counter() - tic, 1)
        out["responses"]["frozen" if frozen else "unfrozen"] = result
    write_atomically(done, json.dumps(out, indent=1) + "\n")
    return scanned(out, folder, tiny) if scan else out


def _folder(cache: Path, arm: str, seed: int, rule: str, tiny: bool) -> Path:
    return cache / f"{rule}-s{seed}{'' if arm == 'relu' else '-' + arm}{'-tiny' if tiny else ''}"


def _finished(cache: Path, job, tiny: bool) -> bool:
    """Whether a job's run and (if asked) its scan are all in the cache already."""
    arm, seed, rule, scan = job
    done = _folder(cache, arm, seed, rule, tiny) / "response.json"
    if not done.exists():
        return False
    return not scan or all(str(s) in json.loads(done.read_text()).get("scan", {}) for s in SCALES)


def scanned(saved: dict, folder: Path, tiny: bool) -> dict:
    """``saved`` with the step-size scan (frozen second moment) added: one entry per factor
    of the step sizes, each written to ``response.json`` as it finishes."""
    from gamedyn.bridge._check import run_update_spectrum

    scan = saved.setdefault("scan", {})
    for scale in SCALES:
        if str(scale) in scan:
            continue
        tic = time.perf_counter()
        result = run_update_spectrum(folder / "run", k=2 if tiny else 6, tol=1e-6 if tiny else 1e-8, response=True,
                                     horizon=TINY_HORIZON if tiny else SCAN_HORIZON, eps=EPS, frozen=True,
                                     lr_scale=scale)
        r = result["linear_response"]
        scan[str(scale)] = {"lr": result["lr"], "rho": result["rho"], "eigenvalues": result["eigenvalues"],
                            "at_10": r["at_10"], "observed_log_growth": r["observed_log_growth"],
                            "tangent_log_growth": r["tangent_log_growth"], "map_drift": r["map_drift"],
                            "seconds": round(time.perf_counter() - tic, 1)}
        write_atomically(folder / "response.json", json.dumps(saved, indent=1) + "\n")
    return saved


def scan_rows(result) -> list[dict]:
    """The step-size scan of one run: scale 1 from its frozen response, then each factor."""
    if "scan" not in result:
        return []
    frozen = result["responses"]["frozen"]
    entries = [(1.0, frozen["lr"], frozen["linear_response"]["at_10"], frozen["linear_response"]["map_drift"])]
    entries += [(float(k), v["lr"], v["at_10"], v["map_drift"]) for k, v in result["scan"].items()]
    out = []
    for scale, lr, at, drift in sorted(entries, key=lambda e: -e[0]):
        p, h = at["predicted_log_growth"], at["horizon"]
        # the map's change per step (the drift after h - 1 steps over h - 1) against the
        # predicted growth per step: what the linearisation must be small against
        rate = drift[h - 1] / (h - 1) if h > 1 and len(drift) >= h else None
        out.append({"rule": result["rule"], "seed": result["seed"], "arm": result.get("arm", "relu"),
                    "activation": result.get("activation", "relu"), "base": result.get("base", "adam"),
                    "lr_scale": scale, "lr": lr, "horizon": h, "predicted_log_growth": p,
                    "observed_log_growth": at["observed_log_growth"], "tangent_log_growth": at["tangent_log_growth"],
                    "relative_error": abs(at["observed_log_growth"] - p) / abs(p) if p else None,
                    "drift_per_step": rate, "drift_over_growth": rate / abs(math.expm1(-p)) if rate is not None and p else None})
    return out


def rows_of(result, size):
    out = []
    activation = result.get("activation", "relu")
    arm = result.get("arm", "relu")
    for key, spec in result["responses"].items():
        r = spec["linear_response"]
        for label, at in (("10", r["at_10"]), ("e_folding", r["at_e_folding"])):
            out.append({
                "size": size, "rule": result["rule"], "seed": result["seed"], "activation": activation, "arm": arm,
                "base": result.get("base", "adam"),
                "checkpoint_step": spec["step"],
                "predicted_log_growth": at["predicted_log_growth"], "observed_log_growth": at["observed_log_growth"],
                "tangent_log_growth": at["tangent_log_growth"], "predicted_period": at["predicted_period"],
                "observed_period": at["observed_period"], "frozen": key == "frozen", "horizon": at["horizon"],
                "horizon_kind": label, "rho": spec["rho"], "n": spec["n"],
                "norm_log_growth": at.get("norm_log_growth"), "map_drift": at.get("map_drift"),
                "map_drift_1": r["map_drift"][1] if len(r.get("map_drift") or []) > 1 else None,
            })
    return out


def relative_error(row):
    p = row["predicted_log_growth"]
    return abs(row["observed_log_growth"] - p) / abs(p) if p != 0 else float("inf")


def header(command, seconds, tiny) -> list[str]:
    lines = [
        "# Linear response: the real network's update-map spectrum against a measured perturbation",
        "",
        f"Made by `{command}` ({seconds / 60:.1f} min for this invocation on {os.cpu_count()} cores; finished "
        "runs are read back from `runs/linear_response/`). Each run: the smoke-size DCGAN of `gamedyn "
        "bridge-check` (10 image islands, width 8, Adam lr 5e-4, 600 steps), then at its last checkpoint, on "
        "one fixed batch of 32, `gd.bridge.linear_response` (k = 6, eps = 1e-6, float64): predicted = log |mu| "
        "of the top eigenvalue of the rule's one-step map with Adam's second moment frozen; observed = growth "
        "per step of the difference of two real trajectories (from the checkpoint and from it + eps along the "
        "top eigenvector) in the eigenvector's plane; tangent = the same for the linearised dynamics integrated "
        "along the base trajectory. Horizons fixed in advance: 10 steps, and the predicted e-folding time "
        "1/|log |mu|| (at most 200).",
        "",
    ]
    if tiny:
        lines += ["**Tiny smoke configuration (networks and steps cut to seconds): not a result.**", ""]
    return lines


def title(frozen: bool, base: str) -> str:
    if base == "none":
        return "No base: the update map is the rule's own (nothing to freeze)"
    return "Frozen second moment (the model)" if frozen else "Real Adam (second moment training)"


def tables(rows, suffix: str) -> list[str]:
    """The frozen and real-Adam tables of ``rows`` (headings end with ``suffix``)."""
    lines = []
    for frozen in (True, False):
        sel = [r for r in rows if r["frozen"] == frozen]
        if not sel:
            continue
        at10 = [r for r in sel if r["horizon_kind"] == "10"]
        errors = [relative_error(r) for r in at10]
        signs = [np.sign(r["observed_log_growth"]) == np.sign(r["predicted_log_growth"]) for r in at10]
        lines += [
            f"## {title(frozen, sel[0].get('base', 'adam'))}{suffix}",
            "",
            f"At 10 steps: median relative error {100 * float(np.median(errors)):.1f} % over {len(at10)} rule x seed "
            f"runs (quartiles {100 * np.percentile(errors, 25):.1f} to {100 * np.percentile(errors, 75):.1f} %); "
            f"sign of the log-growth agrees in {sum(signs)} of {len(signs)}.",
            "",
            "| rule | seed | step | horizon | predicted log-growth | observed | tangent | error | predicted period | observed period |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in sel:
            period = lambda v: "–" if v is None or not np.isfinite(v) else f"{v:.1f}"  # noqa: E731
            lines.append(
                f"| {r['rule']} | {r['seed']} | {r['checkpoint_step']} | {r['horizon']} ({r['horizon_kind'].replace('_', '-')}) | "
                f"{r['predicted_log_growth']:+.4g} | {r['observed_log_growth']:+.4g} | {r['tangent_log_growth']:+.4g} | "
                f"{100 * relative_error(r):.1f} % | {period(r['predicted_period'])} | {period(r['observed_period'])} |"
            )
        lines.append("")
    return lines


def render(rows, results, command, seconds, tiny, smooth_rows=(), scan=(), plain_rows=()) -> str:
    relu = [r for r in results if r.get("arm", "relu") == "relu"]
    lines = header(command, seconds, tiny) + tables(rows, "")
    lines += ["## Error against horizon (frozen, median over rules x seeds)", "",
              "| horizon | observed vs predicted | tangent vs predicted | observed vs tangent |", "|---|---|---|---|"]
    curves = [(res["responses"]["frozen"]["linear_response"], res["responses"]["frozen"]["log_growth"])
              for res in relu if "frozen" in res["responses"]]
    for h in (1, 2, 5, 10, 20, 50, 100, 200):
        obs, tan, both = [], [], []
        for r, p in curves:
            if h <= len(r["observed_log_growth"]):
                o, t = r["observed_log_growth"][h - 1], r["tangent_log_growth"][h - 1]
                obs.append(abs(o - p) / abs(p))
                tan.append(abs(t - p) / abs(p))
                both.append(abs(o - t) / max(abs(t), 1e-300))
        if obs:
            lines.append(f"| {h} | {100 * np.median(obs):.1f} % | {100 * np.median(tan):.1f} % | {100 * np.median(both):.1f} % |")
    lines += ["", "Observed vs tangent isolates the perturbation's nonlinearity; tangent vs predicted the frozen-point "
              "model (the update map changes along the trajectory as the parameters move).", ""]
    drifts = [r for r in rows if r["frozen"] and r["horizon_kind"] == "10" and r.get("map_drift_1") is not None]
    if drifts:
        one_step = [r["map_drift_1"] for r in drifts]
        at_nine = [r["map_drift"] for r in drifts]
        norm = [abs(r["norm_log_growth"] - r["predicted_log_growth"]) / abs(r["predicted_log_growth"]) for r in drifts]
        lines += ["## Why: the update map drifts", "",
                  "`map_drift` = |J(s_t) d - J(s_0) d| / |J(s_0) d|: how differently the update Jacobian one and nine "
                  "base steps later acts on the perturbation's direction d than at the checkpoint (frozen runs, "
                  f"{len(drifts)} rule x seed runs).", "",
                  f"* after one step: median {100 * np.median(one_step):.1f} % (range {100 * min(one_step):.1f} to "
                  f"{100 * max(one_step):.1f} %); after nine: median {100 * np.median(at_nine):.1f} % (range "
                  f"{100 * min(at_nine):.1f} to {100 * max(at_nine):.1f} %).",
                  f"* the whole difference's norm (not only its part in the eigenvector's plane) grows at a rate "
                  f"{100 * np.median(norm):.1f} % (median) away from log |mu| at 10 steps: the perturbation is not "
                  "merely turned out of the plane, it stops growing as fast.", "",
                  "| rule | seed | drift after 1 step | after 9 | norm log-growth at 10 | predicted |", "|---|---|---|---|---|---|"]
        for r in drifts:
            lines.append(f"| {r['rule']} | {r['seed']} | {100 * r['map_drift_1']:.1f} % | {100 * r['map_drift']:.1f} % | "
                         f"{r['norm_log_growth']:+.4g} | {r['predicted_log_growth']:+.4g} |")
        lines.append("")
    if smooth_rows:
        lines += ["# Smooth activations", "",
                  "The same study on the same DCGAN with `activation=\"smooth\"` (GELU in G, 0.2 x + 0.8 GELU(x) in D: "
                  "infinitely differentiable, so the update map changes continuously with the parameters; ReLU's "
                  "Hessian jumps wherever a unit crosses its kink).", ""]
        lines += tables(smooth_rows, " (smooth activations)")
    if plain_rows:
        lines += ["# Plain gradient steps", "",
                  "The smooth DCGAN trained by each rule without a base (plain gradient steps, lr 0.02): no first "
                  "moment in the state, no preconditioner.", ""]
        lines += tables(plain_rows, "")
    if scan:
        lines += scan_section(scan)
    return "\n".join(lines) + "\n"


def scan_section(scan) -> list[str]:
    """The step-size scan's table and its medians per (activation, factor)."""
    lines = ["# The step size: does a smaller step make the frozen-point prediction hold?", "",
             "The same checkpoint and optimiser state, every step size multiplied by the factor (second moment frozen, "
             f"horizon 10, seed 0). `drift per step` = |J(s_9) d - J(s_0) d| / |J(s_0) d| / 9, the update map's change "
             "per step along the base trajectory; `growth per step` = 1 - 1/|mu| (how far J moves d per step); their "
             "ratio is what the linearisation needs small: if it does not shrink with the step, no step size makes "
             "the prediction hold for 10 steps.", "",
             "| arm | activation | base | factor | runs | median error at 10 | median drift per step / growth per step | sign agrees |",
             "|---|---|---|---|---|---|---|---|"]
    order = {arm: i for i, arm in enumerate(ARMS)}
    keys = sorted({(r["arm"], r["lr_scale"]) for r in scan}, key=lambda k: (order.get(k[0], 9), -k[1]))
    for arm, scale in keys:
        sel = [r for r in scan if (r["arm"], r["lr_scale"]) == (arm, scale)]
        err = [r["relative_error"] for r in sel if r["relative_error"] is not None]
        ratio = [r["drift_over_growth"] for r in sel if r["drift_over_growth"] is not None]
        signs = sum(np.sign(r["observed_log_growth"]) == np.sign(r["predicted_log_growth"]) for r in sel)
        lines.append(f"| {arm} | {sel[0]['activation']} | {sel[0]['base']} | {scale:g} | {len(sel)} | {100 * np.median(err):.1f} % | "
                     f"{np.median(ratio) if ratio else float('nan'):.3g} | {signs} of {len(sel)} |")
    lines += ["", "| rule | arm | factor | lr | predicted log-growth | observed at 10 | error | drift per step / growth |",
              "|---|---|---|---|---|---|---|---|"]
    for r in sorted(scan, key=lambda r: (r["rule"], order.get(r["arm"], 9), -r["lr_scale"])):
        ratio = "–" if r["drift_over_growth"] is None else f"{r['drift_over_growth']:.3g}"
        lines.append(f"| {r['rule']} | {r['arm']} | {r['lr_scale']:g} | {r['lr']:.3g} | "
                     f"{r['predicted_log_growth']:+.4g} | {r['observed_log_growth']:+.4g} | "
                     f"{100 * r['relative_error']:.1f} % | {ratio} |")
    return lines + [""]


def figure(rows, path: Path, scan=()):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3 if scan else 2, figsize=(15 if scan else 10, 4.6))
    for ax, frozen in zip(axes, (True, False)):
        sel = [r for r in rows if r["frozen"] == frozen and r["horizon_kind"] == "10"]
        rules = sorted({r["rule"] for r in sel})
        for i, rule in enumerate(rules):
            pts = [(r["predicted_log_growth"], r["observed_log_growth"]) for r in sel if r["rule"] == rule]
            ax.scatter(*zip(*pts), label=rule, color=f"C{i}", s=18)
        values = [v for r in sel for v in (r["predicted_log_growth"], r["observed_log_growth"])]
        if values:
            lo, hi = min(values), max(values)
            pad = 0.05 * (hi - lo or 1)
            ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], color="0.4", lw=0.8, ls="--")
        ax.set_xlabel("predicted log-growth per step (log |mu|)")
        ax.set_ylabel("observed log-growth per step, 10 steps")
        ax.set_title("second moment frozen" if frozen else "real Adam", fontsize=9)
        if sel:
            ax.legend(fontsize=7)
    if scan:
        ax = axes[2]
        labels = {"relu": "Adam, ReLU (the papers')", "smooth": "Adam, smooth activations",
                  "plain": "no base, smooth activations"}
        for i, arm in enumerate(a for a in ARMS if any(r["arm"] == a for r in scan)):
            sel = [r for r in scan if r["arm"] == arm and r["relative_error"] is not None]
            ax.scatter([r["lr_scale"] for r in sel], [100 * r["relative_error"] for r in sel], color=f"C{i}", s=10,
                       alpha=0.5)
            factors = sorted({r["lr_scale"] for r in sel})
            medians = [100 * float(np.median([r["relative_error"] for r in sel if r["lr_scale"] == f])) for f in factors]
            ax.plot(factors, medians, color=f"C{i}", marker="o", label=f"{labels[arm]}: median over rules")
        ax.axhline(10, color="0.4", lw=0.8, ls="--")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("step size / the run's (same checkpoint and state)")
        ax.set_ylabel("error of the predicted log-growth at 10 steps (%)")
        ax.set_title("the step-size scan (seed 0; dashed: 10 %)", fontsize=9)
        ax.legend(fontsize=7)
    fig.suptitle("Linear response on the smoke DCGAN: predicted vs observed, one point per rule x seed (diagonal "
                 "dashed)" + ("; right: the error against the step size" if scan else ""), fontsize=10)
    fig.tight_layout()
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=120)
    write_atomically(path, buffer.getvalue())
    plt.close(fig)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Linear-response check of the update-map spectrum on the smoke DCGAN.")
    parser.add_argument("--rules", default=",".join(RULES), help=f"subset of {','.join(RULES)}")
    parser.add_argument("--seeds", type=int, default=3, help="seeds per rule (default 3)")
    parser.add_argument("--smooth-seeds", type=int, default=1,
                        help="seeds per rule of the smooth-activation DCGAN (default 1; 0: none)")
    parser.add_argument("--arms", default=",".join(ARMS),
                        help=f"which arms to run, in this order (default {','.join(ARMS)}); finished runs of the "
                             "others in the cache are read back")
    parser.add_argument("--plain-seeds", type=int, default=1,
                        help="seeds per rule of the smooth DCGAN trained without a base (default 1; 0: none)")
    parser.add_argument("--scan-seeds", type=int, default=1,
                        help="seeds per rule and activation of the step-size scan (default 1; 0: none)")
    parser.add_argument("--tiny", action="store_true", help="smoke test: tiny networks, a few steps")
    parser.add_argument("--results", default=str(ROOT / "results"), help="folder of the outputs")
    parser.add_argument("--cache", default=str(ROOT / "runs" / "linear_response"), help="run folders (resumed)")
    args = parser.parse_args(argv)
    rules = tuple(r for r in args.rules.split(",") if r)
    bad = sorted(set(rules) - set(RULES))
    if bad or not rules:
        parser.error(f"--rules {args.rules!r}: unknown {bad}; choose from {', '.join(RULES)}")
    if args.seeds < 1:
        parser.error(f"--seeds {args.seeds}: expected at least 1")
    arms = tuple(a for a in args.arms.split(",") if a)
    if not arms or set(arms) - set(ARMS):
        parser.error(f"--arms {args.arms!r}: choose from {', '.join(ARMS)}")
    for name in ("smooth_seeds", "plain_seeds", "scan_seeds"):
        if getattr(args, name) < 0:
            parser.error(f"--{name.replace('_', '-')} {getattr(args, name)}: expected at least 0")
    import torch

    torch.set_num_threads(1)  # tiny tensors on a shared CPU (see tests/bridge/conftest.py)
    results_dir, cache = Path(args.results), Path(args.cache)
    command = "python " + " ".join(shlex.quote(a) for a in ["benchmarks/linear_response.py", *(argv if argv is not None else sys.argv[1:])])
    start = time.perf_counter()
    # the papers' ReLU DCGAN first (every seed), then the smooth one with its scan, then the
    # ReLU scan: each finished (activation, rule, seed) is written at once
    planned = {
        "relu": [("relu", seed, rule, seed < args.scan_seeds) for seed in range(args.seeds) for rule in rules],
        "smooth": [("smooth", seed, rule, seed < args.scan_seeds) for seed in range(args.smooth_seeds) for rule in rules],
        "plain": [("plain", seed, rule, seed < args.scan_seeds) for seed in range(args.plain_seeds) for rule in rules],
    }
    # an arm not asked for still reads back what it has finished (never trains or scans)
    jobs = [job for arm in ARMS if arm not in arms for job in planned[arm]
            if _finished(cache, job, args.tiny)] + [job for arm in arms for job in planned[arm]]
    done: dict = {}
    for arm, seed, rule, scan in jobs:
        res = one(rule, seed, cache=cache, tiny=args.tiny, arm=arm, scan=scan)
        done[arm, rule, seed] = res
        results = list(done.values())
        by_arm = {a: [row for r in results if r.get("arm", "relu") == a for row in rows_of(r, "smoke")] for a in ARMS}
        scan_table = [row for r in results for row in scan_rows(r)]
        write_atomically(results_dir / "linear_response.json", json.dumps(
            {"rows": by_arm["relu"], "smooth_rows": by_arm["smooth"], "plain_rows": by_arm["plain"], "scan": scan_table},
            indent=1) + "\n")
        write_atomically(results_dir / "linear_response.md",
                         render(by_arm["relu"], results, command, time.perf_counter() - start, args.tiny, by_arm["smooth"],
                                scan_table, by_arm["plain"]))
        figure(by_arm["relu"], results_dir / "linear_response.png", scan_table)
        print(f"{arm} {rule} seed {seed}: " + "; ".join(
            f"{k}: predicted {v['log_growth']:+.4g}, observed at 10 {v['linear_response']['at_10']['observed_log_growth']:+.4g}"
            for k, v in res["responses"].items()), flush=True)
    print(f"wrote {results_dir / 'linear_response.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
