"""A phase diagram through a Ray cluster started as a user would (``ray start --head``, in its
own temporary directory), with nothing installed on it: the driver ships its gamedyn package
(runtime_env py_modules) and the result equals the local run's."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

pytest.importorskip("ray")

AXIS = ["--game", "bilinear", "--rule", "gda", "--alternating", "--axis", "lr=0.1:2.5:6", "--steps", "200"]


def phase(*args):
    return subprocess.run([sys.executable, "-m", "gamedyn", "phase", *AXIS, *args], capture_output=True, text=True,
                          timeout=300)


def test_a_sweep_through_a_started_head_node_equals_the_local_one(tmp_path):
    ray = shutil.which("ray", path=str(Path(sys.executable).parent))
    if ray is None:
        pytest.skip("the ray command is not installed")
    # Ray's socket paths must stay short: its own directory under /tmp, not pytest's
    temp = Path(tempfile.mkdtemp(prefix="gdray", dir="/tmp"))
    head = subprocess.Popen([ray, "start", "--head", "--port", "0", "--num-cpus", "1", "--include-dashboard",
                             "false", "--disable-usage-stats", "--block", "--temp-dir", str(temp)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        address_file = temp / "ray_current_cluster"
        deadline = time.time() + 120
        while not address_file.exists() and time.time() < deadline:
            time.sleep(0.5)
        assert address_file.exists(), "the head node did not start"
        address = address_file.read_text().strip()
        remote = phase("--backend", "ray", "--address", address, "--data", str(tmp_path / "ray.nc"))
        assert remote.returncode == 0, remote.stderr[-3000:]
        local = phase("--data", str(tmp_path / "local.nc"))
        assert local.returncode == 0, local.stderr[-3000:]
        with xr.open_dataset(tmp_path / "ray.nc") as a, xr.open_dataset(tmp_path / "local.nc") as b:
            for name in ("spectral_radius", "predicted", "observed"):
                np.testing.assert_array_equal(a[name].values, b[name].values)
    finally:
        os.killpg(head.pid, signal.SIGTERM)
        head.wait(timeout=120)
        shutil.rmtree(temp, ignore_errors=True)
