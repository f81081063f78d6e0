"""``backend="ray"``: the chunks of a sweep as Ray tasks, for sweeps that outgrow one machine.

The plan of the sweep (``make``, the axes, the options) goes to the object store once; each
task computes one chunk with the same code as the local backend (:func:`compute_part`),
compiling once per worker process, and the driver stores each result as it arrives (so a
sweep with ``out=`` resumes after an interruption, as locally). Ray is an optional extra
(``pip install 'gamedyn[ray]'``); without ``address`` a local Ray instance is started (and
left running for the next sweep; Ray shuts it down at exit); with a cluster's address the
driver's gamedyn is shipped to the workers (:func:`gamedyn._cluster.connect_ray`).
"""

from __future__ import annotations

from .._cluster import connect_ray, import_ray

__all__ = ["run_parts"]


def _task(compute, sweep_ref, part):
    return part, compute(sweep_ref, part)


def run_parts(sweep, parts, finish, *, compute, address=None):
    """Run ``compute(sweep, p)`` (the diagram's ``compute_part``, passed in so that this
    module does not import the diagram's) for every ``p`` in ``parts`` as Ray tasks; calls
    ``finish(p, arrays)`` on the driver as each one completes."""
    import_ray()
    if not parts:
        return
    ray = connect_ray(address)
    remote = ray.remote(_task)
    sweep_ref = ray.put(sweep)
    pending = [remote.remote(compute, sweep_ref, part) for part in parts]
    try:
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            for ref in done:
                part, arrays = ray.get(ref)
                finish(part, arrays)
    except BaseException:
        for ref in pending:
            ray.cancel(ref, force=True)
        raise
