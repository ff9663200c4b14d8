"""Prediction files: validation of every field, accuracy with intervals, confusion, comparison, filters."""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from app import predictions as P


def test_load_predictions_rows_and_confidence(predictions: tuple[Path, Path], tiny: SimpleNamespace) -> None:
    pset = P.load_predictions(predictions[0])
    assert pset.problems == []
    t = pset.table
    assert len(t) == 3 * tiny.N and list(t.columns) == P.COLUMNS
    lines = tiny.prediction_lines("t2i", {1, 2})
    row = t[(t["task"] == "t2i") & (t["id"] == "t2i_001")].iloc[0]
    scores = np.array(lines[1]["scores"])
    assert row["pred"] == lines[1]["pred"] and not row["correct"]
    assert row["confidence"] == pytest.approx(np.exp(scores[row["pred"]]) / np.exp(scores).sum())


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("{oops", "not valid JSON"),
        ("[1, 2]", "not a JSON object"),
        ('{"id": "a", "task": "t2i", "label": 0, "pred": 1}', "missing scores"),
        ('{"id": "a", "task": "x", "label": 0, "pred": 1, "scores": [0, 0, 0, 0]}', "task 'x'"),
        (
            '{"id": "a", "task": "t2i", "label": 0, "pred": 4, "scores": [0, 0, 0, 0]}',
            "not an answer index 0-3",
        ),
        ('{"id": "a", "task": "t2i", "label": 0, "pred": 1, "scores": [0, 0, 0]}', "list of 4 numbers"),
        ('{"id": "a", "task": "t2i", "label": 0, "pred": 1, "scores": [0, 0, 0, NaN]}', "finite"),
        ('{"id": "a", "task": "t2i", "label": true, "pred": 1, "scores": [0, 0, 0, 0]}', "label/pred"),
    ],
)
def test_bad_lines_are_skipped_with_file_and_line(
    tmp_path: Path, line: str, problem: str, tiny: SimpleNamespace
) -> None:
    good = json.dumps(tiny.prediction_lines("t2i", set())[0])
    path = tmp_path / "p.jsonl"
    path.write_text(good + "\n\n" + line + "\n")
    pset = P.load_predictions(path)
    assert len(pset.table) == 1
    assert (
        len(pset.problems) == 1 and pset.problems[0].startswith("p.jsonl:3: ") and problem in pset.problems[0]
    )


def test_string_labels_recomputed_correct_and_duplicates(tmp_path: Path, tiny: SimpleNamespace) -> None:
    lines = tiny.prediction_lines("i2p", set())[:2]
    lines[0].update(label="2", pred="2", correct=False)  # strings accepted; stored 'correct' is wrong
    lines.append(dict(lines[1], pred=(lines[1]["pred"] + 1) % 4, correct=False))  # repeated id: last wins
    pset = P.load_predictions(tiny.write_jsonl(tmp_path / "p.jsonl", lines))
    t = pset.table
    assert t["label"].tolist() == [2, lines[1]["label"]] and t["correct"].tolist() == [True, False]
    assert any("'correct' disagrees" in p for p in pset.problems)
    assert any("1 repeated question ids" in p for p in pset.problems)


