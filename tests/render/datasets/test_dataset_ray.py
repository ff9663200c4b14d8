"""`render dataset --executor ray`: the same jobs as the local pool on a Ray instance started by the test.

One `ray start --head` cluster (2 CPUs) serves the module, as a cluster would (`--address`); this process
connects to it as a driver. The build test also lets the command start (and stop) a local instance of its
own. Every process of both instances is checked to be gone after each stop and at the end.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from render.datasets.dataset import BUILD_DIR, MANIFEST_FILE, DatasetConfig, build_dataset
from render.datasets.layout import SPLITS
from render.workers.jobs import run_jobs
from render.workers.ray_jobs import run_jobs_ray

ray = pytest.importorskip("ray")  # in the dev extra; a bare install without it skips this module

BIN = Path(sys.executable).parent
SMALL = dict(task="i2p", csg=30, seed=3, size=48, primitives=(1, 2), method="poly", split=(0.6, 0.2, 0.2))
CLI = "--task i2p --csg 30 --seed 3 --size 48 --primitives 1-2 --method poly --split 0.6,0.2,0.2".split()


def session_pids(sid: int) -> list[int]:
    """Live processes (zombies aside) of session `sid`: what a command started in its own session left."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == sid and fields[0] != "Z":
                pids.append(int(entry))
    return pids


def wait_gone(sid: int, timeout: float) -> list[int]:
    deadline = time.monotonic() + timeout
    while (left := session_pids(sid)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def kill_session(sid: int) -> None:
    for pid in session_pids(sid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.fixture(scope="module")
def cluster() -> Iterator[SimpleNamespace]:
    """A Ray head node with 2 CPUs in its own session; this process is connected to it as a driver.

    Ray's token authentication is off for the test's instances (they listen on 127.0.0.1 only), so that
    the head, this driver and the commands need no shared token."""
    patch = pytest.MonkeyPatch()
    patch.setenv("RAY_AUTH_MODE", "disabled")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    temp = tempfile.mkdtemp(prefix="ray", dir="/tmp")  # Ray's socket paths must stay short
    head = subprocess.Popen(
        [str(BIN / "ray"), "start", "--head", "--block", "--num-cpus", "2", "--port", str(port)]
        + ["--node-ip-address", "127.0.0.1", "--include-dashboard", "false", "--temp-dir", temp],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    address = f"127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                ray.init(address=address, include_dashboard=False, logging_level="warning")
                break
            except Exception:  # the head is still starting
                if time.monotonic() > deadline or head.poll() is not None:
                    raise
                time.sleep(0.5)
        yield SimpleNamespace(address=address, sid=head.pid)
    finally:
        ray.shutdown()
        head.terminate()  # `ray start --block` stops the node's processes when it is stopped
        try:
            head.wait(30)
        except subprocess.TimeoutExpired:
            head.kill()
        wait_gone(head.pid, 10)
        kill_session(head.pid)  # agents that outlive their raylet would exit on their own within a minute
        shutil.rmtree(temp, ignore_errors=True)
        patch.undo()
        assert not wait_gone(head.pid, 10)


def work(job: float) -> float:
    if job < 0:
        os._exit(3)  # a crash in native code looks like this to the parent
    if job == 0:
        raise ValueError("bad job")
    time.sleep(job)
    return job * 2


def test_ray_tasks_keep_the_pools_limits_crashes_and_errors(cluster: SimpleNamespace) -> None:
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # test modules are not importable
    work_list = [30.0, 0.1, -1.0, 0.0, 0.2]
    start = time.monotonic()
    on_ray = dict(run_jobs_ray(work, work_list, time_limit=1.0))
    assert time.monotonic() - start < 30
    local = dict(run_jobs(work, work_list, workers=2, time_limit=1.0))
    assert {j: o.status for j, o in on_ray.items()} == {j: o.status for j, o in local.items()}
    assert on_ray[30.0].status == "timeout" and 1.0 <= on_ray[30.0].seconds < 5
    assert (on_ray[0.1].value, on_ray[0.2].value) == (0.2, 0.4)
    assert str(on_ray[-1.0].value) == str(local[-1.0].value) == "worker process died (exit code 3)"
    assert isinstance(on_ray[0.0].value, ValueError)
    start = time.monotonic()
    jobs = run_jobs_ray(work, [30.0] * 3, time_limit=None, stop=lambda: time.monotonic() - start > 1)
    with pytest.raises(KeyboardInterrupt):
        next(jobs)


def split_trees(out: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(out)): p.read_bytes()
        for s in SPLITS
        for p in sorted((out / s).rglob("*"))
        if p.is_file()
    }


def without_times(manifest: dict) -> dict:
    return manifest | {"models": [{k: v for k, v in m.items() if k != "time_s"} for m in manifest["models"]]}


def records(out: Path) -> int:
    folder = out / BUILD_DIR / "records"
    return len(list(folder.iterdir())) if folder.is_dir() else 0


def running_tasks(sid: int) -> list[int]:
    """Processes of session `sid` running a job: Ray workers busy with a task and their forked children."""
    found = []
    for pid in session_pids(sid):
        try:
            if Path(f"/proc/{pid}/cmdline").read_bytes().startswith(b"ray::_task"):
                found.append(pid)
        except OSError:
            pass
    return found


def start_and_stop(args: list[str], out: Path, after: int, sig: int) -> tuple[int, str, int]:
    """Run `render dataset ARGS -o OUT` in its own session, send `sig` once `after` more records exist;
    returns the exit code, stderr and the session id."""
    before = records(out)
    process = subprocess.Popen(
        [str(BIN / "render"), "dataset", *args, "-o", str(out)],
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while records(out) < before + after and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(process.pid, sig)
    _, err = process.communicate(timeout=60)
    return process.returncode, err, process.pid


def test_ray_build_equals_the_local_pool_and_resumes_after_a_kill(
    cluster: SimpleNamespace, tmp_path: Path
) -> None:
    build_dataset(DatasetConfig(**SMALL), tmp_path / "local", workers=2, progress=False)
    out = tmp_path / "ray"
    # 1. the command starts its own local Ray instance; SIGTERM stops it and everything it started
    code, err, sid = start_and_stop([*CLI, "--executor", "ray", "--workers", "2"], out, 1, signal.SIGTERM)
    assert code == 128 + signal.SIGTERM and "rerun the same command to resume" in err, err
    assert not session_pids(sid)  # gcs, raylet, agents, workers and the jobs' children: all gone
    done = records(out)
    # 2. on the cluster (--address), killed outright (SIGKILL) after more records: its tasks stop too
    args = [*CLI, "--executor", "ray", "--address", cluster.address]
    code, _, _ = start_and_stop(args, out, 2, signal.SIGKILL)
    assert code == -signal.SIGKILL and done < records(out) < SMALL["csg"]
    deadline = time.monotonic() + 30
    while running_tasks(cluster.sid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not running_tasks(cluster.sid)  # Ray ends a dead driver's tasks; their children die with them
    # 3. resumed on the cluster to the end
    report = build_dataset(
        DatasetConfig(**SMALL), out, progress=False, executor="ray", address=cluster.address
    )
    assert report.skipped > done and records(out) == SMALL["csg"]
    assert split_trees(out) == split_trees(tmp_path / "local")
    manifests = [json.loads((p / MANIFEST_FILE).read_text()) for p in (out, tmp_path / "local")]
    assert manifests[0]["complete"] and without_times(manifests[0]) == without_times(manifests[1])
    assert not any((out / BUILD_DIR / "tmp").iterdir())
