"""Discovery of question sets under a data root, manifests, question tables and images."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from app import data
from app.predictions import load_predictions


def test_discover_parent_of_several_tasks(data_root: Path) -> None:
    sets = data.discover(data_root)
    assert [(s.name, s.task) for s in sets] == [("i2p", "i2p"), ("p2i", "p2i"), ("t2i", "t2i")]
    t2i = sets[2]
    assert sorted(t2i.splits) == ["test", "train"]
    assert t2i.manifest["task"] == "t2i" and t2i.manifest_problem is None


def test_discover_task_detected_from_layout_not_folder_name(tmp_path: Path, tiny: SimpleNamespace) -> None:
    tiny.write_split(tmp_path / "odd_name" / "valid", "p2i", tiny.labels_for("p2i"))
    (sets,) = [data.discover(tmp_path)]
    assert [(s.name, s.task, list(s.splits)) for s in sets] == [("odd_name", "p2i", ["valid"])]
    # one task folder and one split folder are data roots too
    assert data.discover(tmp_path / "odd_name")[0].task == "p2i"
    single = data.discover(tmp_path / "odd_name" / "valid")
    assert single[0].splits == {"valid": tmp_path / "odd_name" / "valid"}


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p / "missing", "no such data directory"),
        (lambda p: (p / "f.txt").write_text("x") and p / "f.txt", "not a directory"),
        (lambda p: (p / "empty").mkdir() or p / "empty", "no SPARE3D question set found"),
    ],
)
def test_discover_errors_name_the_path(tmp_path: Path, make, message: str) -> None:  # noqa: ANN001
    path = make(tmp_path)
    with pytest.raises(data.DataError, match=message) as info:
        data.discover(path)
    assert str(path) in str(info.value)


def test_malformed_manifest_is_reported_not_fatal(data_root: Path) -> None:
    (data_root / "t2i" / "manifest.json").write_text("{not json")
    t2i = [s for s in data.discover(data_root) if s.task == "t2i"][0]
    assert t2i.manifest == {}
    assert "manifest.json" in t2i.manifest_problem and "unreadable" in t2i.manifest_problem


def test_question_table_from_manifest_and_layout(data_root: Path, tiny: SimpleNamespace) -> None:
    t2i = [s for s in data.discover(data_root) if s.task == "t2i"][0]
    questions = data.load_questions(t2i.splits["test"], "t2i")
    table = data.question_table(questions, t2i.manifest)
    assert table["id"].tolist() == list(tiny.labels_for("t2i"))
    assert table["label"].tolist() == [i % 4 for i in range(tiny.N)]
    assert table["n_primitives"].tolist() == [3 + i % 3 for i in range(tiny.N)]
    assert table["model"].tolist() == [f"m{i}" for i in range(tiny.N)]
    q = questions[0]
    assert [p.name for p in data.three_views(q).values()] == [
        "t2i_000_f.png",
        "t2i_000_r.png",
        "t2i_000_t.png",
    ]
    assert [p.name for p in data.candidates(q)] == ["0.png", "1.png", "2.png", "3.png"]


def test_p2i_pose_and_i2p_string_labels(data_root: Path, tiny: SimpleNamespace) -> None:
    p2i = data.load_questions(data_root / "p2i" / "test", "p2i")
    assert [q.pose for q in p2i] == [1 + n % 8 for n in range(tiny.N)]
    i2p = data.load_questions(data_root / "i2p" / "test", "i2p")  # answer.json holds strings there
    assert [q.label for q in i2p] == [i % 4 for i in range(tiny.N)]
    assert data.choice_labels("i2p") == ["pose 1", "pose 2", "pose 5", "pose 6"]
    assert [p.name for p in data.candidates(i2p[0])] == ["answer.png"]


def test_layout_problem_becomes_one_line_data_error(data_root: Path) -> None:
    split = data_root / "t2i" / "test"
    (split / "t2i_003" / "2.png").unlink()
    with pytest.raises(data.DataError, match="missing image") as info:
        data.load_questions(split, "t2i")
    assert "t2i_003" in str(info.value) and "\n" not in str(info.value)
    answers = json.loads((split / "answer.json").read_text())
    answers["t2i_000"] = 7
    (split / "answer.json").write_text(json.dumps(answers))
    with pytest.raises(data.DataError, match="not 0-3"):
        data.load_questions(split, "t2i")


def test_manifest_fields_are_optional() -> None:
    manifest = {"questions": {"a": {"n_primitives": 4}, "b": {"n_primitives": "x"}, "c": "junk", "d": {}}}
    assert data.n_primitives(manifest) == {"a": 4}
    assert data.n_primitives({"questions": []}) == {}
    assert data.question_info(manifest, "c") == {} and data.question_info({}, "a") == {}


def test_attach_predictions_joins_by_task_split_id(
    data_root: Path, predictions: tuple[Path, Path], tiny: SimpleNamespace
) -> None:
    questions = data.load_questions(data_root / "t2i" / "test", "t2i")
    table = data.question_table(questions, {})
    preds = load_predictions(predictions[0]).table
    joined = data.attach_predictions(table, preds, "t2i", "test")
    assert joined["pred"].notna().all() and not joined["label_mismatch"].any()
    assert joined["correct"].tolist() == [i not in {1, 2} for i in range(tiny.N)]
    none = data.attach_predictions(table, preds, "t2i", "train")
    assert none["pred"].isna().all()
    preds["split"] = "valid"  # `spare3d eval --split valid` on a folder named val
    assert data.attach_predictions(table, preds, "t2i", "val")["pred"].notna().all()


def test_read_rgb_and_border(tmp_path: Path, tiny: SimpleNamespace) -> None:
    import cv2

    image = tiny.drawing(3)
    cv2.imwrite(str(tmp_path / "a.png"), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    assert np.array_equal(data.read_rgb(tmp_path / "a.png"), image)
    (tmp_path / "bad.png").write_bytes(b"not a png")
    assert data.read_rgb(tmp_path / "bad.png") is None and data.read_rgb(tmp_path / "none.png") is None
    framed = data.bordered(image, (0, 255, 0), 2)
    assert framed.shape == (36, 36, 3)
    assert (framed[:2] == (0, 255, 0)).all() and np.array_equal(framed[2:-2, 2:-2], image)


def test_unreadable_folder_is_a_data_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: Path):  # noqa: ANN202
        raise PermissionError(13, "Permission denied", str(self))

    (tmp_path / "t2i").mkdir()
    monkeypatch.setattr(Path, "iterdir", refuse)
    with pytest.raises(data.DataError, match="Permission denied") as info:
        data.discover(tmp_path)
    assert str(tmp_path) in str(info.value)
