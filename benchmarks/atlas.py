"""The stabiliser atlas on the islands: each trick against its own baseline, with seeds, an
interval and the toy model's prediction beside it.

Every row trains PacGAN's 8-mode ring (Lin et al. 2018's networks and Adam settings, the
islands table's schedule: 2,500 steps at 1e-3, 1,000 at 1e-4, 500 at 1e-5; ``gd.islands``)
with ``--seeds`` seeds, the baseline being simultaneous Adam on the non-saturating loss; a
technique changes one thing (a game option or the rule). Scored on the final snapshot: modes
captured, high-quality fraction, KL (``gd.metrics.mode_stats``), the amplitude of the dominant
oscillation of ``D(real) - D(fake)`` over the snapshots (``gd.metrics.dominant_oscillation``),
and the divergence rate. Effects are paired by seed (same initialisation and minibatches)
with a bootstrap 95 % interval (``gd.metrics.paired_difference``). Each technique is run where
the literature recommends it and, where it names one, in a regime where it hurts or does
nothing.

The toy prediction is the sign the Dirac GAN's linearisation gives (``docs/stabilisers.md``,
checked by sympy in ``tests/symbolic/test_stabilisers.py``, and the phase diagrams for k
steps and TTUR), or ``None`` where no toy model exists. The verdict compares our measured
effect with the literature's claim for the row's metric: ``supports`` (the interval lies on
the claimed side of 0), ``contradicts`` (on the other side) or ``inconclusive``.

Outputs: ``results/atlas.json`` (binding schema: rows of technique, setting, data, seeds,
metric, baseline, treated, effect, ci_low, ci_high, toy_prediction, verdict) and
``results/atlas.md``; ``studies/fig_atlas.py`` draws ``figures/atlas.png`` from them. Runs are
checkpointed under ``--cache``: a rerun resumes and reads finished rows back.

    .venv/bin/python benchmarks/atlas.py [--only label_smoothing,ttur] [--seeds 8]
    .venv/bin/python benchmarks/atlas.py --tiny          # smoke test (tiny networks, seconds)
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

import numpy as np

import gamedyn as gd
from _common import check_seeds, chosen_names, write_atomically

ROOT = Path(__file__).resolve().parents[1]
SCHEDULE = ((2500, 1e-3), (1000, 1e-4), (500, 1e-5))
EVERY = 250
N_EVAL = 2500
TINY_SCHEDULE = ((20, 1e-3), (10, 1e-4))
TINY_EVERY = 5
TINY_SIZES = dict(latent_dim=2, gen_hidden=(16,), disc_hidden=(8,), batch_size=32)
METRICS = ("modes", "high_quality", "kl", "oscillation", "diverged")
#: The direction in which each metric improves.
BETTER = {"modes": 1, "high_quality": 1, "kl": -1, "oscillation": -1, "diverged": -1}


def _gda(**options):
    return lambda lr, base: gd.optim.gda(lr, base=base, **options)


#: name -> technique, setting, the literature's claim (its direction, "helps" / "hurts" /
#: "nothing", and source), the game options, the rule as a function of (stage lr, base), the
#: base ("adam", "rmsprop" or None for plain steps), and the toy prediction with its source.
TECHNIQUES = {
    "label_smoothing": dict(
        technique="one-sided label smoothing", setting="s = 0.1",
        claim=("helps", "keeps D from overconfidence (Salimans et al. 2016, Sec. 3.4)"),
        game={"label_smoothing": 0.1}, toy=("none", "Dirac GAN: no local effect (docs/stabilisers.md)")),
    "instance_noise": dict(
        technique="instance noise", setting="sigma = 0.05",
        claim=("helps", "overlapping supports stabilise training (Sønderby et al. 2017; Arjovsky & Bottou 2017)"),
        game={"instance_noise": 0.05}, toy=("helps", "Dirac GAN: damping sigma^2/4 (docs/stabilisers.md)")),
    "instance_noise_large": dict(
        technique="instance noise", setting="sigma = 0.5 (larger than the modes' spacing)",
        claim=("hurts", "noise that merges the modes hides them from D (Sønderby et al. 2017 anneal it)"),
        game={"instance_noise": 0.5}, toy=("helps", "Dirac GAN: more damping (local model, one mode)")),
    "spectral_norm": dict(
        technique="spectral normalisation of D", setting="every dense layer",
        claim=("helps", "a 1-Lipschitz D stabilises training (Miyato et al. 2018)"),
        game={"spectral_norm": True}, toy=(None, "no local linearisation (|psi| / |psi| at 0)")),
    "minibatch_std": dict(
        technique="minibatch standard deviation", setting="one feature",
        claim=("helps", "more variation, less collapse (Karras et al. 2018, Sec. 3)"),
        game={"minibatch_std": True}, toy=(None, "no toy model (a batch statistic)")),
    "minibatch_discrimination": dict(
        technique="minibatch discrimination", setting="B = 5 kernels of dimension 3",
        claim=("helps", "D sees the batch, G cannot collapse (Salimans et al. 2016, Sec. 3.2)"),
        game={"minibatch_kernels": 5, "minibatch_kernel_dim": 3}, toy=(None, "no toy model (a batch statistic)")),
    "feature_matching": dict(
        technique="feature matching", setting="G matches D's last hidden features",
        claim=("helps", "a stable generator objective (Salimans et al. 2016, Sec. 3.1)"),
        game={"gen_objective": "feature_matching"}, toy=(None, "no toy model (features)")),
    "least_squares": dict(
        technique="LSGAN loss", setting="labels -1, 1, 1",
        claim=("helps", "non-vanishing gradients, more stable (Mao et al. 2017)"),
        game={"loss": "least_squares"}, toy=("none", "Dirac GAN: a pure rotation either way (f''(0) enters only with noise)")),
    "hinge": dict(
        technique="hinge loss", setting="",
        claim=("helps", "the SNGAN / BigGAN default (Lim & Ye 2017; Miyato et al. 2018)"),
        game={"loss": "hinge"}, toy=("none", "Dirac GAN: a pure rotation either way")),
    "wgan_gp": dict(
        technique="WGAN-GP", setting="lambda = 10",
        claim=("helps", "no mode collapse, stable training (Gulrajani et al. 2017)"),
        game={"loss": "wgan_gp", "gp_weight": 10.0}, toy=(None, "no local linearisation (|psi| - 1)^2")),
    "weight_clipping": dict(
        technique="WGAN weight clipping", setting="c = 0.01",
        claim=("helps", "a Lipschitz critic (Arjovsky et al. 2017)"),
        game={"loss": "wasserstein", "clip": 0.01}, toy=("none", "clipping is inactive near the equilibrium")),
    "weight_clipping_tight": dict(
        technique="WGAN weight clipping", setting="c = 0.001 (too tight)",
        claim=("hurts", "too tight a clip leaves a near-linear critic (Gulrajani et al. 2017, Sec. 3)"),
        game={"loss": "wasserstein", "clip": 0.001}, toy=("none", "clipping is inactive near the equilibrium")),
    "k_steps": dict(
        technique="k discriminator steps", setting="k = 5, alternating",
        claim=("helps", "train D closer to optimality (Goodfellow et al. 2014; Arjovsky et al. 2017)"),
        rule=_gda(alternating=True, k=5), toy=("helps", "Dirac GAN + R1 at a small generator step "
                                              "(phase_k_steps_ttur.png, bottom)")),
    "ttur": dict(
        technique="TTUR", setting="lr_y = 4 lr_x",
        claim=("helps", "converges to a local Nash equilibrium (Heusel et al. 2017)"),
        rule=lambda lr, base: gd.optim.gda((lr, 4 * lr), base=base),
        toy=("helps", "phase_k_steps_ttur.png: a larger ratio converges faster at a small generator step")),
    "rmsprop": dict(
        technique="RMSProp instead of Adam", setting="decay 0.9",
        claim=("nothing", "WGAN's recommended optimiser (Arjovsky et al. 2017); no claim against Adam"),
        base="rmsprop", toy=(None, "no toy prediction for the preconditioner")),
    "sgd": dict(
        technique="plain gradient steps instead of Adam", setting="same step sizes",
        claim=("hurts", "Adam is the DCGAN recipe (Radford et al. 2016)"),
        base=None, toy=(None, "no toy prediction for the preconditioner")),
    "pacgan2": dict(
        technique="PacGAN2", setting="packs of 2",
        claim=("helps", "packing penalises mode collapse (Lin et al. 2018)"),
        game={"pack": 2}, toy=(None, "no toy model (a batch statistic)")),
}


#: The image-only techniques (no 2-D analogue): trained with ``gd.bridge.train`` on the smoke
#: image set (bridge-check's smoke size: 10 image islands, a width-8 DCGAN, 600 steps of
#: Adam at 5e-4, evaluated on 1,000 samples), ``IMAGE_SEEDS`` seeds each, against the same
#: DCGAN without the technique (batch norm in G and D, simultaneous Adam, non-saturating
#: loss), paired by seed. Scored on the final evaluation (modes of 10, KL of the mode
#: histogram), the amplitude of the logged D(real) - D(fake)'s dominant oscillation, and
#: divergence; no high-quality fraction exists for images.
IMAGE_TECHNIQUES = {
    "diffaugment": dict(
        technique="DiffAugment", setting="colour, translation, cutout on real and generated images",
        claim=("helps", "augmenting both sides keeps D from memorising a small data set (Zhao et al. 2020)"),
        config={"augment": "color,translation,cutout"}, toy=(None, "no toy model (an input transformation)")),
    "minibatch_std_conv": dict(
        technique="minibatch standard deviation", setting="conv D, one feature map before the last layer",
        claim=("helps", "more variation, less collapse (Karras et al. 2018, Sec. 3)"),
        config={"minibatch_std": True}, toy=(None, "no toy model (a batch statistic)")),
    "no_batchnorm_d": dict(
        technique="batch norm in D", setting="removed (G keeps it)",
        claim=("hurts", "batch norm in both networks is what made DCGAN train (Radford et al. 2016, Sec. 3)"),
        config={"norm": "batch,none"}, toy=(None, "no toy model (a batch statistic)")),
}
IMAGE_SEEDS = 5
IMAGE_METRICS = ("modes", "kl", "oscillation", "diverged")
IMAGE_TINY = dict(n_data=400, width=4, batch=16, steps=12, log_every=2, eval_every=6, eval_samples=200,
                  classifier_steps=40, checkpoint_every=6)


def image_config(name: str | None, seed: int, cache: Path, tiny: bool) -> gd.bridge.TrainConfig:
    """The run of image technique ``name`` (None: the baseline) and ``seed``."""
    fields = {f for f in gd.bridge.TrainConfig.__dataclass_fields__}
    settings = {k: v for k, v in gd.bridge.SIZES["smoke"].items() if k in fields}
    settings.update(IMAGE_TINY if tiny else {}, sample_every=0, feature_metrics="never", device="cpu")
    if name is not None:
        settings.update(IMAGE_TECHNIQUES[name]["config"])
    tag = f"{name or 'baseline'}{'-tiny' if tiny else ''}-s{seed}"
    return gd.bridge.TrainConfig(**settings, seed=seed, out=str(cache / "images" / tag))


def image_finished(config: gd.bridge.TrainConfig) -> dict | None:
    path = Path(config.out) / "result.json"
    if path.exists():
        saved = json.loads(path.read_text())
        if saved.get("steps") == config.steps and saved.get("status") in ("completed", "diverged"):
            return saved
    return None


def image_scores(name: str | None, *, seeds: int, cache: Path, tiny: bool, read_back: bool) -> dict | None:
    """Per seed: modes, KL, the oscillation amplitude of the gap and divergence (trained,
    resumed or read back); None with ``read_back`` if a run is not finished."""
    import torch

    torch.set_num_threads(1)
    out = {m: [] for m in IMAGE_METRICS}
    for seed in range(seeds):
        config = image_config(name, seed, cache, tiny)
        saved = image_finished(config)
        if saved is None:
            if read_back:
                return None
            resume = (Path(config.out) / "checkpoint.pt").exists()
            saved = gd.bridge.train(config, resume=resume, progress=False, tensorboard=False).to_json()
        final = saved.get("evaluation") or {}
        diverged = saved["status"] == "diverged"
        out["modes"].append(np.nan if diverged else float(final.get("modes", np.nan)))
        out["kl"].append(np.nan if diverged else float(final.get("kl", np.nan)))
        out["oscillation"].append(float(saved["oscillation"]["gap"]["amplitude"]) if not diverged else np.nan)
        out["diverged"].append(float(diverged))
    return {m: np.asarray(v, float) for m, v in out.items()}


def _setup(game_options: dict, tiny: bool):
    options = dict(game_options)
    pack = options.pop("pack", 1)
    method = f"pacgan{pack}" if pack > 1 else "gan"
    sizes = TINY_SIZES if tiny else {}
    return method, {**sizes, **options}


def train(name: str, *, seeds: int, cache: Path, tiny: bool):
    """The baseline (``name`` None) or a technique, every stage checkpointed; the game and
    the result."""
    spec = TECHNIQUES.get(name, {})
    method, options = _setup(spec.get("game", {}), tiny)
    schedule, every = (TINY_SCHEDULE, TINY_EVERY) if tiny else (SCHEDULE, EVERY)
    base_kind = spec.get("base", "adam")
    result, game = None, None
    for i, (steps, lr) in enumerate(schedule):
        game, rule = gd.islands.setup(method, "ring", protocol="pacgan", lr=lr, **options)
        if "rule" in spec or "base" in spec:
            base = {"adam": rule.base, "rmsprop": gd.optim.rmsprop(), None: None}[base_kind]
            rule = spec["rule"](lr, base) if "rule" in spec else gd.optim.gda(lr, base=base)
        tag = f"{name or 'baseline'}{'-tiny' if tiny else ''}-stage{i}"
        result = gd.islands.train_mixture(game, rule, steps, seeds=seeds, snapshot_every=every, n_eval=N_EVAL,
                                          checkpoint=cache / f"{tag}.npz", start=result)
    return game, result


def scores(game, result) -> dict[str, np.ndarray]:
    """Per seed: the final snapshot's mode statistics, the oscillation amplitude of
    ``D(real) - D(fake)`` and whether the run diverged."""
    stats = result.mode_stats(game)
    gap = np.asarray(result.d_real, float) - np.asarray(result.d_fake, float)
    oscillation = np.asarray(gd.metrics.dominant_oscillation(gap).amplitude, float)
    return {"modes": np.asarray(stats.modes, float)[:, -1], "high_quality": np.asarray(stats.high_quality, float)[:, -1],
            "kl": np.asarray(stats.kl, float)[:, -1], "oscillation": oscillation,
            "diverged": np.asarray(result.diverged, float)}


def verdict(claim: str, metric: str, effect) -> str:
    """``supports`` / ``contradicts`` / ``inconclusive`` for a claim ("helps", "hurts",
    "nothing") on one metric, from the paired interval's sign."""
    if effect.sign == 0:  # the interval holds 0: no evidence either way, not evidence of nothing
        return "inconclusive"
    improves = effect.sign == BETTER[metric]
    if claim == "nothing":
        return "contradicts"
    return "supports" if improves == (claim == "helps") else "contradicts"


