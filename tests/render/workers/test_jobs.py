"""Forked job pool: results in completion order, a job past its limit is killed, a crash is recorded."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from render.workers.jobs import Stopped, interrupt_flag, run_jobs


def work(job: float) -> float:
    if job < 0:
        os._exit(3)  # a crash in native code looks like this to the parent
    if job == 0:
        raise ValueError("bad job")
    time.sleep(job)
    return job * 2


def test_pool_limits_crashes_and_errors() -> None:
    start = time.monotonic()
    results = {
        job: outcome
        for job, outcome in run_jobs(work, [30.0, 0.1, -1.0, 0.0, 0.2], workers=2, time_limit=1.0)
    }
    assert time.monotonic() - start < 10
    assert results[30.0].status == "timeout" and 1.0 <= results[30.0].seconds < 5
    assert (results[0.1].status, results[0.1].value) == ("ok", 0.2)
    assert (results[0.2].status, results[0.2].value) == ("ok", 0.4)
    assert results[-1.0].status == "error" and "exit code 3" in str(results[-1.0].value)
    assert results[0.0].status == "error" and isinstance(results[0.0].value, ValueError)


def test_stop_kills_children_and_raises_keyboard_interrupt() -> None:
    start = time.monotonic()
    jobs = run_jobs(
        work, [30.0, 30.0, 30.0], workers=2, time_limit=None, stop=lambda: time.monotonic() - start > 0.5
    )
    with pytest.raises(KeyboardInterrupt):
        next(jobs)
    assert time.monotonic() - start < 5


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_worker_dies_with_its_parent() -> None:
    """A pool whose process is killed outright (SIGKILL: no cleanup runs) leaves no worker running."""
    ctx = multiprocessing.get_context("fork")
    receiver, sender = ctx.Pipe(duplex=False)

    def report_and_hang(job: int) -> None:
        sender.send(os.getpid())
        time.sleep(60)

    middle = ctx.Process(target=lambda: list(run_jobs(report_and_hang, [0], 1, time_limit=None)))
    middle.start()
    assert receiver.poll(30)
    worker = receiver.recv()
    os.kill(middle.pid, signal.SIGKILL)
    middle.join()
    deadline = time.monotonic() + 5
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(worker)


def test_sigterm_stops_the_pool_like_ctrl_c() -> None:
    with interrupt_flag() as stop:
        jobs = run_jobs(work, [30.0, 30.0], workers=2, time_limit=None, stop=stop)
        os.kill(os.getpid(), signal.SIGTERM)  # only sets the flag inside the block
        with pytest.raises(Stopped) as raised:
            next(jobs)
    assert raised.value.signum == signal.SIGTERM and isinstance(raised.value, KeyboardInterrupt)
