"""`render check`: a good set passes; each planted layout error is reported; released-style labels pass."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

from render.cli import main
from render.datasets.check import check_dataset
from render.datasets.dataset import DatasetConfig, build_dataset


@pytest.fixture(scope="module")
def t2i_set(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("t2i") / "data"
    config = DatasetConfig(
        task="t2i", csg=3, seed=2, size=48, primitives=(1, 2), method="poly", split=(1, 0, 0)
    )
    build_dataset(config, out, workers=2, progress=False)
    return out


def test_good_set_passes_and_string_labels_are_accepted(t2i_set: Path, tmp_path) -> None:
    result = CliRunner().invoke(main, ["check", str(t2i_set), "--size", "48"])
    assert result.exit_code == 0 and result.output.strip().endswith(": ok"), result.output
    copy = tmp_path / "released"
    shutil.copytree(t2i_set / "train", copy)  # a split folder on its own, labels as strings
    answers = {k: str(v) for k, v in json.loads((copy / "answer.json").read_text()).items()}
    (copy / "answer.json").write_text(json.dumps(answers))
    assert check_dataset(copy, size=48) == []


def test_planted_errors_are_each_reported(t2i_set: Path, tmp_path) -> None:
    data = tmp_path / "data"
    shutil.copytree(t2i_set, data)
    train = data / "train"
    q = sorted(p for p in train.iterdir() if p.is_dir())
    answers = json.loads((train / "answer.json").read_text())
    (q[0] / f"{q[0].name}_r.png").unlink()  # missing view
    cv2.imwrite(str(q[1] / "2.png"), np.full((40, 40, 3), 255, np.uint8))  # wrong size, blank
    (q[1] / "notes.txt").write_text("x")  # unexpected file
    answers[q[2].name] = 7  # label out of range
    answers["ghost"] = 1  # key without a folder
    (train / "extra").mkdir()
    shutil.copy(q[2] / "0.png", train / "extra" / "0.png")  # a folder missing from answer.json
    (train / "answer.json").write_text(json.dumps(answers))
    problems = check_dataset(data, size=48)
    expected = [
        f"{q[0]}: missing {q[0].name}_r.png",
        f"{q[1] / '2.png'}: size 40x40, expected 48x48",
        f"{q[1] / '2.png'}: blank drawing",
        f"{q[1]}: unexpected file notes.txt",
        f"{train / 'answer.json'}: label 7 of {q[2].name} is not 0..3",
        f"{train / 'answer.json'}: ghost has no question folder",
        f"{train / 'extra'}: missing from answer.json",
        f"{train / 'extra'}: missing extra_f.png",
    ]
    for line in expected:
        assert line in problems, (line, problems)
    result = CliRunner().invoke(main, ["check", str(data), "--size", "48"])
    assert result.exit_code == 1 and f"{len(problems)} problem(s)" in result.output


def test_p2i_marker_and_missing_answer_file(tmp_path) -> None:
    split = tmp_path / "test"
    q = split / "a"
    q.mkdir(parents=True)
    image = np.full((32, 32, 3), 255, np.uint8)
    cv2.rectangle(image, (4, 4), (28, 28), (0, 0, 0), 1)
    for name in ("a_f.png", "a_r.png", "a_t.png", "0.png", "1.png", "2.png", "3.png"):
        cv2.imwrite(str(q / name), image)
    (q / "pose_9.txt").write_text("")
    problems = check_dataset(tmp_path, task="p2i")
    assert f"{split / 'answer.json'}: missing" in problems
    assert any("exactly one pose_k.txt with k in 1..8" in p for p in problems)
    assert check_dataset(tmp_path / "nowhere") == [f"{tmp_path / 'nowhere'}: no such folder"]
