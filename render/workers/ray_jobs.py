"""The jobs of `run_jobs` on a Ray cluster (`render dataset --executor ray [--address ADDR]`).

Ray decides where each job runs; nothing else changes. A Ray task (1 CPU) takes a few jobs and runs them
through the local pool of `render.workers.jobs` on the node Ray chose (`run_jobs(fn, batch, 1, limit)`):
each fn(job) in a forked child under the same wall-clock limit and kernel alarm, an overrun killed on
its node and reported as 'timeout', a crash in native code reported as an 'error' naming the exit code,
an exception raised by fn as the 'error' value. The Outcomes come back to the caller, which writes the
records, so the records, resume and failure handling of a build are those of the local pool.
`run_jobs_ray` yields (job, Outcome) in completion order of the tasks, like `run_jobs`.

- Jobs go in batches of up to `MAX_BATCH` (fewer when there are few jobs per CPU), so that one forked
  child serves several jobs, as in the local pool: a fork per job of a Ray worker, and the caches and
  lazy imports a job warms up lost with each child, made 100 ms jobs (64 px t2i) take twice as long.
- Ray has at most 2 tasks per CPU of the cluster submitted at a time and places them itself
  (backpressure, not scheduling).
- A task runs in the caller's working directory (relative model paths and output folders work); on a
  cluster every node must see the same paths (a shared file system, as for `--shard` job arrays).
- Before forking, a task imports `preload` (the modules the caller had loaded), so that the forked
  child inherits them, as the local pool's children inherit the parent's.
- Leaving the iterator (an exception, `stop()`, SIGINT/SIGTERM through `interrupt_flag`) cancels the
  tasks in flight: their Ray workers are killed, and the forked children with them (`die_with_parent`).
- A task Ray itself loses (its worker or node died) is run again by Ray (twice at most: its jobs write
  whole question folders or none, and only the caller records them); after that, or when the task
  itself fails, each of its jobs is reported as an 'error' naming the failure.

`ray_session(address, cpus)` connects to the cluster at `address` ("auto": the one this machine belongs
to, or RAY_ADDRESS), or starts a new local Ray instance with `cpus` CPUs (never one found running), and
shuts Ray down at the end (a local instance stops with it); a session this process had
already initialised (a test's, a notebook's) is used as it is and left running. Ray is imported only
here, and only when asked for.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import socket
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from render.workers.jobs import POLL_S, Outcome, Stopped, run_jobs

J = TypeVar("J")
MAX_BATCH = 8
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
    if address:
        _probe(address)
    try:
        try:
            ray.init(
                address=address or "local",  # "local": a new instance, even beside a running `ray start`
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


def _probe(address: str) -> None:
    """RayUnavailable unless HOST:PORT accepts a connection within 10 s (Ray itself waits minutes)."""
    host, _, port = address.rpartition(":")
    if "://" in address or not host or not port.isdigit():  # 'auto', a ray:// client address: Ray's own
        return
    try:
        socket.create_connection((host, int(port)), timeout=10).close()
    except OSError as exc:
        raise RayUnavailable(
            f"cannot reach the Ray cluster at {address} ({exc.strerror or exc}); start it with "
            f"`ray start --head --port {port}` on {host}"
        ) from None


def _task(
    fn: Callable[[Any], Any], batch: list, time_limit: float | None, cwd: str, preload: Sequence[str]
) -> list[tuple[int, Outcome]]:
    """A few jobs on a Ray worker, through the local pool, in the caller's working directory:
    [(position in batch, Outcome)] in completion order."""
    os.chdir(cwd)
    for name in preload:
        with contextlib.suppress(Exception):
            importlib.import_module(name)
    position = {id(job): i for i, job in enumerate(batch)}
    return [(position[id(job)], outcome) for job, outcome in run_jobs(fn, batch, 1, time_limit)]


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
    cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
    size = max(1, min(MAX_BATCH, len(jobs) // (4 * cpus)))
    batches = iter([list(range(i, min(i + size, len(jobs)))) for i in range(0, len(jobs), size)])
    running: dict[Any, tuple[list[int], float]] = {}
    cwd, preload = os.getcwd(), tuple(preload)
    try:
        while True:
            while len(running) < 2 * cpus and (batch := next(batches, None)) is not None:
                ref = task.remote(fn, [jobs[i] for i in batch], time_limit, cwd, preload)
                running[ref] = (batch, time.monotonic())
            if not running:
                return
            ready, rest = ray.wait(list(running), num_returns=1, timeout=POLL_S)
            if ready and rest:
                ready += ray.wait(rest, num_returns=len(rest), timeout=0)[0]
            if signum := stop():
                raise Stopped(signum)
            for ref in ready:
                batch, submitted = running.pop(ref)
                try:
                    outcomes = ray.get(ref)
                except exceptions.TaskCancelledError:
                    raise Stopped() from None
                except exceptions.RayError as exc:  # the task itself lost (after Ray's retries) or failed
                    reason = f"Ray task failed ({type(exc).__name__}): {str(exc).strip().splitlines()[0]}"
                    lost = Outcome("error", RuntimeError(reason), time.monotonic() - submitted)
                    outcomes = [(i, lost) for i in range(len(batch))]
                for i, outcome in outcomes:
                    yield jobs[batch[i]], outcome
    finally:
        for ref in running:
            with contextlib.suppress(Exception):
                ray.cancel(ref, force=True)
