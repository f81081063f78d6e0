"""Mode collapse on the 2-D ring and grid under VEEGAN's and PacGAN's protocols, trained until
the scores flatten out, next to the published tables and to calibration rows.

For each protocol (``gd.islands.PROTOCOLS``), data set (8-mode ring, 25-mode grid) and method
(plain GAN by simultaneous or alternating Adam, extragradient, optimistic Adam, unrolled GAN,
PacGAN2/3/4) this trains every seed at once (``gd.islands.train_mixture``: one ``jit`` of a
``lax.scan`` over steps, ``vmap`` over seeds, checkpointed every snapshot), scores 2,500
generator samples per seed and snapshot with ``gd.metrics.mode_stats`` (VEEGAN's protocol:
nearest centre, high quality within 3 std, a mode captured by >= 1 high-quality sample; KL of
the high-quality mode histogram against the mixture weights), and writes, atomically, after
every finished run:

* ``results/islands_table.md`` and ``results/islands_table.json`` (rows: protocol, data,
  method, seeds, modes, modes_se, high_quality, high_quality_se, kl, plus calibration rows
  for ``true_samples``, ``blob`` and ``one_mode`` scored by the same scorer);
* ``results/islands_samples.npz``: the final 2,500 samples of every seed, float16, key
  ``"{protocol}/{data}/{method}"``;
* ``results/islands_curves.npz``: modes, high-quality fraction and KL of every seed at every
  snapshot (``"{protocol}/{data}/{method}/{steps|modes|high_quality|kl}"``), for the figure
  and the convergence evidence.

Schedule. The papers train far longer than two cores allow (PacGAN: 400,000 steps at lr 1e-4;
VEEGAN's code: 100,000 at 1e-3). Both protocols here run the same networks and Adam settings
with a step-size schedule in stages (``SCHEDULES``: a larger step, then two tenfold decays),
and the curves show whether the scores have flattened out by the end.

Published numbers (transcribed from the authors' tables):

* VEEGAN, Srivastava et al. (2017), Table 1 (mean of 5 runs): 2D ring GAN 1 mode / 99.3 %
  high quality, ALI 2.8 / 0.13, Unrolled GAN 7.6 / 35.6, VEEGAN 8 / 52.9; 2D grid GAN 3.3 /
  0.5, ALI 15.8 / 1.6, Unrolled GAN 23.6 / 16, VEEGAN 24.6 / 40.
* PacGAN, Lin et al. (2018), Table 1, mean +- standard error over 10 trials: 2D ring GAN
  6.3+-0.5 / 98.2+-0.2 % / KL 0.45+-0.09, ALI 6.6 / 97.6 / 0.36, PacGAN2 7.9+-0.1 /
  95.6+-2.0 / 0.07, PacGAN3 7.8 / 97.7 / 0.10, PacGAN4 7.8 / 95.9 / 0.07; 2D grid GAN
  17.3+-0.8 / 94.8+-0.7 / 0.70, ALI 24.1 / 95.7 / 0.14, PacGAN2 23.8 / 91.3 / 0.13,
  PacGAN3 24.6 / 94.2 / 0.06, PacGAN4 24.8+-0.2 / 93.6+-0.6 / 0.04.

    python benchmarks/islands_table.py                       # everything (hours; resumable)
    python benchmarks/islands_table.py --protocols pacgan --data ring --methods gan,pacgan2
    python benchmarks/islands_table.py --tiny --seeds 2      # seconds: a smoke test

Every run is checkpointed under ``runs/islands_table/`` (``--cache``): an interrupted table
resumes where it stopped, and finished runs are read back, not retrained.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shlex
import sys
import time
from pathlib import Path

import jax
import numpy as np
from _common import write_atomically

import gamedyn as gd

ROOT = Path(__file__).resolve().parents[1]

METHODS = ("gan", "gan_alternating", "extragradient", "optimistic", "unrolled", "pacgan2", "pacgan3", "pacgan4")
LABELS = {
    "gan": "GAN (simultaneous Adam)",
    "gan_alternating": "GAN (alternating Adam)",
    "extragradient": "Extra-Adam (extragradient)",
    "optimistic": "Optimistic Adam",
    "unrolled": "Unrolled GAN (5 steps through Adam)",
    "pacgan2": "PacGAN2",
    "pacgan3": "PacGAN3",
    "pacgan4": "PacGAN4",
    "true_samples": "true samples of the mixture",
    "blob": "best single Gaussian (blob)",
    "one_mode": "collapsed on one mode",
}
PROTOCOL_NAMES = ("veegan", "pacgan")

#: Step-size schedule per (protocol, data set): (steps, lr) stages; snapshots every
#: ``EVERY`` steps. PacGAN's grid needs a longer first stage: with 2,500 steps at 1e-3 its
#: generator had not yet formed the 25 clusters (8 seeds: 12.8 modes, 4.6 % high quality
#: after the decays); with 6,000 (4 seeds) the decays lifted it to 28-72 %; with 10,000
#: (8 seeds) the plain GAN reached 84 % but PacGAN2 41 % (its high-quality fraction was
#: still rising fourfold over the last 2,000 steps at 1e-3) and PacGAN4 4 %. VEEGAN's small
#: networks with a 256-D latent need longer still: after 2,500 + 1,000 + 500 steps its plain
#: GAN was one blob of sd 0.1-0.3 (8 seeds: 0.8 modes, 0.3 % high quality); at lr 1e-3 the
#: high-quality fraction was still climbing (with large swings) at 30,000 steps, and the
#: decays then settled it.
SCHEDULES = {
    ("pacgan", "ring"): ((2500, 1e-3), (1000, 1e-4), (500, 1e-5)),
    ("pacgan", "grid"): ((20000, 1e-3), (2000, 1e-4), (1000, 1e-5)),
    ("veegan", "ring"): ((30000, 1e-3), (5000, 1e-4), (2000, 1e-5)),
    ("veegan", "grid"): ((30000, 1e-3), (5000, 1e-4), (2000, 1e-5)),
}
EVERY = 250
#: Why a row has not been trained yet, where the reason is its cost (measured: seconds per
#: step for 8 seeds on one core of the 2-core Xeon, 2026-12-06).
NOT_YET = {
    ("pacgan", "unrolled"): ("the look-ahead through 5 Adam steps costs 13x a plain step (1.54 s against "
                             "0.115 s per step for 8 seeds): about 1.7 h on the ring and 5.6 h on the grid "
                             "on one core"),
}
#: The tiny smoke configuration: the same code paths, networks and steps cut to seconds.
TINY_SCHEDULE = ((20, 1e-3), (10, 1e-4))
TINY_EVERY = 10
TINY_SIZES = dict(latent_dim=2, gen_hidden=(16,), disc_hidden=(8,), batch_size=32)
N_EVAL = 2500

# (modes, high-quality %) of VEEGAN's Table 1 (means of 5 runs, no errors given).
VEEGAN = {
    "ring": {"gan": (1, 99.3), "unrolled": (7.6, 35.6), "VEEGAN": (8, 52.9), "ALI": (2.8, 0.13)},
    "grid": {"gan": (3.3, 0.5), "unrolled": (23.6, 16), "VEEGAN": (24.6, 40), "ALI": (15.8, 1.6)},
}
# (modes, high-quality %, KL) as mean ± standard error over 10 trials, PacGAN's Table 1.
PACGAN = {
    "ring": {
        "gan": ("6.3 ± 0.5", "98.2 ± 0.2", "0.45 ± 0.09"),
        "pacgan2": ("7.9 ± 0.1", "95.6 ± 2.0", "0.07 ± 0.03"),
        "pacgan3": ("7.8 ± 0.1", "97.7 ± 0.3", "0.10 ± 0.02"),
        "pacgan4": ("7.8 ± 0.1", "95.9 ± 1.4", "0.07 ± 0.02"),
        "ALI": ("6.6 ± 0.3", "97.6 ± 0.4", "0.36 ± 0.04"),
    },
    "grid": {
        "gan": ("17.3 ± 0.8", "94.8 ± 0.7", "0.70 ± 0.07"),
        "pacgan2": ("23.8 ± 0.7", "91.3 ± 0.8", "0.13 ± 0.04"),
        "pacgan3": ("24.6 ± 0.4", "94.2 ± 0.4", "0.06 ± 0.02"),
        "pacgan4": ("24.8 ± 0.2", "93.6 ± 0.6", "0.04 ± 0.01"),
        "ALI": ("24.1 ± 0.4", "95.7 ± 0.6", "0.14 ± 0.03"),
    },
}


# -- training ----------------------------------------------------------------------------
def finished(protocol, data, method, *, schedule, cache: Path, sizes=None) -> bool:
    """True if the last stage's checkpoint holds all of its steps (the run is trained)."""
    tag = f"{protocol}-{data}-{method}{'-tiny' if sizes else ''}-stage{len(schedule) - 1}"
    path = cache / f"{tag}.npz"
    if not path.exists():
        return False
    with np.load(path, allow_pickle=False) as saved:
        return int(saved["steps"]) == sum(n for n, _ in schedule)


