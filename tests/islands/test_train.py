"""Training the Gaussian-mixture game: every rule on a tiny configuration, vmapped over
seeds; divergence classified; snapshots, seeds and checkpoints reproducible."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gamedyn as gd
from gamedyn.games import GaussianMixture
from gamedyn.islands import load_result, save_result, train_mixture as train

TINY = GaussianMixture.ring(latent_dim=2, gen_hidden=(4,), disc_hidden=(4,), batch_size=8)
ADAM = gd.optim.adam(b1=0.5)

# By default: plain GDA, a rule with memory, the two that differentiate through a solve or
# a look-ahead, and Adam as a base (each compiles its own program: ~10 s apiece on 2 cores).
# Every other rule is slow; all rules share the step code the optim tests cover.
RULES = {
    "gda": gd.optim.gda(0.05),
    "optimistic": gd.optim.optimistic(0.05),
    "proximal": gd.optim.proximal(0.05),
    "unrolled": gd.optim.unrolled(0.05, 2),
    "gda + adam": gd.optim.gda(1e-3, alternating=True, base=ADAM),
}
SLOW_RULES = {
    "gda alternating, TTUR, k=2": gd.optim.gda((0.02, 0.05), alternating=True, k=2),
    "extragradient": gd.optim.extragradient(0.05),
    "momentum (negative)": gd.optim.momentum(0.05, -0.3, alternating=True),
    "consensus": gd.optim.consensus(0.05, 0.1),
    "sga": gd.optim.sga(0.05, 0.5, align=True),
    "gda alternating, generator first": gd.optim.gda(0.05, alternating=True, first="x"),
    "extragradient + adam": gd.optim.extragradient(1e-3, base=ADAM),
    "optimistic + adam": gd.optim.optimistic(1e-3, base=ADAM),
    "unrolled + adam": gd.optim.unrolled(1e-3, 2, lr_unroll=0.05, base=ADAM),
}


@pytest.mark.parametrize(
    "rule",
    [*RULES.values(), *(pytest.param(r, marks=pytest.mark.slow) for r in SLOW_RULES.values())],
    ids=[*RULES, *SLOW_RULES],
)
def test_every_rule_trains_a_tiny_mixture_gan_over_several_seeds(rule):
    result = train(TINY, rule, 4, seeds=3, snapshot_every=2, n_eval=16)
    assert result.samples.shape == (3, 3, 16, 2)
    assert result.snapshot_steps.tolist() == [0, 2, 4]
    assert not result.diverged.any(), result.messages
    assert np.all(np.isfinite(result.samples)) and np.all(np.isfinite(result.loss_y))
    x0 = np.asarray(TINY.astype(jnp.float32).init(jax.random.fold_in(jax.random.PRNGKey(0), 0))[0])
    # The generator moved (a rule that did nothing would pass every other check).
    assert not np.allclose(result.final_state.x[0], x0)
    # Seeds differ from one another.
    assert not np.allclose(result.samples[0, -1], result.samples[1, -1])


def test_a_diverging_configuration_is_classified_not_raised():
    # Step size 1e9: the players overflow within a few steps (non-finite or beyond blowup).
    result = train(TINY, gd.optim.gda(1e9), 6, seeds=2, snapshot_every=2, n_eval=16)
    assert result.diverged.all()
    assert np.all((result.step_of_failure >= 1) & (result.step_of_failure <= 6))
    assert all("diverged" in m for m in result.messages)
    assert {gd.islands.FAILURES[k] for k in result.failure} <= {"non-finite", "blow-up"}
    # Snapshots after the failure are NaN; the state kept is the last finite one.
    last = result.snapshot_steps >= result.step_of_failure.max()
    assert np.isnan(result.samples[:, last]).all()
    assert np.all(np.isfinite(result.final_state.x))
    # Scoring a diverged run is a result too: no mode captured, no high-quality sample.
    stats = result.mode_stats(TINY)
    assert np.asarray(stats.modes)[:, -1].tolist() == [0, 0]


def test_a_mixed_batch_keeps_training_the_seeds_that_did_not_fail():
    # blowup is a threshold on |parameters|: a low one stops some seeds and not others
    # only if their sizes differ, so use one that every seed crosses and one that none does.
    none = train(TINY, gd.optim.gda(0.05), 4, seeds=2, n_eval=4, blowup=1e3)
    every = train(TINY, gd.optim.gda(0.05), 4, seeds=2, n_eval=4, blowup=1e-3)
    assert not none.diverged.any()
    assert every.diverged.all() and set(every.step_of_failure) == {1}
    assert {gd.islands.FAILURES[k] for k in every.failure} == {"blow-up"}


def test_a_seed_gives_the_same_run_in_any_batch_of_seeds():
    alone = train(TINY, gd.optim.gda(0.05, alternating=True), 4, seeds=[5], n_eval=8, dtype=None)
    together = train(TINY, gd.optim.gda(0.05, alternating=True), 4, seeds=[2, 5], n_eval=8, dtype=None)
    # float64; vmapped and single evaluations differ at most by summation order.
    np.testing.assert_allclose(together.samples[1], alone.samples[0], rtol=1e-12, atol=1e-14)


def test_a_checkpointed_run_resumes_to_the_same_result(tmp_path):
    rule = gd.optim.extragradient(0.05)
    full = train(TINY, rule, 6, seeds=2, snapshot_every=2, n_eval=8, dtype=None)
    path = tmp_path / "run.npz"
    part = train(TINY, rule, 2, seeds=2, snapshot_every=2, n_eval=8, dtype=None, checkpoint=path)
    assert part.steps == 2 and path.exists()
    resumed = train(TINY, rule, 6, seeds=2, snapshot_every=2, n_eval=8, dtype=None,
                    checkpoint=path, checkpoint_every=2)
    assert resumed.steps == 6 and resumed.snapshot_steps.tolist() == [0, 2, 4, 6]
    # Per-step keys depend only on (seed, step), so resuming changes nothing (float64).
    np.testing.assert_allclose(resumed.samples, full.samples, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(resumed.final_state.y, full.final_state.y, rtol=1e-12, atol=1e-14)
    # A finished checkpoint is returned as it is; another configuration is refused.
    again = train(TINY, rule, 6, seeds=2, snapshot_every=2, n_eval=8, dtype=None, checkpoint=path)
    np.testing.assert_array_equal(again.samples, resumed.samples)
    with pytest.raises(ValueError, match="holds a run of another game, rule, seeds or settings"):
        train(TINY, gd.optim.gda(0.05), 6, seeds=2, snapshot_every=2, n_eval=8, dtype=None, checkpoint=path)
    assert not list(tmp_path.glob(".*tmp"))  # no temporary file left behind


def test_results_round_trip_through_a_file(tmp_path):
    result = train(TINY, gd.optim.optimistic(0.05), 2, seeds=2, n_eval=4)
    path = save_result(result, tmp_path / "r.npz")
    loaded = load_result(path)
    for name in ("seeds", "snapshot_steps", "samples", "loss_x", "step_of_failure", "failure"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(result, name))
    assert loaded.fingerprint == result.fingerprint and loaded.steps == 2
    assert len(loaded.final_state) == len(jax.tree.leaves(result.final_state))


def test_diagnostics_match_the_game_at_the_snapshot():
    rule = gd.optim.gda(0.05)
    result = train(TINY, rule, 2, seeds=[0], snapshot_every=2, n_eval=8, dtype=None)
    # Rebuild the evaluation minibatch from the documented keys and compare.
    key = jax.random.PRNGKey(0)
    eval_key = jax.random.fold_in(key, 2)
    game = TINY.with_key(jax.random.fold_in(eval_key, 1))
    x = jnp.asarray(result.final_state.x[0])
    y = jnp.asarray(result.final_state.y[0])
    loss_x, loss_y = game.losses(x, y)
    fx, fy = game.field(x, y)
    np.testing.assert_allclose(result.loss_x[0, -1], loss_x, rtol=1e-12)
    np.testing.assert_allclose(result.loss_y[0, -1], loss_y, rtol=1e-12)
    np.testing.assert_allclose(result.grad_x[0, -1], np.linalg.norm(fx), rtol=1e-12)
    np.testing.assert_allclose(result.grad_y[0, -1], np.linalg.norm(fy), rtol=1e-12)
    latent = TINY.sample_latent(jax.random.fold_in(eval_key, 0), 8)
    np.testing.assert_allclose(result.samples[0, -1], TINY.generate(x, latent), rtol=1e-12)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(steps=0), "steps=0 is not accepted"),
        (dict(steps=5, snapshot_every=2), "snapshot_every=2 is not accepted; expected a divisor"),
        (dict(steps=4, seeds=[1, 1]), "the seeds must be distinct"),
        (dict(steps=4, seeds=0), "seeds=0 is not accepted"),
        (dict(steps=4, snapshot_every=2, checkpoint_every=3), "checkpoint_every=3 is not accepted"),
        (dict(steps=4, dtype="int32"), "dtype=.*expected a floating dtype"),
    ],
)
def test_bad_arguments_are_rejected_by_name(kwargs, message):
    with pytest.raises(ValueError, match=message):
        train(TINY, gd.optim.gda(0.1), **kwargs)


def test_only_mixture_games_and_rules_are_accepted():
    with pytest.raises(ValueError, match="game=.*expected a gd.games.GaussianMixture"):
        train(gd.games.DiracGAN(), gd.optim.gda(0.1), 2)
    with pytest.raises(ValueError, match="rule=.*expected a gd.optim rule"):
        train(TINY, "gda", 2)


@pytest.mark.slow
def test_training_in_stages_continues_the_same_run():
    rule = gd.optim.gda(0.05, alternating=True, base=ADAM)
    whole = train(TINY, rule, 6, seeds=2, snapshot_every=2, n_eval=8, dtype=None)
    first = train(TINY, rule, 2, seeds=2, snapshot_every=2, n_eval=8, dtype=None)
    # Same rule, same keys, Adam's moments carried over: the same iterates (float64).
    second = train(TINY, rule, 4, seeds=2, snapshot_every=2, n_eval=8, dtype=None, start=first)
    assert second.steps == 6 and second.snapshot_steps.tolist() == [0, 2, 4, 6]
    np.testing.assert_allclose(second.samples, whole.samples, rtol=1e-12, atol=1e-14)
    # A smaller step size in the second stage is a schedule; its snapshots follow on.
    decayed = train(TINY, gd.optim.gda(0.005, alternating=True, base=ADAM), 4, seeds=2,
                    snapshot_every=4, n_eval=8, dtype=None, start=first)
    assert decayed.snapshot_steps.tolist() == [0, 2, 6]
    with pytest.raises(ValueError, match="start's final state does not fit"):
        train(TINY, gd.optim.gda(0.05), 2, seeds=2, n_eval=8, dtype=None, start=first)
    with pytest.raises(ValueError, match="start holds seeds"):
        train(TINY, rule, 2, seeds=3, n_eval=8, dtype=None, start=first)
