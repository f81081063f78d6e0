"""The configuration of a bridge training run, importable without PyTorch (the command
line builds its flags from it)."""

from __future__ import annotations

import dataclasses

from .._checks import check_choice, check_int, check_nonnegative, check_positive
from ..games import GAN_LOSSES

__all__ = ["TrainConfig", "EARLY_STOP", "ARCHITECTURES", "LOSSES", "REGULARIZERS", "RULE_FIELDS"]

# ARCHITECTURES is kept equal to the torch modules' tuple by tests/bridge/test_train.py.
ARCHITECTURES = ("dcgan", "resnet")
#: The GAN loss family (``gamedyn.games._gan_losses``, one definition for every backend) and
#: the bridge's own: WGAN-GP and the relativistic losses (``_losses`` module table).
LOSSES = (*GAN_LOSSES, "wgan_gp", "relativistic", "relativistic_average")
REGULARIZERS = (None, "r1", "r2", "gp", "instance_noise")
#: Evaluation metrics an early stop may watch, and whether smaller or larger is better.
EARLY_STOP = {"kl": "min", "frechet": "min", "modes": "max", "recall": "max", "precision": "max",
              "coverage": "max", "density": "max"}
#: When the classifier-feature metrics (Fréchet distance, precision / recall, density /
#: coverage: k-nearest neighbours on up to 10,000 samples, the slow part of an evaluation)
#: are computed: at every evaluation, only at the one that ends a run (completed or early-
#: stopped; a diverged run's samples are not finite), or never.
#: Modes and KL always are, so only they can drive an early stop unless this is "every".
FEATURE_METRICS = ("every", "final", "never")
FEATURE_EARLY_STOP = tuple(m for m in EARLY_STOP if m not in ("kl", "modes"))


#: TrainConfig's named rule settings and the rule option each sets (``unroll`` is the
#: unrolled rule's ``k``). Every other hyperparameter of a rule (``gd.optim.hyperparameters``),
#: a registered rule's included, is set through ``rule_options``.
RULE_FIELDS = {"alternating": "alternating", "first": "first", "k": "k", "beta": "beta",
               "consensus_gamma": "gamma", "lam": "lam", "lr_extra": "lr_extra", "unroll": "k"}


def _field_of(rule: str, option: str) -> str | None:
    """The named TrainConfig field that sets ``option`` of ``rule`` (None: rule_options)."""
    if option == "k":
        return "unroll" if rule == "unrolled" else "k"
    return next((f for f, o in RULE_FIELDS.items() if o == option and f not in ("k", "unroll")), None)


