"""A grid of trainings, run locally or as Ray tasks, gathered into one table.

Each cell of the grid is an ordinary :func:`gamedyn.bridge.train` run in its own folder
(``out/<name>``), so every cell is resumable: a cell whose ``result.json`` says it finished
is read back, not retrained; an interrupted one resumes from its checkpoint. The table
(``out/table.md`` and ``out/table.json``) is rewritten atomically each time a cell finishes,
so an interrupted sweep keeps every row it has.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import re
from pathlib import Path

from .._checks import check_choice
from .._cluster import connect_ray
from ._config import TrainConfig

__all__ = ["sweep", "SWEEP_BACKENDS", "sweep_cells", "rule_option_names"]

SWEEP_BACKENDS = ("local", "ray")
_METRICS = ("modes", "n_modes", "kl", "frechet", "precision", "recall", "density", "coverage")


def _label(value) -> str:
    text = "none" if value is None else str(value)
    return re.sub(r"[^A-Za-z0-9.+-]", "_", text)


def sweep_cells(base: TrainConfig, grid: dict, out) -> list[tuple[dict, TrainConfig]]:
    """The grid's cells: ``(values, config)`` with ``config.out = out/<name=value-...>``.

    >>> from gamedyn.bridge import TrainConfig, sweep_cells
    >>> cells = sweep_cells(TrainConfig(), {"lr": [1e-4, 2e-4], "seed": [0, 1]}, "runs/s")
    >>> len(cells), cells[1][0]  # 2 x 2 cells, the last parameter varying fastest
    (4, {'lr': 0.0001, 'seed': 1})
    >>> cells[1][1].out, cells[1][1].seed
    ('runs/s/lr=0.0001-seed=1', 1)

    A hyperparameter of the rule without a named field goes to ``rule_options``:

    >>> cells = sweep_cells(TrainConfig(rule="unrolled"), {"look_ahead": ["plain", "base"]}, "runs/s")
    >>> [c.rule_options for _, c in cells]
    [{'look_ahead': 'plain'}, {'look_ahead': 'base'}]
    """
    if not grid:
        raise ValueError("grid is empty; expected at least one parameter with values to sweep")
    fields = {f.name for f in dataclasses.fields(TrainConfig)} - {"out"}
    options = rule_option_names(base.rule)
    cells = []
    for name, values in grid.items():
        if name not in fields and name not in options:
            raise ValueError(f"grid parameter {name!r} is not a training parameter; expected one of {sorted(fields)} "
                             f"or a hyperparameter of rule={base.rule!r} set through rule_options "
                             f"({', '.join(sorted(options)) or 'none'})")
        if len(values) == 0:
            raise ValueError(f"grid parameter {name!r} has no values")
    names = list(grid)
    for combo in itertools.product(*(grid[n] for n in names)):
        values = dict(zip(names, combo))
        folder = "-".join(f"{n}={_label(v)}" for n, v in values.items())
        settings = {n: v for n, v in values.items() if n in fields}
        extra = {n: v for n, v in values.items() if n not in fields}
        if extra:
            settings["rule_options"] = {**(base.rule_options or {}), **extra}
        cells.append((values, dataclasses.replace(base, out=str(Path(out) / folder), **settings)))
    return cells


def rule_option_names(rule: str) -> set[str]:
    """The hyperparameters of ``rule`` that TrainConfig sets through ``rule_options`` (those
    without a named field), which a sweep may vary like fields.

    >>> sorted(rule_option_names("unrolled"))
    ['look_ahead', 'lr_unroll', 'through']
    """
    from ..optim import hyperparameters
    from ._config import _field_of

    return {o for o in hyperparameters(rule) if o not in ("lr", "base") and _field_of(rule, o) is None}


def _run_cell(config_json: dict, threads: int | None) -> dict:
    """Train (or resume, or read back) one cell; returns its result as JSON."""
    import torch

    from ._train import train

    if threads is not None:
        torch.set_num_threads(threads)
    config = TrainConfig.from_json(config_json)
    out = Path(config.out)
    result_path = out / "result.json"
    if result_path.exists():
        saved = json.loads(result_path.read_text())
        done = saved["status"] in ("diverged", "early-stopped") or (
            saved["status"] == "completed" and saved["steps"] >= config.steps)
        if done:
            return saved
    resume = (out / "checkpoint.pt").exists() or (out / "checkpoint.prev.pt").exists()
    return train(config, resume=resume, progress=False).to_json()


def _row(values: dict, result: dict) -> dict:
    evaluation = result.get("evaluation") or {}
    row = {**values, "status": result["status"], "steps": result["steps"], "diverged_at": result.get("diverged_at")}
    row.update({m: evaluation.get(m) for m in _METRICS})
    gap = result.get("oscillation", {}).get("gap", {})
    row["gap_period"] = gap.get("period_steps")
    row["gap_amplitude"] = gap.get("amplitude")
    row["out"] = result["out"]
    return row


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _write_table(out: Path, rows: list[dict], total: int) -> None:
    from .._files import atomic_write

    columns = list(rows[0]) if rows else []
    lines = [f"# sweep: {len(rows)} of {total} cells finished", "",
             "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_fmt(r[c]) for c in columns) + " |" for r in rows]
    atomic_write(out / "table.md", lambda tmp: Path(tmp).write_text("\n".join(lines) + "\n"))
    atomic_write(out / "table.json", lambda tmp: Path(tmp).write_text(json.dumps(rows, indent=2)))


def sweep(base: TrainConfig, grid: dict, *, out="runs/sweep", backend: str = "local",
          address: str | None = None, threads: int | None = None, progress: bool = True) -> list[dict]:
    """Train every cell of ``grid`` (``{parameter: [values...]}`` over :class:`TrainConfig`
    fields) and return the table's rows (one per cell, in grid order).

    ``backend="ray"`` runs the cells as Ray tasks (one CPU each; a local Ray instance unless
    ``address`` names a cluster); ``"local"`` runs them one after another here. ``threads``
    sets each training's torch threads.

    >>> import gamedyn as gd
    >>> cells = gd.bridge.sweep_cells(gd.bridge.TrainConfig(), {"rule": ["gda", "extragradient"], "lr": [1e-4]}, "runs/s")
    >>> [c.out for _, c in cells]
    ['runs/s/rule=gda-lr=0.0001', 'runs/s/rule=extragradient-lr=0.0001']
    """
    check_choice("backend", backend, SWEEP_BACKENDS)
    if backend == "local" and address is not None:
        raise ValueError("address is only used with backend='ray'")
    out = Path(out)
    cells = sweep_cells(base, grid, out)
    out.mkdir(parents=True, exist_ok=True)
    from .._progress import Progress

    bar = Progress(len(cells), enabled=None if progress else False, label="sweep", unit="runs", delay=0.0)
    rows: list = [None] * len(cells)

    def finish(index, result):
        rows[index] = _row(cells[index][0], result)
        bar.update(1)
        _write_table(out, [r for r in rows if r is not None], len(cells))

    if backend == "local":
        for index, (_, config) in enumerate(cells):
            finish(index, _run_cell(config.to_json(), threads))
    else:
        ray = connect_ray(address)
        task = ray.remote(num_cpus=1)(_run_cell)
        pending = {task.remote(config.to_json(), threads if threads is not None else 1): index
                   for index, (_, config) in enumerate(cells)}
        try:
            while pending:
                done, _ = ray.wait(list(pending), num_returns=1)
                for ref in done:
                    finish(pending.pop(ref), ray.get(ref))
        except BaseException:
            for ref in pending:
                ray.cancel(ref, force=True)
            raise
    bar.close()
    return rows
