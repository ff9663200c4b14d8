"""The dataset benchmarks end to end at tiny size: what they print, and the sets they build."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "BIN": str(Path(sys.executable).parent), "OMP_NUM_THREADS": "1"}


def run(*command: str) -> str:
    done = subprocess.run(command, cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_t2i_at_scale_builds_the_set_and_reports_its_counts_and_rate(tmp_path) -> None:
    out = tmp_path / "t2i"
    lines = run("bash", "bench/t2i_at_scale.sh", str(out), "6", "2").splitlines()
    assert lines[0].startswith("t2i: built ")  # render dataset's own summary, then the script's
    lines = lines[1:]
    counts = json.loads((out / "manifest.json").read_text())["counts"]
    questions = counts["train"] + counts["valid"] + counts["test"]
    folders = [p for split in ("train", "valid", "test") for p in (out / split).iterdir() if p.is_dir()]
    assert len(folders) == questions
    summary = re.fullmatch(
        r"render dataset --task t2i --csg 6 --workers 2 --executor local: (\d+) questions "
        r"\(train (\d+), valid (\d+), test (\d+)\) in [\d.]+ min \(([\d.]+) s\), ([\d.]+) questions/s; "
        r"ok (\d+), filtered (\d+), failed (\d+), timeout (\d+)",
        lines[0],
    )
    assert summary, lines[0]
    assert [int(v) for v in summary.group(1, 2, 3, 4)] == [
        questions,
        counts["train"],
        counts["valid"],
        counts["test"],
    ]
    assert int(summary.group(7)) + int(summary.group(8)) + int(summary.group(9)) + int(summary.group(10)) == 6
    assert float(summary.group(6)) == pytest.approx(questions / float(summary.group(5)), rel=0.05, abs=0.1)
    assert lines[1].startswith("size on disk: ")


def test_ray_scaling_prints_one_row_per_build_and_compares_their_bytes() -> None:
    pytest.importorskip("ray")
    lines = run(sys.executable, "bench/ray_scaling.py", "--models", "4", "--size", "32").splitlines()
    rows = [line.split(" | ") for line in lines if re.match(r"\| (local|ray) \|", line)]
    assert [(r[0], r[1]) for r in rows] == [
        ("| local", "1"),
        ("| local", "2"),
        ("| ray", "1"),
        ("| ray", "2"),
    ]
    walls = [float(cells[2].removesuffix(" s")) for cells in rows]
    for cells, wall, base in zip(rows, walls, [walls[0], walls[0], walls[2], walls[2]], strict=True):
        cpu, cores = float(cells[4]), float(cells[5].rstrip(" |"))
        assert float(cells[3]) == pytest.approx(base / wall, abs=0.01 + 0.05 * base / wall)  # x 1 worker
        assert cpu > 0 and cores == pytest.approx(cpu / wall, rel=0.05)
    assert lines[-1] == "split folders byte-identical across the 4 builds: True"


def test_dataset_bench_times_ours_without_the_reference(tmp_path) -> None:
    out = run(
        sys.executable, "bench/render_dataset.py", "-n", "4", "--size", "32", "--kernels", "mesh",
        "--skip-reference", "--pairs", "3",
    )  # fmt: skip
    ours = re.search(
        r"ours --kernel mesh --method mesh .*: +([\d.]+) q/s wall.* ok (\d+), filtered (\d+)", out
    )
    assert ours and float(ours.group(1)) > 0 and int(ours.group(2)) + int(ours.group(3)) <= 4, out
    pairs = re.search(
        r"pairs --variants 3 --kernel mesh: 4 models, (\d+) pairs \(([\d.]+) per built model\)", out
    )
    assert pairs and float(pairs.group(2)) <= 3.0, out  # 3 variants make at most 3 pairs
    assert re.search(r"packed reads: [\d,]+ images/s", out), out
