"""``phase_diagram``: a labelled grid over any hyperparameters of a game and an update rule,
with the regime each cell's spectrum predicts and the regime a simulation shows."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import math
import os
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from .._checks import check_choice, check_int, check_nonnegative, check_positive
from ..analysis import REGIMES
from ..analysis import RATE_TOL
from ..games import Game
from ..optim import Rule
from ._cells import METHODS, cell_outputs, describe_path
from .._progress import Progress
from ._store import PartStore, read_netcdf, write_netcdf

__all__ = ["phase_diagram", "away_from_boundary", "agreement", "AWAY_MARGIN", "BACKENDS"]

BACKENDS = ("local", "ray")

#: How far from a regime threshold (``log rho = +-tol``) a cell must be, in units of
#: ``1 / steps``, to count as "away from the boundary" (see :func:`away_from_boundary`).
AWAY_MARGIN = 8.0

# Cells per chunk: large enough that the per-chunk dispatch is negligible, small enough that
# a chunk's working set stays in cache during the simulation's time loop.
_CHUNK_MAX = 1 << 16
# Without a simulation a cell is a few dozen fused operations and no intermediate array: a
# grid of up to 2^22 cells is one XLA call (which spreads it over the cores itself), and its
# outputs become the Dataset's arrays without a copy (issue 25: a 2000 x 2000 prediction in
# 13 ms instead of 25 ms with four chunks copied into place). The byte bound still splits
# the larger update maps, whose eigenvalue intermediates are materialised.
_PREDICT_CHUNK_MAX = 1 << 22
_PREDICT_CHUNK_BYTES = 1 << 30
_CHUNK_MIN = 256
_CHUNK_BYTES = 64 << 20

_TRACER_ERRORS = (
    jax.errors.ConcretizationTypeError,
    jax.errors.TracerIntegerConversionError,
    jax.errors.TracerBoolConversionError,
    jax.errors.TracerArrayConversionError,
)


# -- the plan of a sweep (picklable: Ray sends it to its workers) -------------------------
@dataclasses.dataclass
class Sweep:
    make: Callable
    names: tuple  # every axis, in the user's order
    values: dict  # name -> numpy array
    static: tuple  # axes looped over in Python (they select code)
    dynamic: tuple  # axes vmapped over
    chunk: int
    steps: int
    radius: float | None
    tol: float
    blowup: float
    atol: float
    method: str
    x64: bool
    directions: dict  # static combination index -> unit start direction
    fingerprint: str = ""

    @property
    def combos(self):
        return list(itertools.product(*(range(len(self.values[n])) for n in self.static)))

    @property
    def dynamic_shape(self):
        return tuple(len(self.values[n]) for n in self.dynamic)

    @property
    def dynamic_size(self):
        return math.prod(self.dynamic_shape)

    @property
    def chunks_per_combo(self):
        return max(1, math.ceil(self.dynamic_size / self.chunk))

    @property
    def n_parts(self):
        return len(self.combos) * self.chunks_per_combo

    def static_params(self, combo):
        return {n: _python_scalar(self.values[n][i]) for n, i in zip(self.static, combo)}

    def part_range(self, part):
        combo, index = divmod(part, self.chunks_per_combo)
        start = index * self.chunk
        return combo, start, min(start + self.chunk, self.dynamic_size)


def _python_scalar(value):
    if isinstance(value, np.generic):
        return value.item()
    return value


def _float_dtype():
    return jnp.result_type(float)


def _cell_function(sweep: Sweep, combo_index: int):
    """``params -> outputs`` for one cell of one static combination (to be vmapped)."""
    combo = sweep.combos[combo_index]
    fixed = sweep.static_params(combo)
    u = jnp.asarray(sweep.directions[combo_index], dtype=_float_dtype())

    def cell(params):
        game, rule = _checked(sweep.make(**params, **fixed), params)
        return cell_outputs(
            game, rule, u, radius=sweep.radius, steps=sweep.steps, tol=sweep.tol,
            blowup=sweep.blowup, atol=sweep.atol, method=sweep.method,
        )

    return cell


def _checked(made, params):
    if not (isinstance(made, tuple) and len(made) == 2):
        raise ValueError(
            f"make(**params) returned {type(made).__name__}; expected a pair (game, rule)"
        )
    game, rule = made
    if not isinstance(game, Game):
        raise ValueError(
            f"make(**params) returned game={game!r}; expected a gamedyn.games.Game"
        )
    if not isinstance(rule, Rule):
        raise ValueError(
            f"make(**params) returned rule={rule!r}; expected an update rule from gamedyn.optim"
        )
    if game.equilibrium is None:
        raise ValueError(
            f"{type(game).__name__} has no known equilibrium; a phase diagram linearises and "
            "simulates around one"
        )
    return game, rule


_COMPILED: dict = {}
# Which axes had to be static, by the fingerprint of the first plan: a repeated sweep skips
# the trace that found out.
_PLANS: dict = {}


def _axis_dtype(values: np.ndarray):
    return values.dtype if values.dtype.kind in "iu" else _float_dtype()


def _chunk_function(sweep: Sweep, combo_index: int):
    """``(first, last, axis values) -> outputs`` of cells ``first..first+chunk-1`` of the dynamic
    sub-grid, those beyond ``last`` repeating it (one compiled shape for every chunk). The
    cells' parameters are formed from the axes inside the compiled function, so a chunk
    costs the host two integers, not a parameter array per axis. A chunk of whole rows of
    the first axis (the default) broadcasts the axes over its block, which XLA fuses into
    the cells' arithmetic; any other chunk gathers each cell's values by its index."""
    cell = jax.vmap(_cell_function(sweep, combo_index))
    shape = sweep.dynamic_shape
    inner = math.prod(shape[1:])

    if sweep.chunk % inner == 0:
        rows = sweep.chunk // inner

        def chunk(first, last, axis_values):
            lead = axis_values[0][jnp.minimum(first // inner + jnp.arange(rows), shape[0] - 1)]
            grids = jnp.meshgrid(lead, *axis_values[1:], indexing="ij")
            return cell({name: grid.reshape(-1) for name, grid in zip(sweep.dynamic, grids)})

        return chunk

    strides = [math.prod(shape[i + 1:]) for i in range(len(shape))]

    def chunk(first, last, axis_values):
        flat = jnp.minimum(first + jnp.arange(sweep.chunk), last)
        params = {name: values[(flat // stride) % size]
                  for name, values, stride, size in zip(sweep.dynamic, axis_values, strides, shape)}
        return cell(params)

    return chunk


def _axis_arguments(sweep: Sweep) -> tuple:
    return tuple(np.asarray(sweep.values[n], dtype=_axis_dtype(sweep.values[n])) for n in sweep.dynamic)


def _compiled(sweep: Sweep, combo_index: int):
    """The chunk function of one static combination, compiled ahead of time (so that every
    chunk, the first included, can run in parallel)."""
    key = (sweep.fingerprint, combo_index, sweep.chunk)
    fn = _COMPILED.get(key)
    if fn is None:
        index = jax.ShapeDtypeStruct((), np.int64 if sweep.x64 else np.int32)
        axes = tuple(jax.ShapeDtypeStruct(a.shape, a.dtype) for a in _axis_arguments(sweep))
        fn = jax.jit(_chunk_function(sweep, combo_index)).lower(index, index, axes).compile()
        if len(_COMPILED) > 32:  # a long session of many sweeps: keep the cache bounded
            _COMPILED.clear()
        _COMPILED[key] = fn
    return fn


def compute_part(sweep: Sweep, part: int) -> dict:
    """The outputs of one chunk, as numpy arrays (also what a Ray task runs)."""
    if bool(jax.config.jax_enable_x64) != sweep.x64:
        # a Ray worker process: compute in the precision the driver asked for
        jax.config.update("jax_enable_x64", sweep.x64)
    combo, start, stop = sweep.part_range(part)
    if not sweep.dynamic:  # only static axes: one cell, vmapped over a dummy axis
        out = jax.vmap(lambda _: _cell_function(sweep, combo)({}))(jnp.zeros(1))
    else:
        index = np.int64 if sweep.x64 else np.int32
        out = _compiled(sweep, combo)(index(start), index(stop - 1), _axis_arguments(sweep))
    return {k: np.asarray(v)[: stop - start] for k, v in out.items()}


# -- validation ---------------------------------------------------------------------------
def _axes(axes) -> dict:
    if not isinstance(axes, Mapping) or not axes:
        raise ValueError(
            f"axes={axes!r} is not accepted; expected a non-empty dict {{name: 1-D array}}"
        )
    values = {}
    for name, raw in axes.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(
                f"axes has the key {name!r}; expected parameter names of make (identifiers)"
            )
        arr = np.asarray(raw)
        if arr.ndim != 1 or arr.size == 0:
            raise ValueError(
                f"axes[{name!r}] has shape {arr.shape}; expected a non-empty 1-D array of values"
            )
        if arr.dtype.kind in "fc":
            if arr.dtype.kind == "c" or not np.all(np.isfinite(arr)):
                raise ValueError(
                    f"axes[{name!r}]={raw!r} is not accepted; expected finite real values"
                )
        values[name] = arr
    return values


def _default_chunk(state_size: int, steps: int, inner: int) -> int:
    """Cells per chunk: bounded by memory and, when simulating, by the cache; whole rows of
    the first dynamic axis (``inner`` cells each) when a row fits."""
    if steps:
        chunk = _CHUNK_BYTES // (8 * (3 * state_size * state_size + 64))
    else:  # a prediction's intermediates are the update map and its roots only
        chunk = _PREDICT_CHUNK_BYTES // (8 * (3 * state_size * state_size + 16))
    chunk = 1 << max(0, int(math.floor(math.log2(max(chunk, 1)))))
    chunk = int(min(_CHUNK_MAX if steps else _PREDICT_CHUNK_MAX, max(_CHUNK_MIN, chunk)))
    return chunk - chunk % inner if inner <= chunk else chunk


def _probe(make, values, static):
    """Call ``make`` concretely at the grid's first and last cells; returns both pairs."""
    corners = []
    for pick in (0, -1):
        params = {n: _python_scalar(v[pick]) for n, v in values.items()}
        try:
            made = make(**params)
        except TypeError as err:
            raise ValueError(
                f"make(**params) failed for params={params}: {err}; make must accept every "
                "axis name as a keyword"
            ) from None
        corners.append(_checked(made, params))
    return corners