def train_one(protocol, data, method, *, seeds, schedule, every, cache: Path, sizes=None):
    """Every stage of one (protocol, data set, method), each checkpointed so that a rerun
    resumes; returns the game and the last stage's result (which holds all snapshots)."""
    result = None
    for i, (steps, lr) in enumerate(schedule):
        game, rule = gd.islands.setup(method, data, protocol=protocol, lr=lr, **(sizes or {}))
        tag = f"{protocol}-{data}-{method}{'-tiny' if sizes else ''}-stage{i}"
        result = gd.islands.train_mixture(
            game, rule, steps, seeds=seeds, snapshot_every=every, n_eval=N_EVAL,
            checkpoint=cache / f"{tag}.npz", start=result,
        )
    return game, result


def mean_se(values):
    """Mean and standard error of the finite values (NaN when there are none / one)."""
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return float("nan"), float("nan")
    return float(v.mean()), float(v.std(ddof=1) / np.sqrt(v.size)) if v.size > 1 else float("nan")


def row(protocol, data, method, modes, hq, kl, *, diverged=0, extra=None):
    """One table row in the binding JSON schema (fractions in [0, 1])."""
    m, m_se = mean_se(modes)
    h, h_se = mean_se(hq)
    k, k_se = mean_se(kl)
    out = {
        "protocol": protocol, "data": data, "method": method, "seeds": int(np.size(modes)),
        "modes": m, "modes_se": m_se, "high_quality": h, "high_quality_se": h_se, "kl": k,
        "kl_se": k_se, "kl_infinite": int(np.sum(~np.isfinite(np.asarray(kl, float)))),
        "diverged": int(diverged),
    }
    out.update(extra or {})
    return out


