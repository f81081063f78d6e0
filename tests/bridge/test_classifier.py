"""Mode classifiers (trained once, cached atomically, accuracy-checked) and the
mode-collapse evaluation built on them.

Reference values: the expected number of distinct modes among N uniform draws,
K (1 - (1 - 1/K)^N), and the chi^2 law of 2 N KL(empirical || true) (Wilks), both also
checked against a plain numpy simulation; for stacked digits the exact mode distribution the
classifier induces, q(d_R) q(d_G) q(d_B), with q measured independently on the held-out digits.
"""

import math

import numpy as np
import pytest
import torch

from gamedyn.bridge import _classifier
from gamedyn.bridge._classifier import (
    ClassifierAccuracyError,
    ModeClassifier,
    cache_dir,
    mode_classifier,
)
from gamedyn.bridge._data import TensorImages, image_islands, mnist_digits, stacked_digits
from gamedyn.bridge._evaluate import (
    STACKED_MNIST_SAMPLES,
    ClassifiedSamples,
    classify_samples,
    evaluate_samples,
    expected_kl,
    expected_modes_captured,
)

ISLAND_STEPS = 60  # 60 Adam steps separate 20 islands perfectly (separation > 2); ~1 s
# The default suite trains the stacked-digit classifier on a quarter of the default budget
# (400 of 2,000 steps, ~10 s): the >= 95 % held-out digit accuracy it must reach is checked
# on that classifier itself. The default recipe, its mode accuracy and the full 26,000-sample
# protocol run in the slow test at the end.
STACKED_FAST_STEPS = 400


