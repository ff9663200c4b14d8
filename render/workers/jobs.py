"""Many calls in forked worker processes, at most `workers` at once, each under a wall-clock limit.

`render.workers.timelimit.call_with_time_limit` runs one call and waits for it; a batch needs several children
running side by side, and the parent must kill exactly the one that overruns while the others go on.
Workers are forked from the parent: they inherit loaded modules and the job list, and nothing is
pickled on the way in (the parent sends a job's index). Each worker runs up to `JOBS_PER_WORKER` jobs
one after another, so forking, copy-on-write faults and process teardown (about 25 ms per dataset
question when every job had its own child) are paid once per worker; jobs draw nothing from a
worker's history (a dataset model seeds its own generator), so results do not depend on which worker
ran what before. A worker whose job overruns is killed and a fresh one forked for the remaining jobs;
a crash in native code kills only its worker and is reported for its job; each job arms the kernel
alarm of `render.workers.timelimit`, an idle worker exits when its parent is gone and, on Linux, a worker
is killed by the kernel when its parent dies. Results come back in completion order as (job, Outcome).
Leaving the iterator early (an exception, Ctrl-C) kills the workers. `render.workers.ray_jobs` runs the
same jobs on a Ray cluster, each through this pool on the node Ray chose.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any, Generic, TypeVar

from render.workers.timelimit import die_with_parent, process_context, set_alarm

J = TypeVar("J")
POLL_S = 0.2
JOBS_PER_WORKER = 50  # then a fresh fork, so memory that native code leaks per job cannot pile up
_STOP = -1


@dataclass
class Outcome(Generic[J]):
    """'ok' with the value, 'error' with the exception, or 'timeout'; `seconds` of wall time."""

    status: str
    value: Any
    seconds: float


def _serve(
    conn: Connection, fn: Callable[[Any], Any], jobs: Sequence[Any], time_limit: float | None, parent: int
) -> None:
    """Worker loop: for each job index received, send back ('ok', fn(job)) or ('error', exception)."""
    die_with_parent(parent)
    gc.freeze()  # the inherited heap is never garbage: keep collections from walking (and copying) it
    while True:
        while not conn.poll(1.0):
            if os.getppid() != parent:  # siblings hold copies of our pipe, so its end need not come
                return
        try:
            index = int.from_bytes(conn.recv_bytes(), "little", signed=True)
        except EOFError:
            return
        if index == _STOP:
            return
        if time_limit is not None:
            set_alarm(time_limit + 1)  # the parent kills us at time_limit; this covers a parent that died
        try:
            message = ("ok", fn(jobs[index]))
        except BaseException as exc:  # everything goes back to the parent, which decides
            message = ("error", exc)
        set_alarm(None)
        try:
            conn.send(message)
        except (pickle.PicklingError, TypeError, AttributeError):
            conn.send(("error", RuntimeError(f"{type(message[1]).__name__}: {message[1]}")))


@dataclass
class _Worker:
    process: Any
    conn: Connection
    served: int = 0

    def run(self, index: int) -> None:
        self.conn.send_bytes(index.to_bytes(8, "little", signed=True))

    def kill(self) -> None:
        self.process.kill()
        self.process.join()
        self.conn.close()

    def retire(self) -> None:
        self.run(_STOP)
        self.process.join()
        self.conn.close()


def run_jobs(
    fn: Callable[[J], Any],
    jobs: Iterable[J],
    workers: int,
    time_limit: float | None,
    stop: Callable[[], int | bool] = lambda: False,
) -> Iterator[tuple[J, Outcome]]:
    """fn(job) for every job in forked workers, `workers` jobs at a time; yields (job, Outcome).

    `stop()` is polled at least every POLL_S seconds; when true (a signal number from `interrupt_flag`),
    the workers are killed and `Stopped` (a KeyboardInterrupt) is raised.
    """
    ctx = process_context()
    jobs = list(jobs)
    pending = iter(range(len(jobs)))
    exhausted = False
    idle: list[_Worker] = []
    running: dict[Connection, tuple[_Worker, int, float]] = {}
    try:
        while True:
            while not exhausted and len(running) < workers:
                index = next(pending, None)
                if index is None:
                    exhausted = True
                    break
                while idle and not idle[-1].process.is_alive():  # killed from outside while idle
                    idle.pop().kill()
                if idle:
                    worker = idle.pop()
                else:
                    conn, child = ctx.Pipe()
                    process = ctx.Process(target=_serve, args=(child, fn, jobs, time_limit, os.getpid()))
                    process.start()
                    child.close()
                    worker = _Worker(process, conn)
                worker.run(index)
                running[worker.conn] = (worker, index, time.monotonic())
            if not running:
                return
            timeout = POLL_S
            if time_limit is not None:
                first = min(s for _, _, s in running.values())
                timeout = min(timeout, max(0.0, first + time_limit - time.monotonic()))
            ready = wait(list(running), timeout)
            if signum := stop():
                raise Stopped(signum)
            for conn in ready:
                worker, index, started = running.pop(conn)
                try:
                    status, value = conn.recv()
                except EOFError:
                    worker.kill()
                    if worker.process.exitcode == -signal.SIGALRM:  # its own alarm (render.workers.timelimit)
                        status, value = "timeout", None
                    else:
                        status, value = (
                            "error",
                            RuntimeError(f"worker process died (exit code {worker.process.exitcode})"),
                        )
                else:
                    worker.served += 1
                    if worker.served < JOBS_PER_WORKER:
                        idle.append(worker)
                    else:
                        worker.retire()
                yield jobs[index], Outcome(status, value, time.monotonic() - started)
            now = time.monotonic()
            for conn, (worker, index, started) in list(running.items()):
                if time_limit is not None and now - started >= time_limit:
                    del running[conn]
                    worker.kill()
                    yield jobs[index], Outcome("timeout", None, now - started)
    finally:
        for worker in [*idle, *(w for w, _, _ in running.values())]:
            worker.kill()


class Stopped(KeyboardInterrupt):
    """Raised by `run_jobs` when `stop()` answers a signal number (`interrupt_flag`): `signum`."""

    def __init__(self, signum: int | bool = signal.SIGINT) -> None:
        self.signum = signal.SIGINT if signum is True else int(signum)
        super().__init__(self.signum)


@contextmanager
def interrupt_flag() -> Iterator[Callable[[], int]]:
    """Within the block, SIGINT (Ctrl-C) and SIGTERM only set a flag; yields a function that reads it
    (0, or the number of the first signal caught).

    Python raises KeyboardInterrupt wherever the main thread happens to be, and one raised inside the
    at-fork handlers of `os.fork` is printed and dropped; a flag polled by `run_jobs` never gets lost.
    Forked children inherit the handler, so a terminal's Ctrl-C (sent to the whole process group) does
    not turn their work into failures; the parent kills them. SIGTERM (a job scheduler, `kill`) stops
    the same way, so the workers (and a Ray instance the command started) are stopped before it exits.
    """
    if threading.current_thread() is not threading.main_thread():
        yield lambda: 0
        return
    caught: list[int] = []
    handled = (signal.SIGINT, signal.SIGTERM)
    previous = {s: signal.signal(s, lambda signum, frame: caught.append(signum)) for s in handled}
    try:
        yield lambda: caught[0] if caught else 0
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
