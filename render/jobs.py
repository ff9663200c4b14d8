"""Many calls in forked worker processes, at most `workers` at once, each under a wall-clock limit.

`render.timelimit.call_with_time_limit` runs one call and waits for it; a batch needs several children
running side by side, and the parent must kill exactly the one that overruns while the others go on.
Each job gets a fresh forked child (it inherits loaded modules, nothing is pickled on the way in; a
crash in native code kills only that child; its kernel alarm from `render.timelimit` ends it even if
the parent is gone). Results come back in completion order as
(job, Outcome). Leaving the iterator early (an exception, Ctrl-C) kills the children still running.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any, Generic, TypeVar

from render.timelimit import _child, process_context

J = TypeVar("J")
POLL_S = 0.2


@dataclass
class Outcome(Generic[J]):
    """'ok' with the value, 'error' with the exception, or 'timeout'; `seconds` of wall time."""

    status: str
    value: Any
    seconds: float


def run_jobs(
    fn: Callable[[J], Any],
    jobs: Iterable[J],
    workers: int,
    time_limit: float | None,
    stop: Callable[[], bool] = lambda: False,
) -> Iterator[tuple[J, Outcome]]:
    """fn(job) for every job in forked children, `workers` at a time; yields (job, Outcome).

    `stop()` is polled at least every POLL_S seconds; when true, the children are killed and
    KeyboardInterrupt is raised (see `interrupt_flag`).
    """
    ctx = process_context()
    pending = iter(jobs)
    running: dict[Connection, tuple[J, Any, float]] = {}
    exhausted = False
    try:
        while True:
            while not exhausted and len(running) < workers:
                try:
                    job = next(pending)
                except StopIteration:
                    exhausted = True
                    break
                receiver, sender = ctx.Pipe(duplex=False)
                process = ctx.Process(target=_child, args=(sender, fn, (job,), {}, time_limit))
                process.start()
                sender.close()
                running[receiver] = (job, process, time.monotonic())
            if not running:
                return
            now = time.monotonic()
            timeout = POLL_S
            if time_limit is not None:
                timeout = min(timeout, max(0.0, min(s for _, _, s in running.values()) + time_limit - now))
            ready = wait(list(running), timeout)
            if stop():
                raise KeyboardInterrupt
            for conn in ready:
                job, process, started = running.pop(conn)
                try:
                    status, value = conn.recv()
                except EOFError:
                    process.join()
                    if process.exitcode == -signal.SIGALRM:  # its own alarm (render.timelimit) went off
                        status, value = "timeout", None
                    else:
                        status, value = (
                            "error",
                            RuntimeError(f"worker process died (exit code {process.exitcode})"),
                        )
                conn.close()
                process.join()
                yield job, Outcome(status, value, time.monotonic() - started)
            now = time.monotonic()
            for conn, (job, process, started) in list(running.items()):
                if time_limit is not None and now - started >= time_limit:
                    del running[conn]
                    process.kill()
                    process.join()
                    conn.close()
                    yield job, Outcome("timeout", None, now - started)
    finally:
        for conn, (_, process, _) in running.items():
            process.kill()
            process.join()
            conn.close()


@contextmanager
def interrupt_flag() -> Iterator[Callable[[], bool]]:
    """Within the block, SIGINT (Ctrl-C) only sets a flag; yields a function that reads it.

    Python raises KeyboardInterrupt wherever the main thread happens to be, and one raised inside the
    at-fork handlers of `os.fork` is printed and dropped; a flag polled by `run_jobs` never gets lost.
    Forked children inherit the handler, so a terminal's Ctrl-C (sent to the whole process group) does
    not turn their work into failures; the parent kills them.
    """
    if threading.current_thread() is not threading.main_thread():
        yield lambda: False
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield lambda: bool(caught)
    finally:
        signal.signal(signal.SIGINT, previous)
