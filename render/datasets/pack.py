"""Packed splits: every drawing of a split in one memory-mapped uint8 array, for fast training reads.

`render pack DATA` writes, for each split folder DATA/<split> (train, valid, test) present:
  DATA/packed/<split>/images.npy   uint8 array (N, H, W): the grayscale drawings (cv2.IMREAD_GRAYSCALE)
  DATA/packed/<split>/index.json   {"format", "split", "shape": [N, H, W], "questions": [
                                      {"id": ID, "label": 0..3 or null, "pose": k or null,
                                       "files": {file name: row of images.npy}}, ...]}
Questions are in sorted ID order, files of a question in sorted name order, rows consecutive, except
that hard links to one file (the pairs items of `render dataset --variants`) share one row. `label`
comes from answer.json (int or string), `pose` from a p2i question's pose_k.txt. The packed folder lies
outside the split folders, so readers of the SPARE3D layout do not see it.

Reader API (used by spare3d datasets):
    split = open_packed(DATA, "train")        # PackedSplit; the array is opened with mmap_mode="r"
    len(split); split.ids; split.images        # (N, H, W) uint8 memmap
    split.image(qid, "0.png")                  # (H, W) uint8 view, no copy
    split.rows(qid)                            # {file name: row}
    split.label(qid); split.pose(qid)          # int or None
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from render.datasets.check import detect_task
from render.datasets.layout import (
    ANSWER_FILE,
    SPLITS,
    expected_images,
    parse_label,
    question_dirs,
    read_answers,
)
from render.files import replacing, write_atomic

PACKED_DIR = "packed"
IMAGES_FILE = "images.npy"
INDEX_FILE = "index.json"
FORMAT = "linedraw3d-packed/1"


class PackError(Exception):
    """A split that cannot be packed; str() is one line naming the file and the problem."""


def _pose(folder: Path) -> int | None:
    markers = [p.name for p in folder.glob("pose_*.txt")]
    return int(markers[0][5:-4]) if len(markers) == 1 and markers[0][5:-4].isdigit() else None


def pack_split(split_dir: Path, out_dir: Path) -> int:
    """Pack one split folder into out_dir/images.npy + index.json (atomically); returns the image count.

    An empty split gives a (0, 0, 0) array and no questions."""
    answers = read_answers(split_dir) if (split_dir / ANSWER_FILE).is_file() else {}
    questions = []
    files: list[Path] = []
    linked: dict[tuple[int, int], int] = {}
    task = None
    for folder in question_dirs(split_dir):
        if not folder.is_dir():
            raise PackError(f"{folder}: not a question folder")
        task = task or detect_task(folder)
        if task is None:
            raise PackError(f"{folder}: cannot tell the task from its files")
        names = sorted(p.name for p in folder.glob("*.png"))
        missing = expected_images(task, folder.name, names) - set(names)
        if missing:
            raise PackError(f"{folder}: missing {', '.join(sorted(missing))} (a {task} question)")
        rows = {}
        for name in names:
            path = folder / name
            stat = path.stat()
            # hard links to one drawing (pairs items of variants of one model) share its row
            key = (stat.st_dev, stat.st_ino) if stat.st_nlink > 1 else None
            if key is None or key not in linked:
                if key is not None:
                    linked[key] = len(files)
                rows[name] = len(files)
                files.append(path)
            else:
                rows[name] = linked[key]
        label = parse_label(answers[folder.name]) if folder.name in answers else None
        questions.append({"id": folder.name, "label": label, "pose": _pose(folder), "files": rows})
    first = cv2.imread(str(files[0]), cv2.IMREAD_GRAYSCALE) if files else np.zeros((0, 0), np.uint8)
    if first is None:
        raise PackError(f"{files[0]}: unreadable image")
    out_dir.mkdir(parents=True, exist_ok=True)
    with replacing(out_dir / IMAGES_FILE) as tmp:
        array = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.uint8, shape=(len(files), *first.shape))
        _reserve(tmp)
        for row, path in enumerate(files):
            image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
            if image is None:
                raise PackError(f"{path}: unreadable image")
            if image.shape != first.shape:
                got, want = image.shape[::-1], first.shape[::-1]
                raise PackError(f"{path}: size {got[0]}x{got[1]}, expected {want[0]}x{want[1]}")
            array[row] = image
        array.flush()
        del array
    index = {
        "format": FORMAT,
        "split": split_dir.name,
        "shape": [len(files), *first.shape],
        "questions": questions,
    }
    write_atomic(out_dir / INDEX_FILE, (json.dumps(index) + "\n").encode())
    return len(files)


def _reserve(path: Path) -> None:
    """Allocate the disk blocks of a (sparse) file now: a full disk then fails here with ENOSPC instead
    of killing the process with SIGBUS when a memory-mapped page is first written."""
    with open(path, "r+b") as f:
        os.posix_fallocate(f.fileno(), 0, os.fstat(f.fileno()).st_size)


def pack_dataset(root: str | Path) -> dict[str, int]:
    """Pack every split folder (train, valid, test) of a dataset root; returns images per split."""
    root = Path(root)
    splits = [s for s in SPLITS if (root / s).is_dir()]
    if not splits:
        raise PackError(f"{root}: no split folders ({', '.join(SPLITS)})")
    return {s: pack_split(root / s, root / PACKED_DIR / s) for s in splits}


@dataclass
class PackedSplit:
    """A packed split opened for reading (see the module docstring)."""

    images: np.ndarray
    questions: list[dict]

    def __post_init__(self) -> None:
        self._by_id = {q["id"]: q for q in self.questions}

    def __len__(self) -> int:
        return len(self.questions)

    @property
    def ids(self) -> list[str]:
        return [q["id"] for q in self.questions]

    def rows(self, qid: str) -> dict[str, int]:
        return self._by_id[qid]["files"]

    def image(self, qid: str, name: str) -> np.ndarray:
        return self.images[self._by_id[qid]["files"][name]]

    def label(self, qid: str) -> int | None:
        return self._by_id[qid]["label"]

    def pose(self, qid: str) -> int | None:
        return self._by_id[qid]["pose"]


def open_packed(root: str | Path, split: str) -> PackedSplit:
    """Open DATA/packed/<split> written by `pack_dataset` (memory-mapped, read-only)."""
    folder = Path(root) / PACKED_DIR / split
    if not (folder / INDEX_FILE).is_file():
        raise PackError(f"{folder}: no packed split (run `render pack {root}`)")
    index = json.loads((folder / INDEX_FILE).read_text())
    images = np.load(folder / IMAGES_FILE, mmap_mode="r")
    if list(images.shape) != index["shape"]:
        raise PackError(
            f"{folder}: images.npy shape {list(images.shape)} does not match index {index['shape']}"
        )
    return PackedSplit(images, index["questions"])