def rule_settings(config, *, extra: bool = True) -> tuple[dict, list[str]]:
    """``(options, fields)``: the rule options a configuration sets (named fields at their
    values, then ``rule_options`` unless ``extra=False``) and the TrainConfig fields its
    rule takes."""
    from ..optim import hyperparameters

    options, fields = {}, []
    for option in hyperparameters(config.rule):
        field = _field_of(config.rule, option)
        if field is not None:
            options[option] = getattr(config, field)
            fields.append(field)
    if extra:
        options.update(config.rule_options or {})
    return options, fields


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Everything a training run depends on (its JSON is ``config.json``).

    The rule is named as in :mod:`gamedyn.optim` (``rule``, any name of ``gd.optim.RULES``;
    ``lr``, ``lr_y`` for TTUR, ``alternating``, ``first``, ``k``, ``beta``,
    ``consensus_gamma``, ``lam``, ``lr_extra``, ``unroll``; any other hyperparameter of the
    rule in ``rule_options``, e.g. ``{"look_ahead": "base"}``) with a per-player base (``base``: ``"adam"`` with ``b1``, ``b2``,
    ``"rmsprop"``, or ``"none"`` for plain gradient steps). The game is named as in the toy
    layer: ``loss`` and ``reg`` with weight ``gamma``.

    ``keep_checkpoints=True`` also keeps a copy of the checkpoint at step 0 and at every
    evaluation step, ``checkpoints/step_0000200.pt`` (the step, seven digits): the points
    at which ``bridge-check`` predicts from the real network's update map.

    >>> from gamedyn.bridge import TrainConfig
    >>> config = TrainConfig(rule="extragradient", lr=1e-3, steps=200)
    >>> TrainConfig.from_json(config.to_json()) == config  # config.json reads back the same run
    True
    >>> TrainConfig(rule="gda", beta=0.5)  # a setting the rule does not take is refused
    Traceback (most recent call last):
    ...
    ValueError: beta=0.5 is not accepted with rule='gda'; it takes alternating, first, k
    """

    out: str = "runs/gan"
    data: str = "stacked-digits"
    image_size: int = 28
    n_data: int | None = None
    arch: str = "dcgan"
    width: int = 64
    latent: int | None = None
    norm: str | None = None
    spectral_norm: bool | None = None
    attention: int | None = None
    minibatch_std: bool = False
    loss: str = "nonsaturating"
    reg: str | None = None
    gamma: float | None = None
    augment: str | None = None
    label_smoothing: float = 0.0
    clip: float | None = None
    rule: str = "gda"
    rule_options: dict | None = None
    lr: float = 2e-4
    lr_y: float | None = None
    alternating: bool = False
    first: str = "y"
    k: int = 1
    beta: float = 0.0
    consensus_gamma: float = 0.1
    lam: float = 0.1
    lr_extra: float | None = None
    unroll: int = 5
    base: str = "adam"
    b1: float = 0.5
    b2: float = 0.999
    ema: float | None = None
    steps: int = 1000
    batch: int = 64
    seed: int = 0
    device: str = "auto"
    log_every: int = 10
    sample_every: int = 500
    checkpoint_every: int = 500
    eval_every: int = 0
    keep_checkpoints: bool = False
    eval_samples: int = 26_000
    feature_metrics: str = "every"
    classifier_steps: int | None = None
    early_stop: str | None = None
    patience: int = 3
    explode: float = 1e6

    def __post_init__(self):
        check_choice("arch", self.arch, ARCHITECTURES)
        check_choice("loss", self.loss, LOSSES)
        check_choice("reg", self.reg, REGULARIZERS)
        from ..optim import RULES, takes_base

        check_choice("rule", self.rule, tuple(RULES))
        check_choice("base", self.base, ("adam", "rmsprop", "none"))
        if not takes_base(self.rule) and self.base != "none":
            raise ValueError(f"base={self.base!r} is not accepted with rule={self.rule!r}, which takes "
                             "no base transformation; use base='none'")
        check_choice("first", self.first, ("x", "y"))
        check_choice("early_stop", self.early_stop, (None, *EARLY_STOP))
        check_choice("feature_metrics", self.feature_metrics, FEATURE_METRICS)
        if self.early_stop in FEATURE_EARLY_STOP and self.feature_metrics != "every":
            raise ValueError(f"early_stop={self.early_stop!r} needs feature_metrics='every' (got "
                             f"{self.feature_metrics!r}); modes and kl are computed at every evaluation")
        check_choice("image_size", self.image_size, (28, 32))
        for name in ("steps", "batch", "width", "log_every", "k", "patience"):
            check_int(name, getattr(self, name), minimum=1)
        for name in ("sample_every", "checkpoint_every", "eval_every", "unroll", "seed"):
            check_int(name, getattr(self, name), minimum=0)
        check_int("eval_samples", self.eval_samples, minimum=10)
        if self.classifier_steps is not None:
            check_int("classifier_steps", self.classifier_steps, minimum=10)
        check_positive("lr", self.lr)
        check_positive("explode", self.explode)
        check_nonnegative("label_smoothing", self.label_smoothing)
        for name in ("lr_y", "lr_extra", "clip", "ema"):
            if getattr(self, name) is not None:
                check_positive(name, getattr(self, name))
        if self.ema is not None and not self.ema < 1:
            raise ValueError(f"ema={self.ema!r} is not accepted; expected a decay in (0, 1)")
        self._check_rule_fields()

    def _check_rule_fields(self):
        """A rule setting changed from its default for a rule that does not take it would be
        ignored and still written to config.json: refuse it, naming both; then build the
        rule once, which checks every value (``gd.optim.rule_named``)."""
        from ..optim import hyperparameters, rule_named

        options, fields = rule_settings(self, extra=False)
        defaults = {f.name: f.default for f in dataclasses.fields(self)}
        for field in RULE_FIELDS:
            if field in fields or getattr(self, field) == defaults[field]:
                continue
            if self.rule == "unrolled" and field == "k":
                why = "its look-ahead steps are set by unroll"
            elif field == "unroll":
                why = "unroll is the unrolled rule's look-ahead"
            else:
                why = f"it takes {', '.join(sorted(fields)) or 'none'}"
            raise ValueError(f"{field}={getattr(self, field)!r} is not accepted with rule={self.rule!r}; {why}")
        extra = dict(self.rule_options or {})
        if not isinstance(self.rule_options, (dict, type(None))):
            raise ValueError(f"rule_options={self.rule_options!r} is not accepted; expected a dict of the rule's "
                             "hyperparameters, e.g. {'look_ahead': 'base'}")
        for option in extra:
            named = _field_of(self.rule, option) if option in hyperparameters(self.rule) else None
            if named is not None or option in ("lr", "base"):
                raise ValueError(f"rule_options[{option!r}] is not accepted: set it with the field "
                                 f"{named or option}")
        options.update(extra)
        try:
            rule_named(self.rule, self.lr, **options)
        except ValueError as error:
            raise ValueError(f"{error} (TrainConfig rule={self.rule!r})") from None

    def to_json(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> TrainConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown configuration keys {unknown}; expected a subset of {sorted(known)}")
        return cls(**data)
