"""``gamedyn figures``: regenerate every figure by running each study script."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HELP = "run every script in studies/ (one per figure) and write figures/"


def add_parser(sub) -> None:
    parser = sub.add_parser("figures", help=HELP, description=HELP + ".")
    parser.add_argument("--studies", default="studies", help="folder of study scripts (default studies/)")
    parser.add_argument("--out", default="figures", help="folder the figures go to (default figures/)")
    parser.add_argument(
        "--only", action="append", default=None, metavar="NAME",
        help="run only studies whose file name contains NAME (repeatable)",
    )
    parser.add_argument("--list", action="store_true", help="list the studies and exit")
    parser.add_argument(
        "--fast", action="store_true",
        help="reduced sizes (sets GAMEDYN_FAST=1 for the studies); for smoke tests",
    )
    parser.add_argument(
        "-j", "--jobs", type=int, default=min(2, os.cpu_count() or 1),
        help="studies run at once (default: 2 or the number of cores, if fewer)",
    )
    parser.set_defaults(run=run)


def discover(folder: Path, only=None) -> list[Path]:
    scripts = sorted(p for p in folder.glob("*.py") if not p.name.startswith("_"))
    if only:
        scripts = [p for p in scripts if any(name in p.name for name in only)]
    return scripts


def _run_one(script: Path, out: Path, fast: bool) -> tuple[Path, int, float, str]:
    env = dict(os.environ, GAMEDYN_FIGURES=str(out.resolve()), MPLBACKEND="Agg")
    if fast:
        env["GAMEDYN_FAST"] = "1"
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(script)], env=env, capture_output=True, text=True
    )
    return script, proc.returncode, time.perf_counter() - start, proc.stdout + proc.stderr


def run(args) -> int:
    folder = Path(args.studies)
    if not folder.is_dir():
        raise SystemExit(
            f"gamedyn: error: --studies {args.studies!r} is not a folder; run from the "
            "repository root or pass --studies PATH"
        )
    if args.jobs < 1:
        raise SystemExit(f"gamedyn: error: --jobs {args.jobs} is not accepted; expected >= 1")
    scripts = discover(folder, args.only)
    if not scripts:
        raise SystemExit(f"gamedyn: error: no study scripts matched in {folder}/")
    if args.list:
        for script in scripts:
            doc = _first_line(script)
            print(f"{script.name:40s} {doc}")
        return 0
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    failed = []
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for script, code, seconds, output in pool.map(lambda s: _run_one(s, out, args.fast), scripts):
            status = "ok" if code == 0 else f"FAILED (exit {code})"
            print(f"[{status}] {script.name} ({seconds:.1f} s)", flush=True)
            if code != 0:
                failed.append(script.name)
                print(output.rstrip()[-4000:], file=sys.stderr)
    print(f"{len(scripts) - len(failed)} of {len(scripts)} studies ran; figures in {out}/")
    return 1 if failed else 0


def _first_line(script: Path) -> str:
    import ast

    doc = ast.get_docstring(ast.parse(script.read_text())) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""
