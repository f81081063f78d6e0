"""Progress bars on stderr for grids, sweeps and trainings that take more than a moment:
``tqdm``, with gamedyn's line format, and one line per redraw when stderr is not a terminal
(a log file then reads as a list of progress lines, not one line of carriage returns)."""

from __future__ import annotations

import sys

from tqdm import tqdm

__all__ = ["Progress"]


class _Lines:
    """A stream that is not a terminal: each of tqdm's redraws (``\\r`` + line) becomes a line."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, text: str) -> None:
        text = text.strip("\r\n")
        if text:
            self.stream.write(text + "\n")

    def flush(self) -> None:
        self.stream.flush()


class Progress:
    """Counts finished cells; draws ``phase diagram  42% |#####      | 1.7M/4.0M cells,
    3.1M cells/s, 00:01 left`` on stderr (a ``tqdm`` bar).

    ``enabled=None`` draws only when stderr is a terminal, once ``delay`` seconds have passed;
    ``True`` always, from the start (one line per redraw, at most every ``every`` seconds,
    when stderr is not a terminal); ``False`` never.

    >>> import io
    >>> out = io.StringIO()
    >>> bar = Progress(4, enabled=True, label="sweep", unit="runs", stream=out)
    >>> bar.update(4); bar.close()
    >>> out.getvalue().splitlines()[-1].startswith("sweep 100% |########################| 4/4 runs")
    True
    """

    def __init__(self, total: int, *, enabled=None, label: str = "phase diagram",
                 unit: str = "cells", delay: float = 1.0, every: float = 5.0, stream=None):
        stream = sys.stderr if stream is None else stream
        tty = bool(getattr(stream, "isatty", lambda: False)())
        self.enabled = tty if enabled is None else bool(enabled)
        total = max(int(total), 1)
        self._total, self._done = total, 0
        counts = "{n_fmt}/{total_fmt}" if total >= 10_000 else "{n}/{total}"  # 4.0M/4.0M, 3/3
        self._bar = tqdm(
            total=total, desc=label, unit=f" {unit}", unit_scale=True, ascii=" #",
            file=stream if tty else _Lines(stream), disable=not self.enabled,
            delay=delay if enabled is None else 0.0, mininterval=0.1 if tty else every,
            bar_format="{desc} {percentage:3.0f}% |{bar:24}| " + counts + f" {unit}, " + "{rate_fmt}, {remaining} left",
            dynamic_ncols=False, leave=True,
        )

    @property
    def done(self) -> int:
        """Cells counted so far; set it to start from work already done (a resumed run)."""
        return self._done

    @done.setter
    def done(self, value: int) -> None:
        self._done = min(int(value), self._total)
        if not self._bar.disable:
            self._bar.n = self._bar.last_print_n = self._done
            self._bar.start_t = self._bar._time()  # the rate counts this session's work only

    def update(self, cells: int) -> None:
        step = min(int(cells), self._total - self._done)
        self._done += step
        self._bar.update(step)

    def close(self) -> None:
        self._bar.close()
