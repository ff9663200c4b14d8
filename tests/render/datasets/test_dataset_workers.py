"""The dataset job pool's workers: reused across jobs, recycled, replaced after a timeout or a crash."""

from __future__ import annotations

import os
import time

from render.workers import jobs
from render.workers.jobs import run_jobs


def pid_after(job: float) -> int:
    if job < 0:
        os._exit(4)
    time.sleep(job)
    return os.getpid()


def test_workers_serve_many_jobs_and_are_replaced_after_a_kill(monkeypatch) -> None:
    monkeypatch.setattr(jobs, "JOBS_PER_WORKER", 4)
    work = [0.0] * 8 + [5.0, -1.0] + [0.0] * 4
    results = list(run_jobs(pid_after, work, workers=2, time_limit=1.0))
    assert len(results) == len(work)
    statuses = [o.status for _, o in results]
    assert statuses.count("timeout") == 1 and statuses.count("error") == 1
    pids = [o.value for _, o in results if o.status == "ok"]
    assert len(pids) == 12 and os.getpid() not in pids
    # 8 quick jobs on 2 workers retiring after 4 jobs each: at most 4 processes, not one per job
    assert len(set(pids[:8])) <= 4
    assert all(pids.count(p) <= 4 for p in set(pids))