def _heldout_digit_predictions(clf):
    """The classifier's digit for each of the 1,000 held-out digits, read through the public
    API: a stack with the same digit in all three channels has mode 111 * d."""
    pixels, labels, _ = mnist_digits("heldout")
    x = torch.as_tensor(pixels, dtype=torch.float32)[:, None].expand(-1, 3, -1, -1) / 127.5 - 1
    modes = clf.predict(x).numpy()
    assert np.all(modes // 100 == modes % 10)  # the three channels agree, as they must
    return modes % 10, labels


@pytest.fixture(scope="module")
def stacked(tmp_path_factory):
    """A stacked-digits classifier trained once for the module in a temporary cache
    (``$GAMEDYN_CACHE``), with its held-out digit predictions."""
    folder = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GAMEDYN_CACHE", str(folder))
        clf = mode_classifier(stacked_digits(100), steps=STACKED_FAST_STEPS, verbose=False)
    return clf, folder, _heldout_digit_predictions(clf)


@pytest.fixture(scope="module")
def islands20(tmp_path_factory):
    data = image_islands(k=20, n=2000, seed=4)
    clf = mode_classifier(data, steps=ISLAND_STEPS, cache=tmp_path_factory.mktemp("isl"), verbose=False)
    return data, clf


def _check_accuracy(clf, predicted, labels):
    assert isinstance(clf, ModeClassifier) and clf.kind == "stacked-digits" and clf.n_modes == 1000
    assert clf.n_heldout == 1000
    accuracy = float(np.mean(predicted == labels))
    assert accuracy == pytest.approx(clf.accuracy, abs=1e-12)
    assert accuracy >= 0.95
    # The full mode needs three digits right. The held-out stacks draw each channel
    # uniformly from these 1,000 digits, independently, so its expectation is accuracy^3;
    # measured on 10,000 stacks: 5 binomial sd.
    cube = accuracy**3
    assert clf.mode_accuracy == pytest.approx(cube, abs=5 * math.sqrt(cube * (1 - cube) / 10_000))


def _check_protocol(clf, predicted, n):
    """Evaluate ``n`` stacks of held-out digits, i.e. exact samples of the data, against the
    values the classifier's own error law predicts.

    The stacks draw each channel's digit uniformly from the 1,000 held-out digits, so the
    predicted mode has law p = q x q x q, q the classifier's digit frequencies on exactly
    those digits (``predicted``). Then, for n draws:
    E[modes] = sum_m 1 - (1 - p_m)^n, whose variance is at most the sum of the indicators'
    variances (multinomial occupancy indicators are negatively associated, Dubhashi & Ranjan
    1998); E[KL(p_hat || u)] = KL(p || u) + (K_+ - 1) / (2n) to first order, with sd from
    the chi^2 part sqrt(2 (K_+ - 1)) / (2n) and the linear part sqrt(Var_p[log(p / u)] / n).
    5 sd each.
    """
    data = stacked_digits(n, split="heldout", seed=21)
    ev = evaluate_samples(clf, data[:][0])
    assert ev.n_samples == n and ev.n_finite == n and ev.counts.sum() == n
    # reference for exact uniform samples: 1000 (1 - (1 - 1/1000)^n), (K - 1) / (2n)
    assert ev.expected_modes == pytest.approx(1000 * (1 - (1 - 1 / 1000) ** n), rel=1e-12)
    assert ev.expected_kl == pytest.approx(999 / (2 * n))
    q = np.bincount(predicted, minlength=10) / len(predicted)
    p = np.einsum("i,j,k->ijk", q, q, q).ravel()
    empty = (1 - p) ** n
    modes_sd = math.sqrt(np.sum(empty * (1 - empty)))
    assert abs(ev.modes - np.sum(1 - empty)) <= 5 * modes_sd + 0.5  # 0.5: modes is an integer
    log_ratio = np.log(np.where(p > 0, p * 1000, 1.0))
    kl_p = float(np.sum(p * log_ratio))
    assert kl_p == pytest.approx(3 * np.sum(q[q > 0] * np.log(10 * q[q > 0])), rel=1e-9)
    support = np.count_nonzero(p)
    expected = kl_p + (support - 1) / (2 * n)
    sd = math.sqrt(2 * (support - 1) / (2 * n) ** 2 + (np.sum(p * log_ratio**2) - kl_p**2) / n)
    assert abs(ev.kl - expected) < 5 * sd
    return ev


# ---------------------------------------------------------------- stacked-digit classifier


def test_stacked_classifier_reaches_95_percent_on_heldout_digits(stacked):
    clf, _, (predicted, labels) = stacked
    assert not clf.from_cache
    _check_accuracy(clf, predicted, labels)


def test_stacked_classifier_reads_each_channel(stacked):
    clf, _, _ = stacked
    ds = stacked_digits(2000, split="heldout", seed=9)
    images, labels = ds[:]
    pred = clf.predict(images).numpy()
    digits_right = (np.stack([pred // 100, pred // 10 % 10, pred % 10], 1) == ds.digit_labels)
    # per-channel accuracy over 6,000 held-out digit draws: >= 95 % like the digit
    # classifier itself (binomial sd 0.003 around ~0.97)
    assert digits_right.mean() >= 0.95
    assert clf.features(images[:7]).shape == (7, 3 * 128)


def test_stacked_classifier_is_cached_and_reused(stacked, monkeypatch, capsys):
    clf, folder, _ = stacked
    files = list((folder / "classifiers").iterdir())
    assert len(files) == 1 and files[0].suffix == ".pt" and files[0].name.startswith("stacked-digits-")
    monkeypatch.setenv("GAMEDYN_CACHE", str(folder))

    def no_training(*args, **kwargs):
        raise AssertionError("the cached classifier should have been reused")

    monkeypatch.setattr(_classifier, "_fit", no_training)
    # any n, size, split or seed of the data set shares the classifier
    again = mode_classifier(stacked_digits(10, size=32, seed=3), steps=STACKED_FAST_STEPS)
    assert again.from_cache and again.path == files[0]
    assert again.accuracy == clf.accuracy and again.mode_accuracy == clf.mode_accuracy
    assert "held-out digit accuracy" in capsys.readouterr().err
    ds = stacked_digits(200, size=32, seed=1)
    padded = ds[:][0]
    # the 32x32 images carry 2 px of padding: same modes as the 28x28 centres
    assert torch.equal(again.predict(padded), clf.predict(padded[:, :, 2:30, 2:30].contiguous()))


# ---------------------------------------------------------------- evaluation on stacked digits


def test_samples_of_the_data_capture_the_modes_with_the_expected_kl(stacked):
    clf, _, (predicted, _) = stacked
    # 10,000 samples in the default suite (26,000, the protocol's number, in the slow test)
    ev = _check_protocol(clf, predicted, 10_000)
    assert ev.modes >= 995  # E[modes] for exact uniform samples: 1000 (1 - e^-10) = 999.95


def test_a_ten_mode_subset_is_found_with_the_classifiers_error_rate(stacked):
    clf, _, (predicted, labels) = stacked
    ten = [0, 111, 222, 345, 407, 598, 613, 789, 850, 962]
    n = 2600
    ev = evaluate_samples(clf, stacked_digits(n, split="heldout", modes=ten, seed=2)[:][0])
    captured = set(np.flatnonzero(ev.counts).tolist())
    assert set(ten) <= captured
    # A sample lands in its own mode iff its three digits are read right; with per-class
    # held-out accuracy a_d, that has probability mean_m prod_c a_{d_c(m)}. 5 binomial sd.
    per_class = np.array([np.mean(predicted[labels == d] == d) for d in range(10)])
    right = np.mean([per_class[m // 100] * per_class[m // 10 % 10] * per_class[m % 10] for m in ten])
    inside = ev.counts[ten].sum() / n
    assert abs(inside - right) < 5 * math.sqrt(right * (1 - right) / n) + 1e-12
    # KL(h || uniform) = log 1000 - H(h) >= log(1000 / |support of h|)
    assert ev.kl >= math.log(1000 / len(captured)) - 1e-12


@pytest.mark.slow
def test_default_recipe_meets_the_protocol(tmp_path, capsys):
    """The shipped recipe (2,000 steps, about a minute on one core): >= 95 % held-out digit
    accuracy, >= 95 % mode accuracy (all three digits right), and on 26,000 samples of the
    data (VEEGAN / PacGAN) all 1000 modes with the KL its error law predicts."""
    clf = mode_classifier(stacked_digits(10), cache=tmp_path)
    assert "held-out digit accuracy" in capsys.readouterr().err
    predicted, labels = _heldout_digit_predictions(clf)
    _check_accuracy(clf, predicted, labels)
    assert clf.mode_accuracy >= 0.95
    ev = _check_protocol(clf, predicted, STACKED_MNIST_SAMPLES)
    assert STACKED_MNIST_SAMPLES == 26_000 and ev.modes == 1000


# ---------------------------------------------------------------------- islands classifier


def test_islands_classifier_is_exact_and_exposes_its_features(islands20):
    data, clf = islands20
    assert clf.kind == "images" and clf.n_modes == 20 and clf.accuracy == 1.0
    assert clf.n_heldout == 400  # 20 % of 2,000
    fresh = image_islands(k=20, n=1000, seed=4)  # same templates, new noise
    assert torch.equal(fresh.templates, data.templates)
    assert torch.equal(clf.predict(fresh[:][0]), fresh.labels)
    assert clf.features(fresh[:5][0]).shape == (5, 128) and clf.feature_dim == 128


def test_islands_subset_gives_exactly_those_modes(islands20):
    data, clf = islands20
    subset = [0, 2, 3, 5, 8, 11, 13, 14, 17, 19]
    fake = image_islands(k=20, n=3000, modes=subset, seed=4)
    # 1,000 real and fake samples enter the k-NN metrics (their cost is quadratic)
    ev = evaluate_samples(clf, fake[:][0], real=data, n_features=1000)
    assert ev.n_real_features == 1000 and ev.n_fake_features == 1000
    assert set(np.flatnonzero(ev.counts).tolist()) == set(subset) and ev.modes == 10
    assert np.array_equal(ev.counts, np.bincount(fake.labels.numpy(), minlength=20))
    h = ev.counts[subset] / 3000
    assert ev.kl == pytest.approx(float(np.sum(h * np.log(20 * h))), rel=1e-9)
    # Against samples of all 20 islands: the same precision (every fake sample is a real-
    # looking one; in 128-D noise-dominated features a fresh sample falls in the union of
    # real 3-NN balls ~85 % of the time either way), half the coverage (the real balls of
    # the 10 missing islands hold no fake sample; sampling sd ~ 0.02, allow 0.1) and a
    # clearly lower recall.
    full = evaluate_samples(clf, image_islands(k=20, n=3000, seed=4)[:][0], real=data, n_features=1000)
    assert full.modes == 20
    assert abs(ev.precision - full.precision) < 0.1
    assert abs(ev.coverage - 0.5 * full.coverage) < 0.1
    assert ev.recall < 0.6 * full.recall
    assert full.frechet < ev.frechet


def test_evaluation_takes_a_sampler_and_counts_min_count(islands20):
    data, clf = islands20
    gen = torch.Generator().manual_seed(0)
    ev = evaluate_samples(clf, lambda b: data.sample(b, generator=gen)[0], n_samples=1234, batch_size=100)
    assert ev.n_samples == 1234 and ev.modes == 20
    labels = np.concatenate([[0] * 30, [1] * 3, [2]])
    ev = evaluate_samples(clf, data.templates[labels], min_count=3)
    assert ev.modes == 2  # mode 2 has 1 sample, below min_count


def test_classified_samples_evaluate_as_the_images_do(islands20):
    data, clf = islands20
    fake = image_islands(k=20, n=600, modes=[1, 4, 9], seed=5)[:][0]
    fake[:7] = float("nan")  # a non-finite image is labelled -1 and still counts as a sample
    drawn = classify_samples(clf, fake, batch_size=128)
    assert drawn.labels.shape == (600,) and drawn.features.shape == (600, clf.feature_dim)
    assert np.all(drawn.labels[:7] == -1)
    # classified once, evaluated twice: the same numbers as from the images themselves
    for real in (None, data):
        direct = evaluate_samples(clf, fake, real=real, n_features=500, seed=3)
        again = evaluate_samples(clf, drawn, real=real, n_features=500, seed=3)
        assert {k: v for k, v in direct._asdict().items() if k != "counts"} == pytest.approx(
            {k: v for k, v in again._asdict().items() if k != "counts"}, nan_ok=True)
        assert np.array_equal(direct.counts, again.counts)
    with pytest.raises(ValueError, match="fake=.*as many labels as feature rows"):
        evaluate_samples(clf, ClassifiedSamples(drawn.labels[:5], drawn.features))


def test_non_finite_images_are_counted_not_crashed_on(islands20):
    data, clf = islands20
    images = data[:100][0].clone()
    images[:40] = float("nan")
    modes, feats = clf.classify(images)
    assert (modes[:40] == -1).all() and torch.isnan(feats[:40]).all() and torch.isfinite(feats[40:]).all()
    ev = evaluate_samples(clf, images, real=data)
    assert ev.n_samples == 100 and ev.n_finite == 60 and ev.counts.sum() == 60
    assert math.isfinite(ev.frechet)
    dead = evaluate_samples(clf, torch.full((10, 1, 28, 28), float("inf")), real=data)
    assert dead.modes == 0 and dead.kl == math.inf and math.isnan(dead.frechet)


def test_evaluation_errors_name_the_argument(islands20):
    data, clf = islands20
    with pytest.raises(ValueError, match=r"images have shape \(3, 3, 28, 28\)"):
        evaluate_samples(clf, torch.zeros(3, 3, 28, 28))
    with pytest.raises(ValueError, match="classifier="):
        evaluate_samples("nope", torch.zeros(3, 1, 28, 28))
    with pytest.raises(ValueError, match="fake="):
        evaluate_samples(clf, 3)
    with pytest.raises(ValueError, match="weights"):
        evaluate_samples(clf, data[:5][0], weights=np.ones(3) / 3)
    with pytest.raises(ValueError, match="real="):
        evaluate_samples(clf, data[:5][0], real="folder")


# --------------------------------------------------------------------------- the cache


def test_cache_dir_precedence(monkeypatch, tmp_path):
    monkeypatch.setenv("GAMEDYN_CACHE", str(tmp_path / "a"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "b"))
    assert cache_dir() == tmp_path / "a"
    monkeypatch.delenv("GAMEDYN_CACHE")
    assert cache_dir() == tmp_path / "b" / "gamedyn"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "gamedyn"


def test_islands_cache_is_reused_and_printed(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("GAMEDYN_CACHE", str(tmp_path))
    data = image_islands(k=5, n=300, seed=1)
    first = mode_classifier(data, steps=ISLAND_STEPS)
    err = capsys.readouterr().err
    assert "held-out label accuracy 100.0%" in err and "cached at" in err
    monkeypatch.setattr(_classifier, "_fit", lambda *a, **k: pytest.fail("retrained"))
    second = mode_classifier(data, steps=ISLAND_STEPS)
    assert second.from_cache and "loaded from" in capsys.readouterr().err
    assert torch.equal(first.features(data[:20][0]), second.features(data[:20][0]))
    # a different recipe or different data is a different file
    monkeypatch.undo()
    monkeypatch.setenv("GAMEDYN_CACHE", str(tmp_path))
    other = mode_classifier(image_islands(k=5, n=300, seed=2), steps=ISLAND_STEPS, verbose=False)
    assert other.path != first.path and not other.from_cache
    assert len(list((tmp_path / "classifiers").iterdir())) == 2


def test_training_is_deterministic(tmp_path):
    data = image_islands(k=4, n=200, seed=0)
    a = mode_classifier(data, steps=20, cache=False, verbose=False)
    b = mode_classifier(data, steps=20, cache=False, verbose=False)
    assert a.path is None
    for pa, pb in zip(a.net.state_dict().values(), b.net.state_dict().values()):
        assert torch.equal(pa, pb)
    assert not list(tmp_path.iterdir())


def test_an_interrupted_write_leaves_no_partial_file(monkeypatch, tmp_path):
    data = image_islands(k=4, n=200, seed=0)
    real_save = torch.save

    def interrupted(obj, handle, *args, **kwargs):
        handle.write(b"PK\x03\x04 half a checkpoint")  # some bytes reach the disk ...
        raise KeyboardInterrupt  # ... then the run is killed

    monkeypatch.setattr(torch, "save", interrupted)
    with pytest.raises(KeyboardInterrupt):
        mode_classifier(data, steps=20, cache=tmp_path, verbose=False)
    assert list((tmp_path / "classifiers").iterdir()) == []  # neither the file nor a temporary
    monkeypatch.setattr(torch, "save", real_save)
    clf = mode_classifier(data, steps=20, cache=tmp_path, verbose=False)
    assert [p.name for p in (tmp_path / "classifiers").iterdir()] == [clf.path.name]


def test_a_damaged_cache_file_is_retrained_with_a_warning(tmp_path):
    data = image_islands(k=4, n=200, seed=0)
    clf = mode_classifier(data, steps=20, cache=tmp_path, verbose=False)
    clf.path.write_bytes(clf.path.read_bytes()[:100])  # e.g. a disk that filled up
    with pytest.warns(RuntimeWarning, match="unreadable classifier cache"):
        again = mode_classifier(data, steps=20, cache=tmp_path, verbose=False)
    assert not again.from_cache
    assert mode_classifier(data, steps=20, cache=tmp_path, verbose=False).from_cache


def test_low_accuracy_raises_and_is_not_cached(tmp_path):
    # noise 1.5 per pixel swamps templates ~1 apart per pixel: separation << 1, and 10 steps
    # cannot reach 100 % held-out accuracy
    data = image_islands(k=10, n=300, noise=1.5, seed=0)
    assert data.separation < 1
    with pytest.raises(ClassifierAccuracyError, match="below min_accuracy=1.0"):
        mode_classifier(data, steps=10, cache=tmp_path, min_accuracy=1.0, verbose=False)
    assert not (tmp_path / "classifiers").exists() or not list((tmp_path / "classifiers").iterdir())


def test_classifier_arguments_are_checked(tmp_path):
    data = image_islands(k=3, n=60)
    with pytest.raises(ValueError, match="carries no mode labels"):
        mode_classifier(TensorImages(torch.zeros(20, 1, 8, 8)), cache=False)
    with pytest.raises(ValueError, match="dataset="):
        mode_classifier(torch.zeros(3, 1, 8, 8))
    with pytest.raises(ValueError, match="steps=0"):
        mode_classifier(data, steps=0)
    with pytest.raises(ValueError, match="min_accuracy=2"):
        mode_classifier(data, min_accuracy=2)
    with pytest.raises(ValueError, match="cache=3"):
        mode_classifier(data, cache=3)


# ------------------------------------------------------------------- reference values


def test_expected_modes_captured_matches_closed_form_and_simulation():
    for k, n in [(1000, 26_000), (1000, 1000), (10, 5)]:
        assert expected_modes_captured(n, k) == pytest.approx(k * (1 - (1 - 1 / k) ** n), rel=1e-12)
    rng = np.random.default_rng(0)
    distinct = [np.unique(rng.integers(1000, size=1000)).size for _ in range(400)]
    # Monte Carlo mean of 400 runs; the count's sd is ~ 8.7, so the mean's is 0.44: 4 sd
    assert abs(np.mean(distinct) - expected_modes_captured(1000, 1000)) < 4 * np.std(distinct) / 20
    w = np.array([0.5, 0.25, 0.25])
    assert expected_modes_captured(2, w) == pytest.approx(3 - 0.25 - 2 * 0.75**2)
    assert expected_modes_captured(10, [0.5, 0.5, 0.0]) == pytest.approx(2 * (1 - 0.5**10))


def test_expected_kl_matches_simulation():
    rng = np.random.default_rng(1)
    n, k = 26_000, 1000
    kls = []
    for _ in range(60):
        h = np.bincount(rng.integers(k, size=n), minlength=k) / n
        kls.append(np.sum(h[h > 0] * np.log(k * h[h > 0])))
    # 60 runs, each with sd sqrt(2 (K - 1)) / (2N) = 8.6e-4: the mean's sd is 1.1e-4; the
    # chi^2 approximation's own bias is O(K / N^2) ~ 1e-6
    assert abs(np.mean(kls) - expected_kl(n, k)) < 4 * 8.6e-4 / math.sqrt(60)
    assert expected_kl(100, [0.5, 0.5, 0.0]) == pytest.approx(1 / 200)
    with pytest.raises(ValueError, match="weights"):
        expected_kl(10, [0.5, 0.6])
