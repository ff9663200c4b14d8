"""The on-disk layouts of SPARE3D question sets and pretext sets (released data and `render dataset`).

A split folder holds one folder per question (ID = folder name) and, for the question sets, an
`answer.json` mapping ID -> label (int or string "0".."3"). Per kind, the files of one question:

- t2i:   ID_f.png ID_r.png ID_t.png 0.png 1.png 2.png 3.png
- p2i:   as t2i plus an empty pose_k.txt (k in 1..8)
- i2p:   ID_f.png ID_r.png ID_t.png answer.png
- pairs: ID_fleft.png ID_rleft.png ID_tleft.png isometric_left.png and the same with "right"
- poses: ID_f.png ID_r.png ID_t.png 1.png .. 8.png (optionally 9.png .. 20.png); no answer.json

Three-view files are found like the released readers do, by the globs *f.png, *r.png, *t.png
(ID_f.png preferred; answer.png, which ends in "r.png", excluded).

Dataset root convention: `--data ROOT` where ROOT holds ROOT/<kind>/<split> (kind in t2i, i2p, p2i,
pairs, poses; split in train, valid, test; "val" accepted for valid), as made by
`render dataset --task <kind> -o ROOT/<kind>`; ROOT may also be one kind's folder (ROOT/<split>) or
a split folder itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

KINDS: tuple[str, ...] = ("t2i", "i2p", "p2i", "pairs", "poses")
QUESTION_KINDS: tuple[str, ...] = ("t2i", "i2p", "p2i")
SPLITS: tuple[str, ...] = ("train", "valid", "test")
_SPLIT_ALIASES: dict[str, tuple[str, ...]] = {
    "valid": ("valid", "val"),
    "train": ("train",),
    "test": ("test",),
}
_NOT_VIEWS = frozenset({"answer.png", "isometric_left.png", "isometric_right.png"})
_POSE_FILE = re.compile(r"^pose_(\d+)\.txt$")


class LayoutError(ValueError):
    """Data that does not fit the expected layout; str() is one line naming the path and the problem."""

    def __init__(self, path: str | Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")


@dataclass(frozen=True)
class Question:
    """One question (or pretext item): its id, the image files in the kind's fixed order, label, pose."""

    id: str
    files: tuple[Path, ...]
    label: int | None = None
    pose: int | None = None


def view_names(kind: str, n_poses: int = 8) -> tuple[str, ...]:
    """The fixed order of images per item of a kind (the order of `Question.files`)."""
    if kind in ("t2i", "p2i"):
        return ("f", "r", "t", "0", "1", "2", "3")
    if kind == "i2p":
        return ("f", "r", "t", "answer")
    if kind == "pairs":
        return tuple(f"{v}{side}" for side in ("left", "right") for v in ("f", "r", "t", "isometric_"))
    if kind == "poses":
        return ("f", "r", "t") + tuple(str(k) for k in range(1, n_poses + 1))
    raise ValueError(f"unknown data kind {kind!r}; expected one of {', '.join(KINDS)}")


def detect_kind(folder: Path) -> str | None:
    """The kind of one question folder from the files it holds, None when it matches no layout."""
    names = {p.name for p in folder.iterdir()}
    if "answer.png" in names:
        return "i2p"
    if any(_POSE_FILE.match(n) for n in names):
        return "p2i"
    if "0.png" in names:
        return "t2i"
    if "isometric_left.png" in names:
        return "pairs"
    if "1.png" in names and "8.png" in names:
        return "poses"
    return None


def _question_dirs(split_dir: Path) -> list[Path]:
    return sorted((p for p in split_dir.iterdir() if p.is_dir()), key=lambda p: p.name)


def split_kind(split_dir: Path) -> str | None:
    """The kind of a split folder, from its first question folder."""
    dirs = _question_dirs(split_dir)
    return detect_kind(dirs[0]) if dirs else None


def _find_split(base: Path, split: str) -> Path | None:
    for name in _SPLIT_ALIASES[split]:
        if (base / name).is_dir():
            return base / name
    return None


def _locate(data: Path, kind: str, split: str) -> Path | None:
    if not data.is_dir():
        raise LayoutError(data, "no such data directory")
    for base in (data / kind, data):
        found = _find_split(base, split)
        if found is not None:
            return found
    return data if split_kind(data) is not None else None


def optional_split(data: Path, kind: str, split: str) -> Path | None:
    """Like `resolve_split`, but None when the split is absent or empty (e.g. a valid split filtered away)."""
    found = _locate(Path(data), kind, split)
    return resolve_split(data, kind, split) if found is not None and split_kind(found) is not None else None


