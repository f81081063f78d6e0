"""gd.islands.committed_stats: the committed islands samples scored again, checked against a
count written out here from VEEGAN's definitions (Srivastava et al. 2017, Sec. 5.1)."""

import numpy as np
import pytest

import gamedyn as gd


def by_hand(samples, radius=1.0, std=0.01, k=8):
    """VEEGAN's ring: k centres on a circle of ``radius``; a sample is high quality within
    3 std of its nearest centre; a mode is captured with one high-quality sample; KL of the
    high-quality histogram against uniform (log k for no high-quality sample, the capped
    value)."""
    angles = 2 * np.pi * np.arange(k) / k
    centres = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    d = np.linalg.norm(samples[:, None, :] - centres[None], axis=2)
    nearest, close = d.argmin(1), d.min(1) <= 3 * std
    counts = np.bincount(nearest[close], minlength=k)
    if counts.sum() == 0:
        return 0, 0.0, np.log(k)
    p = counts / counts.sum()
    kl = float(np.sum(p[p > 0] * np.log(p[p > 0] * k)))
    return int((counts > 0).sum()), float(close.mean()), kl


def test_scores_equal_the_definitions_written_out():
    path = gd.islands.committed_samples_path()
    if path is None:
        pytest.skip("no committed islands samples in this installation")
    stats = gd.islands.committed_stats("veegan", "ring")
    assert {"gan", "extragradient", "unrolled", "pacgan2"} <= set(stats)
    with np.load(path) as saved:
        for method, values in stats.items():
            samples = saved[f"veegan/ring/{method}"]
            for seed in range(samples.shape[0]):
                modes, hq, kl = by_hand(np.asarray(samples[seed], float))
                assert values["modes"][seed] == modes
                # 1e-12: the same sums in another order
                assert values["high_quality"][seed] == pytest.approx(hq, abs=1e-12)
                assert values["kl_capped"][seed] == pytest.approx(kl, abs=1e-12)
                assert np.isinf(values["kl"][seed]) == (hq == 0)


def test_absent_file_and_bad_names(tmp_path):
    assert gd.islands.committed_stats("veegan", "ring", path=tmp_path / "none.npz") == {}
    with pytest.raises(ValueError, match="protocol"):
        gd.islands.committed_stats("metz", "ring")
    with pytest.raises(ValueError, match="data"):
        gd.islands.committed_stats("veegan", "spiral")
