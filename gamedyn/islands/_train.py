"""Training a Gaussian-mixture GAN with any update rule: many seeds at once, snapshots
along the way, divergence recorded instead of raised, and resumable checkpoints."""

from __future__ import annotations

import dataclasses
import hashlib
from functools import partial
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .._checks import _describe, check_int, check_positive
from ..analysis import FAILURES, hold_at_failure
from ..games import GaussianMixture
from ..optim import Rule

__all__ = ["TrainResult", "train_mixture", "load_result", "save_result", "FAILURES"]

# Keys: seed s gives jax.random.PRNGKey(s); from it, fold_in(., 0) initialises the players,
# fold_in(., 1) then fold_in(., t) draws the minibatch of step t, fold_in(., 2) the fixed
# evaluation latents and real batch. A run is therefore the same whether it is done in one
# go or resumed from a checkpoint, and seed s gives the same run in any batch of seeds.
_INIT, _STEPS, _EVAL = 0, 1, 2

_DIAGNOSTICS = ("loss_x", "loss_y", "grad_x", "grad_y", "d_real", "d_fake")


@dataclasses.dataclass(frozen=True, eq=False)
class TrainResult:
    """The outcome of :func:`train_mixture` for a batch of seeds (numpy arrays).

    Attributes
    ----------
    seeds : (S,) the seeds.
    steps : training steps done.
    snapshot_steps : (R,) the step of each snapshot (0, every, 2 every, ..., steps).
    samples : (S, R, n_eval, d) generator samples on fixed latents per seed; NaN after a
        failure.
    loss_x, loss_y : (S, R) losses on a fixed evaluation minibatch at each snapshot.
    grad_x, grad_y : (S, R) norms of each player's field ``|F_x|``, ``|F_y|`` there.
    d_real, d_fake : (S, R) mean raw discriminator output on real and generated samples.
    step_of_failure : (S,) first step whose players were non-finite or beyond ``blowup``
        (-1 if none); training of that seed stopped there (its last good state is kept).
    failure : (S,) index into :data:`FAILURES` (``"none"``, ``"non-finite"``, ``"blow-up"``).
    final_state : the rule's state after the last step (leading axis: seeds), from which
        training continues; a list of leaves when loaded without the game and rule.
    fingerprint : hash of the game, rule and settings (a checkpoint is resumed only if it
        matches).

    Examples
    --------
    :func:`train_mixture` makes it; here is one made by hand, two seeds on the 8-mode ring
    with snapshots at steps 0 and 100, the second seed failed at step 40:

    >>> import numpy as np, gamedyn as gd
    >>> ring = gd.games.GaussianMixture.ring(8)
    >>> centers, lost = np.asarray(ring.centers), np.full((8, 2), np.nan)
    >>> samples = np.stack([[centers[[0] * 8], centers],   # seed 0: mode 0, then every mode
    ...                     [centers[[0] * 8], lost]])     # seed 1: NaN after its failure
    >>> diag = np.zeros((2, 2))
    >>> result = gd.islands.TrainResult(
    ...     seeds=np.array([0, 1]), steps=100, snapshot_steps=np.array([0, 100]), samples=samples,
    ...     loss_x=diag, loss_y=diag, grad_x=diag, grad_y=diag, d_real=diag, d_fake=diag,
    ...     step_of_failure=np.array([-1, 40]), failure=np.array([0, 1]),  # none, non-finite
    ...     final_state=[np.zeros((2, 3))], fingerprint="by hand")
    >>> result.diverged.tolist()
    [False, True]
    >>> result.messages[1]
    'seed 1: diverged, non-finite parameters at step 40'
    >>> result.mode_stats(ring).modes.tolist()              # (seeds, snapshots)
    [[1, 8], [1, 0]]
    """

    seeds: np.ndarray
    steps: int
    snapshot_steps: np.ndarray
    samples: np.ndarray
    loss_x: np.ndarray
    loss_y: np.ndarray
    grad_x: np.ndarray
    grad_y: np.ndarray
    d_real: np.ndarray
    d_fake: np.ndarray
    step_of_failure: np.ndarray
    failure: np.ndarray
    final_state: Any
    fingerprint: str

    @property
    def diverged(self) -> np.ndarray:
        """(S,) whether each seed's training failed (non-finite or blow-up)."""
        return self.step_of_failure >= 0

    @property
    def messages(self) -> list[str]:
        """One sentence per seed saying how its run ended."""
        out = []
        for seed, step, kind in zip(self.seeds, self.step_of_failure, self.failure):
            if step < 0:
                out.append(f"seed {seed}: trained {self.steps} steps")
            elif FAILURES[kind] == "non-finite":
                out.append(f"seed {seed}: diverged, non-finite parameters at step {step}")
            else:
                out.append(f"seed {seed}: diverged, parameters beyond the blow-up threshold at step {step}")
        return out

    def mode_stats(self, mixture, n_std: float = 3.0, *, min_count: int = 1):
        """:func:`gamedyn.metrics.mode_stats` of every snapshot: a ``ModeStats`` whose
        fields have leading axes (S, R) (``.modes``, ``.high_quality``, ``.kl``)."""
        from .. import metrics

        return metrics.mode_stats(self.samples, mixture, n_std, min_count=min_count)


