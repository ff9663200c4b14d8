"""Per-question predictions of `spare3d eval` (JSONL) as tables: accuracy, confusion, comparisons.

One line per question: {"id", "task", "split", "label", "pred", "scores": [4 floats], "correct"}.
Lines that do not fit are skipped and reported (file and line number); a file without one usable
line is an error. Scores are the model's per-choice logits; the confidence of a prediction is the
softmax probability of the chosen answer, p = exp(s_pred) / sum_j exp(s_j).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from spare3d.evaluate import confusion_matrix, wilson_interval

TASKS: tuple[str, ...] = ("t2i", "i2p", "p2i")
KEY: list[str] = ["task", "split", "id"]
COLUMNS: list[str] = KEY + ["label", "pred", "s0", "s1", "s2", "s3", "correct", "confidence"]


class PredictionError(ValueError):
    """A prediction file the app cannot use; str() is one line naming the file and the problem."""


@dataclass
class PredictionSet:
    """The usable rows of one prediction file (columns COLUMNS) and the problems of the skipped lines."""

    path: Path
    table: pd.DataFrame
    problems: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.path.name


def _label(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"{value!r} is not an answer index")
    index = int(value)
    if not 0 <= index <= 3:
        raise ValueError(f"{index} is not an answer index 0-3")
    return index


def parse_record(record: object) -> dict:
    """One validated row from a decoded JSON line; ValueError naming the first bad field."""
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    missing = [k for k in ("id", "task", "label", "pred", "scores") if k not in record]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    task = str(record["task"]).lower()
    if task not in TASKS:
        raise ValueError(f"task {record['task']!r} is not one of {', '.join(TASKS)}")
    scores = record["scores"]
    if not isinstance(scores, list) or len(scores) != 4:
        raise ValueError("scores must be a list of 4 numbers")
    if not all(isinstance(s, int | float) and not isinstance(s, bool) and math.isfinite(s) for s in scores):
        raise ValueError("scores must be finite numbers")
    try:
        label, pred = _label(record["label"]), _label(record["pred"])
    except (TypeError, ValueError) as exc:
        raise ValueError(f"label/pred: {exc}") from None
    s = np.asarray(scores, float)
    p = np.exp(s - s.max())
    row = {"task": task, "split": str(record.get("split", "test")), "id": str(record["id"])}
    row.update(label=label, pred=pred, s0=s[0], s1=s[1], s2=s[2], s3=s[3])
    row.update(correct=label == pred, confidence=float(p[pred] / p.sum()))
    return row


def load_predictions(path: Path) -> PredictionSet:
    """Read a predictions JSONL file; PredictionError when it is missing, unreadable or has no usable line.

    `correct` is recomputed as label == pred; a line whose stored `correct` disagrees is reported.
    A repeated (task, split, id) keeps the last line and is reported.
    """
    path = Path(path)
    if not path.is_file():
        raise PredictionError(f"{path}: no such prediction file")
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise PredictionError(f"{path}: cannot read ({exc})") from None
    rows, problems = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            row = parse_record(record)
        except json.JSONDecodeError as exc:
            problems.append(f"{path.name}:{number}: not valid JSON ({exc.msg})")
            continue
        except ValueError as exc:
            problems.append(f"{path.name}:{number}: {exc}")
            continue
        if "correct" in record and bool(record["correct"]) != row["correct"]:
            problems.append(f"{path.name}:{number}: 'correct' disagrees with label and pred (recomputed)")
        rows.append(row)
    if not rows:
        detail = f"; first problem: {problems[0]}" if problems else ""
        raise PredictionError(f"{path}: no usable prediction lines{detail}")
    table = pd.DataFrame(rows, columns=COLUMNS)
    duplicated = table.duplicated(KEY, keep="last")
    if duplicated.any():
        problems.append(f"{path.name}: {int(duplicated.sum())} repeated question ids (the last line is used)")
        table = table[~duplicated]
    return PredictionSet(path, table.reset_index(drop=True), problems)


def accuracy_table(sets: dict[str, pd.DataFrame], by: tuple[str, ...] = ("task", "split")) -> pd.DataFrame:
    """Accuracy per prediction file and group: columns file, *by, n, correct, accuracy, low, high.

    low, high: the 95% Wilson interval (spare3d.evaluate.wilson_interval, as `spare3d eval` prints).
    """
    rows = []
    for name, table in sets.items():
        for group, part in table.groupby(list(by), sort=True):
            values = group if isinstance(group, tuple) else (group,)
            n, k = len(part), int(part["correct"].sum())
            low, high = wilson_interval(k, n)
            rows.append(
                {
                    "file": name,
                    **dict(zip(by, values, strict=True)),
                    "n": n,
                    "correct": k,
                    "accuracy": k / n,
                    "low": low,
                    "high": high,
                }
            )
    return pd.DataFrame(rows, columns=["file", *by, "n", "correct", "accuracy", "low", "high"])


def confusion(table: pd.DataFrame) -> pd.DataFrame:
    """4 x 4 counts: rows = correct answer, columns = predicted answer."""
    counts = confusion_matrix(table["label"].to_numpy(int), table["pred"].to_numpy(int))
    return pd.DataFrame(
        counts, index=[f"label {i}" for i in range(4)], columns=[f"pred {i}" for i in range(4)]
    )


def compare(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Questions present in both tables: label, pred_a, pred_b, correct_a, correct_b, agree."""
    cols = KEY + ["label", "pred", "correct", "confidence"]
    merged = a[cols].merge(b[cols], on=KEY, suffixes=("_a", "_b"))
    label_mismatch = merged["label_a"] != merged["label_b"]
    merged = merged.rename(columns={"label_a": "label"}).drop(columns="label_b")
    merged["label_mismatch"] = label_mismatch
    merged["agree"] = merged["pred_a"] == merged["pred_b"]
    return merged


