"""Bridge tests use one torch thread: on a small shared CPU, tiny-tensor ops are ~20x slower
with two threads contending (measured: 300 forward passes 17 s vs 0.74 s)."""

import pytest
import torch


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
