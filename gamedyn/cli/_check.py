"""``gamedyn check``: check convergence claims from the literature (and refute folklore)."""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
import time

HELP = "check convergence claims by a Hypothesis search plus the spectral test"

EPILOG = """\
examples:
  gamedyn check --list                         the shipped claims, one per line
  gamedyn check optimism-any-step-below-1      one claim, with its counterexample
  gamedyn check --all                          every claim (exit status 0 iff every verdict
                                               is the expected one)
  gamedyn check --all --examples 20 --json     a quicker search, as one JSON object
  gamedyn check --all --random                 a fresh (non-reproducible) search

A claim says that a rule family reaches a regime (converged / cycling / diverged) for every
(or some) game of a family and every point of a hyperparameter region. True claims are
expected to be verified; false folklore is expected to be refuted with a counterexample,
which is shrunk to a minimal one and simulated. The search is seeded (--seed, default 0), so
verdicts are reproducible.
"""


def add_parser(sub) -> None:
    parser = sub.add_parser(
        "check",
        help=HELP,
        description=HELP + ".",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("names", nargs="*", metavar="NAME", help="claims to check (see --list)")
    parser.add_argument("--list", action="store_true", help="list the shipped claims and exit")
    parser.add_argument("--all", action="store_true", help="check every shipped claim")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--examples",
        type=int,
        default=100,
        metavar="N",
        help="search budget: examples per claim (default 100)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the search (default 0)")
    parser.add_argument(
        "--random",
        action="store_true",
        help="fresh randomness instead of --seed (not reproducible)",
    )
    parser.add_argument(
        "--no-simulate",
        action="store_true",
        help="skip simulating the reported examples (spectral test only)",
    )
    parser.set_defaults(run=run)


def _listing(claims):
    if not claims:
        return []
    return [
        {
            "name": c.name,
            "expected": c.expected,
            "regime": c.regime,
            "quantifier": c.quantifier,
            "statement": c.statement,
            "games": c.games_text,
            "rule": c.rule_text,
            "region": c.region_text,
            "source": c.source,
            "equation": c.equation,
        }
        for c in claims
    ]


def _print_list(claims) -> None:
    width = max(len(c.name) for c in claims)
    print(f"{'NAME':{width}s}  {'EXPECTED':8s}  STATEMENT")
    for c in claims:
        lines = textwrap.wrap(c.statement, 100 - width) or [""]
        print(f"{c.name:{width}s}  {c.expected:8s}  {lines[0]}")
        for line in lines[1:]:
            print(f"{'':{width}s}  {'':8s}  {line}")
    verified = sum(c.expected == "verified" for c in claims)
    print(
        f"\n{len(claims)} claims: {verified} from the literature (expected verified), "
        f"{len(claims) - verified} folklore (expected refuted)"
    )


def run(args) -> int:
    from .. import testing
    from ..testing import claims as library

    if args.examples < 1:
        raise ValueError(
            f"--examples {args.examples} is not accepted; expected a whole number >= 1"
        )
    if args.list:
        if args.json:
            print(json.dumps({"claims": _listing(library.CLAIMS)}, indent=2))
        else:
            _print_list(library.CLAIMS)
        return 0
    if args.all and args.names:
        raise ValueError("--all and claim names are not accepted together; pass one or the other")
    if not args.all and not args.names:
        raise ValueError("nothing to check; pass claim names, --all or --list")
    selected = list(library.CLAIMS) if args.all else [library.get(name) for name in args.names]
    seed = None if args.random else args.seed
    start = time.perf_counter()
    verdicts = []
    for claim in selected:
        verdict = testing.check(
            claim, examples=args.examples, seed=seed, simulate=not args.no_simulate
        )
        verdicts.append(verdict)
        if not args.json:
            print(verdict.describe(), end="\n\n", flush=True)
    seconds = time.perf_counter() - start
    mismatches = [v.claim.name for v in verdicts if not v.matches]
    counts = {status: sum(v.status == status for v in verdicts) for status in testing.STATUSES}
    summary = {
        "claims": len(verdicts),
        "as_expected": len(verdicts) - len(mismatches),
        "mismatches": mismatches,
        "counts": counts,
        "examples": args.examples,
        "seed": seed,
        "seconds": round(seconds, 2),
    }
    if args.json:
        print(
            json.dumps(
                {"verdicts": [v.to_dict() for v in verdicts], "summary": summary},
                indent=2,
                allow_nan=False,
            )
        )
    else:
        found = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
        print(
            f"{len(verdicts)} claims checked in {seconds:.1f} s ({found}); "
            f"{summary['as_expected']} as expected"
            + (f", MISMATCH: {', '.join(mismatches)}" if mismatches else "")
        )
    sys.stdout.flush()
    return 0 if not mismatches else 1