def calibration_rows(data, seeds, n=N_EVAL):
    """The three calibration answers on ``data``, ``seeds`` draws of ``n`` samples each."""
    game, _ = gd.islands.setup("gan", data, protocol="pacgan")
    rows = []
    for kind in gd.islands.CALIBRATIONS:
        keys = [jax.random.PRNGKey(1000 + s) for s in range(seeds)]
        samples = np.stack([np.asarray(gd.islands.calibration_samples(kind, game, n, k)) for k in keys])
        stats = gd.metrics.mode_stats(samples, game)
        rows.append(row("calibration", data, kind, np.asarray(stats.modes, float),
                        np.asarray(stats.high_quality, float), np.asarray(stats.kl, float)))
    return rows


def summarise(protocol, data, method, game, result, seconds):
    """The run's row (last snapshot), its curves and its final samples."""
    stats = result.mode_stats(game)
    modes = np.asarray(stats.modes, float)
    hq = np.asarray(stats.high_quality, float)
    kl = np.asarray(stats.kl, float)
    failed = result.diverged
    # A diverged seed is a result: it scores what its samples score (NaN samples: 0 modes,
    # no high-quality sample, KL infinite), and the row says how many diverged.
    extra = {
        "steps": int(result.steps),
        "train_seconds": round(float(seconds), 1),
        # Change over the last quarter of training (mean over seeds): the convergence check.
        "modes_change_last_quarter": float(np.mean(modes[:, -1] - modes[:, _quarter(result)])),
        "high_quality_change_last_quarter": float(np.mean(hq[:, -1] - hq[:, _quarter(result)])),
    }
    r = row(protocol, data, method, modes[:, -1], hq[:, -1], kl[:, -1], diverged=int(failed.sum()), extra=extra)
    curves = {"steps": np.asarray(result.snapshot_steps), "modes": modes, "high_quality": hq, "kl": kl}
    samples = np.asarray(result.samples[:, -1], np.float16)
    return r, curves, samples


