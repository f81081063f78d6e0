"""gamedyn.bridge lists its names without importing PyTorch; the list must be each module's
own ``__all__``, every name defined once, where the list says."""

import importlib

import gamedyn.bridge as bridge


def test_the_lazy_export_table_is_each_modules_all():
    for module, names in bridge._EXPORTS.items():
        mod = importlib.import_module(f"gamedyn.bridge.{module}")
        assert sorted(mod.__all__) == sorted(names), module


def test_every_exported_name_resolves_to_its_module():
    for name in bridge.__all__:
        value = getattr(bridge, name)
        owner = getattr(value, "__module__", None)
        if owner is not None and owner.startswith("gamedyn.bridge."):
            assert owner == f"gamedyn.bridge.{bridge._WHERE[name]}", name
