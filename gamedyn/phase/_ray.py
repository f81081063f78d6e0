"""``backend="ray"``: the chunks of a sweep as Ray tasks, for sweeps that outgrow one machine.

The plan of the sweep (``make``, the axes, the options) goes to the object store once; each
task computes one chunk with the same code as the local backend (:func:`compute_part`),
compiling once per worker process, and the driver stores each result as it arrives (so a
sweep with ``out=`` resumes after an interruption, as locally). Ray is an optional extra
(``pip install 'gamedyn[ray]'``); without ``address`` a local Ray instance is started (and
left running for the next sweep; Ray shuts it down at exit).
"""

from __future__ import annotations

import warnings

__all__ = ["run_parts"]


def _import_ray():
    try:
        import ray
    except ImportError:
        raise ValueError(
            "backend='ray' needs Ray, an optional extra: pip install 'gamedyn[ray]' (or "
            "pip install ray); backend='local' needs nothing"
        ) from None
    return ray


def _task(sweep_ref, part):
    from ._diagram import compute_part

    return part, compute_part(sweep_ref, part)


def run_parts(sweep, parts, finish, *, address=None):
    """Run ``compute_part(sweep, p)`` for every ``p`` in ``parts`` as Ray tasks; calls
    ``finish(p, arrays)`` on the driver as each one completes."""
    ray = _import_ray()
    if not parts:
        return
    if not ray.is_initialized():
        kwargs = {"address": address} if address is not None else {}
        with warnings.catch_warnings():
            # Ray starts its processes by fork + exec, which JAX's fork hook warns about;
            # nothing runs in the forked child before exec, so the warning does not apply
            warnings.filterwarnings("ignore", message="os.fork", category=RuntimeWarning)
            ray.init(**kwargs, include_dashboard=False, log_to_driver=False,
                     configure_logging=False)
    remote = ray.remote(_task)
    sweep_ref = ray.put(sweep)
    pending = [remote.remote(sweep_ref, part) for part in parts]
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
