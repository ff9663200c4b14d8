"""Run a function in a worker process under a wall-clock limit.

`call_with_time_limit(fn, *args, time_limit=s)` forks a child (fork context on Linux, so `fn` and its
arguments, e.g. an OpenCASCADE shape, are inherited, not pickled), waits at most `time_limit` seconds for
its result and kills it when the time is up (TimeoutError). Native code such as exact hidden-line
removal cannot be interrupted inside one process; a separate process can always be killed. Exceptions
raised by `fn` are re-raised in the caller (ModelError keeps its file and problem); a child that dies
without answering (a crash in native code) raises RuntimeError with its exit code. The child also sets
an alarm (`set_alarm`) so that it dies on its own if its parent is killed first, and on Linux asks the
kernel to kill it the moment its parent dies (`die_with_parent`), so no child outlives a killed caller.
"""

from __future__ import annotations

import ctypes
import math
import multiprocessing
import os
import pickle
import signal
import sys
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def process_context() -> multiprocessing.context.BaseContext:
    """fork where it is safe (Linux): children inherit loaded shapes and modules without pickling."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods and sys.platform != "darwin" else "spawn")


def set_alarm(seconds: float | None) -> None:
    """Have the kernel kill this process (SIGALRM, default action) after `seconds` (None: cancel).

    A last-resort limit that works even inside native code, and even when the process's parent
    (which would normally kill it) is gone.
    """
    if seconds is None:
        signal.alarm(0)
        return
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    signal.alarm(max(1, math.ceil(seconds)))


_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """In a forked child: be killed (SIGKILL) when the parent `parent` dies (Linux; elsewhere nothing).

    The alarm of `set_alarm` ends an orphan only at its limit; this ends it at once, e.g. when a Ray
    worker running a dataset job is cancelled (`render.workers.ray_jobs`). The kernel sends the signal
    when the thread that forked the child exits; every caller here waits for its child in that thread.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the request was made
        os._exit(1)


def _child(
    conn: Any,
    fn: Callable[..., Any],
    args: tuple,
    kwargs: dict,
    time_limit: float | None = None,
    parent: int | None = None,
) -> None:
    if parent is not None:
        die_with_parent(parent)
    if time_limit is not None:
        set_alarm(time_limit + 1)  # the parent kills us at time_limit; this covers a parent that died
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


def call_with_time_limit(
    fn: Callable[..., T], *args: Any, time_limit: float | None, daemon: bool = True, **kwargs: Any
) -> T:
    """fn(*args, **kwargs) in a child process; TimeoutError after `time_limit` seconds (None: no limit).

    daemon=False lets `fn` start worker processes of its own (a daemonic child may not); it is still
    killed at the limit, and its alarm still ends it if the caller dies first.
    """
    ctx = process_context()
    receiver, sender = ctx.Pipe(duplex=False)
    process = ctx.Process(
        target=_child, args=(sender, fn, args, kwargs, time_limit, os.getpid()), daemon=daemon
    )
    process.start()
    sender.close()
    try:
        if not receiver.poll(time_limit):
            raise TimeoutError(f"no result after {time_limit:g} s")
        try:
            status, value = receiver.recv()
        except EOFError:
            process.join()
            if process.exitcode == -signal.SIGALRM:  # its own alarm (set_alarm) went off
                raise TimeoutError(f"no result after {time_limit} s") from None
            raise RuntimeError(f"worker process died (exit code {process.exitcode})") from None
    finally:
        receiver.close()
        if process.is_alive():
            process.kill()
        process.join()
    if status == "error":
        raise value
    return value
