"""The jobs of `run_jobs` on a Ray cluster (`render dataset --executor ray [--address ADDR]`).

Ray decides where each job runs; nothing else changes. Each job is one Ray task (1 CPU) that runs it
through the local pool of `render.workers.jobs` on the node Ray chose (`run_jobs(fn, [job], 1, limit)`):
fn(job) in a forked child under the same wall-clock limit and kernel alarm, an overrun killed on its node
and reported as 'timeout', a crash in native code reported as an 'error' naming the exit code, an
exception raised by fn as the 'error' value. The Outcome comes back to the caller, which writes the
records, so the records, resume and failure handling of a build are those of the local pool.
`run_jobs_ray` yields (job, Outcome) in completion order, like `run_jobs`.

- Ray runs at most 2 x its CPU count of these tasks at a time and places them itself; the caller only
  keeps that many submitted (backpressure, not scheduling).
- A task runs in the caller's working directory (relative model paths and output folders work); on a
  cluster every node must see the same paths (a shared file system, as for `--shard` job arrays).
- Before forking, a task imports `preload` (the modules the caller had loaded), so that the forked
  child inherits them, as the local pool's children inherit the parent's.
- Leaving the iterator (an exception, `stop()`, SIGINT/SIGTERM through `interrupt_flag`) cancels the
  tasks in flight: their Ray workers are killed, and the forked children with them (`die_with_parent`).
- A task Ray itself loses (its worker or node died, after Ray's retries) is reported as an 'error'.

`ray_session(address, cpus)` connects to the cluster at `address`, or starts a local Ray instance with
`cpus` CPUs, and shuts Ray down at the end (a local instance stops with it); a session this process had
already initialised (a test's, a notebook's) is used as it is and left running. Ray is imported only
here, and only when asked for.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from render.workers.jobs import POLL_S, Outcome, Stopped, run_jobs

J = TypeVar("J")
RAY_HINT = "pip install 'linedraw3d[ray]'"


class RayUnavailable(RuntimeError):
    """Ray is not installed or its cluster cannot be reached; str() is one line saying which."""


def _ray() -> Any:
    try:
        return importlib.import_module("ray")
    except ImportError:
        raise RayUnavailable(f"--executor ray needs Ray ({RAY_HINT})") from None


@contextmanager
def ray_session(address: str | None, cpus: int) -> Iterator[None]:
    """Ray initialised for the block: the cluster at `address`, or a local instance with `cpus` CPUs."""
    ray = _ray()
    if ray.is_initialized():
        yield
        return
    try:
        try:
            ray.init(
                address=address,
                num_cpus=None if address else cpus,
                include_dashboard=False,
                configure_logging=True,
                logging_level="warning",
            )
        except (ConnectionError, ValueError, RuntimeError) as exc:
            where = f"the Ray cluster at {address}" if address else "a local Ray instance"
            raise RayUnavailable(f"cannot start or reach {where}: {str(exc).splitlines()[0]}") from None
        yield
    finally:
        ray.shutdown()


def _task(fn: Callable[[Any], Any], job: Any, time_limit: float | None, cwd: str, preload: Sequence[str]):
    """One job on a Ray worker: through the local pool, in the caller's working directory."""
    os.chdir(cwd)
    for name in preload:
        with contextlib.suppress(Exception):
            importlib.import_module(name)
    with contextlib.closing(run_jobs(fn, [job], 1, time_limit)) as outcomes:
        return next(outcomes)[1]


def run_jobs_ray(
    fn: Callable[[J], Any],
    jobs: Iterable[J],
    time_limit: float | None,
    stop: Callable[[], int | bool] = lambda: False,
    preload: Sequence[str] = (),
) -> Iterator[tuple[J, Outcome]]:
    """fn(job) for every job as Ray tasks on the initialised cluster (`ray_session`); yields (job, Outcome).

    `stop()` is polled at least every POLL_S seconds; when true, the tasks in flight are cancelled and
    `Stopped` (a KeyboardInterrupt) is raised.
    """
    ray = _ray()
    exceptions = importlib.import_module("ray.exceptions")
    jobs = list(jobs)
    # Ray retries a task whose worker died (not one whose job failed: that is an Outcome)
    task = ray.remote(num_cpus=1, max_retries=2)(_task)
    window = 2 * max(1, int(ray.cluster_resources().get("CPU", 1)))
    pending = iter(range(len(jobs)))
    running: dict[Any, tuple[int, float]] = {}
    cwd, preload = os.getcwd(), tuple(preload)
    try:
        while True:
            while len(running) < window and (index := next(pending, None)) is not None:
                ref = task.remote(fn, jobs[index], time_limit, cwd, preload)
                running[ref] = (index, time.monotonic())
            if not running:
                return
            ready, rest = ray.wait(list(running), num_returns=1, timeout=POLL_S)
            if ready and rest:
                ready += ray.wait(rest, num_returns=len(rest), timeout=0)[0]
            if signum := stop():
                raise Stopped(signum)
            for ref in ready:
                index, submitted = running.pop(ref)
                try:
                    outcome = ray.get(ref)
                except exceptions.TaskCancelledError:
                    raise Stopped() from None
                except exceptions.RayError as exc:  # the task itself was lost, after Ray's retries
                    reason = f"Ray task lost ({type(exc).__name__}): {str(exc).strip().splitlines()[0]}"
                    outcome = Outcome("error", RuntimeError(reason), time.monotonic() - submitted)
                yield jobs[index], outcome
    finally:
        for ref in running:
            with contextlib.suppress(Exception):
                ray.cancel(ref, force=True)
