"""Run every benchmark and write BENCHMARKS.md from scratch.

One entry point for the numbers the issues ask for; each benchmark module (``bench_*.py``)
exposes ``run(**sizes) -> Section`` with ``DEFAULT`` and ``QUICK`` sizes, and still runs on
its own. Every row is a ratio of two timings taken in this run against the row's baseline.
The file is written atomically (a temporary file renamed over it), with a header naming the
machine, the library versions and the date; nothing of an earlier BENCHMARKS.md is kept.

    .venv/bin/python benchmarks/run.py                  # default sizes: 6 min on 2 quiet cores (k-NN 3 of them)
    .venv/bin/python benchmarks/run.py --quick          # small sizes (under a minute), used by the test
    .venv/bin/python benchmarks/run.py --only phase topk --out /tmp/BENCHMARKS.md

``benchmarks/islands_table.py`` (mode collapse against published tables) is a separate,
long results table and is not run here.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_bridge
import bench_knn
import bench_phase
import bench_spectra
import bench_topk
import bench_toy
import bench_update
from _common import BENCHMARKS_MD, load_average, machine, write_atomically

# in the order they appear in BENCHMARKS.md
BENCHMARKS = {
    "phase": bench_phase,
    "spectra": bench_spectra,
    "topk": bench_topk,
    "update": bench_update,
    "toy": bench_toy,
    "bridge": bench_bridge,
    "knn": bench_knn,
}


def header(sections, quick: bool, command: str, seconds: float, load_before: float) -> str:
    m = machine()
    lines = [
        "# Benchmarks",
        "",
        f"Written by `{command}` on {m['date']} in {seconds:.0f} s"
        + (" (`--quick`: small sizes, for the test — not the numbers to quote)." if quick else "."),
        ("Every ratio compares two timings taken in this run, one after the other or interleaved "
         "call by call, so that the machine's load falls on both; absolute times are only a guide."),
        "",
        "| machine | |",
        "|---|---|",
        f"| CPU | {m['cpu']}, {m['cores']} cores |",
        f"| GPU | {m['gpu']} (JAX devices: {m['jax devices']}) |",
        (f"| versions | Python {m['python']}, numpy {m['numpy']}, scipy {m['scipy']}, jax {m['jax']}, "
         f"torch {m['torch']} |"),
        f"| commit | {m['commit']} |",
        (f"| load average | {load_before:.1f} before the run, {load_average():.1f} after "
         f"(the machine is shared; a load above the core count makes timings pessimistic) |"),
        "",
        "Sections: " + ", ".join(f"[{s.name}](#{_anchor(s.title)})" for s in sections) + ".",
        "",
    ]
    return "\n".join(lines)


def _anchor(title: str) -> str:
    # GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens
    kept = "".join(c for c in title.lower() if c.isalnum() or c in " -_")
    return kept.replace(" ", "-")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (about a minute)")
    parser.add_argument("--only", nargs="+", choices=list(BENCHMARKS), metavar="NAME",
                        help=f"run only these ({', '.join(BENCHMARKS)})")
    parser.add_argument("--out", default=str(BENCHMARKS_MD), help="where to write (default: BENCHMARKS.md)")
    args = parser.parse_args(argv)
    names = [name for name in BENCHMARKS if args.only is None or name in args.only]
    argv = sys.argv[1:] if argv is None else argv
    command = "python " + " ".join(shlex.quote(a) for a in ["benchmarks/run.py", *argv])
    load_before = load_average()
    start = time.perf_counter()
    sections = []
    for name in names:
        module = BENCHMARKS[name]
        sizes = module.QUICK if args.quick else module.DEFAULT
        print(f"[run.py] {name}: {sizes}", file=sys.stderr, flush=True)
        section = module.run(**sizes)
        print(f"[run.py] {name}: {section.seconds:.0f} s", file=sys.stderr, flush=True)
        sections.append(section)
    text = header(sections, args.quick, command, time.perf_counter() - start, load_before)
    text += "\n" + "\n".join(section.markdown() for section in sections)
    write_atomically(Path(args.out), text)
    print(text)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
