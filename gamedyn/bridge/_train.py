"""Training real GANs with the same update rules: configuration, loop, logs, checkpoints.

``train(TrainConfig(...))`` trains a DCGAN-family pair on an offline data set with any
``gamedyn.optim`` rule (through :class:`GameOptimizer`), and writes into ``config.out``:

* ``config.json`` — the configuration (a resumed run must match it, bar ``steps``);
* ``log.jsonl`` — one JSON object per logged step: both losses, ``D(real)``, ``D(fake)``
  and their gap, the generator's distance to its running average, and the window's seconds
  per training step (samples, evaluations and checkpoints not included);
* ``eval.jsonl`` — one JSON object per evaluation (modes captured, KL, Fréchet distance,
  precision / recall / density / coverage in the mode classifier's feature space, and the
  seconds it took, the classifier's training or loading included);
* ``tb/`` — the same scalars as TensorBoard events;
* ``samples/step_0000200.png`` (the step, seven digits) — sample grids at fixed latent codes;
* ``checkpoints/step_0000200.pt`` — with ``keep_checkpoints``, a copy of the checkpoint at
  step 0, at every evaluation and at the end;
* ``checkpoint.pt`` — models, optimizer state (rule memory, Adam moments), EMA, counters
  (the one before it is kept as ``checkpoint.prev.pt``, so a damaged checkpoint loses one
  interval, not the run);
  written atomically every ``checkpoint_every`` steps, so an interrupted run resumes
  (``resume=True``) from its last checkpoint and loses nothing written before it;
* ``result.json`` — status (``completed``, ``diverged``, ``early-stopped``), the step of a
  divergence, the final evaluation and the oscillation of the logged series.

A NaN or exploding loss ends the run as a result — ``diverged at step k`` — keeping the last
good checkpoint. Every random draw is seeded: the batch of step ``t`` and its latent codes
depend only on ``(seed, t)``, so a resumed run continues the same sequence.
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from pathlib import Path

import numpy as np
import torch

from .._progress import Progress
from ..optim import adam, rmsprop, rule_named
from ._config import EARLY_STOP, TrainConfig, rule_settings
from ._losses import EMA, Adversarial, HistoricalAverage, gan_losses
from ._models import freeze_spectral_norm, make_models, power_iteration
from ._optimizer import GameOptimizer, clip_projection

__all__ = ["TrainResult", "train", "build_rule", "resolve_device", "load_checkpoint", "read_config"]

STATUS = ("completed", "diverged", "early-stopped", "interrupted")


@dataclasses.dataclass
class TrainResult:
    """How a run ended: ``status`` in ``completed | diverged | early-stopped | interrupted``,
    ``steps`` done, ``diverged_at`` (the step whose losses were first non-finite or beyond
    ``explode``), ``message``, the last evaluation and the oscillation of the logged series.
    ``environment`` names what the numbers depend on beyond the configuration: torch's
    version, its CPU threads (the order of floating-point sums, which a GAN's trajectory
    amplifies) and the device.

    A diverged run is a result, not an error: here ``explode=0.01`` is below the first
    step's losses (about ``log 2`` and ``2 log 2`` at initialisation), so the run ends at
    step 1.

    >>> import tempfile, gamedyn as gd
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     config = gd.bridge.TrainConfig(out=tmp, data="islands", n_data=32, width=4, batch=4,
    ...                                    log_every=1, sample_every=0, checkpoint_every=0, explode=0.01)
    ...     result = gd.bridge.train(config, progress=False, tensorboard=False)
    >>> result.status, result.diverged_at, result.evaluation
    ('diverged', 1, None)
    >>> result.message.startswith("diverged at step 1: losses")
    True
    """

    status: str
    steps: int
    diverged_at: int | None
    message: str
    evaluation: dict | None
    oscillation: dict
    out: str
    seconds: float
    environment: dict = dataclasses.field(default_factory=dict)

    def to_json(self) -> dict:
        return dataclasses.asdict(self)


def build_rule(config: TrainConfig):
    """The :mod:`gamedyn.optim` rule a configuration names.

    >>> from gamedyn.bridge import TrainConfig, build_rule
    >>> build_rule(TrainConfig(rule="gda", lr=1e-3, lr_y=4e-3, alternating=True, base="none"))  # TTUR
    GDA(lr=(0.001, 0.004), alternating=True, first='y', k=1, base=None)
    """
    lr = config.lr if config.lr_y is None else (config.lr, config.lr_y)
    base = {"adam": adam(b1=config.b1, b2=config.b2), "rmsprop": rmsprop(), "none": None}[config.base]
    options, _ = rule_settings(config)
    return rule_named(config.rule, lr, base=base, **options)


def read_config(path: Path) -> TrainConfig:
    """The TrainConfig in ``path`` (a run's config.json), or a ValueError naming the file.

    >>> import json, tempfile
    >>> from pathlib import Path
    >>> from gamedyn.bridge import TrainConfig, read_config
    >>> tmp = tempfile.TemporaryDirectory()
    >>> path = Path(tmp.name) / "config.json"
    >>> _ = path.write_text(json.dumps(TrainConfig(rule="extragradient").to_json()))
    >>> read_config(path).rule
    'extragradient'
    >>> _ = path.write_text('{"rule": ')  # cut short
    >>> read_config(path)
    Traceback (most recent call last):
    ...
    ValueError: ...config.json cannot be read as a run configuration (JSONDecodeError: ...); the file is damaged: ...
    >>> tmp.cleanup()
    """
    try:
        return TrainConfig.from_json(json.loads(Path(path).read_text()))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, TypeError) as error:
        raise ValueError(f"{path} cannot be read as a run configuration ({type(error).__name__}: {error}); the "
                         "file is damaged: restore it, or start the run again in a new folder") from None


def _previous(path: Path) -> Path:
    return path.with_name(path.stem + ".prev" + path.suffix)


def load_checkpoint(path: Path, device="cpu") -> dict:
    """The training checkpoint at ``path``. If it is missing or damaged (a crash mid-write
    on a file system without atomic rename, a truncated copy), the previous complete one
    (``checkpoint.prev.pt``, kept by every save) is used instead, with a warning; a
    ValueError naming both files if neither can be read.

    >>> import tempfile, warnings, torch
    >>> from pathlib import Path
    >>> from gamedyn.bridge import load_checkpoint
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     torch.save({"step": 200}, Path(tmp) / "checkpoint.prev.pt")
    ...     _ = (Path(tmp) / "checkpoint.pt").write_bytes(b"cut short")  # a damaged copy
    ...     with warnings.catch_warnings(record=True) as caught:
    ...         warnings.simplefilter("always")
    ...         saved = load_checkpoint(Path(tmp) / "checkpoint.pt")
    >>> saved["step"], "resuming from the previous checkpoint" in str(caught[0].message)
    (200, True)
    """
    import warnings

    path = Path(path)
    problems = []
    for candidate in (path, _previous(path)):
        if not candidate.exists():
            problems.append(f"{candidate} does not exist")
            continue
        try:
            saved = torch.load(candidate, map_location=device, weights_only=False)
        except Exception as error:  # torch raises RuntimeError, OSError, EOFError, pickle errors
            problems.append(f"{candidate} is damaged ({type(error).__name__}: {str(error)[:120]})")
            continue
        if candidate != path:
            warnings.warn(f"{problems[-1]}; resuming from the previous checkpoint {candidate} (step "
                          f"{saved.get('step')}): the steps after it are trained again", stacklevel=2)
        return saved
    raise ValueError(f"no readable checkpoint: {'; '.join(problems)}. Start the run again in a new folder "
                     "(or without resume)")


def resolve_device(name: str) -> torch.device:
    """``"auto"`` is CUDA when present, else the CPU.

    >>> import torch
    >>> from gamedyn.bridge import resolve_device
    >>> resolve_device("cpu")
    device(type='cpu')
    >>> resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    True
    >>> resolve_device("tpu")
    Traceback (most recent call last):
    ...
    ValueError: device='tpu' is not accepted; expected 'auto', 'cpu' or 'cuda[:N]'
    """
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise ValueError(f"device={name!r} is not accepted; expected 'auto', 'cpu' or 'cuda[:N]'") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={name!r} is not accepted: no CUDA device is available here")
    return device


def atomic_write(path: Path, write) -> None:
    """``write(tmp_path)`` then rename onto ``path``: readers never see a partial file
    (:func:`gamedyn._files.atomic_write`: flushed to disk, the usual permissions)."""
    from .._files import atomic_write as write_file

    write_file(path, write)


def _write_json(path: Path, data) -> None:
    atomic_write(path, lambda tmp: Path(tmp).write_text(json.dumps(data, indent=2, default=_jsonable) + "\n"))


def _jsonable(value):
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _finite_or_none(value):
    value = float(value)
    return value if math.isfinite(value) else None


def _truncate_jsonl(path: Path, last_step: int) -> None:
    """Drop lines logged after the checkpoint a run resumes from (they will be redone)."""
    if not path.exists():
        return
    kept = [line for line in path.read_text().splitlines() if line and json.loads(line)["step"] <= last_step]
    atomic_write(path, lambda tmp: Path(tmp).write_text("".join(line + "\n" for line in kept)))


def _save_grid(images: torch.Tensor, path: Path, columns: int = 8) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = ((images.detach().float().cpu().clamp(-1, 1) + 1) / 2).numpy()
    n, c, h, w = x.shape
    rows = math.ceil(n / columns)
    grid = np.ones((rows * (h + 2) + 2, columns * (w + 2) + 2, c), dtype=np.float32)
    for i in range(n):
        r, q = divmod(i, columns)
        grid[2 + r * (h + 2): 2 + r * (h + 2) + h, 2 + q * (w + 2): 2 + q * (w + 2) + w] = x[i].transpose(1, 2, 0)
    image = grid[..., 0] if c == 1 else grid
    atomic_write(path, lambda tmp: plt.imsave(tmp, image, cmap="gray" if c == 1 else None, vmin=0, vmax=1, format="png"))


class _Logger:
    def __init__(self, out: Path, tensorboard: bool):
        self.out = out
        self.writer = None
        if tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter

                self.writer = SummaryWriter(str(out / "tb"))
            except ImportError:  # tensorboard is a dependency; tolerate a trimmed install
                self.writer = None

    def write(self, name: str, record: dict) -> None:
        with open(self.out / name, "a") as handle:
            handle.write(json.dumps(record, default=_jsonable) + "\n")
            handle.flush()
        if self.writer is not None:
            prefix = name.split(".")[0]
            for key, value in record.items():
                if key != "step" and isinstance(value, (int, float)) and math.isfinite(value):
                    self.writer.add_scalar(f"{prefix}/{key}", value, record["step"])

    def close(self):
        if self.writer is not None:
            self.writer.close()


def _flat_params(model) -> torch.Tensor:
    return torch.cat([p.detach().reshape(-1) for p in model.parameters()])


def train(config: TrainConfig, *, resume: bool = False, progress: bool = True,
          tensorboard: bool = True, classifier=None, stop_after: int | None = None) -> TrainResult:
    """Train a GAN as ``config`` says; see the module docstring for what is written.

    ``resume=True`` continues from ``config.out/checkpoint.pt`` (the configuration must match,
    except ``steps``). ``classifier`` overrides the data set's cached mode classifier (built
    on first use with :func:`gamedyn.bridge.mode_classifier`). ``stop_after`` ends the call
    after that many steps as if interrupted (for tests of resumption).

    Two steps, interrupted, then resumed from the checkpoint for two more:

    >>> import tempfile, gamedyn as gd
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     config = gd.bridge.TrainConfig(out=tmp, data="islands", n_data=32, width=4, batch=4, steps=100,
    ...                                    sample_every=0, checkpoint_every=0)
    ...     first = gd.bridge.train(config, stop_after=2, progress=False, tensorboard=False)
    ...     later = gd.bridge.train(config, resume=True, stop_after=2, progress=False, tensorboard=False)
    ...     written = sorted(path.name for path in Path(tmp).iterdir())
    >>> first.status, first.steps, later.steps
    ('interrupted', 2, 4)
    >>> written
    ['checkpoint.prev.pt', 'checkpoint.pt', 'config.json', 'log.jsonl', 'result.json']
    """
    if not isinstance(config, TrainConfig):
        raise ValueError(f"config={config!r} is not accepted; expected a TrainConfig")
    start_time = time.perf_counter()
    _prepare_folder(config, resume)
    run = _Run(config, resume=resume, progress=progress, tensorboard=tensorboard, classifier=classifier)
    status, diverged_at, message, last_eval = run.loop(stop_after)
    return run.finish(status, diverged_at, message, last_eval, time.perf_counter() - start_time)


def _prepare_folder(config: TrainConfig, resume: bool) -> None:
    """Check ``config.out`` against ``resume`` and write config.json."""
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    config_path = out / "config.json"
    checkpoint_path = out / "checkpoint.pt"
    if resume and not (checkpoint_path.exists() or _previous(checkpoint_path).exists()):
        raise ValueError(f"resume=True but {out} holds no run to continue (no checkpoint.pt); train without "
                         "resume (--resume) to start one there")
    if resume and config_path.exists():
        saved = read_config(config_path)
        if dataclasses.replace(saved, steps=config.steps) != config:
            raise ValueError(
                f"resume=True but {config_path} describes another run; resume with the same "
                "configuration (only steps may change) or choose a new out folder"
            )
    elif not resume and checkpoint_path.exists():
        raise ValueError(
            f"out={config.out!r} already holds a run; pass resume=True (--resume) to continue "
            "it, or choose a new folder"
        )
    _write_json(config_path, config.to_json())


def models_of(config: TrainConfig, channels: int):
    """The generator and discriminator a configuration trains, at its seed's initialisation."""
    B = config.minibatch_discrimination
    return make_models(config.arch, image_size=config.image_size, channels=channels, width=config.width,
                       latent=config.latent, norm=config.norms(), spectral_norm=config.spectral_norm,
                       attention=config.attention, minibatch_std=config.minibatch_std,
                       minibatch_discrimination=(B, config.minibatch_kernel_dim) if B else None, pack=config.pack,
                       activation=config.activation, seed=config.seed)


