"""Ray connections: a cluster job carries the driver's gamedyn, a local one shares the
driver's environment, and a bad address is refused by name before Ray is asked."""

from pathlib import Path

import pytest

import gamedyn
from gamedyn import _cluster


def test_a_cluster_job_ships_this_gamedyn_and_keeps_the_callers_environment():
    package = str(Path(gamedyn.__file__).resolve().parent)
    env = _cluster._job_env("ray://10.0.0.5:10001", {"pip": ["jax"], "py_modules": ["/opt/mine"]})
    assert env == {"pip": ["jax"], "py_modules": [package, "/opt/mine"]}
    assert _cluster._job_env("10.0.0.5:6379", None) == {"py_modules": [package]}


@pytest.mark.parametrize("address", [None, "auto", "local"])
def test_a_local_instance_needs_no_runtime_environment(address):
    assert _cluster._job_env(address, None) is None
    assert _cluster._job_env(address, {"env_vars": {"A": "1"}}) == {"env_vars": {"A": "1"}}


def test_an_address_where_nothing_answers_is_refused_by_name():
    with pytest.raises(ValueError, match="address='127.0.0.1:1': no Ray cluster answers there"):
        _cluster.connect_ray("127.0.0.1:1")
