"""Connecting to a Ray cluster: one clear line when nothing answers at ``address``, and the
driver's gamedyn shipped to the cluster's workers.

On a real cluster (``address="HOST:PORT"`` or ``"ray://HOST:PORT"``) the workers need
gamedyn's code and its dependencies. :func:`connect_ray` uploads the driver's own ``gamedyn``
package with every job (Ray's ``runtime_env={"py_modules": [...]}``), so the workers run
exactly the code the driver runs, edits included, without installing gamedyn on each node;
the dependencies (numpy, scipy, jax, optax, sympy, torch for sweeps) must be installed on the
nodes' Python (the same versions as the driver's; ``pip install 'gamedyn[ray]'`` there, or a
cluster image that has them), or named in ``runtime_env={"pip": [...]}``, which
``connect_ray`` passes on. A local Ray instance (``address`` None, ``"auto"`` on one machine,
``"local"``) shares the driver's environment and needs nothing.
"""

from __future__ import annotations

import socket
import warnings
from pathlib import Path

__all__ = ["check_ray_address", "connect_ray", "import_ray"]


def check_ray_address(address: str | None, timeout: float = 5.0) -> None:
    """Raise a ValueError naming ``address`` if it is ``host:port`` (or ``ray://host:port``)
    and nothing accepts a connection there within ``timeout`` seconds. Ray itself retries
    such an address for minutes before failing with a long traceback. ``None``, ``"auto"``
    and ``"local"`` are left to Ray (it answers those at once).

    >>> check_ray_address("auto")
    >>> check_ray_address("localhost:not-a-port")
    Traceback (most recent call last):
    ...
    ValueError: address='localhost:not-a-port' is not accepted; expected HOST:PORT (e.g. 10.0.0.5:6379), 'auto' or 'local'
    """
    if address is None or address in ("auto", "local"):
        return
    text = address[len("ray://"):] if address.startswith("ray://") else address
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"address={address!r} is not accepted; expected HOST:PORT (e.g. 10.0.0.5:6379), "
                         "'auto' or 'local'")
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            pass
    except OSError as error:
        raise ValueError(f"address={address!r}: no Ray cluster answers there ({error.strerror or error}); start "
                         "one with 'ray start --head' and pass the address it prints, or leave address out "
                         "for a local Ray") from None


def import_ray():
    """The ``ray`` module, or a ValueError saying how to install it."""
    try:
        import ray
    except ImportError:
        raise ValueError(
            "backend='ray' needs Ray, an optional extra: pip install 'gamedyn[ray]' (or "
            "pip install ray); backend='local' needs nothing"
        ) from None
    return ray


def _remote(address: str | None) -> bool:
    return address is not None and address not in ("auto", "local")


def connect_ray(address: str | None = None, *, runtime_env: dict | None = None):
    """Start or join Ray (once per process) and return the module.

    ``address``: None or ``"local"`` starts a local instance; ``"auto"`` joins the one running
    on this machine; ``"HOST:PORT"`` / ``"ray://HOST:PORT"`` joins a cluster, shipping this
    process's gamedyn package to its workers (``py_modules``; see the module docstring), with
    ``runtime_env`` merged in (e.g. ``{"pip": ["jax==0.4.30"]}``).

    >>> import gamedyn._cluster as cluster
    >>> cluster._job_env("10.0.0.5:6379", None)["py_modules"][0].endswith("gamedyn")
    True
    >>> cluster._job_env(None, None) is None   # a local instance shares this environment
    True
    """
    ray = import_ray()
    if ray.is_initialized():
        return ray
    check_ray_address(address)
    kwargs = {"address": address} if address is not None else {}
    env = _job_env(address, runtime_env)
    if env is not None:
        kwargs["runtime_env"] = env
    with warnings.catch_warnings():
        # Ray starts its processes by fork + exec, which JAX's fork hook warns about;
        # nothing runs in the forked child before exec, so the warning does not apply
        warnings.filterwarnings("ignore", message="os.fork", category=RuntimeWarning)
        ray.init(**kwargs, include_dashboard=False, log_to_driver=False, configure_logging=False)
    return ray


def _job_env(address: str | None, runtime_env: dict | None) -> dict | None:
    """The job's runtime environment: the caller's, plus this gamedyn for a remote cluster."""
    env = dict(runtime_env or {})
    if _remote(address):
        package = str(Path(__file__).resolve().parent)
        env["py_modules"] = [package, *[m for m in env.get("py_modules", []) if m != package]]
    return env or None