# -- checks ------------------------------------------------------------------------------
def _seed_array(seeds) -> np.ndarray:
    if isinstance(seeds, (int, np.integer)) and not isinstance(seeds, bool):
        check_int("seeds", seeds, minimum=1)
        return np.arange(int(seeds), dtype=np.uint32)
    arr = np.asarray(seeds)
    if arr.ndim != 1 or arr.size == 0 or not np.issubdtype(arr.dtype, np.integer) or np.any(arr < 0):
        raise ValueError(
            f"seeds={_describe(seeds)} is not accepted; expected a number of seeds >= 1 or a "
            "1-D sequence of distinct integers >= 0"
        )
    if len(set(arr.tolist())) != arr.size:
        raise ValueError(f"seeds={_describe(seeds)} is not accepted; the seeds must be distinct")
    return arr.astype(np.uint32)


def _fingerprint(game, rule, n_eval, snapshot_every, dtype, blowup) -> str:
    # Fields kept out of the game's repr (added after runs were checkpointed) enter only when set,
    # so those runs keep their fingerprints.
    hidden = [f"{f.name}={getattr(game, f.name)!r}" for f in dataclasses.fields(game)
              if not f.repr and getattr(game, f.name) != f.default]
    text = "|".join(
        [repr(game.with_batch(None)), *hidden, repr(rule), str(n_eval), str(snapshot_every), str(dtype),
         repr(float(blowup))]
    )
    return hashlib.sha256(text.encode()).hexdigest()[:32]


# -- the compiled part -------------------------------------------------------------------
def _finite_size(x, y):
    finite = jnp.all(jnp.isfinite(x)) & jnp.all(jnp.isfinite(y))
    size = jnp.maximum(jnp.max(jnp.abs(x)), jnp.max(jnp.abs(y)))
    return finite, size


def _snapshot(game, eval_game, latent, state, failed):
    """Generator samples on the fixed latents, and the diagnostics on the fixed evaluation
    minibatch (losses, field norms, mean critic outputs); NaN once the seed has failed."""
    x, y = state.x, state.y

    def loss_of_x(u):
        parts = eval_game.evaluate(u, y)
        return eval_game.losses(u, y)[0], parts

    def loss_of_y(v):
        return eval_game.losses(x, v)[1]

    (loss_x, parts), grad_x = jax.value_and_grad(loss_of_x, has_aux=True)(x)
    loss_y, grad_y = jax.value_and_grad(loss_of_y)(y)
    values = (
        loss_x,
        loss_y,
        jnp.linalg.norm(grad_x),
        jnp.linalg.norm(grad_y),
        jnp.mean(parts["d_real"]),
        jnp.mean(parts["d_fake"]),
    )
    samples = game.generate(x, latent)
    return jnp.where(failed, jnp.nan, samples), tuple(jnp.where(failed, jnp.nan, v) for v in values)


