"""A tiny data root in the SPARE3D layouts (t2i, i2p, p2i; 32 px drawings) and prediction files for it.

Tests reach the helpers through the `tiny` fixture (not `from conftest import`, which depends on
pytest's import mode).
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import pytest

SIZE = 32
N_QUESTIONS = 6


def drawing(seed: int) -> np.ndarray:
    """A distinct little line drawing: black rectangle outline whose corners depend on the seed."""
    image = np.full((SIZE, SIZE, 3), 255, np.uint8)
    a, b = 2 + seed % 7, 12 + (seed * 5) % 17
    cv2.rectangle(image, (a, a + 1), (b, b - 1), (0, 0, 0), 1)
    return image


def write_split(folder: Path, task: str, labels: dict[str, int], string_labels: bool = False) -> None:
    folder.mkdir(parents=True)
    for n, qid in enumerate(labels):
        q = folder / qid
        q.mkdir()
        for k, view in enumerate("frt"):
            cv2.imwrite(str(q / f"{qid}_{view}.png"), drawing(10 * n + k))
        if task == "i2p":
            cv2.imwrite(str(q / "answer.png"), drawing(10 * n + 3))
        else:
            for i in range(4):
                cv2.imwrite(str(q / f"{i}.png"), drawing(10 * n + 3 + i))
        if task == "p2i":
            (q / f"pose_{1 + n % 8}.txt").touch()
    answers = {k: str(v) if string_labels else v for k, v in labels.items()}
    (folder / "answer.json").write_text(json.dumps(answers))


def labels_for(task: str) -> dict[str, int]:
    return {f"{task}_{i:03d}": i % 4 for i in range(N_QUESTIONS)}


@pytest.fixture
def data_root(tmp_path: Path) -> Path:
    """ROOT/{t2i,i2p,p2i}/test with 6 questions each (t2i also train); t2i has a manifest with primitives."""
    root = tmp_path / "data"
    for task in ("t2i", "i2p", "p2i"):
        write_split(root / task / "test", task, labels_for(task), string_labels=task == "i2p")
    write_split(root / "t2i" / "train", "t2i", {"t2i_train_0": 1, "t2i_train_1": 2})
    manifest = {
        "task": "t2i",
        "seed": 0,
        "questions": {
            qid: {"split": "test", "model": f"m{i}", "n_primitives": 3 + i % 3}
            for i, qid in enumerate(labels_for("t2i"))
        },
    }
    (root / "t2i" / "manifest.json").write_text(json.dumps(manifest))
    return root


def prediction_lines(task: str, wrong: set[int], seed: int = 0) -> list[dict]:
    """Predictions for labels_for(task): question i is answered wrongly when i is in `wrong`."""
    rng = np.random.default_rng(seed)
    lines = []
    for i, (qid, label) in enumerate(labels_for(task).items()):
        pred = (label + 1) % 4 if i in wrong else label
        scores = rng.normal(size=4)
        scores[pred] = scores.max() + 1.0 + i * 0.5
        lines.append(
            {
                "id": qid,
                "task": task,
                "split": "test",
                "label": label,
                "pred": pred,
                "scores": [round(float(s), 4) for s in scores],
                "correct": pred == label,
            }
        )
    return lines


def write_jsonl(path: Path, lines: list[dict]) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


@pytest.fixture
def predictions(tmp_path: Path) -> tuple[Path, Path]:
    """Two prediction files: A (all tasks) wrong on t2i 1, 2 and i2p 0; B (t2i, i2p) wrong on t2i 2, 3, 4."""
    a = prediction_lines("t2i", {1, 2}) + prediction_lines("i2p", {0}) + prediction_lines("p2i", set())
    b = prediction_lines("t2i", {2, 3, 4}, seed=1) + prediction_lines("i2p", set(), seed=1)
    return write_jsonl(tmp_path / "supervised.jsonl", a), write_jsonl(tmp_path / "selfsup.jsonl", b)


@pytest.fixture
def tiny() -> SimpleNamespace:
    """The helpers above: N (questions per split), drawing, labels_for, write_split, prediction_lines..."""
    return SimpleNamespace(
        N=N_QUESTIONS,
        drawing=drawing,
        labels_for=labels_for,
        write_split=write_split,
        prediction_lines=prediction_lines,
        write_jsonl=write_jsonl,
    )
