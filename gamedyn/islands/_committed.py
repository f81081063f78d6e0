"""The committed islands table's per-seed results, scored again from the saved samples."""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["committed_stats", "committed_samples_path"]


def committed_samples_path() -> Path | None:
    """Where the committed islands samples are: ``results/islands_samples.npz`` in a checkout
    of gamedyn, else the copy a wheel installs under ``gamedyn/_repo/results/``; None where
    neither exists.

    >>> import gamedyn as gd
    >>> path = gd.islands.committed_samples_path()
    >>> path is None or path.name == "islands_samples.npz"
    True
    """
    package = Path(__file__).resolve().parents[1]
    for path in (package.parent / "results" / "islands_samples.npz",
                 package / "_repo" / "results" / "islands_samples.npz"):
        if path.is_file():
            return path
    return None


def committed_stats(protocol: str = "veegan", data: str = "ring", *, path=None) -> dict[str, dict[str, np.ndarray]]:
    """Per-seed final scores of every method of the islands table under ``protocol`` on
    ``data``, recomputed with :func:`gamedyn.metrics.mode_stats` from the generator samples
    that ``benchmarks/islands_table.py`` saved (``path``, default
    :func:`committed_samples_path`): ``{method: {"modes", "high_quality", "kl",
    "kl_capped"}}``, each an array with one value per seed. ``kl`` is infinite for a seed
    with no high-quality sample (no histogram to compare); ``kl_capped`` scores such a seed
    as collapsed on one mode, ``log k`` for ``k`` equally weighted modes (the largest KL a
    histogram of high-quality samples reaches), so that means and rankings stay finite.
    Methods the table has not run are absent; an empty dict where no samples file exists.

    >>> import gamedyn as gd
    >>> rows = gd.islands.committed_stats("veegan", "ring")
    >>> not rows or all(v["modes"].shape == v["kl"].shape for v in rows.values())
    True
    """
    from ..metrics import mode_stats
    from .._checks import check_choice
    from ._setups import DATASETS, PROTOCOLS, setup

    check_choice("protocol", protocol, tuple(PROTOCOLS))
    check_choice("data", data, tuple(DATASETS))
    path = committed_samples_path() if path is None else Path(path)
    if path is None or not path.is_file():
        return {}
    mixture, _ = setup("gan", data, protocol=protocol)
    weights = np.asarray(mixture.weights, float) if getattr(mixture, "weights", None) is not None else None
    one_mode = float(np.log(mixture.k)) if weights is None else float(-np.log(weights.min()))
    out = {}
    with np.load(path) as saved:
        for key in saved.files:
            p, d, method = key.split("/")
            if (p, d) == (protocol, data):
                s = mode_stats(np.asarray(saved[key], np.float64), mixture)
                kl = np.asarray(s.kl, float)
                out[method] = {"modes": np.asarray(s.modes, float), "high_quality": np.asarray(s.high_quality, float),
                               "kl": kl, "kl_capped": np.where(np.isinf(kl), one_mode, kl)}
    return out