@partial(jax.jit, static_argnames=("n_rows", "every", "n_eval"))
def _run_chunk(game, rule, carry, keys, t0, blowup, *, n_rows, every, n_eval):
    """From global step ``t0``: ``n_rows`` times (snapshot, then ``every`` steps), then a
    last snapshot; every seed at once (``vmap`` over the leading axis of ``carry`` and
    ``keys``). The last row's steps are skipped by a ``cond``, so that the snapshot and the
    step each appear once in the compiled program (compiling dominates short runs)."""

    def one_seed(carry, key):
        step_key = jax.random.fold_in(key, _STEPS)
        eval_key = jax.random.fold_in(key, _EVAL)
        latent = game.sample_latent(jax.random.fold_in(eval_key, 0), n_eval)
        eval_game = game.with_key(jax.random.fold_in(eval_key, 1))

        def one_step(carry, t):
            state, fail_step, fail_kind = carry
            new = rule.step(game.with_key(jax.random.fold_in(step_key, t)), state)
            finite, size = _finite_size(new.x, new.y)
            state, fail_step, fail_kind, _ = hold_at_failure(state, new, finite, size > blowup, fail_step,
                                                             fail_kind, t + 1)
            return (state, fail_step, fail_kind), None

        def row(carry, r):
            state, fail_step, _ = carry
            record = _snapshot(game, eval_game, latent, state, fail_step >= 0)

            def advance(carry):
                start = t0 + r * every
                return lax.scan(one_step, carry, start + jnp.arange(every, dtype=jnp.int32))[0]

            carry = lax.cond(r < n_rows, advance, lambda c: c, carry)
            return carry, record

        return lax.scan(row, carry, jnp.arange(n_rows + 1, dtype=jnp.int32))

    return jax.vmap(one_seed)(carry, keys)


@partial(jax.jit, static_argnames=())
def _initial(game, rule, keys):
    def one(key):
        x, y = game.init(jax.random.fold_in(key, _INIT))
        return rule.init(x, y)

    return jax.vmap(one)(keys)


# -- the driver --------------------------------------------------------------------------
def train_mixture(
    game: GaussianMixture,
    rule: Rule,
    steps: int,
    *,
    seeds=16,
    snapshot_every: int | None = None,
    n_eval: int = 2500,
    dtype="float32",
    blowup: float = 1e6,
    checkpoint=None,
    checkpoint_every: int | None = None,
    start: TrainResult | None = None,
) -> TrainResult:
    """Train ``game`` (a :class:`~gamedyn.games.GaussianMixture`) with ``rule`` (any
    :mod:`gamedyn.optim` rule) for ``steps`` steps, for every seed at once.

    Each step draws a fresh minibatch, ``game_t = game.with_key(k_t)``, and applies
    ``state = rule.step(game_t, state)`` — so extragradient, optimistic, consensus and
    unrolled steps evaluate the field on that step's minibatch. The loop is one ``jit`` of
    ``lax.scan`` over steps, ``vmap``-ped over seeds.

    Every ``snapshot_every`` steps (and at step 0) it records ``n_eval`` generator samples on
    fixed latents and diagnostics on a fixed evaluation minibatch (see
    :class:`TrainResult`). A seed whose players become non-finite or exceed ``blowup`` in
    absolute value is stopped there and recorded as diverged; the other seeds go on.

    ``dtype``: training precision (default float32: these are neural networks, nothing is
    compared with a closed form); ``None`` keeps the game's. ``checkpoint``: a ``.npz`` path;
    the run is saved there atomically every ``checkpoint_every`` steps (default: every
    snapshot) and, if the file already holds an unfinished run of the same game, rule and
    settings, continued from it (a finished one is returned as it is).

    ``start``: a previous :class:`TrainResult` of the same seeds to continue from, for
    ``steps`` more steps with this ``rule`` (e.g. the same rule with a smaller step size: a
    step-size schedule in stages; the rule's state, such as Adam's moments, carries over, so
    the rule must have the same structure). Minibatches continue from step ``start.steps``;
    the result holds both stages' snapshots.

    >>> import gamedyn as gd
    >>> game = gd.games.GaussianMixture.ring(latent_dim=2, gen_hidden=(16,), disc_hidden=(16,),
    ...                                      batch_size=32)
    >>> result = gd.islands.train_mixture(game, gd.optim.gda(0.05), 20, seeds=4, snapshot_every=10,
    ...                                   n_eval=100)
    >>> result.samples.shape, result.snapshot_steps.tolist(), result.diverged.tolist()
    ((4, 3, 100, 2), [0, 10, 20], [False, False, False, False])
    """
    game, steps, every, chunk, seeds, dtype = _checked(game, rule, steps, seeds, snapshot_every, n_eval, dtype,
                                                       blowup, checkpoint, checkpoint_every)
    fingerprint = _fingerprint(game, rule, n_eval, every, dtype, blowup)
    if start is not None:
        fingerprint = _continued_fingerprint(fingerprint, start, seeds)
    total = (0 if start is None else int(start.steps)) + steps
    keys = jax.vmap(jax.random.PRNGKey)(jnp.asarray(seeds))
    state0 = _initial(game, rule, keys)
    result = None if start is None else _continuing(start, state0, rule)
    if checkpoint is not None and Path(checkpoint).exists():
        result = _saved(checkpoint, state0, fingerprint, seeds, total)
        if result.steps == total:
            return result
    run = _Chunks(game, rule, keys, seeds, fingerprint, every, n_eval, blowup, result, state0)
    while run.done < total:
        result = run.advance(min(chunk, total - run.done))
        if checkpoint is not None:
            save_result(result, checkpoint)
    return result


