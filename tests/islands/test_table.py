"""The islands table: its named protocols, its calibration rows against closed forms, and the
table script end to end on a tiny configuration (the full table is behind ``-m slow``)."""

import json
import math
import subprocess
import sys
from pathlib import Path

import jax
import numpy as np
import pytest
from scipy.stats import ncx2

import gamedyn as gd

ROOT = Path(__file__).resolve().parents[2]
N, SEEDS = 2500, 8
HQ_IDEAL = 1 - math.exp(-4.5)  # P(chi^2_2 <= 9): an exact sample within 3 std in 2-D


def scored(kind, data):
    game, _ = gd.islands.setup("gan", data, protocol="pacgan")
    samples = np.stack([np.asarray(gd.islands.calibration_samples(kind, game, N, jax.random.PRNGKey(s)))
                        for s in range(SEEDS)])
    return game, gd.metrics.mode_stats(samples, game)


def binomial_band(p, n, sds=5.0):
    """A 5-standard-deviation band of a binomial proportion (false alarm < 1e-6)."""
    return sds * math.sqrt(p * (1 - p) / n)


@pytest.mark.parametrize("data", ["ring", "grid"])
def test_samples_collapsed_on_one_mode_score_one_mode_and_kl_log_k(data):
    game, stats = scored("one_mode", data)
    np.testing.assert_array_equal(stats.modes, 1)
    # Every high-quality sample on one of K equally weighted modes: KL(delta || uniform) = log K.
    np.testing.assert_allclose(stats.kl, math.log(game.k), rtol=1e-12)
    hq = float(np.mean(stats.high_quality))
    assert abs(hq - HQ_IDEAL) < binomial_band(HQ_IDEAL, N * SEEDS)


@pytest.mark.parametrize("data", ["ring", "grid"])
def test_true_samples_capture_every_mode_at_the_ideal_high_quality(data):
    game, stats = scored("true_samples", data)
    # P(a mode is missed by 2,500 samples) <= 25 (24/25)^2500 < 1e-42.
    np.testing.assert_array_equal(stats.modes, game.k)
    hq = float(np.mean(stats.high_quality))
    assert abs(hq - HQ_IDEAL) < binomial_band(HQ_IDEAL, N * SEEDS)
    # A multinomial histogram's KL to its own weights is about (K - 1) / (2 n) on average;
    # ten times that bounds every seed here.
    assert np.all(stats.kl < 10 * (game.k - 1) / (2 * N))


@pytest.mark.parametrize("data", ["ring", "grid"])
def test_the_blob_scores_its_closed_form_high_quality_fraction(data):
    game, stats = scored("blob", data)
    mu, cov = gd.islands.blob_moments(game)
    sigma2 = cov[0, 0]
    np.testing.assert_allclose(cov, sigma2 * np.eye(2), atol=1e-12)  # both mixtures are isotropic
    r2 = (3 * float(game.std)) ** 2
    # P(|t - c_k| <= r) for t ~ N(mu, sigma^2 I): |t - c_k|^2 / sigma^2 is noncentral chi^2
    # with 2 degrees of freedom and noncentrality |mu - c_k|^2 / sigma^2 (the discs do not
    # overlap, so each is all nearest to its own centre).
    lam = np.sum((np.asarray(game.centers) - mu) ** 2, axis=1) / sigma2
    expected = float(np.sum(ncx2.cdf(r2 / sigma2, 2, lam)))
    hq = float(np.mean(stats.high_quality))
    assert abs(hq - expected) < binomial_band(expected, N * SEEDS)
    assert expected < 0.02  # the calibration's point: a blob is almost never of high quality


def test_protocols_are_the_papers_settings():
    game, rule = gd.islands.setup("pacgan3", "grid", protocol="pacgan")
    assert (game.latent_dim, game.gen_hidden, game.gen_batchnorm) == (2, (400,) * 4, True)
    assert (game.disc_hidden, game.disc_activation, game.maxout_pieces) == ((200,) * 3, "maxout", 5)
    assert (game.pack, game.batch_size, float(game.init_std)) == (3, 300, 0.02)  # 100 packs of 3
    assert (float(rule.lr), float(rule.base[0].b1)) == (1e-4, 0.8)
    game, rule = gd.islands.setup("unrolled", "ring", protocol="veegan")
    assert (game.latent_dim, game.gen_hidden, game.disc_hidden, game.batch_size) == (256, (128, 128), (128,), 500)
    assert (rule.k, rule.look_ahead, float(rule.lr), float(rule.base[1].b1)) == (5, "base", 1e-3, 0.5)
    # The older names are the same methods.
    assert repr(gd.islands.setup("simultaneous")) == repr(gd.islands.setup("gan"))
    assert gd.islands.canonical_method("alternating") == "gan_alternating"
    with pytest.raises(ValueError, match="protocol='metz' is not accepted"):
        gd.islands.setup("gan", protocol="metz")
    with pytest.raises(ValueError, match="method='pacgan5' is not accepted"):
        gd.islands.setup("pacgan5")


def run_table(tmp_path, *args):
    cmd = [sys.executable, "islands_table.py", "--tiny", "--seeds", "2", "--results", str(tmp_path / "results"),
           "--cache", str(tmp_path / "cache"), *args]
    return subprocess.run(cmd, cwd=ROOT / "benchmarks", capture_output=True, text=True, timeout=900)


