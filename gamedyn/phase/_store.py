"""Atomic NetCDF output and resumable sweeps.

While a sweep with ``out=PATH`` runs, every finished chunk is written atomically to
``PATH.parts/part_<id>.npz`` next to a ``sweep.json`` that fingerprints the sweep (axes,
options, the game and rule at the grid's corners). A rerun with the same fingerprint loads
the finished chunks and computes only the rest; the complete result goes to ``PATH`` by a
temporary file and a rename, and the parts are removed. A finished ``PATH`` with the same
fingerprint is loaded instead of recomputed.
"""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import numpy as np

__all__ = ["PartStore", "write_netcdf", "read_netcdf", "netcdf_engine"]


def _atomic_bytes(path: Path, write) -> None:
    """Call ``write(tmp_path)`` then rename the temporary file onto ``path``."""
    from .._files import atomic_write

    atomic_write(path, write)


def netcdf_engine() -> str:
    """The best installed NetCDF writer: netCDF4 or h5netcdf if present, else scipy
    (NetCDF3, always available with scipy)."""
    for module, engine in (("netCDF4", "netcdf4"), ("h5netcdf", "h5netcdf")):
        try:
            __import__(module)
            return engine
        except ImportError:
            continue
    return "scipy"


def write_netcdf(ds, path) -> Path:
    """Write ``ds`` to ``path`` atomically (a reader never sees half a file)."""
    path = Path(path)
    engine = netcdf_engine()
    _atomic_bytes(path, lambda tmp: ds.to_netcdf(tmp, engine=engine))
    return path


def read_netcdf(path):
    """Load a Dataset written by :func:`write_netcdf` fully into memory (file closed)."""
    import xarray as xr

    with xr.open_dataset(path) as ds:
        return ds.load()


class PartStore:
    """Finished chunks of one sweep, kept on disk until the sweep completes."""

    def __init__(self, out, fingerprint: str):
        self.out = Path(out)
        self.dir = self.out.with_name(self.out.name + ".parts")
        self.fingerprint = fingerprint

    def open(self) -> set[int]:
        """Prepare the folder; returns the ids of the chunks already finished."""
        meta = self.dir / "sweep.json"
        if self.dir.exists():
            try:
                found = json.loads(meta.read_text())["fingerprint"]
            except (OSError, ValueError, KeyError):
                found = None
            if found != self.fingerprint:
                warnings.warn(
                    f"out={str(self.out)!r}: discarding the unfinished chunks in {self.dir} "
                    "because they belong to a different sweep (other axes, options, game or "
                    "rule)",
                    stacklevel=3,
                )
                shutil.rmtree(self.dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        if not meta.exists():
            text = json.dumps({"fingerprint": self.fingerprint})
            _atomic_bytes(meta, lambda tmp: Path(tmp).write_text(text))
        return self.done()

    def _path(self, part: int) -> Path:
        return self.dir / f"part_{part:07d}.npz"

    def done(self) -> set[int]:
        ids = set()
        for path in self.dir.glob("part_*.npz"):
            try:
                ids.add(int(path.stem.split("_")[1]))
            except (IndexError, ValueError):
                continue
        return ids

    def save(self, part: int, arrays: dict) -> None:
        def write(tmp):
            with open(tmp, "wb") as fh:
                np.savez(fh, **arrays)

        _atomic_bytes(self._path(part), write)

    def load(self, part: int) -> dict | None:
        """The arrays of a finished chunk; None (the file removed, with a warning naming it)
        if the file is damaged, so that the chunk is computed again."""
        path = self._path(part)
        try:
            with np.load(path) as data:
                return {k: data[k] for k in data.files}
        except Exception as error:  # zipfile.BadZipFile, EOFError, OSError, ValueError
            warnings.warn(f"{path} is damaged ({type(error).__name__}); computing that chunk again",
                          stacklevel=3)
            path.unlink(missing_ok=True)
            return None

    def clear(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)
