"""Run a function in a worker process under a wall-clock limit.

`call_with_time_limit(fn, *args, time_limit=s)` forks a child (fork context on Linux, so `fn` and its
arguments, e.g. an OpenCASCADE shape, are inherited, not pickled), waits at most `time_limit` seconds for
its result and kills it when the time is up (TimeoutError). Native code such as exact hidden-line
removal cannot be interrupted inside one process; a separate process can always be killed. Exceptions
raised by `fn` are re-raised in the caller (ModelError keeps its file and problem); a child that dies
without answering (a crash in native code) raises RuntimeError with its exit code.
"""

from __future__ import annotations

import multiprocessing
import pickle
import sys
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def process_context() -> multiprocessing.context.BaseContext:
    """fork where it is safe (Linux): children inherit loaded shapes and modules without pickling."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods and sys.platform != "darwin" else "spawn")


def _child(conn: Any, fn: Callable[..., Any], args: tuple, kwargs: dict) -> None:
    try:
        message = ("ok", fn(*args, **kwargs))
    except BaseException as exc:  # everything goes back to the parent, which decides
        message = ("error", exc)
    try:
        conn.send(message)
    except (pickle.PicklingError, TypeError, AttributeError):
        conn.send(("error", RuntimeError(f"{type(message[1]).__name__}: {message[1]}")))
    finally:
        conn.close()


def call_with_time_limit(fn: Callable[..., T], *args: Any, time_limit: float | None, **kwargs: Any) -> T:
    """fn(*args, **kwargs) in a child process; TimeoutError after `time_limit` seconds (None: no limit)."""
    ctx = process_context()
    receiver, sender = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_child, args=(sender, fn, args, kwargs), daemon=True)
    process.start()
    sender.close()
    try:
        if not receiver.poll(time_limit):
            raise TimeoutError(f"no result after {time_limit:g} s")
        try:
            status, value = receiver.recv()
        except EOFError:
            process.join()
            raise RuntimeError(f"worker process died (exit code {process.exitcode})") from None
    finally:
        receiver.close()
        if process.is_alive():
            process.kill()
        process.join()
    if status == "error":
        raise value
    return value
