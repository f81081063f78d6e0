"""Every public function, class and layer of gamedyn carries a doctest (run by the default
suite through ``--doctest-modules``): an example a reader can paste, checked on every run.

Public names are those in each package's ``__all__``; constants (tuples, dicts, floats) are
documented by their ``#:`` comments instead and are not counted. A class counts if its own
docstring or one of its methods' has an example.
"""

import importlib
import inspect

import pytest

PACKAGES = ["gamedyn"] + [f"gamedyn.{name}" for name in (
    "games", "optim", "analysis", "phase", "symbolic", "lipschitz", "divergences", "metrics", "islands", "bridge",
    "plots", "testing")]


def _has_example(obj) -> bool:
    if ">>>" in (inspect.getdoc(obj) or ""):
        return True
    if inspect.isclass(obj):
        members = [m for _, m in inspect.getmembers(obj) if inspect.isfunction(m) or isinstance(m, property)]
        return any(">>>" in (inspect.getdoc(m) or "") for m in members)
    return False


def missing_examples(package: str) -> list[str]:
    module = importlib.import_module(package)
    missing = []
    for name in module.__all__:
        obj = getattr(module, name)
        if not (inspect.isfunction(obj) or inspect.isclass(obj) or inspect.ismodule(obj)):
            continue
        if inspect.ismodule(obj) and package != "gamedyn":
            continue
        if not _has_example(obj):
            missing.append(name)
    return missing


@pytest.mark.parametrize("package", PACKAGES)
def test_every_public_name_has_an_example(package):
    assert missing_examples(package) == []
