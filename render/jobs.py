"""Many calls in forked worker processes, at most `workers` at once, each under a wall-clock limit.

`render.timelimit.call_with_time_limit` runs one call and waits for it; a batch needs several children
running side by side, and the parent must kill exactly the one that overruns while the others go on.
Each job gets a fresh forked child (it inherits loaded modules, nothing is pickled on the way in; a
crash in native code kills only that child). Results come back in completion order as
(job, Outcome). Leaving the iterator early (an exception, Ctrl-C) kills the children still running.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any, Generic, TypeVar

from render.timelimit import _child, process_context

J = TypeVar("J")


@dataclass
class Outcome(Generic[J]):
    """'ok' with the value, 'error' with the exception, or 'timeout'; `seconds` of wall time."""

    status: str
    value: Any
    seconds: float


def run_jobs(
    fn: Callable[[J], Any], jobs: Iterable[J], workers: int, time_limit: float | None
) -> Iterator[tuple[J, Outcome]]:
    """fn(job) for every job in forked children, `workers` at a time; yields (job, Outcome)."""
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
                process = ctx.Process(target=_child, args=(sender, fn, (job,), {}))
                process.start()
                sender.close()
                running[receiver] = (job, process, time.monotonic())
            if not running:
                return
            now = time.monotonic()
            timeout = (
                None
                if time_limit is None
                else max(0.0, min(s for _, _, s in running.values()) + time_limit - now)
            )
            for conn in wait(list(running), timeout):
                job, process, started = running.pop(conn)
                try:
                    status, value = conn.recv()
                except EOFError:
                    process.join()
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