def _quarter(result):
    steps = np.asarray(result.snapshot_steps)
    return int(np.searchsorted(steps, 0.75 * steps[-1]))


# -- output ------------------------------------------------------------------------------
def load_json(path: Path) -> list:
    if path.exists():
        return json.loads(path.read_text())["rows"]
    return []


def merge(rows, new):
    """``rows`` with ``new`` replacing the row of the same (protocol, data, method)."""
    key = lambda r: (r["protocol"], r["data"], r["method"])  # noqa: E731
    out = {key(r): r for r in rows}
    out[key(new)] = new
    order = {p: i for i, p in enumerate(("calibration", *PROTOCOL_NAMES))}
    methods = {m: i for i, m in enumerate((*gd.islands.CALIBRATIONS, *METHODS))}
    return sorted(out.values(), key=lambda r: (order[r["protocol"]], r["data"] != "ring", methods[r["method"]]))


def save_npz(path: Path, arrays: dict):
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    write_atomically(path, buffer.getvalue())


def load_npz(path: Path) -> dict:
    if not path.exists():
        return {}
    with np.load(path) as data:
        return {k: data[k] for k in data.files}


def fmt(mean, se, digits=1, scale=1.0):
    if not np.isfinite(mean):
        return "–"
    text = f"{mean * scale:.{digits}f}"
    return text + (f" ± {se * scale:.{digits}f}" if np.isfinite(se) else "")


def gate(rows):
    """Mark each trained row with whether it beats the calibration rows: high quality at least
    10x the blob's and above it by more than the row's standard error (``beats_blob``), and
    more modes than the one-mode row by more than the standard error (``beats_one_mode``)."""
    cal = {(r["data"], r["method"]): r for r in rows if r["protocol"] == "calibration"}
    for r in rows:
        if r["protocol"] == "calibration":
            continue
        blob, one = cal.get((r["data"], "blob")), cal.get((r["data"], "one_mode"))
        if blob is None or one is None:
            continue
        hq_ok = r["high_quality"] >= 10 * blob["high_quality"] and (
            r["high_quality"] - blob["high_quality"] > (r["high_quality_se"] if np.isfinite(r["high_quality_se"]) else 0)
        )
        modes_ok = r["modes"] - one["modes"] > (r["modes_se"] if np.isfinite(r["modes_se"]) else 0)
        r["beats_blob"] = bool(hq_ok)
        r["beats_one_mode"] = bool(modes_ok)


