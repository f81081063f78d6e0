"""Connecting to a Ray cluster: one clear line when nothing answers at ``address``."""

from __future__ import annotations

import socket

__all__ = ["check_ray_address"]


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
