import json
import os
import subprocess
import sys
from pathlib import Path


def test_torchrun_two_cpu_processes(data_root, tmp_path):
    """Data-parallel training under torchrun (gloo on CPU): both ranks train, rank 0 writes the results."""
    args = ["--task", "i2p", "--stage", "pretext", "--data", data_root, "--out", tmp_path, "--epochs", "1"]
    args += [
        "--image-size",
        "16",
        "--width",
        "8",
        "--hidden",
        "16",
        "--batch-size",
        "8",
        "--precision",
        "fp32",
    ]
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node",
        "2",
        "-m",
        "spare3d",
        "train",
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        command + [str(a) for a in args], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    (record,) = json.loads((tmp_path / "results.json").read_text())
    assert record["stage"] == "pretext" and record["n"] == 12
    assert (tmp_path / "pretext" / "last.pt").is_file()
    assert done.stdout.count("pretext: hull-pose on poses") == 1  # logged by rank 0 only
    assert Path(record["predictions"]).is_file()
