"""The one atomic writer: whole files or none, the usual permissions, the suffix kept."""

import os
import stat

import pytest

from gamedyn._files import atomic_write


def test_writes_with_the_permissions_of_a_plain_open_and_keeps_the_suffix(tmp_path):
    old = os.umask(0o022)
    try:
        seen = []
        atomic_write(tmp_path / "figure.png", lambda tmp: (seen.append(tmp), open(tmp, "wb").write(b"x")))
        plain = tmp_path / "plain"
        plain.write_bytes(b"x")
    finally:
        os.umask(old)
    mode = stat.S_IMODE((tmp_path / "figure.png").stat().st_mode)
    assert mode == stat.S_IMODE(plain.stat().st_mode) == 0o644  # not mkstemp's private 0600
    assert seen[0].endswith(".png")  # writers choosing a format by extension see the right one
    assert sorted(p.name for p in tmp_path.iterdir()) == ["figure.png", "plain"]


def test_a_failed_write_keeps_the_old_file_and_leaves_nothing_behind(tmp_path):
    target = tmp_path / "data.json"
    target.write_text("old")

    def broken(tmp):
        with open(tmp, "w") as handle:
            handle.write("half")
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError, match="interrupted"):
        atomic_write(target, broken)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["data.json"]


def test_run_files_are_readable_by_others(tmp_path):
    """A training run's files (written by the bridge's stores) are 0644 under umask 022."""
    from gamedyn.bridge._train import atomic_write as bridge_write
    from gamedyn.islands._train import save_result  # noqa: F401  (the same writer underneath)

    old = os.umask(0o022)
    try:
        bridge_write(tmp_path / "result.json", lambda tmp: open(tmp, "w").write("{}"))
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "result.json").stat().st_mode) == 0o644