def _checked(game, rule, steps, seeds, snapshot_every, n_eval, dtype, blowup, checkpoint, checkpoint_every):
    """:func:`train_mixture`'s arguments checked: ``(game, steps, every, chunk, seeds, dtype)`` with
    the game in the training precision and without a fixed batch."""
    if not isinstance(game, GaussianMixture):
        raise ValueError(
            f"game={_describe(game)} is not accepted; expected a gd.games.GaussianMixture"
        )
    if not isinstance(rule, Rule):
        raise ValueError(f"rule={_describe(rule)} is not accepted; expected a gd.optim rule")
    check_int("steps", steps, minimum=1)
    steps = int(steps)
    every = steps if snapshot_every is None else snapshot_every
    check_int("snapshot_every", every, minimum=1)
    every = int(every)
    if steps % every:
        raise ValueError(
            f"snapshot_every={every} is not accepted; expected a divisor of steps={steps}"
        )
    check_int("n_eval", n_eval, minimum=1)
    check_positive("blowup", blowup)
    chunk = every if checkpoint_every is None else checkpoint_every
    check_int("checkpoint_every", chunk, minimum=1)
    if chunk % every:
        raise ValueError(
            f"checkpoint_every={chunk} is not accepted; expected a multiple of "
            f"snapshot_every={every}"
        )
    if checkpoint is None:
        chunk = steps
    seeds = _seed_array(seeds)
    if dtype is not None:
        dtype = jnp.dtype(dtype)
        if not jnp.issubdtype(dtype, jnp.floating):
            raise ValueError(f"dtype={dtype!r} is not accepted; expected a floating dtype")
        game = game.astype(dtype)
    return game.with_batch(None), steps, every, chunk, seeds, dtype


def _continued_fingerprint(fingerprint: str, start, seeds) -> str:
    """The fingerprint of a stage that continues ``start`` (checked to hold ``seeds``)."""
    if not isinstance(start, TrainResult):
        raise ValueError(f"start={_describe(start)} is not accepted; expected a TrainResult")
    if not np.array_equal(start.seeds, seeds):
        raise ValueError(
            f"start holds seeds {start.seeds.tolist()}; this run has seeds {seeds.tolist()}"
        )
    return hashlib.sha256(f"{fingerprint}|after|{start.fingerprint}|{start.steps}".encode()).hexdigest()[:32]


