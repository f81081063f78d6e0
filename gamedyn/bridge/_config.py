"""The configuration of a bridge training run, importable without PyTorch (the command
line builds its flags from it)."""

from __future__ import annotations

import dataclasses

from .._checks import check_choice, check_int, check_nonnegative, check_positive
from ..games import GAN_LOSSES

__all__ = ["TrainConfig", "EARLY_STOP", "ARCHITECTURES", "NORMS", "ACTIVATIONS", "LOSSES", "REGULARIZERS", "RULE_FIELDS", "FIELD_HELP"]

#: The architectures of ``gamedyn.bridge._models`` (which reads them from here).
ARCHITECTURES = ("dcgan", "resnet")
#: The normalisations of G's and D's hidden layers (``norm="batch"``, or per network
#: ``"batch,none"``: batch norm in G, none in D).
NORMS = ("batch", "instance", "none")
#: The hidden layers' nonlinearity: ``"relu"`` (ReLU in G, LeakyReLU(0.2) in a DCGAN's D, as
#: the papers) or ``"smooth"`` (their infinitely differentiable counterparts, GELU-based).
ACTIVATIONS = ("relu", "smooth")
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
    activation: str = "relu"
    spectral_norm: bool | None = None
    attention: int | None = None
    minibatch_std: bool = False
    loss: str = "nonsaturating"
    reg: str | None = None
    gamma: float | None = None
    augment: str | None = None
    label_smoothing: float = 0.0
    clip: float | None = None
    feature_matching: bool = False
    minibatch_discrimination: int = 0
    pack: int = 1
    minibatch_kernel_dim: int = 5
    historical_averaging: float = 0.0
    adversarial: float = 0.0
    adversarial_steps: int = 1
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
        check_choice("activation", self.activation, ACTIVATIONS)
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
        check_choice("feature_matching", self.feature_matching, (False, True))
        check_int("minibatch_discrimination", self.minibatch_discrimination, minimum=0)
        check_int("minibatch_kernel_dim", self.minibatch_kernel_dim, minimum=1)
        check_int("pack", self.pack, minimum=1)
        if self.batch % self.pack:
            raise ValueError(f"pack={self.pack} is not accepted with batch={self.batch}; the batch must split into "
                             "packs (a multiple of pack)")
        check_nonnegative("historical_averaging", self.historical_averaging)
        check_nonnegative("adversarial", self.adversarial)
        check_int("adversarial_steps", self.adversarial_steps, minimum=1)
        norms = self.norms()
        for entry in norms if isinstance(norms, tuple) else (() if norms is None else (norms,)):
            check_choice("norm", entry, NORMS)
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

    def norms(self):
        """``norm`` as make_models takes it: None, one name, or ``(for G, for D)`` from
        ``"batch,none"``."""
        if self.norm is None:
            return None
        parts = tuple(part.strip() for part in str(self.norm).split(","))
        if len(parts) > 2:
            raise ValueError(f"norm={self.norm!r} is not accepted; expected one of {', '.join(NORMS)} or a pair "
                             "'G,D' such as 'batch,none'")
        return parts if len(parts) == 2 else parts[0]

    def to_json(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> TrainConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown configuration keys {unknown}; expected a subset of {sorted(known)}")
        return cls(**data)


#: One line of help per field, with the source of every stabilising technique (the command
#: line's ``gamedyn train`` / ``sweep`` / ``bridge-check`` flags read it; the rule fields'
#: help comes from the rules' own declarations).
FIELD_HELP = {
    "out": "output folder of the run",
    "data": "'stacked-digits' (1000 modes), 'islands' (10 image clusters), or a folder / .npz of images",
    "image_size": "28 or 32",
    "n_data": "images to generate for stacked digits / islands",
    "arch": "'dcgan' (Radford et al. 2016) or 'resnet' (SNGAN, Miyato et al. 2018)",
    "width": "network width (channels of the widest layer / 8)",
    "latent": "latent dimension (default per architecture)",
    "norm": "hidden-layer normalisation: 'batch' (Ioffe & Szegedy 2015), 'instance' (Ulyanov et al. 2016) or "
            "'none', or per network 'G,D' such as 'batch,none' (batch norm in G only); default per architecture",
    "activation": "hidden-layer nonlinearity: 'relu' (ReLU in G, LeakyReLU(0.2) in a DCGAN's D; the papers') or "
                  "'smooth' (GELU, Hendrycks & Gimpel 2016, and 0.2 x + 0.8 GELU(x) in D: the same shapes, "
                  "infinitely differentiable, so the update map's Jacobian changes continuously)",
    "spectral_norm": "spectral normalisation of D's layers (Miyato et al. 2018)",
    "attention": "self-attention block at this resolution (Zhang et al. 2019, SAGAN)",
    "minibatch_std": "minibatch standard deviation feature map in D (Karras et al. 2018, Sec. 3)",
    "loss": "saturating / nonsaturating (Goodfellow et al. 2014), wasserstein (Arjovsky et al. 2017), wgan_gp "
            "(Gulrajani et al. 2017), least_squares (Mao et al. 2017), hinge (Lim & Ye 2017), relativistic, "
            "relativistic_average (Jolicoeur-Martineau 2019)",
    "reg": "r1, r2 (Mescheder et al. 2018), gp (Gulrajani et al. 2017) or instance_noise (Sønderby et al. 2017; "
           "Arjovsky & Bottou 2017)",
    "gamma": "regularisation weight (noise std for instance_noise)",
    "augment": "DiffAugment policy on real and generated inputs, e.g. 'color,translation,cutout' (Zhao et al. 2020)",
    "label_smoothing": "one-sided label smoothing: the real target becomes 1 - s (Salimans et al. 2016, Sec. 3.4)",
    "clip": "WGAN weight clipping of D's parameters to [-clip, clip] (Arjovsky et al. 2017)",
    "feature_matching": "the generator matches the mean of D's penultimate features on real and generated "
                        "batches instead of its adversarial loss (Salimans et al. 2016, Sec. 3.1)",
    "minibatch_discrimination": "kernels B of a minibatch-discrimination layer before D's read-out, 0: none "
                                "(Salimans et al. 2016, Sec. 3.2)",
    "pack": "PacGAN: D judges this many samples at once, stacked along the channels (Lin et al. 2018); the "
            "batch holds batch / pack packs",
    "minibatch_kernel_dim": "dimension C of each minibatch-discrimination kernel (Salimans et al. 2016, Sec. 3.2)",
    "historical_averaging": "weight w of historical averaging, w |theta - mean of past theta|^2 added to each "
                            "player's loss, 0: none (Salimans et al. 2016, Sec. 3.3)",
    "adversarial": "L-infinity radius of adversarial perturbations of D's real and generated inputs, 0: none "
                   "(robust discriminator: Zhou & Krähenbühl 2019; Liu et al. 2019)",
    "adversarial_steps": "projected signed-gradient steps of that perturbation (1: FGSM; PGD, Madry et al. 2018)",
    "rule_options": "other hyperparameters of the rule, by name",
    "lr": "step size (of the generator with --lr-y)",
    "lr_y": "discriminator step size (TTUR, Heusel et al. 2017)",
    "base": "per-player base: adam (Kingma & Ba 2015), rmsprop (Tieleman & Hinton 2012) or none (plain gradient "
            "steps)",
    "b1": "Adam beta1 (0.5: Radford et al. 2016)",
    "b2": "Adam beta2",
    "ema": "EMA decay of an averaged generator used for evaluation (Yazıcı et al. 2019)",
    "steps": "training steps",
    "batch": "batch size",
    "seed": "seed of every random draw",
    "device": "'auto' (CUDA when present), 'cpu' or 'cuda'",
    "log_every": "log (and check for divergence) every this many steps",
    "sample_every": "sample grid every this many steps (0: never)",
    "checkpoint_every": "checkpoint every this many steps (0: only at the end)",
    "eval_every": "evaluate modes / KL / FD / PR every this many steps (0: only at the end)",
    "keep_checkpoints": "also keep the checkpoint of step 0, of every evaluation and of the end under checkpoints/",
    "eval_samples": "generated samples per evaluation (26000: the Stacked-MNIST protocol)",
    "feature_metrics": "when to compute FD / PR / density / coverage (k-NN, slow): every, final (only the "
                       "evaluation that ends the run) or never",
    "classifier_steps": "training steps of the data set's mode classifier (default 500; cached)",
    "early_stop": "stop when this evaluation metric stops improving: kl, frechet, modes, recall, ...",
    "patience": "evaluations without improvement before an early stop",
    "explode": "a |loss| beyond this counts as divergence",
}
