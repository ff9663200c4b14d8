"""Scaling of `render dataset` from 1 to 2 workers, on the local pool and on a local Ray instance.

Runs the same build four times, one after another, each command in a session of its own:

    render dataset --task t2i --csg N --seed S -o OUT --executor {local,ray} --workers {1,2}

and prints per command its wall time, the speed-up over 1 worker of the same executor, its CPU time
(user + system of every process of the session: the command, its workers, Ray's daemons and workers;
sampled from /proc every 0.1 s) and the cores that this amounts to, then whether the four builds'
split folders are byte-identical. Ray starts its instance inside the command (`ray.init` with
`--workers` CPUs), so Ray's figures include its start-up and shut-down.

    .venv/bin/python bench/ray_scaling.py --models 1000      # about 7 minutes on 2 free cores
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SPLITS = ("train", "valid", "test")
TICKS = os.sysconf("SC_CLK_TCK")


def session_cpu(sid: int) -> dict[int, float]:
    """CPU seconds (user + system) so far of each live process of session `sid`, by pid."""
    seconds = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:  # exited meanwhile
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "; comm may hold spaces
        if int(fields[3]) == sid:  # field 6 of stat: the session id
            seconds[int(entry.name)] = (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime
    return seconds


def timed_build(command: list[str], interval: float = 0.1) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the command's whole session); exits if the command fails."""
    log = tempfile.TemporaryFile()  # the command's progress bars; its last lines if it fails
    start = time.perf_counter()
    process = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=log)
    cpu: dict[int, float] = {}
    while process.poll() is None:
        for pid, seconds in session_cpu(process.pid).items():
            cpu[pid] = max(cpu.get(pid, 0.0), seconds)
        time.sleep(interval)
    wall = time.perf_counter() - start
    time.sleep(2.0)  # Ray's agents may outlive the command briefly: count them too
    for pid, seconds in session_cpu(process.pid).items():
        cpu[pid] = max(cpu.get(pid, 0.0), seconds)
    if process.returncode != 0:
        log.seek(0)
        tail = log.read().decode(errors="replace").replace("\r", "\n").strip().splitlines()[-5:]
        sys.exit(f"error: {' '.join(command)} exited with {process.returncode}:\n" + "\n".join(tail))
    return wall, sum(cpu.values())


def split_digest(out: Path) -> str:
    """SHA-256 over every file of the split folders (relative path and bytes), in path order."""
    digest = hashlib.sha256()
    for path in sorted(p for split in SPLITS for p in (out / split).rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(out)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models", type=int, default=1000, help="CSG models (--csg N)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--size", type=int, default=200)
    parser.add_argument("--executors", default="local,ray")
    parser.add_argument("--workers", default="1,2", help="worker counts, the first is the baseline")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)
    render = str(Path(sys.executable).with_name("render"))
    counts = [int(w) for w in args.workers.split(",")]
    print(f"render dataset --task t2i --csg {args.models} --seed {args.seed} --size {args.size}")
    print("| executor | workers | wall | x 1 worker | CPU s | cores it got |\n|---|---|---|---|---|---|")
    digests = {}
    with tempfile.TemporaryDirectory() as tmp:
        for executor in args.executors.split(","):
            base = None
            for workers in counts:
                out = Path(tmp) / f"{executor}-{workers}"
                options = {"--csg": args.models, "--seed": args.seed, "--size": args.size, "-o": out}
                options |= {"--executor": executor, "--workers": workers}
                command = [render, "dataset", "--task", "t2i", *(str(v) for o in options.items() for v in o)]
                wall, cpu = timed_build(command)
                base = base or wall
                cells = [f"{wall:.1f} s", f"{base / wall:.2f}", f"{cpu:.1f}", f"{cpu / wall:.2f}"]
                print(f"| {executor} | {workers} | " + " | ".join(cells) + " |")
                digests[out.name] = split_digest(out)
    same = len(set(digests.values())) == 1
    print(f"split folders byte-identical across the {len(digests)} builds: {same}")
    if not same:
        for name, digest in digests.items():
            print(f"  {name}: {digest[:16]}")


if __name__ == "__main__":
    main()
