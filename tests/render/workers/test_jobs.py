"""Forked job pool: results in completion order, a job past its limit is killed, a crash is recorded."""

from __future__ import annotations

import os
import time

import pytest

from render.workers.jobs import run_jobs


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
