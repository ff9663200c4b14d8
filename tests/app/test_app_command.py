"""`spare3d app` as a process: stopping it (SIGTERM, SIGINT, SIGHUP) stops its Streamlit server too."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

START_S = 60.0  # Streamlit's first start imports a lot on a busy machine
STOP_S = 15.0  # the parent's grace period for the child is 5 s


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def accepts(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1.0)
        return s.connect_ex(("127.0.0.1", port)) == 0


def group_alive(pgid: int) -> bool:
    """Whether a process of the process group `pgid` is still running (zombies do not count)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def wait_until(condition, timeout: float) -> bool:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP], ids=lambda s: s.name)
def test_stopping_the_command_stops_the_server(data_root: Path, tmp_path: Path, signum: int) -> None:
    port = free_port()
    command = [sys.executable, "-c", "from spare3d.cli import main; main()", "app", "--data", str(data_root)]
    command += ["--port", str(port), "--address", "127.0.0.1", "--work-dir", str(tmp_path / "work")]
    log = (tmp_path / "app.log").open("w")
    parent = subprocess.Popen(
        command, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        assert wait_until(lambda: accepts(port) or parent.poll() is not None, START_S)
        assert parent.poll() is None, (tmp_path / "app.log").read_text()
        assert group_alive(parent.pid)
        os.kill(parent.pid, signum)  # the command only, as a service manager or `kill` would
        assert parent.wait(STOP_S) == 128 + signum
        stopped = wait_until(lambda: not group_alive(parent.pid), STOP_S)
        assert stopped, "a child of `spare3d app` is still running"
        assert not accepts(port)
    finally:
        if parent.poll() is None or group_alive(parent.pid):
            os.killpg(parent.pid, signal.SIGKILL)
        parent.wait()
        log.close()


def test_a_child_that_ignores_sigterm_is_killed(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import sys
        from spare3d.cli import run_until_stopped
        child = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('up', flush=True);"
        child += " time.sleep(120)"
        sys.exit(run_until_stopped([sys.executable, "-c", child], grace_s=1.0))
        """
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        assert parent.stdout is not None and parent.stdout.readline().strip() == "up"
        start = time.monotonic()
        os.kill(parent.pid, signal.SIGTERM)
        assert parent.wait(10) == 128 + signal.SIGTERM
        assert time.monotonic() - start < 8
        assert wait_until(lambda: not group_alive(parent.pid), 5)
    finally:
        if parent.poll() is None or group_alive(parent.pid):
            os.killpg(parent.pid, signal.SIGKILL)
        parent.wait()
