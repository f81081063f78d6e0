"""Figures: one matplotlib style for the package, and atomic saving.

>>> import gamedyn as gd
>>> gd.plots.style_path().name
'gamedyn.mplstyle'
"""

from __future__ import annotations

import os
from pathlib import Path

from ._phase import phase

__all__ = ["style_path", "use_style", "save_figure", "figures_dir", "fast", "phase"]


def fast() -> bool:
    """True when ``$GAMEDYN_FAST`` is set (``gamedyn figures --fast``): studies then use
    reduced sizes, so that a test can run every one of them quickly.

    >>> import os
    >>> from unittest import mock
    >>> import gamedyn as gd
    >>> with mock.patch.dict(os.environ, GAMEDYN_FAST="1"):
    ...     on = gd.plots.fast()
    >>> with mock.patch.dict(os.environ, GAMEDYN_FAST="0"):
    ...     off = gd.plots.fast()
    >>> on, off
    (True, False)
    """
    return os.environ.get("GAMEDYN_FAST", "") not in ("", "0")


def style_path() -> Path:
    """Path of the package's matplotlib style file.

    >>> import gamedyn as gd
    >>> path = gd.plots.style_path()
    >>> path.suffix, path.is_file()
    ('.mplstyle', True)
    """
    return Path(__file__).with_name("gamedyn.mplstyle")


def use_style() -> None:
    """Select the non-interactive Agg backend and the package's style.

    >>> import matplotlib, gamedyn as gd
    >>> gd.plots.use_style()
    >>> matplotlib.get_backend().lower(), matplotlib.rcParams["axes.grid"]   # grid: in the style
    ('agg', True)
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.style.use(str(style_path()))


def figures_dir() -> Path:
    """Where studies write: ``$GAMEDYN_FIGURES`` if set, else ``./figures`` (created if
    missing).

    >>> import os, tempfile
    >>> from unittest import mock
    >>> import gamedyn as gd
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     with mock.patch.dict(os.environ, GAMEDYN_FIGURES=os.path.join(folder, "figs")):
    ...         path = gd.plots.figures_dir()
    ...         made = path.is_dir()
    >>> path.name, made
    ('figs', True)
    """
    path = Path(os.environ.get("GAMEDYN_FIGURES", "figures"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def save_figure(fig, path, **savefig) -> Path:
    """Write ``fig`` to ``path`` atomically (a temporary file, then a rename), so an
    interrupted run never leaves a half-written figure. ``savefig`` keywords (``dpi=``, ...)
    go to :meth:`matplotlib.figure.Figure.savefig`.

    >>> import pathlib, tempfile
    >>> import matplotlib.pyplot as plt, gamedyn as gd
    >>> gd.plots.use_style()
    >>> fig, ax = plt.subplots(figsize=(2, 2))
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = gd.plots.save_figure(fig, pathlib.Path(folder) / "fig.png", dpi=50)
    ...     files = sorted(p.name for p in path.parent.iterdir())
    ...     png = path.read_bytes()[1:4]
    >>> plt.close(fig)
    >>> files, png                               # no temporary file left; a PNG by its suffix
    (['fig.png'], b'PNG')
    """
    from .._files import atomic_write

    path = atomic_write(path, lambda tmp: fig.savefig(tmp, **savefig))
    manifest = os.environ.get("GAMEDYN_FIGURES_MANIFEST")
    if manifest:  # `gamedyn figures` checks that every study wrote something
        with open(manifest, "a") as handle:
            handle.write(f"{path.resolve()}\n")
    return path