class _Run:
    """One training run's models, optimizer and counters, and the steps of :func:`train`."""

    def __init__(self, config: TrainConfig, *, resume, progress, tensorboard, classifier):
        from ._data import load_data

        self.config, self.progress, self.clf = config, progress, classifier
        self.out = Path(config.out)
        self.checkpoint_path = self.out / "checkpoint.pt"
        self.device = device = resolve_device(config.device)
        torch.manual_seed(config.seed)
        self.data = load_data(config.data, size=config.image_size, n=config.n_data, seed=config.seed)
        G, D = models_of(config, self.data.shape[0])
        self.G, self.D = G, D = G.to(device), D.to(device)
        self.has_sn = freeze_spectral_norm(G) + freeze_spectral_norm(D) > 0
        project_y = None if config.clip is None else clip_projection(config.clip)
        self.opt = GameOptimizer(build_rule(config), G.parameters(), D.parameters(), project_y=project_y)
        self.ema = EMA(G, beta=config.ema) if config.ema is not None else None
        weight = config.historical_averaging
        self.averaging = (HistoricalAverage(G.parameters(), weight), HistoricalAverage(D.parameters(), weight)) \
            if weight > 0 else None
        self.adversarial = Adversarial(config.adversarial, config.adversarial_steps) if config.adversarial > 0 else None
        self.fixed_latent = G.sample_latent(64, generator=torch.Generator().manual_seed(config.seed + 1)).to(device)
        self.step, self.average, self.best, self.stale = 0, _flat_params(G), None, 0
        self.history: dict[str, list] = {"gap": [], "g_distance": []}
        if resume:
            self._restore(load_checkpoint(self.checkpoint_path, device))
        if self.step == 0:
            self.keep_checkpoint()
        self.logger = _Logger(self.out, tensorboard)
        self.drawn = None  # the last evaluation's classified samples (re-read if it turns out to end the run)

    def _restore(self, saved: dict) -> None:
        self.G.load_state_dict(saved["G"])
        self.D.load_state_dict(saved["D"])
        self.opt.load_state_dict(saved["optimizer"])
        if self.ema is not None and saved.get("ema") is not None:
            self.ema.load_state_dict(saved["ema"])
        if self.averaging is not None:
            for average, state in zip(self.averaging, saved["historical_averages"]):
                average.load_state_dict(state)
        self.step, self.average = saved["step"], saved["average"].to(self.device)
        self.best, self.stale, self.history = saved["best"], saved["stale"], saved["history"]
        _truncate_jsonl(self.out / "log.jsonl", self.step)
        _truncate_jsonl(self.out / "eval.jsonl", self.step)

    # -- checkpoints ----------------------------------------------------------------------
    def save_checkpoint(self, path: Path | None = None) -> None:
        path = self.checkpoint_path if path is None else path
        state = {"G": self.G.state_dict(), "D": self.D.state_dict(), "optimizer": self.opt.state_dict(),
                 "ema": None if self.ema is None else self.ema.state_dict(), "step": self.step,
                 "historical_averages": None if self.averaging is None else [a.state_dict() for a in self.averaging],
                 "average": self.average, "best": self.best, "stale": self.stale, "history": self.history,
                 "config": self.config.to_json()}
        if path == self.checkpoint_path and path.exists():
            # the last complete checkpoint stays readable until the new one is: resume falls
            # back to it if checkpoint.pt is missing or damaged
            path.replace(_previous(path))
        atomic_write(path, lambda tmp: torch.save(state, tmp))

    def keep_checkpoint(self) -> None:
        if self.config.keep_checkpoints:
            kept = self.out / "checkpoints" / f"step_{self.step:07d}.pt"
            kept.parent.mkdir(exist_ok=True)
            self.save_checkpoint(kept)

    # -- evaluation -----------------------------------------------------------------------
    def evaluate(self, final: bool = False, write: bool = True, again: bool = False) -> dict:
        """Evaluate the generator; ``again`` re-reads the samples the last call drew."""
        from ._classifier import mode_classifier
        from ._evaluate import classify_samples, evaluate_samples

        config = self.config
        started = time.perf_counter()
        if self.clf is None:
            # trained (or loaded) on the CPU; classifies the 26,000 samples where they are made
            self.clf = mode_classifier(self.data, seed=config.seed, steps=config.classifier_steps,
                                       verbose=self.progress).to(self.device)
        sampler_model = self.ema.model if self.ema is not None else self.G
        gen = torch.Generator().manual_seed(config.seed + 2)

        def sample(n):
            z = sampler_model.sample_latent(n, generator=gen).to(self.device)
            return sampler_model(z).float().cpu()

        if not again:
            was_training = sampler_model.training
            sampler_model.eval()
            try:
                self.drawn = classify_samples(self.clf, sample, n_samples=config.eval_samples)
            finally:
                sampler_model.train(was_training)
        features = config.feature_metrics == "every" or (final and config.feature_metrics == "final")
        result = evaluate_samples(self.clf, self.drawn, real=self.data if features else None, seed=config.seed)
        # a metric not computed (feature_metrics) or undefined (no finite sample) is null
        record = {"step": self.step, **{k: _finite_or_none(v) if isinstance(v, float) else v
                                        for k, v in result.summary().items() if not isinstance(v, np.ndarray)},
                  "counts": np.asarray(result.counts).tolist(), "seconds": time.perf_counter() - started}
        if write:
            self.logger.write("eval.jsonl", record)
        return record

    def _evaluate_and_check_stop(self) -> tuple[dict, bool]:
        """The evaluation of a step that has one, and whether it early-stops the run."""
        config = self.config
        self.keep_checkpoint()
        last_eval = self.evaluate(write=False)
        stopping = False
        if config.early_stop is not None:
            value = last_eval[config.early_stop]
            better = value is not None and (
                self.best is None or (value < self.best if EARLY_STOP[config.early_stop] == "min" else value > self.best))
            self.best, self.stale = (value, 0) if better else (self.best, self.stale + 1)
            stopping = self.stale >= config.patience
        if stopping and config.feature_metrics == "final":
            # this evaluation ends the run: it gets the feature metrics too, on the samples
            # the stop was decided on (classified once)
            last_eval = self.evaluate(final=True, again=True)
        else:
            self.logger.write("eval.jsonl", last_eval)
        return last_eval, stopping

    # -- training -------------------------------------------------------------------------
    def _one_step(self, real: torch.Tensor) -> torch.Tensor:
        """One step of the rule; returns (loss_x, loss_y, mean D(real), mean D(fake))."""
        config, G, D = self.config, self.G, self.D
        real = real.to(self.device, non_blocking=True)
        gen = torch.Generator(device=self.device).manual_seed(config.seed * 1_000_003 + self.step)
        latent = G.sample_latent(config.batch, generator=gen).to(self.device)
        if self.has_sn:
            power_iteration(D)  # one power iteration per update (Miyato et al. 2018, Alg. 1)
            power_iteration(G)
        history_x, history_y = self.averaging or (None, None)
        closure = gan_losses(G, D, real, latent, loss=config.loss, reg=config.reg, gamma=config.gamma,
                             augment=config.augment, label_smoothing=config.label_smoothing,
                             feature_matching=config.feature_matching, adversarial=self.adversarial,
                             history_x=history_x, history_y=history_y, generator=gen)
        losses = self.opt.step(closure)
        stats = closure.stats
        if self.ema is not None:
            self.ema.update()
        if self.averaging is not None:
            for average in self.averaging:
                average.update()
        self.step += 1
        return torch.stack([losses[0], losses[1], stats["d_real"].detach().mean(), stats["d_fake"].detach().mean()])

    def _log_window(self, pending, window_start) -> tuple[int | None, str]:
        """Log the last window of steps; ``(step, message)`` of a divergence in it, else ``(None, "")``."""
        config = self.config
        values = torch.stack([v for _, v in pending]).double().cpu().numpy()
        bad = ~np.isfinite(values[:, :2]).all(axis=1) | (np.abs(values[:, :2]) > config.explode).any(axis=1)
        if bad.any():
            at = int(np.argmax(bad))
            return pending[at][0], (f"diverged at step {pending[at][0]}: losses {values[at, :2].tolist()} "
                                    f"(non-finite or beyond {config.explode:g})")
        current = _flat_params(self.G)
        self.average = self.average + (current - self.average) / min(self.step, 100)  # running average, window ~100
        g_distance = float(torch.linalg.vector_norm(current - self.average))
        loss_x, loss_y, d_real, d_fake = values[-1]
        elapsed = time.perf_counter() - window_start
        record = {"step": self.step, "loss_x": float(loss_x), "loss_y": float(loss_y),
                  "d_real": float(d_real), "d_fake": float(d_fake), "gap": float(d_real - d_fake),
                  "g_distance": g_distance, "seconds_per_step": elapsed / len(pending)}
        self.history["gap"].append(float(d_real - d_fake))
        self.history["g_distance"].append(g_distance)
        self.logger.write("log.jsonl", record)
        return None, ""

    def loop(self, stop_after: int | None):
        """Train until ``config.steps`` (or ``stop_after`` more steps, a divergence or an early
        stop); returns ``(status, diverged_at, message, last_eval)``."""
        config = self.config
        status, diverged_at, message, last_eval = "completed", None, "", None
        pending: list[tuple[int, torch.Tensor]] = []
        batches = self.data.batches(config.batch, seed=config.seed, start=self.step)
        window_start = time.perf_counter()
        target = config.steps if stop_after is None else min(config.steps, self.step + stop_after)
        bar = Progress(config.steps, enabled=None if self.progress else False, label="training", unit="steps")
        bar.done = self.step
        while self.step < target:
            real, _ = next(batches)
            pending.append((self.step + 1, self._one_step(real)))
            bar.update(1)
            step = self.step
            if step % config.log_every == 0 or step == target:
                diverged_at, message = self._log_window(pending, window_start)
                if diverged_at is not None:
                    status = "diverged"
                    break
                pending, window_start = [], time.perf_counter()
            if config.sample_every and step % config.sample_every == 0:
                with torch.no_grad():
                    self.G.eval()
                    _save_grid(self.G(self.fixed_latent), self.out / "samples" / f"step_{step:07d}.png")
                    self.G.train()
            if config.eval_every and step % config.eval_every == 0 and step < config.steps:
                last_eval, stopping = self._evaluate_and_check_stop()
                if stopping:
                    status = "early-stopped"
                    message = (f"early-stopped at step {step}: {config.early_stop} did not improve "
                               f"on {self.best:.4g} for {config.patience} evaluations")
                    self.save_checkpoint()
                    break
            if config.checkpoint_every and step % config.checkpoint_every == 0:
                self.save_checkpoint()
            if not pending:  # a window's seconds per step count training only, not the work above
                window_start = time.perf_counter()
        bar.close()
        return status, diverged_at, message, last_eval

    def finish(self, status, diverged_at, message, last_eval, seconds) -> TrainResult:
        """The last checkpoint and evaluation, the oscillation of the logged series, result.json."""
        from ..metrics import dominant_oscillation

        config, step = self.config, self.step
        if status == "completed" and step < config.steps:
            status, message = "interrupted", f"stopped after step {step} of {config.steps}; resume to continue"
            self.save_checkpoint()
        elif status == "completed":
            self.save_checkpoint()
            self.keep_checkpoint()
            last_eval = self.evaluate(final=True)
            message = f"completed {step} steps"
        elif status == "diverged":
            message += "; the last good checkpoint is kept" if self.checkpoint_path.exists() else ""
        oscillation = {}
        for name, series in self.history.items():
            if len(series) < 4:  # too few logged points to speak of a period
                oscillation[name] = {"period_steps": None, "amplitude": 0.0, "strength": 0.0}
                continue
            osc = dominant_oscillation(np.asarray(series, dtype=float), dt=config.log_every)
            oscillation[name] = {"period_steps": _finite_or_none(osc.period), "amplitude": float(osc.amplitude),
                                 "strength": float(osc.strength)}
        self.logger.close()
        environment = {"torch": torch.__version__, "threads": torch.get_num_threads(), "device": str(self.device)}
        result = TrainResult(status, step, diverged_at, message, last_eval, oscillation, str(self.out), seconds,
                             environment)
        _write_json(self.out / "result.json", result.to_json())
        return result
