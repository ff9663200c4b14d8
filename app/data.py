"""Question sets the inspector can show: discovery under a data root, the manifest, one question's images.

A data root is one task's dataset (ROOT/<split>/ID/...), a parent of several (ROOT/t2i/<split>, ...),
or a single split folder; the task of each split is detected from its files (spare3d.layout), never
from folder names. `manifest.json` (written by `render dataset` next to the split folders) is optional,
and so is every field in it; when present, questions.ID.n_primitives and .model are shown and used.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from spare3d.layout import QUESTION_KINDS, LayoutError, Question, read_split, split_kind

TASK_NAMES: dict[str, str] = {
    "t2i": "Three-View-to-Isometric",
    "i2p": "Isometric-to-Pose",
    "p2i": "Pose-to-Isometric",
}
I2P_POSES: tuple[int, ...] = (1, 2, 5, 6)


class DataError(ValueError):
    """A data root or file the app cannot use; str() is one line naming the path and the problem."""


@dataclass(frozen=True)
class TaskSet:
    """One task's question set: its folder, its split folders and the (possibly empty) manifest."""

    name: str
    task: str
    root: Path
    splits: dict[str, Path]
    manifest: dict = field(default_factory=dict)
    manifest_problem: str | None = None


def _is_question_split(folder: Path) -> str | None:
    """The question task of a split folder (answer.json + question folders), None otherwise."""
    if not (folder / "answer.json").is_file():
        return None
    try:
        kind = split_kind(folder)
    except OSError:
        return None
    return kind if kind in QUESTION_KINDS else None


def read_manifest(root: Path) -> tuple[dict, str | None]:
    """manifest.json of a task set as (dict, problem): ({}, None) when absent, ({}, why) when unreadable."""
    path = root / "manifest.json"
    if not path.is_file():
        return {}, None
    try:
        manifest = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return {}, f"{path}: unreadable manifest ({exc}); model names and primitive counts are not shown"
    if not isinstance(manifest, dict):
        return {}, f"{path}: manifest is not a JSON object; model names and primitive counts are not shown"
    return manifest, None


def _task_set(root: Path, name: str) -> TaskSet | None:
    splits: dict[str, Path] = {}
    tasks = set()
    for child in sorted(p for p in root.iterdir() if p.is_dir()):
        task = _is_question_split(child)
        if task is not None:
            splits[child.name] = child
            tasks.add(task)
    if not splits:
        return None
    if len(tasks) > 1:
        raise DataError(f"{root}: split folders hold different tasks ({', '.join(sorted(tasks))})")
    manifest, problem = read_manifest(root)
    return TaskSet(name, tasks.pop(), root, splits, manifest, problem)


def discover(data: Path) -> list[TaskSet]:
    """All question sets under a data root, sorted by name; DataError when there is none."""
    try:
        return _discover(Path(data))
    except OSError as exc:
        raise DataError(f"{exc.filename or data}: cannot read ({exc.strerror or exc})") from None


def _discover(data: Path) -> list[TaskSet]:
    if not data.exists():
        raise DataError(f"{data}: no such data directory")
    if not data.is_dir():
        raise DataError(f"{data}: not a directory")
    single = _is_question_split(data)
    if single is not None:
        manifest, problem = read_manifest(data.parent)
        return [TaskSet(data.name, single, data.parent, {data.name: data}, manifest, problem)]
    found = [s for s in [_task_set(data, data.name)] if s is not None]
    if not found:
        found = [s for c in sorted(p for p in data.iterdir() if p.is_dir()) if (s := _task_set(c, c.name))]
    if not found:
        raise DataError(
            f"{data}: no SPARE3D question set found (expected <split>/answer.json with question folders,"
            " directly or one level down, e.g. made by `render dataset --task t2i -o DIR/t2i`)"
        )
    return found


def load_questions(split_dir: Path, task: str) -> list[Question]:
    """The questions of one split folder in id order; DataError with the layout problem otherwise."""
    try:
        return read_split(split_dir, task)
    except LayoutError as exc:
        raise DataError(str(exc)) from None
    except OSError as exc:
        raise DataError(f"{split_dir}: cannot read ({exc.strerror or exc})") from None