def _stateful_base(game, rule) -> bool:
    probe = rule.init(*game.split(jnp.asarray(game.equilibrium)))
    return any(
        jnp.issubdtype(jnp.asarray(leaf).dtype, jnp.inexact) for leaf in jax.tree.leaves(probe.base)
    )


def _fingerprint(sweep: Sweep, corners) -> str:
    text = json.dumps(
        {
            "axes": {n: _digest(sweep.values[n]) for n in sweep.names},
            "static": list(sweep.static),
            "options": [sweep.steps, sweep.radius, sweep.tol, sweep.blowup, sweep.atol,
                        sweep.method, sweep.x64, sweep.chunk],
            "directions": {str(k): [float(x) for x in v] for k, v in sweep.directions.items()},
            "corners": [repr(c) for c in corners],
            "version": _version(),
        },
        sort_keys=True,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _digest(values: np.ndarray) -> str:
    if values.dtype.kind in "biuf":
        return f"{values.dtype.str}:{hashlib.sha256(np.ascontiguousarray(values).tobytes()).hexdigest()}"
    return repr([_python_scalar(v) for v in values])


def _version() -> str:
    from .. import __version__

    return __version__


def _trace_check(sweep: Sweep):
    """Trace a cell of every static combination with the dynamic axes abstract (cheap: no
    compilation); returns the error if ``make`` needs concrete values for some axis."""
    params = {
        n: jax.ShapeDtypeStruct(
            (2,), sweep.values[n].dtype if sweep.values[n].dtype.kind in "iu" else _float_dtype()
        )
        for n in sweep.dynamic
    }
    for combo in range(len(sweep.combos)):
        try:
            jax.eval_shape(jax.vmap(_cell_function(sweep, combo)), params)
        except _TRACER_ERRORS as err:
            return err
    return None


# -- the public function ---------------------------------------------------------------------
def phase_diagram(
    make,
    axes,
    steps: int = 1000,
    seed: int = 0,
    *,
    out=None,
    chunk: int | None = None,
    backend: str = "local",
    radius: float | None = None,
    tol: float = RATE_TOL,
    blowup: float = 1e6,
    atol: float = 1e-10,
    method: str = "auto",
    static=(),
    progress=None,
    address: str | None = None,
    workers: int | None = None,
    overwrite: bool = False,
):
    """Stability phase diagram over a grid of hyperparameters.

    For every cell of the grid ``axes`` (a dict ``{name: 1-D values}``), ``make(**params)``
    returns ``(game, rule)``; the cell records

    * ``spectral_radius`` -- ``rho`` of the rule's one-step update map at the game's
      equilibrium (``gd.update_jacobian``; on the augmented state ``(z_t, z_{t-1})`` for rules
      with memory);
    * ``predicted`` -- the regime ``rho`` predicts, ``gd.regime_of_rho(rho, tol)``:
      converged if ``log rho < -tol``, diverged if ``log rho > tol``, cycling between;
    * ``observed`` -- the regime of ``steps`` steps from ``z* + radius * u`` (``u`` a unit
      vector drawn from ``seed``, the same for every cell), classified exactly as
      ``gd.simulate`` does with the same ``tol``, ``blowup``, ``atol``; ``rate`` -- the
      growth rate it measured (per step; compare with ``log rho``; ``inf`` after a
      blow-up or a non-finite iterate);
    * ``agree`` -- ``predicted == observed``.

    ``steps=0`` skips the simulation (``observed``, ``rate`` and ``agree`` are then absent).
    Regime codes index ``gd.REGIMES`` (0 converged, 1 cycling, 2 diverged). The default
    start is tiny (``radius = tiny^(1/3) ~ 3e-103`` when ``z* = 0``; ``1e-3 |z*|``
    otherwise, to stay above the iterates' rounding floor), so that on a nonlinear game the
    run tests the *local* prediction: the linearisation holds for about
    ``log(1 / radius) / log rho`` steps (a locally unstable Dirac GAN, for instance, settles
    on a limit cycle once it leaves that region).

    Every numeric axis is passed to ``make`` as a JAX scalar and the grid is ``vmap``-ped
    in chunks of ``chunk`` cells (default: up to 65536, bounded by memory); axes of names,
    booleans, or integers that select code (``k`` of ``unrolled``) are looped over in
    Python (``static=`` names them explicitly; non-numeric and boolean axes are static
    automatically, integer axes when ``make`` cannot trace them). Any game with a known
    equilibrium and any rule of ``gd.optim`` without a stateful base works; bilinear
    games use their SVD blocks, small update maps their characteristic polynomial in
    closed form, linear games a linear-map simulation (``method="generic"`` instead
    vmaps ``gd.spectral_radius`` and ``gd.simulate`` themselves: the reference the fast
    paths are tested against).

    ``out=PATH`` writes the Dataset to NetCDF atomically; finished chunks are kept in
    ``PATH.parts/`` while the sweep runs, so an interrupted sweep resumes where it
    stopped, and a finished one with the same inputs is loaded, not recomputed; a damaged
    chunk file is computed again (with a warning). An existing ``PATH`` that is not a phase
    diagram written here is an error before any work, unless ``overwrite=True``.
    ``backend="ray"`` runs the chunks as Ray tasks (a local Ray instance, or the cluster
    at ``address``) and gives the same Dataset. A progress bar is drawn on stderr for
    grids that take more than a second (``progress=True/False`` forces it).

    >>> import numpy as np
    >>> import gamedyn as gd
    >>> def make(lr_x, lr_y):
    ...     return gd.games.Bilinear([[1.0]]), gd.optim.gda((lr_x, lr_y), alternating=True)
    >>> ds = gd.phase_diagram(make, {"lr_x": np.linspace(0.5, 3, 6), "lr_y": [1.0, 2.0]},
    ...                       steps=2000)
    >>> ds.spectral_radius.dims
    ('lr_x', 'lr_y')
    >>> gd.analysis.regime_name(ds.predicted.values)  # cycling iff lr_x lr_y s^2 <= 4
    array([['cycling', 'cycling'],
           ['cycling', 'cycling'],
           ['cycling', 'cycling'],
           ['cycling', 'cycling'],
           ['cycling', 'diverged'],
           ['cycling', 'diverged']], dtype=object)
    >>> bool(ds.agree.all())
    True
    """
    values, static = _checked_arguments(make, axes, steps, seed, chunk, backend, method, radius, tol, blowup,
                                        atol, workers, static, address, out)
    steps, seed = int(steps), int(seed)
    corners = _probe(make, values, static)
    sweep = _plan(make, values, static, corners, steps=steps, seed=seed, chunk=chunk, radius=radius, tol=tol,
                  blowup=blowup, atol=atol, method=method)
    return _run(sweep, corners, seed, out=out, overwrite=overwrite, backend=backend, address=address,
                workers=workers, progress=progress)


def _checked_arguments(make, axes, steps, seed, chunk, backend, method, radius, tol, blowup, atol, workers,
                       static, address, out):
    """Every argument of :func:`phase_diagram` checked before any work: ``(values, static)``."""
    if not callable(make):
        raise ValueError(f"make={make!r} is not accepted; expected a callable make(**params)")
    values = _axes(axes)
    check_int("steps", steps, minimum=0)
    check_int("seed", seed, minimum=0)
    if chunk is not None:
        check_int("chunk", chunk, minimum=1)
    check_choice("backend", backend, BACKENDS)
    check_choice("method", method, METHODS)
    if radius is not None:
        check_positive("radius", radius)
    check_nonnegative("tol", tol)
    check_positive("blowup", blowup)
    check_nonnegative("atol", atol)
    if workers is not None:
        check_int("workers", workers, minimum=1)
    static = (static,) if isinstance(static, str) else tuple(static)
    for name in static:
        if name not in values:
            raise ValueError(
                f"static={static!r} names {name!r}, which is not an axis; axes are "
                f"{', '.join(values)}"
            )
    if address is not None and backend != "ray":
        raise ValueError(f"address={address!r} is only used with backend='ray'")
    if out is not None and (Path(out).is_dir() or not Path(out).parent.is_dir()):
        raise ValueError(f"out={str(out)!r} is not accepted; expected a file path in an existing folder, "
                         "e.g. 'runs/diagram.nc'" + (" (it is a folder)" if Path(out).is_dir() else ""))
    return values, static


def _plan(make, values, static, corners, *, steps, seed, chunk, radius, tol, blowup, atol, method) -> Sweep:
    """The sweep's plan: which axes are looped over in Python (static) and which vmapped, the
    chunk size and every cell's start direction, with its fingerprint."""
    game0, rule0 = corners[0]
    if _stateful_base(game0, rule0):
        raise ValueError(
            f"{type(rule0).__name__} with a stateful base (Adam / RMSProp) has no update map at "
            "the equilibrium to take the spectrum of; a phase diagram needs one (simulate such "
            "rules with gd.simulate)"
        )
    names = tuple(values)
    auto_static = [n for n in names if values[n].dtype.kind not in "iuf"]
    static_set = set(static) | set(auto_static)
    x64 = bool(jax.config.jax_enable_x64)

    def plan(static_set):
        stat = tuple(n for n in names if n in static_set)
        dyn = tuple(n for n in names if n not in static_set)
        combos = list(itertools.product(*(range(len(values[n])) for n in stat)))
        directions = {}
        size = None
        for i, combo in enumerate(combos):
            params = {n: _python_scalar(values[n][0]) for n in dyn}
            params.update({n: _python_scalar(values[n][j]) for n, j in zip(stat, combo)})
            game, rule = _checked(make(**params), params)
            if _stateful_base(game, rule):
                raise ValueError(
                    f"{type(rule).__name__} with a stateful base at {params} has no update map "
                    "at the equilibrium; a phase diagram needs one"
                )
            g = np.random.default_rng(seed).standard_normal(game.n)
            directions[i] = g / np.linalg.norm(g)
            m = game.n * (2 if rule.memory else 1)
            size = m if size is None else max(size, m)
        dyn_size = math.prod(len(values[n]) for n in dyn)
        inner = math.prod(len(values[n]) for n in dyn[1:])
        cells = chunk if chunk is not None else _default_chunk(size, steps, inner)
        cells = max(1, min(int(cells), dyn_size))
        return Sweep(
            make=make, names=names, values=values, static=stat, dynamic=dyn, chunk=cells,
            steps=steps, radius=None if radius is None else float(radius), tol=float(tol), blowup=float(blowup),
            atol=float(atol), method=method, x64=x64, directions=directions,
        )

    sweep = plan(static_set)
    first_guess = _fingerprint(sweep, corners)
    cached = _PLANS.get(first_guess)
    if cached is not None:
        sweep = plan(set(cached))
    elif sweep.dynamic:
        error = _trace_check(sweep)
        if error is not None:
            integer = {n for n in sweep.dynamic if values[n].dtype.kind in "iu"}
            if integer and not static:
                sweep = plan(static_set | integer)
                error = _trace_check(sweep) if sweep.dynamic else None
            if error is not None:
                raise ValueError(
                    "make(**params) needs concrete values for some axis, but numeric axes are "
                    f"passed as JAX arrays to vmap over the grid ({type(error).__name__}); name "
                    "the axes that select code in static=(...). Dynamic axes: "
                    f"{', '.join(sweep.dynamic)}"
                ) from error
    sweep.fingerprint = _fingerprint(sweep, corners)
    _PLANS[first_guess] = sweep.static
    return sweep


def _run(sweep: Sweep, corners, seed, *, out, overwrite, backend, address, workers, progress):
    """Compute the sweep's chunks (resuming from, and storing to, ``out``) and assemble the Dataset."""
    import xarray as xr

    store = None
    if out is not None:
        out = Path(out)
        if out.exists():
            try:
                existing = read_netcdf(out)
            except Exception:  # noqa: BLE001 - unreadable: not one of ours
                existing = None
            if existing is not None and existing.attrs.get("fingerprint") == sweep.fingerprint:
                return existing
            if (existing is None or "fingerprint" not in existing.attrs) and not overwrite:
                raise ValueError(f"out={str(out)!r} exists and is not a phase diagram written by gamedyn; "
                                 "pass overwrite=True (gamedyn phase --overwrite) to replace it, or choose "
                                 "another path")
        store = PartStore(out, sweep.fingerprint)
        finished = store.open()
    else:
        finished = set()

    collected = _Collector(sweep)
    bar = Progress(len(sweep.combos) * sweep.dynamic_size, enabled=progress)
    for part in sorted(finished):
        arrays = store.load(part) if part < sweep.n_parts else None
        if arrays is not None:
            bar.update(collected.put(part, arrays))
    todo = [p for p in range(sweep.n_parts) if p not in collected.done]

    def finish(part, arrays):
        if store is not None:
            store.save(part, arrays)
        bar.update(collected.put(part, arrays))

    try:
        if backend == "ray":
            from ._ray import run_parts

            run_parts(sweep, todo, finish, compute=compute_part, address=address)
        else:
            _run_local(sweep, todo, finish, workers)
    finally:
        bar.close()

    ds = _assemble(xr, sweep, collected.arrays(), corners, seed)
    if out is not None:
        write_netcdf(ds, out)
        store.clear()
    return ds


def _run_local(sweep: Sweep, todo, finish, workers):
    if not todo:
        return
    # every static combination's chunk function is compiled before any chunk runs, so that
    # all chunks, the first included, run side by side
    combos = sorted({sweep.part_range(p)[0] for p in todo}) if sweep.dynamic else []
    # JAX releases the GIL while it compiles and while a compiled chunk runs: threads keep
    # every core busy
    n = workers if workers is not None else min(len(todo), os.cpu_count() or 1, 8)
    if n <= 1:
        for part in todo:
            finish(part, compute_part(sweep, part))
        return
    with ThreadPoolExecutor(max_workers=n) as pool:
        list(pool.map(lambda combo: _compiled(sweep, combo), combos))
        futures = {pool.submit(compute_part, sweep, part): part for part in todo}
        for future in futures:
            finish(futures[future], future.result())


class _Collector:
    """Writes each finished chunk straight into its slice of the grid's output arrays."""

    def __init__(self, sweep: Sweep):
        self.sweep = sweep
        self.data = None
        self.done = set()

    def put(self, part: int, arrays: dict) -> int:
        sweep = self.sweep
        n = len(sweep.combos) * sweep.dynamic_size
        combo, start, stop = sweep.part_range(part)
        if self.data is None and stop - start == n:  # one part is the whole grid: its arrays, not a copy
            self.data = dict(arrays)
            self.done.add(part)
            return n
        if self.data is None:
            self.data = {k: np.empty(n, dtype=np.asarray(v).dtype) for k, v in arrays.items()}
        offset = combo * sweep.dynamic_size
        for key, values in arrays.items():
            self.data[key][offset + start : offset + stop] = values
        self.done.add(part)
        return stop - start

    def arrays(self) -> dict:
        """Each output with the grid's axes in the user's order."""
        sweep = self.sweep
        shape = tuple(len(sweep.values[n]) for n in sweep.static) + sweep.dynamic_shape
        order = [(sweep.static + sweep.dynamic).index(n) for n in sweep.names]
        return {k: np.transpose(v.reshape(shape), order) for k, v in self.data.items()}


def _assemble(xr, sweep: Sweep, data: dict, corners, seed: int):
    flags = {"flag_values": np.arange(len(REGIMES), dtype=np.int8), "flag_meanings": " ".join(REGIMES)}
    dims = sweep.names
    variables = {
        "spectral_radius": (dims, data["spectral_radius"], {
            "long_name": "spectral radius of the one-step update map at the equilibrium",
            "symbol": "rho",
        }),
        "predicted": (dims, data["predicted"].astype(np.int8, copy=False), {
            "long_name": f"regime predicted by rho: log rho < -tol, |log rho| <= tol, > tol "
                         f"(tol={sweep.tol:g})", **flags,
        }),
    }
    if sweep.steps:
        variables["observed"] = (dims, data["observed"].astype(np.int8, copy=False), {
            "long_name": f"regime of a {sweep.steps}-step simulation from a start at distance "
                         f"{_radius_text(sweep.radius)} (gd.simulate's classification)", **flags,
        })
        variables["agree"] = (dims, data["predicted"] == data["observed"], {
            "long_name": "predicted == observed",
        })
        variables["rate"] = (dims, data["rate"], {
            "long_name": "observed per-step log growth rate of |z - z*| (inf: blow-up or "
                         "non-finite iterate)",
        })
    game0, rule0 = corners[0]
    spectral, simulation = describe_path(game0, rule0, sweep.method, sweep.steps)
    attrs = {
        "title": "gamedyn phase diagram",
        "steps": sweep.steps,
        "seed": seed,
        "radius": _radius_text(sweep.radius),
        "tol": sweep.tol,
        "blowup": sweep.blowup,
        "atol": sweep.atol,
        "method": sweep.method,
        "spectral_path": spectral,
        "simulation_path": simulation,
        "static_axes": ",".join(sweep.static),
        "game": repr(game0),
        "rule": repr(rule0),
        "dtype": str(np.dtype(_float_dtype())),
        "fingerprint": sweep.fingerprint,
        "gamedyn_version": _version(),
        "regimes": " ".join(REGIMES),
    }
    coords = {n: sweep.values[n] for n in sweep.names}
    return xr.Dataset(variables, coords=coords, attrs=attrs)


def _radius_text(radius):
    return "auto: 1e-3 |z*|, or tiny^(1/3) at z* = 0" if radius is None else f"{radius:g}"


# -- agreement away from the boundary -------------------------------------------------------
def away_from_boundary(ds, margin: float = AWAY_MARGIN):
    """Cells whose ``log rho`` is at least ``margin / steps`` from both regime thresholds
    ``+-tol`` (a boolean DataArray).

    Why ``1 / steps``: the simulation estimates the growth rate from the largest distances
    in two windows whose centres are ``steps / 4`` apart, so a bounded oscillation of the
    distance around ``rho^t`` (a factor up to the condition number ``kappa`` of the
    eigenvectors, or a transient of the subdominant modes) shifts the estimate by about
    ``4 log(kappa) / steps``. ``margin = 8`` allows ``kappa`` up to ``e^2``.

    >>> import gamedyn as gd, numpy as np
    >>> ds = gd.phase_diagram(lambda lr: (gd.games.Bilinear([[1.0]]), gd.optim.gda(lr)),
    ...                       {"lr": [0.001, 0.5]}, steps=1000)
    >>> gd.phase.away_from_boundary(ds).values  # log rho = lr^2/2 ~ 5e-7 is inside the band
    array([False,  True])
    """
    steps = int(ds.attrs["steps"])
    if steps <= 0:
        raise ValueError("the Dataset has no simulation (steps=0); nothing to compare")
    tol = float(ds.attrs["tol"])
    with np.errstate(divide="ignore"):  # rho = 0 (a nilpotent map): log rho = -inf, far away
        log_rho = np.log(ds["spectral_radius"])
    gap = np.minimum(np.abs(log_rho - tol), np.abs(log_rho + tol))
    return (gap >= margin / steps) | np.isinf(log_rho)


def agreement(ds, margin: float = AWAY_MARGIN) -> float:
    """Fraction of the cells away from the boundary (:func:`away_from_boundary`) where the
    observed regime is the predicted one (NaN if no cell is away from it).

    >>> import gamedyn as gd
    >>> ds = gd.phase_diagram(lambda lr: (gd.games.Bilinear([[1.0]]), gd.optim.extragradient(lr)),
    ...                       {"lr": [0.2, 0.5, 1.5]}, steps=1000)
    >>> gd.phase.agreement(ds)
    1.0
    """
    mask = away_from_boundary(ds, margin)
    count = int(mask.sum())
    if count == 0:
        return float("nan")
    return float(ds["agree"].where(mask).sum()) / count
