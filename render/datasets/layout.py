"""The SPARE3D on-disk layouts that `render dataset` writes and `render check` / `render pack` read.

A split folder (train, valid, test) holds one folder per question (ID = folder name) and, for the
question tasks, `answer.json` {ID: label} with labels 0..3, written as the released data writes them:
integers for t2i and p2i, strings "0".."3" for i2p (the released I2P loader compares labels with
"0".."3"; `answer_value`). Both forms are read, for every task. Files of one question, per task:

- t2i:   ID_f.png ID_r.png ID_t.png 0.png 1.png 2.png 3.png     (candidates from pose 2)
- p2i:   as t2i plus one empty pose_k.txt, k in 1..8              (which candidate is pose k)
- i2p:   ID_f.png ID_r.png ID_t.png answer.png                    (label 0..3 = pose 1, 2, 5, 6)
- pairs: ID_fleft.png ID_rleft.png ID_tleft.png isometric_left.png and the same with "right"
- poses: ID_f.png ID_r.png ID_t.png 1.png .. 8.png (9.png .. 20.png with extra poses); no answer.json

Anything else a dataset keeps (manifest.json, build state, packed arrays) lives beside the split
folders, never inside them: readers treat every entry of a split folder but answer.json as a question.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from pathlib import Path

TASKS: tuple[str, ...] = ("t2i", "i2p", "p2i", "pairs", "poses")
MANIFEST_FILE = "manifest.json"  # a `render dataset` build's record of what it holds
BUILD_DIR = ".build"  # its resume state (render.datasets.dataset)
LABELLED_TASKS: tuple[str, ...] = ("t2i", "i2p", "p2i")
SPLITS: tuple[str, ...] = ("train", "valid", "test")
ANSWER_FILE = "answer.json"
I2P_POSES: tuple[str, ...] = ("1", "2", "5", "6")
N_CHOICES = 4


def image_names(task: str, qid: str, extra_poses: bool = False) -> tuple[str, ...]:
    """The image files of one question of a task, in a fixed order (three views first)."""
    three = (f"{qid}_f.png", f"{qid}_r.png", f"{qid}_t.png")
    if task in ("t2i", "p2i"):
        return three + tuple(f"{j}.png" for j in range(N_CHOICES))
    if task == "i2p":
        return (*three, "answer.png")
    if task == "pairs":
        return tuple(f"{qid}_{v}{side}.png" for side in ("left", "right") for v in ("f", "r", "t")) + (
            "isometric_left.png",
            "isometric_right.png",
        )
    if task == "poses":
        return three + tuple(f"{k}.png" for k in range(1, 21 if extra_poses else 9))
    raise ValueError(f"unknown task {task!r}; expected one of {', '.join(TASKS)}")


def expected_images(task: str, qid: str, names: Collection[str]) -> set[str]:
    """The image files a question folder whose files are `names` must hold (poses: 9-20 too when it
    holds 9.png)."""
    return set(image_names(task, qid, extra_poses=task == "poses" and "9.png" in names))


def pose_marker(k: int | str) -> str:
    """The empty file naming the asked pose of a p2i question."""
    return f"pose_{k}.txt"


def answer_value(task: str, label: int) -> int | str:
    """A label as answer.json holds it: the string "0".."3" for i2p (as the released I2P data and its
    loader, Code/Isometric_to_pose/Dataloader.py, have it), the integer for t2i and p2i."""
    return str(label) if task == "i2p" else int(label)


def parse_label(value: object) -> int | None:
    """A label 0..3 from answer.json (int or string "0".."3"), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit()):
        label = int(value)
        return label if 0 <= label < N_CHOICES else None
    return None


def read_answers(split_dir: Path) -> dict[str, object]:
    """The raw {ID: label} mapping of a split's answer.json (ValueError if it is not a JSON object)."""
    data = json.loads((split_dir / ANSWER_FILE).read_text())
    if not isinstance(data, dict):
        raise ValueError("answer.json is not a JSON object")
    return data


def question_dirs(split_dir: Path) -> list[Path]:
    """Question folders of a split, sorted by name (every entry but answer.json, as released readers do)."""
    return sorted(p for p in split_dir.iterdir() if p.name != ANSWER_FILE)
