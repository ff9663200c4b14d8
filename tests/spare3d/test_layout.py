import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from spare3d.layout import (
    LayoutError,
    optional_split,
    read_answers,
    read_split,
    resolve_split,
    split_kind,
    view_names,
)


def _released_i2p(root: Path, draw) -> Path:
    """A released-style I2P split: string labels, views with a non-ID prefix, no manifest."""
    split = root / "test"
    for qid in ("00012", "00007"):
        folder = split / qid
        folder.mkdir(parents=True)
        for view in "frt":
            cv2.imwrite(str(folder / f"model_{qid}_{view}.png"), draw(1))
        cv2.imwrite(str(folder / "answer.png"), draw(2))
    (split / "answer.json").write_text(json.dumps({"00012": "3", "00007": "0"}))
    return split


def test_released_layout_with_string_labels(tmp_path, synthetic):
    split = _released_i2p(tmp_path, synthetic[1])
    questions = read_split(split, "i2p")
    assert [q.id for q in questions] == ["00007", "00012"]
    assert [q.label for q in questions] == [0, 3]
    assert [p.name for p in questions[1].files] == [
        "model_00012_f.png",
        "model_00012_r.png",
        "model_00012_t.png",
        "answer.png",
    ]


def test_kinds_are_detected_and_files_ordered(tmp_path, synthetic):
    make_set = synthetic[0]
    for kind in ("t2i", "i2p", "p2i", "pairs", "poses"):
        make_set(tmp_path / kind, kind)
        split = resolve_split(tmp_path, kind, "valid")
        assert split == tmp_path / kind / "valid"
        assert split_kind(split) == kind
        question = read_split(split, kind)[0]
        assert len(question.files) == len(view_names(kind))
    p2i = read_split(tmp_path / "p2i" / "train", "p2i")
    assert all(1 <= q.pose <= 8 for q in p2i)
    assert {q.label for q in p2i} == {0, 1, 2, 3}


def test_wrong_kind_and_missing_split_are_named(tmp_path, synthetic):
    make_set = synthetic[0]
    make_set(tmp_path / "t2i", "t2i")
    with pytest.raises(LayoutError, match="holds t2i data, but this needs i2p data"):
        resolve_split(tmp_path / "t2i", "i2p", "test")
    with pytest.raises(LayoutError, match=r"no pairs train split: expected .*pairs/train"):
        resolve_split(tmp_path, "pairs", "train")


def test_missing_image_and_answer_problems(tmp_path, synthetic):
    make_set = synthetic[0]
    make_set(tmp_path, "t2i")
    split = tmp_path / "train"
    (split / "train003" / "2.png").unlink()
    with pytest.raises(LayoutError, match=r"train003/2.png: missing image"):
        read_split(split, "t2i")
    (split / "train005" / "train005_r.png").unlink()
    (split / "train003").rename(split / "zzz")
    with pytest.raises(LayoutError, match="train003: listed in answer.json but missing"):
        read_split(split, "t2i")
    (split / "answer.json").write_text(json.dumps({"a": "7"}))
    with pytest.raises(LayoutError, match="label of 'a' is 7, not 0-3"):
        read_answers(split)


def test_ambiguous_view_glob(tmp_path, synthetic):
    make_set = synthetic[0]
    make_set(tmp_path, "i2p")
    folder = tmp_path / "test" / "test001"
    (folder / "test001_f.png").rename(folder / "a_f.png")
    cv2.imwrite(str(folder / "b_f.png"), np.zeros((4, 4), np.uint8))
    with pytest.raises(LayoutError, match=r"test001: 2 files match view \*f.png"):
        read_split(tmp_path / "test", "i2p")


def test_optional_split(tmp_path, synthetic):
    make_set = synthetic[0]
    make_set(tmp_path / "i2p", "i2p")
    assert optional_split(tmp_path, "i2p", "valid") == tmp_path / "i2p" / "valid"
    assert optional_split(tmp_path, "pairs", "valid") is None
    for folder in (tmp_path / "i2p" / "valid").iterdir():
        if folder.is_dir():
            shutil.rmtree(folder)
    assert optional_split(tmp_path, "i2p", "valid") is None  # every question filtered away
    with pytest.raises(LayoutError, match="holds i2p data, but this needs t2i data"):
        optional_split(tmp_path / "i2p", "t2i", "train")
