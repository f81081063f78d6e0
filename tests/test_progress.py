"""The progress bar (tqdm with gamedyn's line format): a resumed count, the line per redraw
on a stream that is not a terminal, and nothing at all when disabled."""

import io

from gamedyn._progress import Progress


def test_a_resumed_count_continues_and_each_redraw_is_a_line():
    out = io.StringIO()
    bar = Progress(100, enabled=True, label="training", unit="steps", stream=out, every=0.0)
    bar.done = 40  # a resumed run: 40 steps were done before
    bar.update(30)
    bar.update(1000)  # more than is left: the count stops at the total
    bar.close()
    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue() and len(lines) >= 2
    assert any(line.startswith("training  70% |") and "70/100 steps" in line for line in lines)
    assert lines[-1].startswith("training 100% |########################| 100/100 steps")
    assert bar.done == 100


def test_a_disabled_bar_writes_nothing():
    out = io.StringIO()
    bar = Progress(10, enabled=False, stream=out)
    bar.done = 3
    bar.update(7)
    bar.close()
    assert out.getvalue() == "" and bar.done == 10
