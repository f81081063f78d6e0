"""The documentation: docs/api.md (the one-page summary generated from the docstrings) is
current, and the site (guides + the API reference built from the docstrings by Sphinx)
builds with warnings as errors and covers every layer."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _make_api():
    spec = importlib.util.spec_from_file_location("make_api", ROOT / "docs" / "make_api.py")
    make_api = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_api)
    return make_api


def test_the_api_reference_is_current():
    assert (ROOT / "docs" / "api.md").read_text() == _make_api().render(), \
        "docs/api.md is out of date: run .venv/bin/python docs/make_api.py"


def test_every_layer_has_a_page_of_the_site():
    pages = {p.stem for p in (ROOT / "docs" / "api").glob("*.rst")}
    assert pages == set(_make_api().LAYERS)
    index = (ROOT / "docs" / "index.md").read_text()
    assert all(f"api/{layer}" in index for layer in pages)


def test_the_site_builds_without_a_warning(tmp_path):
    pytest.importorskip("sphinx")
    pytest.importorskip("myst_parser")
    # the README's command, into a temporary folder; -W: any warning (a broken docstring, a
    # dangling reference, a page outside the table of contents) fails the build
    proc = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
                           str(ROOT / "docs"), str(tmp_path / "html"), "-d", str(tmp_path / "doctrees")],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-6000:]
    bridge = (tmp_path / "html" / "api" / "bridge.html").read_text()
    assert "update_spectrum" in bridge and "GameOptimizer" in bridge  # built from the docstrings
    assert (tmp_path / "html" / "tutorial.html").exists()