def verdicts(rows) -> list[str]:
    """What the rows show against the calibration rows and between methods, said from the
    numbers (never more than they show)."""
    out = []
    trained = [r for r in rows if "beats_blob" in r]
    if trained:
        weak = [f"{r['protocol']}/{r['data']}/{r['method']}" for r in trained if not r["beats_blob"]]
        single = [f"{r['protocol']}/{r['data']}/{r['method']}" for r in trained if not r["beats_one_mode"]]
        out.append(f"* Calibration: {len(trained) - len(weak)} of {len(trained)} rows have a high-quality fraction at "
                   "least 10x the best single Gaussian's (and above it by more than their standard error)"
                   + (f"; not: {', '.join(weak)}" if weak else "") + ". "
                   f"{len(trained) - len(single)} of {len(trained)} capture more modes than the one-mode row by more "
                   "than their standard error" + (f"; not: {', '.join(single)}" if single else "") + ".")
    for protocol in PROTOCOL_NAMES:
        for data, remedy in ((d, m) for d in ("ring", "grid") for m in METHODS if m != "gan"):
            got = {r["method"]: r for r in rows if r["protocol"] == protocol and r["data"] == data}
            if "gan" not in got or remedy not in got:
                continue
            a, b = got[remedy], got["gan"]
            diff = a["modes"] - b["modes"]
            se = float(np.hypot(a["modes_se"], b["modes_se"]))
            if diff > 2 * se:
                word = f"more modes than the plain GAN by {diff:.1f} (more than two standard errors, {2 * se:.2f})"
            elif diff < -2 * se:
                word = f"fewer modes than the plain GAN by {-diff:.1f} (more than two standard errors, {2 * se:.2f})"
            else:
                word = f"a difference of {diff:+.1f} modes from the plain GAN, within two standard errors ({2 * se:.2f}): no ordering shown"
            weak = [x for x in (a, b) if not x.get("beats_blob", True)]
            if weak:
                # a spread-out generator scores modes as the blob does: the count means no coverage
                word += ("; but " + " and ".join(f"{LABELS[x['method']]}'s high-quality fraction "
                                                  f"({100 * x['high_quality']:.1f} %)" for x in weak)
                         + " is not 10x the best single Gaussian's, so its mode count is what a spread-out "
                         "generator scores, not coverage: no ordering shown")
            out.append(f"* {protocol} / {data}: {LABELS[remedy]} captures {word}.")
    return out


