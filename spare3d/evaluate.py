"""Answering questions and scoring the answers: accuracy with a Wilson 95% interval, confusion matrix,
and per-question predictions as JSONL (the format the app reads), one line per question:

    {"id": str, "task": "t2i"|"i2p"|"p2i", "split": str, "label": int, "pred": int,
     "scores": [float x4], "correct": bool}

Accuracy is also broken down by question attributes: the number of CSG primitives (from the set's
manifest.json, when there is one) and, for T2I, the difficulty class (`render.datasets.difficulty`: the record
in the manifest, or computed from the candidate drawings for sets without one, e.g. released data).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import torch
from torch.utils.data import DataLoader
from tqdm import tqdm

from render.datasets.difficulty import question_difficulty
from spare3d.datasets import DrawingSet, to_device
from spare3d.layout import LayoutError
from spare3d.models import ReasoningNet
from sslcore.checkpoint import atomic_write
from sslcore.runtime import autocast


def wilson_interval(correct: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score interval for a proportion k/n:
    (p + z^2/2n -+ z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n); (0, 1) when n = 0."""
    if n == 0:
        return 0.0, 1.0
    p = correct / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # exactly 0 (1) at k = 0 (n); in floating point centre - half can land an ulp above p there
    return min(p, max(0.0, centre - half)), max(p, min(1.0, centre + half))


def confusion_matrix(labels: np.ndarray, preds: np.ndarray, n: int = 4) -> np.ndarray:
    """(n, n) counts: rows = true label, columns = prediction."""
    return np.bincount(labels * n + preds, minlength=n * n).reshape(n, n)


@dataclass
class Evaluation:
    """Scores (N, 4) and labels (N,) of one task on one split, with the question ids."""

    task: str
    split: str
    ids: list[str]
    labels: np.ndarray
    scores: np.ndarray
    attributes: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def preds(self) -> np.ndarray:
        return self.scores.argmax(1)

    def summary(self) -> dict:
        correct = int((self.preds == self.labels).sum())
        n = len(self.labels)
        low, high = wilson_interval(correct, n)
        return {
            "task": self.task,
            "split": self.split,
            "n": n,
            "correct": correct,
            "accuracy": correct / n if n else 0.0,
            "ci_low": low,
            "ci_high": high,
            "confusion": confusion_matrix(self.labels, self.preds).tolist(),
            **{f"by_{name}": self.breakdown(name) for name in sorted(self.attributes)},
        }

    def breakdown(self, attribute: str) -> dict[str, dict]:
        """{value: {n, correct, accuracy, ci_low, ci_high}} over the questions grouped by an attribute."""
        values = self.attributes[attribute]
        groups: dict[str, list[bool]] = {}
        for qid, ok in zip(self.ids, self.preds == self.labels, strict=True):
            if qid in values:
                groups.setdefault(values[qid], []).append(bool(ok))
        out = {}
        for value, oks in sorted(groups.items()):
            low, high = wilson_interval(sum(oks), len(oks))
            out[value] = {
                "n": len(oks),
                "correct": sum(oks),
                "accuracy": sum(oks) / len(oks),
                "ci_low": low,
                "ci_high": high,
            }
        return out

    def write_jsonl(self, path: Path) -> Path:
        """Per-question predictions, written atomically."""
        lines = [
            json.dumps(
                {
                    "id": qid,
                    "task": self.task,
                    "split": self.split,
                    "label": int(label),
                    "pred": int(pred),
                    "scores": [float(s) for s in scores],
                    "correct": bool(label == pred),
                }
            )
            for qid, label, pred, scores in zip(self.ids, self.labels, self.preds, self.scores, strict=True)
        ]
        return atomic_write(path, lambda tmp: Path(tmp).write_text("\n".join(lines) + "\n"))


def _read_rgb(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise LayoutError(path, "cannot read image")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def _manifest_questions(split_dir: Path) -> dict[str, dict]:
    """The per-question records of the manifest.json beside a split ({} for sets without one)."""
    path = split_dir.parent / "manifest.json"
    if not path.is_file():
        return {}
    try:
        questions = json.loads(path.read_text())["questions"]
    except (json.JSONDecodeError, KeyError, TypeError):
        raise LayoutError(path, "not a render dataset manifest (no per-question records)") from None
    return questions


def question_attributes(dataset: DrawingSet, task: str) -> dict[str, dict[str, str]]:
    """{"primitives": {id: count}, "difficulty": {id: class}} of the questions of a split (see above)."""
    records = _manifest_questions(dataset.split_dir)
    attributes: dict[str, dict[str, str]] = {}
    primitives = {
        q.id: str(records[q.id]["n_primitives"])
        for q in dataset.questions
        if records.get(q.id, {}).get("n_primitives") is not None
    }
    if primitives:
        attributes["primitives"] = primitives
    if task == "t2i":
        attributes["difficulty"] = {
            q.id: records.get(q.id, {}).get("difficulty", {}).get("class")
            or question_difficulty([_read_rgb(f) for f in q.files[3:7]], q.label)["class"]
            for q in dataset.questions
        }
    return attributes


@torch.no_grad()
def evaluate(
    net: ReasoningNet,
    dataset: DrawingSet,
    task: str,
    split: str,
    device: torch.device,
    batch_size: int = 32,
    workers: int = 0,
    precision: str = "auto",
) -> Evaluation:
    """Score every question of `dataset` with `net` (eval mode); the answer is the argmax of 4 scores."""
    net.eval()
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=False, num_workers=workers)
    scores, labels = [], []
    for batch in tqdm(loader, desc=f"eval {task} {split}", leave=False, disable=None):
        batch = to_device(batch, device, net.config.input_mean, net.config.input_std)
        with autocast(device, precision):
            scores.append(net.score(task, batch).float().cpu())
        labels.append(batch["label"].cpu())
    return Evaluation(
        task,
        split,
        dataset.ids,
        torch.cat(labels).numpy(),
        torch.cat(scores).numpy(),
        question_attributes(dataset, task),
    )