@pytest.mark.parametrize("content", [None, "", "garbage\n{}\n", b"\xff\xfe\x00"])
def test_unusable_files_raise_one_line(tmp_path: Path, content: str | bytes | None) -> None:
    path = tmp_path / "p.jsonl"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    with pytest.raises(P.PredictionError) as info:
        P.load_predictions(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_accuracy_table_and_wilson(predictions: tuple[Path, Path]) -> None:
    a, b = (P.load_predictions(p).table for p in predictions)
    table = P.accuracy_table({"A": a, "B": b})
    t2i = table[table["task"] == "t2i"].set_index("file")
    assert t2i.loc["A", "correct"] == 4 and t2i.loc["B", "correct"] == 3
    assert t2i.loc["A", "accuracy"] == pytest.approx(4 / 6)
    # Wilson 95%: (p + z²/2n ± z sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n) with p = 4/6, n = 6
    z, n, p = 1.959964, 6, 4 / 6
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    assert (t2i.loc["A", "low"], t2i.loc["A", "high"]) == pytest.approx(
        (centre - half, centre + half), abs=1e-5
    )
    assert set(table["file"]) == {"A", "B"} and len(table) == 5  # B has no p2i


def test_confusion_counts(predictions: tuple[Path, Path], tiny: SimpleNamespace) -> None:
    a = P.load_predictions(predictions[0]).table
    c = P.confusion(a[a["task"] == "t2i"]).to_numpy()
    labels = [i % 4 for i in range(tiny.N)]
    expected = np.zeros((4, 4), int)
    for i, label in enumerate(labels):
        expected[label, (label + 1) % 4 if i in {1, 2} else label] += 1
    assert np.array_equal(c, expected)


def test_compare_agreement_and_mcnemar(predictions: tuple[Path, Path], tiny: SimpleNamespace) -> None:
    a, b = (P.load_predictions(p).table for p in predictions)
    merged = P.compare(a[a["task"] == "t2i"], b[b["task"] == "t2i"])
    assert len(merged) == tiny.N
    # A wrong on 1, 2; B wrong on 2, 3, 4; both answer label+1 when wrong, so they agree on 2
    assert merged.loc[~merged["agree"], "id"].tolist() == ["t2i_001", "t2i_003", "t2i_004"]
    counts = P.agreement(merged)
    assert counts.to_numpy().tolist() == [[2, 2], [1, 1]]
    # discordant: A-only right 2, B-only right 1 -> exact binomial p = P(|X - 1.5| >= 0.5) = 1
    assert P.mcnemar_p(merged) == pytest.approx(1.0)
    i2p = P.compare(a[a["task"] == "i2p"], b[b["task"] == "i2p"])
    assert P.mcnemar_p(i2p) == pytest.approx(1.0) and P.agreement(i2p).loc["A wrong", "B right"] == 1


def test_accuracy_by_primitives_and_scores(predictions: tuple[Path, Path], tiny: SimpleNamespace) -> None:
    a = P.load_predictions(predictions[0]).table
    counts = {"t2i": {f"t2i_{i:03d}": 3 + i % 3 for i in range(tiny.N)}}
    table = P.accuracy_by_primitives({"A": a}, counts)
    assert table["task"].unique().tolist() == ["t2i"]
    by = table.set_index("n_primitives")
    # primitives 3: questions 0, 3 (both right); 4: 1, 4 (1 wrong); 5: 2, 5 (2 wrong)
    assert by["n"].tolist() == [2, 2, 2] and by["correct"].tolist() == [2, 1, 1]
    assert P.accuracy_by_primitives({"A": a}, {}).empty
    scores = P.score_long(a[a["task"] == "t2i"])
    assert len(scores) == 4 * tiny.N
    assert (scores["role"] == "correct answer").sum() == tiny.N


def test_filter_table() -> None:
    t = pd.DataFrame(
        {
            "correct": [True, False, None, True],
            "confidence": [0.9, 0.4, np.nan, 0.3],
            "n_primitives": pd.array([3, 5, 4, None], dtype="Int64"),
        }
    )
    assert P.filter_table(t).index.tolist() == [0, 1, 2, 3]
    assert P.filter_table(t, "correct").index.tolist() == [0, 3]
    assert P.filter_table(t, "wrong").index.tolist() == [1]
    assert P.filter_table(t, confidence=(0.35, 1.0)).index.tolist() == [0, 1]
    assert P.filter_table(t, primitives=(4, 5)).index.tolist() == [1, 2]
    with pytest.raises(ValueError, match="unknown outcome"):
        P.filter_table(t, "maybe")