def render(rows, command, seconds, schedules, tiny) -> str:
    lines = [
        "# Mode collapse on the 2-D ring and grid: VEEGAN's and PacGAN's protocols, trained to convergence",
        "",
        f"Made by `{command}` (last invocation {seconds / 60:.1f} min on {os.cpu_count()} cores; "
        "finished runs are read back from their checkpoints under `runs/islands_table/`; each "
        "row's own training time is in `results/islands_table.json`, `train_seconds`). "
        "Scored with `gd.metrics.mode_stats` on 2,500 generator samples per seed: each sample "
        "belongs to its nearest centre; high quality = within 3 standard deviations of it; a mode "
        "is captured if at least one high-quality sample belongs to it (VEEGAN Sec. 5.1); KL = "
        "KL(histogram of high-quality samples over modes || mixture weights). Ours: mean ± "
        "standard error over seeds. Every seed's final samples are in "
        "`results/islands_samples.npz`; the curves over training in `results/islands_curves.npz`.",
        "",
    ]
    if tiny:
        lines += ["**Tiny smoke configuration (networks and steps cut to seconds): not a result.**", ""]
    for protocol in PROTOCOL_NAMES:
        lines += [f"## {protocol.upper() if protocol == 'pacgan' else 'VEEGAN'} protocol", "",
                  gd.islands.protocol_text(protocol), "",
                  f"Ours: the same networks and Adam settings with the step-size schedule below (snapshots "
                  f"every {EVERY} steps); `gd.islands.setup(method, data, protocol={protocol!r})`.", ""]
        for data in ("ring", "grid"):
            k = 8 if data == "ring" else 25
            sched = " then ".join(f"{n:,} at lr {lr:g}" for n, lr in schedules[protocol, data])
            got = [r for r in rows if r["protocol"] == protocol and r["data"] == data]
            cal = [r for r in rows if r["protocol"] == "calibration" and r["data"] == data]
            lines += [
                f"### 2-D {data} ({k} modes, std {0.01 if data == 'ring' else 0.05})", "",
                f"Schedule: {sched}.", "",
                f"| method | seeds | modes (of {k}) | high quality % | KL | diverged | Δ modes / Δ HQ % over the last quarter | published |",
                "|---|---|---|---|---|---|---|---|",
            ]
            for r in cal:
                lines.append(
                    f"| *calibration: {LABELS[r['method']]}* | {r['seeds']} | {fmt(r['modes'], r['modes_se'])} | "
                    f"{fmt(r['high_quality'], r['high_quality_se'], 2, 100)} | {fmt(r['kl'], r['kl_se'], 2)} | | | |"
                )
            done = {r["method"]: r for r in got}
            for method in METHODS:
                pub = published(protocol, data, method)
                if method not in done:
                    why = NOT_YET.get((protocol, method))
                    lines.append(f"| {LABELS[method]} | not yet run{': ' + why if why else ''} | | | | | | {pub} |")
                    continue
                r = done[method]
                inf = f" ({r['kl_infinite']} inf)" if r["kl_infinite"] else ""
                lines.append(
                    f"| {LABELS[method]} | {r['seeds']} | {fmt(r['modes'], r['modes_se'])} | "
                    f"{fmt(r['high_quality'], r['high_quality_se'], 1, 100)} | {fmt(r['kl'], r['kl_se'], 2)}{inf} | "
                    f"{r['diverged']} | {r['modes_change_last_quarter']:+.2f} / {100 * r['high_quality_change_last_quarter']:+.1f} | {pub} |"
                )
            lines.append("")
    lines += ["## What the rows show", "", *verdicts(rows), *differences(rows), ""]
    lines += ["## Cost", ""]
    for protocol in PROTOCOL_NAMES:
        spent = [r["train_seconds"] for r in rows if r["protocol"] == protocol and "train_seconds" in r]
        if spent:
            lines.append(f"* {protocol}: {len(spent)} runs of {rows_seeds(rows, protocol)} seeds, {sum(spent) / 3600:.2f} h of "
                         f"training on {os.cpu_count()} cores ({min(spent) / 60:.1f} to {max(spent) / 60:.1f} min a run).")
    lines += ["", "## Deviations from the papers, for every row", "", *DEVIATIONS]
    return "\n".join(lines) + "\n"


def rows_seeds(rows, protocol):
    return "/".join(sorted({str(r["seeds"]) for r in rows if r["protocol"] == protocol}))


def differences(rows) -> list[str]:
    """Per row with a published counterpart: the gap in numbers, said plainly."""
    out = []
    for r in rows:
        if r["protocol"] == "pacgan" and r["method"] in PACGAN[r["data"]]:
            pub = PACGAN[r["data"]][r["method"]]
            m, h = (float(pub[0].split(" ")[0]), float(pub[1].split(" ")[0]))
        elif r["protocol"] == "veegan" and r["method"] in VEEGAN[r["data"]]:
            m, h = VEEGAN[r["data"]][r["method"]]
        else:
            continue
        out.append(
            f"* {r['protocol']} / {r['data']} / {LABELS[r['method']]}: {r['modes']:.1f} modes against {m:g} published "
            f"({r['modes'] - m:+.1f}), {100 * r['high_quality']:.1f} % high quality against {h:g} % "
            f"({100 * r['high_quality'] - h:+.1f} points)."
        )
    if out:
        out.insert(0, "* Against the published rows (the causes we know are under \"Deviations\"):")
    return out