def _continuing(start: TrainResult, state0, rule) -> TrainResult:
    """``start`` with its final state cast onto the structure and dtypes of ``state0``."""
    leaves = jax.tree.leaves(start.final_state)
    expected = jax.tree.leaves(state0)
    if len(leaves) != len(expected) or any(
        np.shape(a) != np.shape(b) for a, b in zip(leaves, expected)
    ):
        raise ValueError(
            f"start's final state does not fit rule={_describe(rule)} (another rule or "
            "base, or another game); continue with a rule of the same structure"
        )
    state = jax.tree.unflatten(
        jax.tree.structure(state0),
        [jnp.asarray(a, b.dtype) for a, b in zip(leaves, expected)],
    )
    return dataclasses.replace(start, final_state=state)


def _saved(checkpoint, state0, fingerprint: str, seeds, total: int) -> TrainResult:
    """The run saved at ``checkpoint``, checked to be this one and not past ``total``."""
    saved = load_result(checkpoint, template=state0)
    if saved.fingerprint != fingerprint or not np.array_equal(saved.seeds, seeds):
        raise ValueError(
            f"checkpoint={str(checkpoint)!r} holds a run of another game, rule, seeds or "
            "settings; delete it or pass another path"
        )
    if saved.steps > total:
        raise ValueError(
            f"checkpoint={str(checkpoint)!r} holds {saved.steps} steps, more than "
            f"{total}"
        )
    return saved