def rows_of(name: str, base: dict, treated: dict, seeds: int) -> list[dict]:
    image = name in IMAGE_TECHNIQUES
    spec = IMAGE_TECHNIQUES[name] if image else TECHNIQUES[name]
    rows = []
    for metric in IMAGE_METRICS if image else METRICS:
        effect = gd.metrics.paired_difference(treated[metric], base[metric])
        rows.append({
            "technique": spec["technique"], "setting": spec["setting"], "name": name,
            "data": "image islands (smoke)" if image else "ring", "seeds": seeds,
            "metric": metric, "baseline": float(np.nanmean(base[metric])), "treated": float(np.nanmean(treated[metric])),
            "effect": float(effect.difference), "ci_low": float(effect.low), "ci_high": float(effect.high),
            "pairs": int(effect.n),
            "toy_prediction": spec["toy"][0], "toy_source": spec["toy"][1], "claim": spec["claim"][0],
            "claim_source": spec["claim"][1], "verdict": verdict(spec["claim"][0], metric, effect),
        })
    return rows


def render(report: dict) -> str:
    lines = ["# The stabiliser atlas on the islands", "",
             f"Made by `{report['command']}` ({report['minutes']:.1f} min). PacGAN's 8-mode ring, its networks and "
             "Adam (b1 0.8), the islands schedule (2,500 steps at 1e-3, 1,000 at 1e-4, 500 at 1e-5), "
             f"{report['seeds']} seeds; baseline: simultaneous Adam, non-saturating loss. Effects: treated minus "
             "baseline, paired by seed, bootstrap 95 % interval, over the pairs where both scores are finite (a "
             "KL is infinite when a mode gets no sample; the treated mean is then inf). Oscillation: amplitude of "
             "the dominant oscillation "
             "of D(real) - D(fake) over the snapshots (every 250 steps).", "",
             "Calibration (baseline scores): " + ", ".join(
                 f"{m} {v:.3g}" for m, v in report["baseline"].items()) + "; a collapsed generator scores 1 mode, "
             "a structureless blob 4.8 modes and 0.3 % high quality (results/islands_table.md).", "",
             *([f"Image rows (data: image islands (smoke)): `gd.bridge.train` on the 10 image islands at bridge-check's "
                f"smoke size (width-8 DCGAN, 600 steps of Adam at 5e-4, 1,000 evaluation samples), "
                f"{report['image_seeds']} seeds, against the same DCGAN without the technique, paired by seed; "
                "baseline scores: " + ", ".join(f"{m} {v:.3g}" for m, v in report["image_baseline"].items())
                + " (one image repeated scores 1 mode, KL log 10 = 2.3).", ""]
               if report.get("image_baseline") else []),
             "| technique | setting | metric | baseline | treated | effect [95 % CI] | toy | claim | verdict |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in report["rows"]:
        # a pair with a non-finite score (an infinite KL: a mode with no sample) is left out of the effect
        pairs = r.get("pairs", r["seeds"])
        left_out = f" ({pairs} of {r['seeds']} pairs finite)" if pairs < r["seeds"] else ""
        lines.append(f"| {r['technique']} | {r['setting']} | {r['metric']} | {r['baseline']:.3g} | {r['treated']:.3g} | "
                     f"{r['effect']:+.3g} [{r['ci_low']:+.3g}, {r['ci_high']:+.3g}]{left_out} | "
                     f"{r['toy_prediction'] or '-'} | {r['claim']}: {r['claim_source']} | {r['verdict']} |")
    if report["missing"]:
        lines += ["", "Not yet run: " + ", ".join(report["missing"]) + "."]
    lines += ["", "Toy predictions: " + "; ".join(f"{name}: {spec['toy'][1]}"
                                                 for name, spec in {**TECHNIQUES, **IMAGE_TECHNIQUES}.items())]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    every = {**TECHNIQUES, **IMAGE_TECHNIQUES}
    parser.add_argument("--only", default=",".join(every), help=f"subset of {','.join(every)}")
    parser.add_argument("--seeds", type=int, default=8, help="seeds per islands row (default 8)")
    parser.add_argument("--image-seeds", type=int, default=IMAGE_SEEDS,
                        help=f"seeds per image row (default {IMAGE_SEEDS})")
    parser.add_argument("--tiny", action="store_true", help="smoke test: tiny networks, a few steps")
    parser.add_argument("--read-back", action="store_true", help="train nothing: report the finished rows")
    parser.add_argument("--results", default=None, help="folder of the outputs (default results/; --tiny: under --cache)")
    parser.add_argument("--cache", default=str(ROOT / "runs" / "atlas"), help="the runs' checkpoints")
    args = parser.parse_args(argv)
    chosen = chosen_names(parser, "--only", args.only, every)
    check_seeds(parser, args.seeds)
    check_seeds(parser, args.image_seeds)
    gd.enable_x64()
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    results = Path(args.results) if args.results else (cache / "tiny-results" if args.tiny else ROOT / "results")
    results.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    schedule = TINY_SCHEDULE if args.tiny else SCHEDULE
    total = sum(n for n, _ in schedule)

    def finished(name):
        path = cache / f"{name}{'-tiny' if args.tiny else ''}-stage{len(schedule) - 1}.npz"
        if not path.exists():
            return False
        with np.load(path) as saved:
            return int(saved["steps"]) == total

    game, result = train(None, seeds=args.seeds, cache=cache, tiny=args.tiny)
    base = scores(game, result)
    image_base = None
    if any(name in IMAGE_TECHNIQUES for name in chosen):
        image_base = image_scores(None, seeds=args.image_seeds, cache=cache, tiny=args.tiny, read_back=args.read_back)
    rows, done = [], []
    command = "python " + " ".join(shlex.quote(a) for a in ["benchmarks/atlas.py",
                                                             *(argv if argv is not None else sys.argv[1:])])

    def write():
        # after every technique, so that an interrupted run keeps the rows it has
        report = {"command": command, "minutes": (time.perf_counter() - start) / 60, "seeds": args.seeds,
                  "image_seeds": args.image_seeds, "tiny": args.tiny,
                  "baseline": {m: float(np.nanmean(v)) for m, v in base.items()},
                  "image_baseline": None if image_base is None else {m: float(np.nanmean(v))
                                                                     for m, v in image_base.items()},
                  "rows": rows, "missing": [n for n in every if n not in done]}
        write_atomically(results / "atlas.json", json.dumps(report, indent=1) + "\n")
        write_atomically(results / "atlas.md", render(report))

    for name in chosen:
        if name in IMAGE_TECHNIQUES:
            treated = None if image_base is None else image_scores(
                name, seeds=args.image_seeds, cache=cache, tiny=args.tiny, read_back=args.read_back)
            if treated is None:
                continue
            rows += rows_of(name, image_base, treated, args.image_seeds)
            done.append(name)
            main_row = rows[-len(IMAGE_METRICS)]
            print(f"{name:26s} modes {main_row['effect']:+.2f} [{main_row['ci_low']:+.2f}, {main_row['ci_high']:+.2f}]"
                  f"  {main_row['verdict']}", flush=True)
            write()
            continue
        if args.read_back and not finished(name):
            continue
        game, result = train(name, seeds=args.seeds, cache=cache, tiny=args.tiny)
        rows += rows_of(name, base, scores(game, result), args.seeds)
        done.append(name)
        main_row = next(r for r in rows[-len(METRICS):] if r["metric"] == "modes")
        print(f"{name:26s} modes {main_row['effect']:+.2f} [{main_row['ci_low']:+.2f}, {main_row['ci_high']:+.2f}]"
              f"  {main_row['verdict']}", flush=True)
        write()
    write()
    print(f"wrote {results / 'atlas.md'} and {results / 'atlas.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
