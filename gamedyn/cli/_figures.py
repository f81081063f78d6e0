"""``gamedyn figures``: regenerate every figure by running each study script."""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

HELP = "run every script in studies/ (one per figure) and write figures/"

EXAMPLES = """examples:
  gamedyn figures                          # every study -> figures/ (the README's main job)
  gamedyn figures --only phase --only islands
  gamedyn figures --fast --out /tmp/figs   # reduced sizes: a smoke test of every study
  gamedyn figures --list                   # the studies and the claim each one shows

A study fails if it exits with an error or writes no figure (through gd.plots.save_figure);
the command then exits with 1 and prints the study's output.
"""


def add_parser(sub) -> None:
    parser = sub.add_parser("figures", help=HELP, description=HELP + ".", epilog=EXAMPLES,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--studies", default=None,
                        help="folder of study scripts (default: studies/ here, else the copy installed with gamedyn)")
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


def _run_one(script: Path, out: Path, fast: bool) -> tuple[Path, int, float, str, list[str]]:
    """Run one study; return its exit code, seconds, output and the files it saved."""
    with tempfile.TemporaryDirectory() as tmp:
        manifest = Path(tmp) / "written"
        env = dict(os.environ, GAMEDYN_FIGURES=str(out.resolve()), MPLBACKEND="Agg",
                   GAMEDYN_FIGURES_MANIFEST=str(manifest))
        if fast:
            env["GAMEDYN_FAST"] = "1"
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True)
        written = manifest.read_text().splitlines() if manifest.exists() else []
    return script, proc.returncode, time.perf_counter() - start, proc.stdout + proc.stderr, written


def studies_folder(given: str | None) -> Path:
    """The study scripts: ``given``, else ``studies/`` in the working directory (a checkout),
    else the copy installed with the package (a wheel ships the studies and the committed
    results they read under ``gamedyn/_repo/``)."""
    if given is not None:
        folder = Path(given)
        if not folder.is_dir():
            raise SystemExit(f"gamedyn: error: --studies {given!r} is not a folder; pass the folder of the study "
                             "scripts (studies/ in a checkout of gamedyn)")
        return folder
    installed = Path(__file__).resolve().parents[1] / "_repo" / "studies"
    for folder in (Path("studies"), installed):
        if folder.is_dir():
            return folder
    raise SystemExit("gamedyn: error: no study scripts: studies/ is not in the working directory and this "
                     f"installation has none at {installed}; run from a checkout of gamedyn or pass --studies PATH")


def run(args) -> int:
    folder = studies_folder(args.studies)
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
    start = time.perf_counter()
    print(f"running {len(scripts)} studies, {args.jobs} at a time{' (--fast)' if args.fast else ''}",
          flush=True)
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = [pool.submit(_run_one, s, out, args.fast) for s in scripts]
        for done, future in enumerate(as_completed(futures), 1):  # report each as it ends
            script, code, seconds, output, written = future.result()
            if code != 0:
                status = f"FAILED (exit {code})"
            elif not written:
                status = "FAILED (no figure written)"
            else:
                status = "ok: " + ", ".join(Path(w).name for w in written)
            print(f"[{done}/{len(scripts)}, {time.perf_counter() - start:.0f} s] {script.name} "
                  f"({seconds:.1f} s) {status}", flush=True)
            if code != 0 or not written:
                failed.append(script.name)
                print(output.rstrip()[-4000:], file=sys.stderr)
    print(f"{len(scripts) - len(failed)} of {len(scripts)} studies ran; figures in {out}/")
    return 1 if failed else 0


def _first_line(script: Path) -> str:
    import ast

    doc = ast.get_docstring(ast.parse(script.read_text())) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""
