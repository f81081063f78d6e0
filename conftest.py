"""Test-wide set-up: float64 (everything here is compared with theory) and Hypothesis
profiles (``ci``: derandomised and bounded, the default; ``dev``: searches harder)."""

import os

import jax
from hypothesis import HealthCheck, settings

jax.config.update("jax_enable_x64", True)

settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=20,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "dev", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _one_torch_thread_in_bridge_doctests(request):
    """The bridge's doctests run torch on one thread, as ``tests/bridge/conftest.py`` does for
    its tests: the examples' tiny convolutions are many times slower when two threads contend
    on a small shared CPU (a width-1 DCGAN's update-map spectrum: 0.3 s on one thread, 2 to 25
    s on two, on a busy 2-core machine)."""
    path = str(getattr(request.node, "path", ""))
    if "gamedyn/bridge/" not in path.replace("\\", "/"):
        yield
        return
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
