"""Answering questions and scoring the answers: accuracy with a Wilson 95% interval, confusion matrix,
and per-question predictions as JSONL (the format the app reads), one line per question:

    {"id": str, "task": "t2i"|"i2p"|"p2i", "split": str, "label": int, "pred": int,
     "scores": [float x4], "correct": bool}
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader
from tqdm import tqdm

from spare3d.datasets import DrawingSet, to_device
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
    return max(0.0, centre - half), min(1.0, centre + half)


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
        }

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
    return Evaluation(task, split, dataset.ids, torch.cat(labels).numpy(), torch.cat(scores).numpy())