class _Chunks:
    """The training loop's carry and the snapshots so far; :meth:`advance` runs one chunk."""

    def __init__(self, game, rule, keys, seeds, fingerprint, every, n_eval, blowup, result, state0):
        self.game, self.rule, self.keys, self.seeds = game, rule, keys, seeds
        self.fingerprint, self.every, self.n_eval = fingerprint, every, int(n_eval)
        self.blowup = jnp.asarray(blowup, game.centers.dtype)
        n_seeds = seeds.size
        if result is None:
            self.carry = (state0, jnp.full(n_seeds, -1, jnp.int32), jnp.zeros(n_seeds, jnp.int32))
            self.done, self.rows, self.taken = 0, None, np.zeros(0, np.int64)
        else:
            self.carry = (
                result.final_state,
                jnp.asarray(result.step_of_failure, jnp.int32),
                jnp.asarray(result.failure, jnp.int32),
            )
            self.done = result.steps
            self.rows = (result.samples, *(getattr(result, name) for name in _DIAGNOSTICS))
            self.taken = np.asarray(result.snapshot_steps)

    def advance(self, length: int) -> TrainResult:
        every = self.every
        self.carry, (samples, diag) = _run_chunk(
            self.game, self.rule, self.carry, self.keys, jnp.asarray(self.done, jnp.int32), self.blowup,
            n_rows=length // every, every=every, n_eval=self.n_eval,
        )
        new = (np.asarray(samples), *(np.asarray(v) for v in diag))
        at = self.done + every * np.arange(length // every + 1)
        if self.rows is None:
            self.rows, self.taken = new, at
        else:  # a chunk's first snapshot is the previous chunk's last one: keep it once
            self.rows = tuple(np.concatenate([a, b[:, 1:]], axis=1) for a, b in zip(self.rows, new))
            self.taken = np.concatenate([self.taken, at[1:]])
        self.done += length
        return TrainResult(
            seeds=self.seeds,
            steps=self.done,
            snapshot_steps=self.taken,
            samples=self.rows[0],
            **{name: value for name, value in zip(_DIAGNOSTICS, self.rows[1:])},
            step_of_failure=np.asarray(self.carry[1]),
            failure=np.asarray(self.carry[2]),
            final_state=jax.tree.map(np.asarray, self.carry[0]),
            fingerprint=self.fingerprint,
        )


#: The former name of :func:`train_mixture` (``gd.bridge.train`` trains the image GANs).
train = train_mixture


# -- saving ------------------------------------------------------------------------------
_ARRAYS = ("seeds", "snapshot_steps", "samples", *_DIAGNOSTICS, "step_of_failure", "failure")


def save_result(result: TrainResult, path) -> Path:
    """Write ``result`` to ``path`` (``.npz``) atomically: a temporary file in the same
    folder, then a rename, so an interrupted write never leaves a broken checkpoint.

    >>> import pathlib, tempfile, numpy as np, gamedyn as gd
    >>> diag = np.zeros((1, 2))
    >>> result = gd.islands.TrainResult(
    ...     seeds=np.array([7]), steps=10, snapshot_steps=np.array([0, 10]),
    ...     samples=np.zeros((1, 2, 5, 2)), loss_x=diag, loss_y=diag, grad_x=diag, grad_y=diag,
    ...     d_real=diag, d_fake=diag, step_of_failure=np.array([-1]), failure=np.array([0]),
    ...     final_state=[np.ones((1, 3))], fingerprint="by hand")
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = gd.islands.save_result(result, pathlib.Path(folder) / "run.npz")
    ...     files = sorted(p.name for p in path.parent.iterdir())
    ...     loaded = gd.islands.load_result(path)
    >>> files                                      # no temporary file left behind
    ['run.npz']
    >>> loaded.seeds.tolist(), loaded.steps, loaded.fingerprint, loaded.samples.shape
    ([7], 10, 'by hand', (1, 2, 5, 2))
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {name: np.asarray(getattr(result, name)) for name in _ARRAYS}
    arrays["steps"] = np.asarray(result.steps)
    arrays["fingerprint"] = np.asarray(result.fingerprint)
    leaves = jax.tree.leaves(result.final_state)
    arrays["n_state"] = np.asarray(len(leaves))
    for i, leaf in enumerate(leaves):
        arrays[f"state_{i}"] = np.asarray(leaf)
    def write(tmp):
        with open(tmp, "wb") as handle:
            np.savez(handle, **arrays)

    from .._files import atomic_write

    return atomic_write(path, write)


def load_result(path, *, template=None) -> TrainResult:
    """Read a :class:`TrainResult` written by :func:`save_result`. With ``template`` (a
    rule state of the same structure, e.g. the initial state) the final state is rebuilt
    as that structure; otherwise it is the list of its leaves.

    >>> import pathlib, tempfile, numpy as np, gamedyn as gd
    >>> state = {"x": np.ones((1, 3)), "y": np.zeros((1, 2))}   # one seed's rule state
    >>> diag = np.zeros((1, 2))
    >>> result = gd.islands.TrainResult(
    ...     seeds=np.array([0]), steps=10, snapshot_steps=np.array([0, 10]),
    ...     samples=np.zeros((1, 2, 5, 2)), loss_x=diag, loss_y=diag, grad_x=diag, grad_y=diag,
    ...     d_real=diag, d_fake=diag, step_of_failure=np.array([-1]), failure=np.array([0]),
    ...     final_state=state, fingerprint="by hand")
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = gd.islands.save_result(result, pathlib.Path(folder) / "run.npz")
    ...     leaves = gd.islands.load_result(path).final_state
    ...     rebuilt = gd.islands.load_result(path, template=state).final_state
    >>> [leaf.shape for leaf in leaves]            # the leaves in key order: x, y
    [(1, 3), (1, 2)]
    >>> sorted(rebuilt), rebuilt["x"].tolist()
    (['x', 'y'], [[1.0, 1.0, 1.0]])
    """
    with np.load(Path(path), allow_pickle=False) as data:
        leaves = [data[f"state_{i}"] for i in range(int(data["n_state"]))]
        fields = {name: data[name] for name in _ARRAYS}
        steps, fingerprint = int(data["steps"]), str(data["fingerprint"])
    state = leaves
    if template is not None:
        structure = jax.tree.structure(template)
        if structure.num_leaves != len(leaves):
            raise ValueError(
                f"path={str(path)!r} holds a state with {len(leaves)} leaves; the template has "
                f"{structure.num_leaves}"
            )
        state = jax.tree.unflatten(structure, [jnp.asarray(v) for v in leaves])
    return TrainResult(steps=steps, fingerprint=fingerprint, final_state=state, **fields)
