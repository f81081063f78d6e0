"""What every benchmark shares: the ``Section`` a benchmark returns, timing helpers that
interleave a candidate with its baseline, the machine description, and atomic writes.

Every row of BENCHMARKS.md is a ratio of two timings taken in the same process, one after the
other (or interleaved step by step), so that the load of a shared machine affects both sides.
"""

from __future__ import annotations

import contextlib
import datetime
import importlib.metadata
import os
import platform
import statistics
import subprocess
import time
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS_MD = ROOT / "BENCHMARKS.md"


class Section(NamedTuple):
    """One benchmark's results: a Markdown table with a paragraph before and after.

    ``ratios`` names the columns that hold a ratio against the row's baseline (formatted
    ``12.3x`` or ``+1.2%``), so that a reader (and the test) knows which numbers are the
    result and which are the raw times behind it.
    """

    name: str
    title: str
    setup: str
    columns: list
    rows: list
    ratios: list
    notes: str = ""
    seconds: float = float("nan")

    def markdown(self, level: int = 2) -> str:
        lines = [f"{'#' * level} {self.title}", "", self.setup.strip(), ""]
        lines.append("| " + " | ".join(self.columns) + " |")
        lines.append("|" + "---|" * len(self.columns))
        lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in self.rows]
        if self.notes:
            lines += ["", self.notes.strip()]
        if self.seconds == self.seconds:
            lines += ["", f"*Section run time: {self.seconds:.0f} s.*"]
        return "\n".join(lines) + "\n"


def ratio(value: float, digits: int = 2) -> str:
    """``12.34x``; the column header says which time is divided by which."""
    return f"{value:.{digits}f}x" if abs(value) < 100 else f"{value:.0f}x"


def overhead(ours: float, baseline: float) -> str:
    """Relative extra time, ``+1.2%``."""
    return f"{100 * (ours / baseline - 1):+.1f}%"


def interleaved(fns: dict, repeats: int, sync=None, warmup: int = 1) -> dict:
    """Per-call times of several functions called in turn, so that a change in the
    machine's load during the run falls on all of them alike. The order flips every round
    (a, b, b, a, a, b, ...) so that neither always runs first, in the other's wake (caches,
    allocator, CPU frequency)."""
    sync = sync or (lambda out: out)
    for _ in range(warmup):
        for fn in fns.values():
            sync(fn())
    times = {name: [] for name in fns}
    for round_ in range(repeats):
        order = list(fns.items())
        for name, fn in (order if round_ % 2 == 0 else order[::-1]):
            start = time.perf_counter()
            sync(fn())
            times[name].append(time.perf_counter() - start)
    return times


THREADS_WHY = ("on a small shared machine two torch threads stall each other whenever another process "
               "takes a core; `--threads 0` keeps torch's default")


@contextlib.contextmanager
def torch_threads(threads: int | None):
    """Run torch with ``threads`` intra-op threads (``None`` or 0: leave its default). On a
    small shared machine, two threads that wait on each other stall whenever another
    process takes a core, and per-step times then scatter by 10x and more."""
    import torch

    saved = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        yield torch.get_num_threads()
    finally:
        torch.set_num_threads(saved)


def paired_ratio(ours: list, baseline: list) -> tuple[float, float, float]:
    """Median of the per-pair ratios ``ours[i] / baseline[i]`` with its quartiles: pairs
    are taken back to back, so their ratio cancels most of a shared machine's drift."""
    ratios = sorted(a / b for a, b in zip(ours, baseline))
    if len(ratios) < 4:
        middle = statistics.median(ratios)
        return middle, ratios[0], ratios[-1]
    q1, q2, q3 = statistics.quantiles(ratios, n=4)
    return q2, q1, q3


def median_error(q1: float, q3: float, n: int) -> float:
    """Standard error of a median of ``n`` samples with quartiles ``q1``, ``q3``: for a
    normal spread sigma = IQR / 1.349 and s.e. = sqrt(pi / 2) sigma / sqrt(n)."""
    return 1.2533 * (q3 - q1) / 1.349 / max(n, 1) ** 0.5


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _gpu() -> str:
    try:
        import torch

        if torch.cuda.is_available():
            return ", ".join(torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count()))
    except ImportError:
        pass
    return "none"


def _commit() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" with uncommitted changes" if dirty else "")


def load_average() -> float:
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def machine() -> dict:
    """The facts a reader needs to compare these numbers with their own."""
    import jax

    return {
        "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "gpu": _gpu(),
        "jax devices": ", ".join(str(d) for d in jax.devices()),
        "python": platform.python_version(),
        "numpy": _version("numpy"),
        "jax": _version("jax"),
        "torch": _version("torch"),
        "scipy": _version("scipy"),
        "commit": _commit(),
    }


def machine_line() -> str:
    m = machine()
    return (f"{m['date']} — {m['cpu']}, {m['cores']} cores, GPU: {m['gpu']}, "
            f"jax {m['jax']}, torch {m['torch']}, load average {load_average():.1f}")


def write_atomically(path: Path, text: str | bytes) -> None:
    """Write ``text`` (or bytes) to a temporary file beside ``path`` and rename it over
    ``path``: a reader never sees half a file, and an interrupted run leaves the old one."""
    from gamedyn._files import atomic_write

    data = text if isinstance(text, bytes) else text.encode()
    atomic_write(path, lambda tmp: Path(tmp).write_bytes(data))


def append_section(section: Section, path: Path = BENCHMARKS_MD) -> None:
    """The single scripts' ``--write``: append one section (with the machine it ran on) to
    BENCHMARKS.md. ``benchmarks/run.py`` rewrites the whole file instead."""
    existing = path.read_text() if path.exists() else "# Benchmarks\n\n"
    text = section.markdown(level=3) + f"\n*{section.name} run alone: {machine_line()}.*\n"
    write_atomically(path, existing.rstrip("\n") + "\n\n" + text)


def chosen_names(parser, flag: str, text: str, allowed) -> list[str]:
    """The comma-separated names of ``text`` (a ``flag`` of ``parser``), each one of
    ``allowed``; a parser error naming the unknown ones otherwise."""
    names = [n for n in text.split(",") if n]
    bad = sorted(set(names) - set(allowed))
    if bad or not names:
        parser.error(f"{flag} {text!r}: unknown {bad}; choose from {', '.join(allowed)}")
    return names


def check_seeds(parser, seeds: int) -> None:
    if seeds < 2:
        parser.error(f"--seeds {seeds}: expected at least 2 (an interval needs two)")