DEVIATIONS = [
    "* Length: the papers train 400,000 (PacGAN) and 100,000 (VEEGAN's code) steps at one step size; ours "
    "train the same networks for 4,000 steps (13,000 on PacGAN's grid), most of them at 1e-3 (10x PacGAN's "
    "step size, VEEGAN's own) then two tenfold decays (each section names its schedule). The Δ column (change of the seed-mean over the last quarter of training) and "
    "`figures/islands.png` show how flat the scores are at the end; a row whose Δ is not small has not "
    "converged and says less than its value.",
    "* Data: PacGAN draws its minibatches from one fixed set of 100,000 samples; ours are fresh exact "
    "samples every step (the same distribution; no finite-sample overfitting).",
    "* Batch normalisation: PacGAN's generator uses population statistics (running averages) when it "
    "generates the 2,500 scored samples; ours uses the statistics of those 2,500 latents (a pure "
    "function, no running state). With 2,500 i.i.d. latents the two differ by sampling error only.",
    "* VEEGAN's text gives no 2-D architecture; ours is that of the 2-D notebook in the VEEGAN authors' "
    "repository (a 2019 rewrite; the 2017 original is not there): 256-D latent (its 254 + 1 noise "
    "inputs, rounded to Metz et al.'s 256); two ReLU layers of 128; one-layer "
    "discriminator of 128; Adam 1e-3, b1 0.5; minibatch 500) with LeCun-normal weights instead of "
    "TensorFlow's Glorot-uniform default. Their unrolled GAN follows Metz et al. (2017): 5 look-ahead "
    "steps of the discriminator's own Adam, differentiated through (ours too: `look_ahead='base'`).",
    "* Rows the papers do not have (alternating, Extra-Adam, optimistic Adam, unrolled under PacGAN's "
    "networks, PacGAN under VEEGAN's) use the same networks and schedule as their protocol's plain GAN.",
    "* Seeds: 8 per row (PacGAN: 10 trials; VEEGAN: 5 runs); ± is the standard error over seeds.",
]


