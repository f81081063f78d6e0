"""A small progress bar on stderr for grids that take more than a moment (no dependency)."""

from __future__ import annotations

import sys
import time

__all__ = ["Progress"]


class Progress:
    """Counts finished cells; draws ``phase diagram  42% |#####      | 1.7M/4.0M cells,
    3.1M cells/s, 1 s left`` on stderr once ``delay`` seconds have passed.

    ``enabled=None`` draws only when stderr is a terminal; ``True`` always (one line per
    update when stderr is not a terminal, at most every ``every`` seconds); ``False`` never.
    """

    def __init__(self, total: int, *, enabled=None, label: str = "phase diagram",
                 unit: str = "cells", delay: float = 1.0, every: float = 5.0, stream=None):
        self.total = max(int(total), 1)
        self.stream = sys.stderr if stream is None else stream
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.enabled = self.tty if enabled is None else bool(enabled)
        self.label = label
        self.unit = unit
        self.delay = delay
        self.every = every
        self.done = 0
        self.start = time.perf_counter()
        self._last = -float("inf")
        self._drawn = False

    def update(self, cells: int) -> None:
        self.done = min(self.total, self.done + int(cells))
        if not self.enabled:
            return
        now = time.perf_counter()
        elapsed = now - self.start
        if elapsed < self.delay and self.done < self.total:
            return
        if not self.tty and now - self._last < self.every and self.done < self.total:
            return
        self._last = now
        self._draw(elapsed)

    def _draw(self, elapsed: float) -> None:
        frac = self.done / self.total
        width = 24
        bar = "#" * int(round(frac * width))
        speed = self.done / elapsed if elapsed > 0 else float("inf")
        left = (self.total - self.done) / speed if speed > 0 else float("inf")
        text = (
            f"{self.label} {100 * frac:3.0f}% |{bar:<{width}}| {_count(self.done)}/"
            f"{_count(self.total)} {self.unit}, {_count(speed)} {self.unit}/s, {left:.0f} s left"
        )
        end = "" if self.tty and self.done < self.total else "\n"
        self.stream.write(("\r" if self.tty else "") + text + end)
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self.enabled and self._drawn and self.tty and self.done < self.total:
            self.stream.write("\n")
            self.stream.flush()


def _count(n: float) -> str:
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(n) >= scale:
            return f"{n / scale:.1f}{unit}"
    return f"{n:.0f}"
