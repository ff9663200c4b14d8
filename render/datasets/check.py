"""`render check DATA`: validate a folder in the SPARE3D layouts (`render.datasets.layout`), ours or
released data.

DATA is a dataset root holding split folders (train, valid or val, test) or a split folder itself. The
task of a split is given or recognised from its first question folder (isometric_left.png: pairs,
answer.png: i2p, pose_k.txt: p2i, 0.png: t2i, 1.png without 0.png: poses). Every problem found is
reported as one line "path: problem":
- split: answer.json missing or not a JSON object (labelled tasks), answer.json keys without a folder,
  folders missing from answer.json, labels other than 0..3 (int or string);
- question: a stray file where a folder belongs, missing or unexpected files, not exactly one
  pose_k.txt with k in 1..8 (p2i), unreadable images, sizes differing from --size or from the split's
  first image, blank drawings (`render.datasets.filters.is_blank`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import cv2

from render.datasets.filters import is_blank
from render.datasets.layout import (
    ANSWER_FILE,
    BUILD_DIR,
    LABELLED_TASKS,
    MANIFEST_FILE,
    TASKS,
    expected_images,
    parse_label,
    question_dirs,
)

SPLIT_NAMES: tuple[str, ...] = ("train", "valid", "val", "test")
_POSE_MARKER = re.compile(r"^pose_(\d+)\.txt$")


def detect_task(folder: Path) -> str | None:
    """The task a question folder belongs to, from the files it holds (None if unrecognised)."""
    names = {p.name for p in folder.iterdir()}
    if "isometric_left.png" in names:
        return "pairs"
    if "answer.png" in names:
        return "i2p"
    if any(_POSE_MARKER.match(n) for n in names):
        return "p2i"
    if "0.png" in names:
        return "t2i"
    if "1.png" in names:
        return "poses"
    return None


def _check_question(
    folder: Path, task: str, size: tuple[int, int] | None
) -> tuple[list[str], tuple[int, int] | None]:
    problems = []
    names = {p.name for p in folder.iterdir()}
    expected = expected_images(task, folder.name, names)
    markers = {n for n in names if _POSE_MARKER.match(n)}
    if task == "p2i":
        poses = [int(_POSE_MARKER.match(n).group(1)) for n in markers]
        if len(poses) != 1 or not 1 <= poses[0] <= 8:
            problems.append(
                f"{folder}: expected exactly one pose_k.txt with k in 1..8, found {sorted(markers) or 'none'}"
            )
        expected |= markers
    for name in sorted(expected - names):
        problems.append(f"{folder}: missing {name}")
    for name in sorted(names - expected):
        problems.append(f"{folder}: unexpected file {name}")
    for name in sorted(expected & names):
        if not name.endswith(".png"):
            continue
        image = cv2.imread(str(folder / name), cv2.IMREAD_COLOR)
        if image is None:
            problems.append(f"{folder / name}: unreadable image")
            continue
        shape = (image.shape[1], image.shape[0])
        if size is None:
            size = shape
        if shape != size:
            problems.append(f"{folder / name}: size {shape[0]}x{shape[1]}, expected {size[0]}x{size[1]}")
        if is_blank(image):
            problems.append(f"{folder / name}: blank drawing")
    return problems, size


def check_split(split_dir: Path, task: str | None = None, size: int | None = None) -> list[str]:
    """Problems of one split folder (see the module docstring)."""
    entries = question_dirs(split_dir)
    folders = [p for p in entries if p.is_dir()]
    problems = [f"{p}: not a question folder" for p in entries if not p.is_dir()]
    if not folders:  # an empty split (a tiny set) is valid; only its answer.json, if any, is checked
        return problems
    task = task or detect_task(folders[0])
    if task is None:
        return [*problems, f"{folders[0]}: cannot tell the task from its files; give --task"]
    if task in LABELLED_TASKS:
        answer_path = split_dir / ANSWER_FILE
        try:
            answers = json.loads(answer_path.read_text())
            if not isinstance(answers, dict):
                raise ValueError("not a JSON object")
        except FileNotFoundError:
            problems.append(f"{answer_path}: missing")
            answers = None
        except ValueError as exc:
            problems.append(f"{answer_path}: unreadable ({exc})")
            answers = None
        if answers is not None:
            names = {p.name for p in folders}
            problems += [
                f"{answer_path}: {key} has no question folder" for key in sorted(set(answers) - names)
            ]
            problems += [f"{split_dir / n}: missing from answer.json" for n in sorted(names - set(answers))]
            problems += [
                f"{answer_path}: label {value!r} of {key} is not 0..3"
                for key, value in sorted(answers.items())
                if parse_label(value) is None
            ]
    expected = (size, size) if size else None
    for folder in folders:
        found, expected = _check_question(folder, task, expected)
        problems += found
    return problems


def check_dataset(root: str | Path, task: str | None = None, size: int | None = None) -> list[str]:
    """Problems of a dataset root (its split folders) or of a single split folder."""
    root = Path(root)
    if not root.is_dir():
        return [f"{root}: no such folder"]
    if task is not None and task not in TASKS:
        raise ValueError(f"unknown task {task!r}; expected one of {', '.join(TASKS)}")
    splits = [root / s for s in SPLIT_NAMES if (root / s).is_dir()]
    if not splits:
        return check_split(root, task, size)
    return build_problems(root) + [p for s in splits for p in check_split(s, task, size)]


def build_problems(root: Path) -> list[str]:
    """A `render dataset` build that has not finished: manifest.json missing beside .build/, unreadable,
    or saying ``complete: false`` (interrupted, or only some shards built)."""
    manifest = root / MANIFEST_FILE
    if not manifest.is_file():
        return (
            [f"{root}: build not finished (no {MANIFEST_FILE}); rerun its command"]
            if (root / BUILD_DIR).is_dir()
            else []
        )
    try:
        record = json.loads(manifest.read_text())
        complete, counts = record.get("complete"), record.get("counts", {})
    except (ValueError, AttributeError) as exc:
        return [f"{manifest}: unreadable ({exc})"]
    if complete is False:
        done = f"{counts.get('recorded', '?')} of {counts.get('models', '?')} models"
        return [f"{manifest}: build incomplete ({done} recorded); rerun its command to finish it"]
    return []