def published(protocol, data, method):
    if protocol == "veegan" and method in VEEGAN[data]:
        m, h = VEEGAN[data][method]
        return f"VEEGAN T1: {m} / {h} %"
    if protocol == "pacgan" and method in PACGAN[data]:
        return "PacGAN T1: " + " / ".join(PACGAN[data][method])
    return ""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description="Modes captured, high-quality fraction and KL on the 2-D ring and grid under "
        "VEEGAN's and PacGAN's protocols, next to the published tables and calibration rows.",
        epilog="Examples: python benchmarks/islands_table.py; python benchmarks/islands_table.py "
        "--protocols pacgan --data ring --methods gan,pacgan2; python benchmarks/islands_table.py --tiny",
    )
    parser.add_argument("--protocols", default="veegan,pacgan", help="veegan, pacgan or both")
    parser.add_argument("--data", default="ring,grid", help="ring, grid or both")
    parser.add_argument("--methods", default=",".join(METHODS), help=f"subset of {','.join(METHODS)}")
    parser.add_argument("--seeds", type=int, default=8, help="seeds per row (default 8)")
    parser.add_argument("--tiny", action="store_true", help="smoke test: tiny networks, a few steps")
    parser.add_argument("--results", default=None,
                        help="folder of the outputs (default results/; with --tiny, runs/islands_table/tiny-results, "
                             "so a smoke test never touches the committed table)")
    parser.add_argument("--cache", default=str(ROOT / "runs" / "islands_table"),
                        help="checkpoints of every run (resumed on a rerun)")
    parser.add_argument("--read-back", action="store_true",
                        help="train nothing: rebuild the rows of the selected runs that are already trained")
    args = parser.parse_args(argv)

    def choices(text, allowed, flag):
        items = tuple(t for t in text.split(",") if t)
        bad = sorted(set(items) - set(allowed))
        if bad or not items:
            parser.error(f"{flag} {text!r}: unknown {bad}; choose from {', '.join(allowed)}")
        return items

    protocols = choices(args.protocols, PROTOCOL_NAMES, "--protocols")
    datasets = choices(args.data, ("ring", "grid"), "--data")
    methods = choices(args.methods, METHODS, "--methods")
    if args.seeds < 2:
        parser.error(f"--seeds {args.seeds}: expected at least 2 (a standard error needs two)")
    gd.enable_x64()
    cache = Path(args.cache)
    results = Path(args.results) if args.results else (cache / "tiny-results" if args.tiny else ROOT / "results")
    names = ("islands_table.json", "islands_table.md", "islands_samples.npz", "islands_curves.npz")
    json_path, md_path, samples_path, curves_path = (results / n for n in names)
    schedules = {key: TINY_SCHEDULE for key in SCHEDULES} if args.tiny else SCHEDULES
    every = TINY_EVERY if args.tiny else EVERY
    sizes = TINY_SIZES if args.tiny else None
    command = "python " + " ".join(shlex.quote(a) for a in ["benchmarks/islands_table.py", *(argv if argv is not None else sys.argv[1:])])
    start = time.perf_counter()

    # A row trained under another schedule (an earlier version of SCHEDULES) is dropped, with
    # its samples and curves: it would be read as a result of the schedule the table states.
    total = {key: sum(n for n, _ in stages) for key, stages in schedules.items()}
    rows = [r for r in load_json(json_path)
            if r["protocol"] == "calibration" or r.get("steps") == total[r["protocol"], r["data"]]]
    kept = {f"{r['protocol']}/{r['data']}/{r['method']}" for r in rows}
    for path in (samples_path, curves_path):
        arrays = load_npz(path)
        pruned = {k: v for k, v in arrays.items() if "/".join(k.split("/")[:3]) in kept}
        if len(pruned) != len(arrays):
            save_npz(path, pruned)
    mine = []  # this invocation's rows; another invocation may write the table meanwhile
    for data in datasets:
        for r in calibration_rows(data, args.seeds):
            rows = merge(rows, r)
            mine.append(r)

    def write():
        # merge into the table as it is now, so that invocations running side by side (one per
        # core) each add their rows instead of overwriting each other's
        current = [r for r in load_json(json_path)
                   if r["protocol"] == "calibration" or r.get("steps") == total[r["protocol"], r["data"]]]
        for r in mine:
            current = merge(current, r)
        gate(current)
        write_atomically(json_path, json.dumps({"rows": current}, indent=1, allow_nan=True) + "\n")
        write_atomically(md_path, render(current, command, time.perf_counter() - start, schedules, args.tiny))

    write()
    for protocol in protocols:
        for data in datasets:
            for method in methods:
                if args.read_back and not finished(protocol, data, method, schedule=schedules[protocol, data],
                                                   cache=cache, sizes=sizes):
                    continue
                tic = time.perf_counter()
                game, result = train_one(protocol, data, method, seeds=args.seeds, schedule=schedules[protocol, data],
                                         every=every, cache=cache, sizes=sizes)
                # Training time accumulates over invocations (a resumed run adds its part).
                clock = cache / f"{protocol}-{data}-{method}{'-tiny' if sizes else ''}.seconds"
                spent = (float(clock.read_text()) if clock.exists() else 0.0) + (
                    0.0 if args.read_back else time.perf_counter() - tic)
                if not args.read_back:
                    write_atomically(clock, f"{spent:.1f}\n")
                r, curves, samples = summarise(protocol, data, method, game, result, spent)
                rows = merge(rows, r)
                mine.append(r)
                key = f"{protocol}/{data}/{method}"
                all_samples = load_npz(samples_path)
                all_samples[key] = samples
                save_npz(samples_path, all_samples)
                all_curves = load_npz(curves_path)
                all_curves.update({f"{key}/{name}": value for name, value in curves.items()})
                save_npz(curves_path, all_curves)
                write()
                print(f"{key:28s} modes {fmt(r['modes'], r['modes_se'])}  HQ {fmt(r['high_quality'], r['high_quality_se'], 1, 100)} %"
                      f"  KL {fmt(r['kl'], r['kl_se'], 2)}  diverged {r['diverged']}  ({time.perf_counter() - tic:.0f} s)", flush=True)
    print(f"wrote {md_path}, {json_path}, {samples_path}, {curves_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
