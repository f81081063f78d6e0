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
    reduced sizes, so that a test can run every one of them quickly."""
    return os.environ.get("GAMEDYN_FAST", "") not in ("", "0")


def style_path() -> Path:
    """Path of the package's matplotlib style file."""
    return Path(__file__).with_name("gamedyn.mplstyle")


def use_style() -> None:
    """Select the non-interactive Agg backend and the package's style."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.style.use(str(style_path()))


def figures_dir() -> Path:
    """Where studies write: ``$GAMEDYN_FIGURES`` if set, else ``./figures``."""
    path = Path(os.environ.get("GAMEDYN_FIGURES", "figures"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def save_figure(fig, path, **savefig) -> Path:
    """Write ``fig`` to ``path`` atomically (a temporary file, then a rename), so an
    interrupted run never leaves a half-written figure. ``savefig`` keywords (``dpi=``, ...)
    go to :meth:`matplotlib.figure.Figure.savefig`."""
    from .._files import atomic_write

    path = atomic_write(path, lambda tmp: fig.savefig(tmp, **savefig))
    manifest = os.environ.get("GAMEDYN_FIGURES_MANIFEST")
    if manifest:  # `gamedyn figures` checks that every study wrote something
        with open(manifest, "a") as handle:
            handle.write(f"{path.resolve()}\n")
    return path
