"""One-sided label smoothing and instance noise in the Gaussian-mixture game, against hand
computations on a fixed minibatch; runs checkpointed before they existed keep their
fingerprints."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gamedyn as gd
from gamedyn.islands._train import _fingerprint

SMALL = dict(latent_dim=4, gen_hidden=(8,), disc_hidden=(8,), batch_size=16)


def softplus(v):
    return np.logaddexp(0.0, v)


def test_label_smoothing_lowers_the_real_target():
    s = 0.2
    game = gd.games.GaussianMixture.ring(label_smoothing=s, **SMALL).with_key(jax.random.PRNGKey(1))
    x, y = game.init(jax.random.PRNGKey(0))
    parts = game.evaluate(x, y)
    dr, df = np.asarray(parts["d_real"]), np.asarray(parts["d_fake"])
    t = 1 - s  # binary cross-entropy with target t on real, target 0 on generated samples
    expected = np.mean(t * softplus(-dr) + (1 - t) * softplus(dr)) + np.mean(softplus(df))
    # tolerance: float64 sums of 16 terms
    assert float(game.losses(x, y)[1]) == pytest.approx(expected, rel=1e-12)
    plain = gd.games.GaussianMixture.ring(**SMALL).with_key(jax.random.PRNGKey(1))
    assert float(plain.losses(x, y)[0]) == pytest.approx(float(game.losses(x, y)[0]), rel=1e-12)  # G unchanged


def test_instance_noise_moves_what_the_discriminator_sees_and_nothing_else():
    sigma = 0.3
    noisy = gd.games.GaussianMixture.ring(instance_noise=sigma, **SMALL)
    plain = gd.games.GaussianMixture.ring(**SMALL)
    key = jax.random.PRNGKey(2)
    batch, clean = noisy.sample_batch(key), plain.sample_batch(key)
    assert batch.noise.shape == (2, 16, 2) and clean.noise is None
    np.testing.assert_array_equal(batch.real, clean.real)  # the other draws are those of a run without
    np.testing.assert_array_equal(batch.latent, clean.latent)
    x, y = noisy.init(jax.random.PRNGKey(0))
    parts = noisy.with_batch(batch).evaluate(x, y)
    seen = noisy.packed(batch.real + sigma * batch.noise[0])
    np.testing.assert_array_equal(parts["d_real"], noisy.critic(y, seen)[0])
    np.testing.assert_array_equal(parts["fake"], noisy.generate(x, batch.latent))  # samples stay clean


def test_old_runs_keep_their_fingerprints_and_new_settings_change_them():
    game = gd.games.GaussianMixture.ring(**SMALL)
    rule = gd.optim.gda(0.1)
    assert "label_smoothing" not in repr(game)
    base = _fingerprint(game, rule, 100, 10, jnp.float32, 1e6)
    assert _fingerprint(gd.games.GaussianMixture.ring(label_smoothing=0.0, **SMALL), rule, 100, 10, jnp.float32,
                        1e6) == base
    assert _fingerprint(gd.games.GaussianMixture.ring(label_smoothing=0.1, **SMALL), rule, 100, 10, jnp.float32,
                        1e6) != base
    assert _fingerprint(gd.games.GaussianMixture.ring(instance_noise=0.1, **SMALL), rule, 100, 10, jnp.float32,
                        1e6) != base


def test_the_islands_set_ups_take_them_and_bad_values_are_named():
    game, _ = gd.islands.setup("gan", "ring", protocol="pacgan", label_smoothing=0.1, instance_noise=0.05)
    assert (game.label_smoothing, game.instance_noise) == (0.1, 0.05)
    with pytest.raises(ValueError, match="label_smoothing=0.1 is not accepted with loss='wasserstein'"):
        gd.games.GaussianMixture.ring(loss="wasserstein", label_smoothing=0.1, **SMALL)
    with pytest.raises(ValueError, match="label_smoothing=1.0 is not accepted; expected 0 <= s < 1"):
        gd.games.GaussianMixture.ring(label_smoothing=1.0, **SMALL)
    with pytest.raises(ValueError, match="instance_noise=-1"):
        gd.games.GaussianMixture.ring(instance_noise=-1.0, **SMALL)