def agreement(merged: pd.DataFrame) -> pd.DataFrame:
    """2 x 2 counts of the compared questions: rows = A right/wrong, columns = B right/wrong."""
    counts = pd.crosstab(merged["correct_a"], merged["correct_b"]).reindex(
        index=[True, False], columns=[True, False], fill_value=0
    )
    counts.index = ["A right", "A wrong"]
    counts.columns = ["B right", "B wrong"]
    return counts


def mcnemar_p(merged: pd.DataFrame) -> float:
    """Exact two-sided McNemar p-value over the discordant questions (A right/B wrong vs A wrong/B right)."""
    from scipy.stats import binomtest

    b = int((merged["correct_a"] & ~merged["correct_b"]).sum())
    c = int((~merged["correct_a"] & merged["correct_b"]).sum())
    return 1.0 if b + c == 0 else float(binomtest(b, b + c, 0.5).pvalue)


def with_primitives(table: pd.DataFrame, counts: dict[str, int]) -> pd.DataFrame:
    """The table with an `n_primitives` column (nullable int; missing where the manifest has no count)."""
    out = table.copy()
    out["n_primitives"] = out["id"].map(counts).astype("Int64")
    return out


def accuracy_by_primitives(
    tables: dict[str, pd.DataFrame], counts: dict[str, dict[str, int]]
) -> pd.DataFrame:
    """Accuracy per file, task and number of primitives; `counts` maps task -> {question id: primitives}.

    Questions without a count are left out; an empty table when no question has one.
    """
    known = {}
    for name, table in tables.items():
        parts = [
            with_primitives(table[table["task"] == task], counts.get(task, {}))
            for task in table["task"].unique()
        ]
        joined = pd.concat(parts) if parts else table.assign(n_primitives=pd.Series(dtype="Int64"))
        joined = joined.dropna(subset=["n_primitives"])
        if not joined.empty:
            known[name] = joined.astype({"n_primitives": int})
    return accuracy_table(known, by=("task", "n_primitives"))


def score_long(table: pd.DataFrame) -> pd.DataFrame:
    """One row per (question, choice): score and role ('correct answer' or 'distractor')."""
    scores = table[["s0", "s1", "s2", "s3"]].to_numpy(float)
    labels = table["label"].to_numpy(int)
    is_answer = np.arange(4)[None, :] == labels[:, None]
    return pd.DataFrame(
        {
            "task": np.repeat(table["task"].to_numpy(), 4),
            "score": scores.ravel(),
            "role": np.where(is_answer.ravel(), "correct answer", "distractor"),
        }
    )


def filter_table(
    table: pd.DataFrame,
    outcome: str = "all",
    confidence: tuple[float, float] | None = None,
    primitives: tuple[int, int] | None = None,
) -> pd.DataFrame:
    """Rows by outcome ('all', 'correct', 'wrong'), confidence in [lo, hi] and n_primitives in [lo, hi].

    A filter given as None is not applied; rows lacking the filtered value (a question without a
    prediction, or without a primitive count) are dropped by the filters that need it.
    """
    keep = pd.Series(True, index=table.index)
    if outcome == "correct":
        keep &= table["correct"].eq(True)
    elif outcome == "wrong":
        keep &= table["correct"].eq(False)
    elif outcome != "all":
        raise ValueError(f"unknown outcome {outcome!r}")
    if confidence is not None:
        keep &= table["confidence"].between(*confidence).fillna(False).astype(bool)
    if primitives is not None:
        keep &= table["n_primitives"].between(*primitives).fillna(False).astype(bool)
    return table[keep]