KEYS = {"protocol", "data", "method", "seeds", "modes", "modes_se", "high_quality", "high_quality_se", "kl"}


def test_a_tiny_table_end_to_end_writes_every_output_and_resumes(tmp_path):
    done = run_table(tmp_path, "--protocols", "pacgan", "--data", "ring", "--methods", "gan,pacgan2")
    assert done.returncode == 0, done.stderr[-3000:]
    results = tmp_path / "results"
    rows = json.loads((results / "islands_table.json").read_text())["rows"]
    for row in rows:
        assert KEYS <= set(row)
        assert row["protocol"] in ("veegan", "pacgan", "calibration") and row["data"] in ("ring", "grid")
        assert 0.0 <= row["high_quality"] <= 1.0
    got = {(r["protocol"], r["method"]) for r in rows}
    assert {("calibration", m) for m in ("true_samples", "blob", "one_mode")} <= got
    assert {("pacgan", "gan"), ("pacgan", "pacgan2")} <= got
    with np.load(results / "islands_samples.npz") as samples:
        assert samples["pacgan/ring/pacgan2"].shape == (2, 2500, 2)
        assert samples["pacgan/ring/pacgan2"].dtype == np.float16
    with np.load(results / "islands_curves.npz") as curves:
        steps = curves["pacgan/ring/gan/steps"]
        assert steps.tolist() == [0, 10, 20, 30]  # two stages: 20 + 10 steps, snapshots every 10
        assert curves["pacgan/ring/gan/modes"].shape == (2, 4)
    text = (results / "islands_table.md").read_text()
    assert "Tiny smoke configuration" in text and "calibration: best single Gaussian" in text
    assert "python benchmarks/islands_table.py --tiny" in text
    # A rerun reads the finished checkpoints back: the same samples, bit for bit.
    before = np.load(results / "islands_samples.npz")["pacgan/ring/gan"]
    again = run_table(tmp_path, "--protocols", "pacgan", "--data", "ring", "--methods", "gan")
    assert again.returncode == 0, again.stderr[-3000:]
    np.testing.assert_array_equal(np.load(results / "islands_samples.npz")["pacgan/ring/gan"], before)
    # --read-back trains nothing: the untrained pacgan3 stays out, the trained rows stay in,
    # and a row another invocation wrote meanwhile (here: by hand) is kept, not overwritten
    table = json.loads((results / "islands_table.json").read_text())
    foreign = dict(next(r for r in table["rows"] if r["method"] == "gan"), method="unrolled")
    (results / "islands_table.json").write_text(json.dumps({"rows": table["rows"] + [foreign]}))
    back = run_table(tmp_path, "--protocols", "pacgan", "--data", "ring", "--methods", "gan,pacgan3",
                     "--read-back")
    assert back.returncode == 0, back.stderr[-3000:]
    assert not list((tmp_path / "cache").glob("*pacgan3*"))
    got = {(r["protocol"], r["data"], r["method"]) for r in json.loads((results / "islands_table.json").read_text())["rows"]}
    assert {("pacgan", "ring", "gan"), ("pacgan", "ring", "pacgan2")} <= got
    assert ("pacgan", "ring", "pacgan3") not in got
    assert ("pacgan", "ring", "unrolled") in got  # the other invocation's row survives


def test_the_table_script_rejects_bad_arguments_by_name(tmp_path):
    bad = run_table(tmp_path, "--methods", "gan,wgan")
    assert bad.returncode == 2 and "--methods 'gan,wgan': unknown ['wgan']" in bad.stderr


@pytest.mark.slow
def test_the_full_table():
    """Every protocol, data set and method at 8 seeds (hours on 2 cores; resumes from
    ``runs/islands_table``)."""
    done = subprocess.run([sys.executable, "islands_table.py"], cwd=ROOT / "benchmarks", timeout=86400)
    assert done.returncode == 0
    rows = json.loads((ROOT / "results" / "islands_table.json").read_text())["rows"]
    trained = {(r["protocol"], r["data"], r["method"]) for r in rows if r["protocol"] != "calibration"}
    assert len(trained) == 2 * 2 * 8
    assert all(r["seeds"] >= 8 for r in rows)


def test_a_mode_count_is_not_compared_when_a_row_fails_the_blob_calibration(monkeypatch):
    """A remedy with more modes than the plain GAN by far more than two standard errors, but a
    high-quality fraction below 10x the blob's, gets no ordering: its modes are the spread's."""
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import islands_table

    def row(method, modes, hq, protocol="pacgan"):
        return islands_table.row(protocol, "grid", method, np.full(8, modes) + np.arange(8) * 0.01,
                                 np.full(8, hq), np.full(8, 0.5))

    rows = [row("blob", 16.5, 0.0153, "calibration"), row("one_mode", 1.0, 0.99, "calibration"),
            row("gan", 14.6, 0.84), row("pacgan4", 19.0, 0.038)]
    islands_table.gate(rows)
    assert [r.get("beats_blob") for r in rows[2:]] == [True, False]
    text = " ".join(islands_table.verdicts(rows))
    assert "PacGAN4 captures more modes than the plain GAN by 4.4" in text
    assert "PacGAN4's high-quality fraction (3.8 %) is not 10x the best single Gaussian's" in text
    assert text.count("no ordering shown") == 1
