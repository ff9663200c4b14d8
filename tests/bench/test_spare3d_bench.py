"""The SPARE3D reproduction scripts end to end at tiny size: bench/spare3d_gpu.sh (which runs
bench/spare3d_cpu.sh with its sizes) on 12 generated models at 32 px, one epoch, tiny networks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ROUTES = ("supervised", "self-supervised (direct)", "self-supervised (fine-tuned)")


def test_spare3d_gpu_script_runs_every_route_at_tiny_size(tmp_path):
    env = {
        **os.environ,
        "BIN": str(Path(sys.executable).parent),
        "WORKERS": "1",
        "WIDTH": "8",
        "HIDDEN": "16",
        "HULL_WIDTH": "8",
        "BATCH": "8",
        "SIZES": "2",
        "OMP_NUM_THREADS": "1",
    }
    out = tmp_path / "bench"
    done = subprocess.run(
        ["bash", "bench/spare3d_gpu.sh", str(out), "12", "32", "1"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = (out / "report" / "report.md").read_text()
    for task in ("T2I", "I2P", "P2I"):
        for route in ROUTES:
            assert f"| {task} | {route} |" in report, (task, route)
    size_runs = {p.name for p in (out / "runs").glob("size-*")}
    assert len(size_runs) == 2  # the supervised and self-supervised T2I runs on half the training models
    baselines = (out / "edge_hull.txt").read_text().splitlines()
    assert [line.split(",")[1].split()[0] for line in baselines if line.startswith("edge hull")] == [
        "T2I",
        "I2P",
        "P2I",
    ]
    for plot in ("accuracy_by_route.png", "accuracy_vs_size.png", "accuracy_by_difficulty.png"):
        assert (out / "report" / plot).stat().st_size > 0