def resolve_split(data: Path, kind: str, split: str) -> Path:
    """The split folder of `kind` under a data root: ROOT/kind/split, ROOT/split or ROOT itself.

    Raises LayoutError naming what was expected when no such folder exists or it holds another kind.
    """
    data = Path(data)
    found = _locate(data, kind, split)
    if found is None:
        raise LayoutError(
            data,
            f"no {kind} {split} split: expected {data / kind / split} "
            f"(made by `render dataset --task {kind}`) or {data / split}",
        )
    actual = split_kind(found)
    if actual is None:
        raise LayoutError(found, f"no question folders in a recognised SPARE3D layout (expected {kind})")
    if actual != kind:
        raise LayoutError(found, f"holds {actual} data, but this needs {kind} data")
    return found


def _view_file(folder: Path, names: Collection[str], suffix: str) -> str:
    exact = f"{folder.name}_{suffix}.png"
    if exact in names:
        return exact
    # "answer.png" ends in "r.png": the I2P candidate is never a three-view drawing.
    matches = sorted(n for n in names if n.endswith(f"{suffix}.png") and n not in _NOT_VIEWS)
    if len(matches) != 1:
        problem = "missing" if not matches else f"{len(matches)} files match"
        raise LayoutError(folder, f"{problem} view *{suffix}.png")
    return matches[0]


def pick_files(folder: Path, names: Collection[str], kind: str, n_poses: int = 8) -> tuple[str, ...]:
    """The file names of one item in `view_names` order, chosen among `names` (the folder's files)."""
    picked = []
    for name in view_names(kind, n_poses):
        if name in ("f", "r", "t") or (kind == "pairs" and not name.startswith("isometric")):
            picked.append(_view_file(folder, names, name))
        elif f"{name}.png" in names:
            picked.append(f"{name}.png")
        else:
            raise LayoutError(folder / f"{name}.png", "missing image")
    return tuple(picked)


def read_answers(split_dir: Path) -> dict[str, int]:
    """answer.json of a question split as {id: label}; labels may be ints or strings "0".."3"."""
    path = split_dir / "answer.json"
    if not path.is_file():
        raise LayoutError(path, "missing answer file")
    try:
        raw = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise LayoutError(path, f"not valid JSON ({exc.msg})") from None
    if not isinstance(raw, dict):
        raise LayoutError(path, "expected an object {ID: label}")
    answers = {}
    for qid, label in raw.items():
        try:
            value = int(label)
        except (TypeError, ValueError):
            raise LayoutError(path, f"label of {qid!r} is {label!r}, not 0-3") from None
        if not 0 <= value <= 3:
            raise LayoutError(path, f"label of {qid!r} is {value}, not 0-3")
        answers[str(qid)] = value
    return answers


def pose_count(split_dir: Path) -> int:
    """Isometric poses per item of a poses split: 20 when 20.png exists in the first item, else 8."""
    dirs = _question_dirs(split_dir)
    return 20 if dirs and (dirs[0] / "20.png").is_file() else 8


def _pose_of(folder: Path, names: Collection[str]) -> int:
    poses = [int(m.group(1)) for n in names if (m := _POSE_FILE.match(n))]
    if len(poses) != 1 or not 1 <= poses[0] <= 8:
        raise LayoutError(folder, f"expected exactly one pose_k.txt with k in 1..8, found {len(poses)}")
    return poses[0]


def read_split(split_dir: Path, kind: str, n_poses: int = 8) -> list[Question]:
    """All items of a split folder in id order, every file checked to exist."""
    split_dir = Path(split_dir)
    dirs = _question_dirs(split_dir)
    if not dirs:
        raise LayoutError(split_dir, "no question folders")
    answers = read_answers(split_dir) if kind in QUESTION_KINDS else {}
    if answers:
        missing = sorted(set(answers) - {d.name for d in dirs})
        if missing:
            raise LayoutError(
                split_dir / missing[0], f"listed in answer.json but missing ({len(missing)} in all)"
            )
    questions = []
    for folder in dirs:
        label = None
        if kind in QUESTION_KINDS:
            if folder.name not in answers:
                raise LayoutError(folder, "question folder has no entry in answer.json")
            label = answers[folder.name]
        names = {p.name for p in folder.iterdir()}
        pose = _pose_of(folder, names) if kind == "p2i" else None
        files = tuple(folder / n for n in pick_files(folder, names, kind, n_poses))
        questions.append(Question(folder.name, files, label, pose))
    return questions