def question_info(manifest: dict, qid: str) -> dict:
    """The manifest's record for a question ({} when absent or malformed)."""
    questions = manifest.get("questions")
    record = questions.get(qid) if isinstance(questions, dict) else None
    return record if isinstance(record, dict) else {}


def n_primitives(manifest: dict) -> dict[str, int]:
    """{question id: number of primitives} for the questions whose manifest record has an integer count."""
    questions = manifest.get("questions")
    if not isinstance(questions, dict):
        return {}
    counts = {}
    for qid, record in questions.items():
        value = record.get("n_primitives") if isinstance(record, dict) else None
        if isinstance(value, int) and not isinstance(value, bool):
            counts[str(qid)] = value
    return counts


def choice_labels(task: str) -> list[str]:
    """Names of the 4 answer choices: candidate drawings 0-3 (t2i, p2i) or poses 1, 2, 5, 6 (i2p)."""
    if task == "i2p":
        return [f"pose {k}" for k in I2P_POSES]
    return [f"candidate {i}" for i in range(4)]


def three_views(question: Question) -> dict[str, Path]:
    """The front, right and top drawings of a question (the first three files of every question task)."""
    return dict(zip(("front", "right", "top"), question.files[:3], strict=True))


def candidates(question: Question) -> list[Path]:
    """The drawings after the three views: 4 candidates (t2i, p2i) or the one isometric drawing (i2p)."""
    return list(question.files[3:])


def question_table(questions: list[Question], manifest: dict) -> pd.DataFrame:
    """One row per question: id, label, pose (p2i), model and n_primitives (from the manifest, if any)."""
    counts = n_primitives(manifest)
    rows = []
    for q in questions:
        model = question_info(manifest, q.id).get("model")
        rows.append(
            {
                "id": q.id,
                "label": q.label,
                "pose": q.pose,
                "model": None if model is None else str(model),
                "n_primitives": counts.get(q.id),
            }
        )
    table = pd.DataFrame(rows, columns=["id", "label", "pose", "model", "n_primitives"])
    table["n_primitives"] = table["n_primitives"].astype("Int64")
    table["pose"] = table["pose"].astype("Int64")
    return table


def canonical_split(name: str) -> str:
    """A split name as `spare3d eval` writes it: the folder 'val' is the split 'valid'."""
    return "valid" if name == "val" else name


def attach_predictions(
    questions: pd.DataFrame, predictions: pd.DataFrame, task: str, split: str
) -> pd.DataFrame:
    """Questions left-joined with the predictions for this task and split (pred, s0-s3, correct, confidence).

    `label_mismatch` marks a prediction whose stored label differs from answer.json: it was made on
    other data and its `correct` column is not to be trusted.
    """
    same_split = predictions["split"].map(canonical_split) == canonical_split(split)
    part = predictions[(predictions["task"] == task) & same_split]
    part = part.drop(columns=["task", "split"]).rename(columns={"label": "pred_label"})
    table = questions.merge(part, on="id", how="left")
    table["label_mismatch"] = table["pred_label"].notna() & (table["pred_label"] != table["label"])
    return table.drop(columns="pred_label")


def read_rgb(path: Path) -> np.ndarray | None:
    """A drawing as an (H, W, 3) uint8 RGB array; None when the file is missing or not an image."""
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    return None if image is None else cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def bordered(image: np.ndarray, color: tuple[int, int, int], width: int = 4) -> np.ndarray:
    """The image inside a solid RGB border of `width` pixels (marks the answer and the model's choice)."""
    return cv2.copyMakeBorder(image, width, width, width, width, cv2.BORDER_CONSTANT, value=color)


def primitive_counts(sets: list[TaskSet]) -> dict[str, dict[str, int]]:
    """task -> {question id: number of primitives} over all question sets' manifests."""
    counts: dict[str, dict[str, int]] = {}
    for task_set in sets:
        counts.setdefault(task_set.task, {}).update(n_primitives(task_set.manifest))
    return counts
