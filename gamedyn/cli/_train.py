"""``gamedyn train``: train a real GAN with a gamedyn update rule (the bridge layer)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import typing

HELP = "train a DCGAN-family GAN on an offline data set with any gamedyn update rule"

EXAMPLES = """examples:
  gamedyn train --data stacked-digits --loss nonsaturating --rule gda --alternating \\
      --lr 2e-4 --steps 5000 --out runs/alt-gda
  gamedyn train --data islands --loss hinge --reg r1 --gamma 1 --rule extragradient \\
      --lr 1e-4 --steps 2000 --eval-every 500 --early-stop kl --out runs/eg-r1
  gamedyn train --out runs/alt-gda --steps 10000 --resume      # continue a run

A run writes config.json, log.jsonl, eval.jsonl, tb/ (TensorBoard), samples/*.png,
checkpoint.pt (atomic, every --checkpoint-every steps) and result.json into --out. A NaN
or exploding loss ends the run as "diverged at step k", keeping the last good checkpoint.
"""

def _parser_type(annotation):
    """argparse type for a TrainConfig annotation like ``float | None``."""
    members = typing.get_args(annotation) or (annotation,)
    for kind in (float, int, str):
        if kind in members:
            return kind
    return str


def _field_help() -> dict:
    """FIELD_HELP and the rule fields' help, derived from the rules' declarations."""
    from .. import optim
    from ..bridge import FIELD_HELP, RULE_FIELDS

    helps = dict(FIELD_HELP, rule=f"update rule: {', '.join(optim.RULES)}")
    for field, option in RULE_FIELDS.items():
        texts = [f"{name}: {optim.hyperparameters(name)[option].help}" for name in optim.RULES
                 if option in optim.hyperparameters(name) and (field == "unroll") == (name == "unrolled")]
        helps[field] = "; ".join(texts)
    return helps


def _option_flags() -> dict:
    """Flags of the rule hyperparameters that TrainConfig has no named field for (they go to
    ``rule_options``): ``dest -> RuleFlag``."""
    from ..bridge import RULE_FIELDS
    from ._build import rule_flags

    return {f"rule_option_{dest}": spec for dest, spec in rule_flags().items()
            if spec.option not in RULE_FIELDS.values()}


def add_config_flags(parser, *, out_help: str | None = None) -> None:
    """One flag per TrainConfig field (``--lr-y`` for ``lr_y``, ...), and one per rule
    hyperparameter without a field (into ``rule_options``)."""
    from ..bridge import TrainConfig
    from ._build import add_rule_flag

    hints = typing.get_type_hints(TrainConfig)
    helps = _field_help()
    for field in dataclasses.fields(TrainConfig):
        if field.name == "rule_options":
            continue
        flag = "--" + field.name.replace("_", "-")
        helptext = helps.get(field.name, "") + f" (default {field.default!r})"
        if hints[field.name] is bool:
            parser.add_argument(flag, dest=field.name, action="store_true", default=field.default, help=helptext)
        elif field.name == "spectral_norm":
            parser.add_argument(flag, dest=field.name, action="store_true", default=None, help=helptext)
        else:
            parser.add_argument(flag, dest=field.name, type=_parser_type(hints[field.name]),
                                default=field.default,
                                help=out_help if (field.name == "out" and out_help) else helptext)


    for dest, spec in _option_flags().items():
        helptext = "; ".join(f"{rule}: {i.help}" for rule, (i, _) in spec.takers.items()) + " (rule_options)"
        add_rule_flag(parser, spec, dest, helptext)


def config_from_args(args):
    """The TrainConfig the flags describe (``--reg none`` means no regulariser)."""
    from ..bridge import TrainConfig

    values = {f.name: getattr(args, f.name) for f in dataclasses.fields(TrainConfig) if f.name != "rule_options"}
    options = {spec.option: getattr(args, dest) for dest, spec in _option_flags().items()
               if getattr(args, dest, None) is not None}
    values["rule_options"] = options or None
    if values["reg"] in ("none", ""):
        values["reg"] = None
    return TrainConfig(**values)


def _fmt(value, spec: str) -> str:
    """A metric for printing; ``None`` (not computed, or undefined) reads as "-"."""
    return "-" if value is None else format(value, spec)


def add_parser(sub) -> None:
    parser = sub.add_parser(
        "train", help=HELP, description=HELP + ".", epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_config_flags(parser)
    parser.add_argument("--resume", action="store_true", help="continue the run in --out from its checkpoint")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--json", action="store_true", help="print result.json at the end")
    parser.set_defaults(run=run)


def run(args) -> int:
    from ..bridge import train

    config = config_from_args(args)
    result = train(config, resume=args.resume, progress=not args.quiet)
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
    else:
        print(f"{result.status}: {result.message}")
        if result.evaluation:
            ev = result.evaluation
            print(f"modes {ev['modes']} of {ev['n_modes']}, KL {_fmt(ev['kl'], '.4f')}, "
                  f"Frechet {_fmt(ev['frechet'], '.4g')}, precision {_fmt(ev['precision'], '.3f')}, "
                  f"recall {_fmt(ev['recall'], '.3f')}")
        for name, osc in result.oscillation.items():
            period = "none" if osc["period_steps"] is None else f"{osc['period_steps']:.0f} steps"
            print(f"oscillation of {name}: period {period}, amplitude {osc['amplitude']:.4g}")
        print(f"wrote {result.out}/")
    return 0  # a diverged or early-stopped run is a result (see result.json), not an error
