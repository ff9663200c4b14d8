"""The hull networks learn from their pretexts on real (tiny) CSG question sets, in seconds.

Unlike the synthetic sets of conftest.py, the views here are projections of one solid, so the edge
hull is meaningful: a few pretext steps must take the hull pose network from chance (25%) to most I2P
and P2I questions right, and the hull matcher's pairs pretext above chance on T2I.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

from spare3d.checkpoint import load_model
from spare3d.datasets import DrawingSet
from spare3d.evaluate import evaluate
from spare3d.models import NetConfig, build_model, training_defaults
from spare3d.train import TrainSettings, fit

SIZE = 32


@pytest.fixture(scope="module")
def csg_root(tmp_path_factory) -> Path:
    """poses, i2p, p2i, pairs and t2i sets of 60 generated models at 32 px, most of them for testing."""
    root = tmp_path_factory.mktemp("csg_sets")
    for kind in ("poses", "i2p", "p2i", "pairs", "t2i"):
        done = subprocess.run(
            [sys.executable, "-c", "from render.cli import main; main()", "dataset", "--task", kind,
             "--csg", "60", "--primitives", "3-5", "--size", str(SIZE), "--seed", "1",
             "--split", "0.4,0.1,0.5", "--workers", "1", "-o", str(root / kind)],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-2000:]
    return root


def _train(model: str, kind: str, root: Path, out: Path, epochs: int) -> torch.nn.Module:
    torch.manual_seed(0)
    defaults = training_defaults(model)
    config = NetConfig(
        model,
        task="t2i" if kind == "pairs" else "i2p",
        width=8,
        image_size=SIZE,
        pretext_loss=defaults["pretext_loss"],
        negatives=defaults["negatives"],
    )
    net = build_model(config)
    train = DrawingSet.open(root, kind, "train", SIZE)
    settings = TrainSettings(epochs=epochs, batch_size=4, lr=defaults["lr"], precision="fp32", augment=True)
    best = fit(net, kind, train, None, out, settings, torch.device("cpu"))
    return load_model(best)[0]


def _accuracy(net: torch.nn.Module, root: Path, task: str) -> tuple[float, int]:
    questions = DrawingSet.open(root, task, "test", SIZE)
    summary = evaluate(net, questions, task, "test", torch.device("cpu"), precision="fp32").summary()
    return summary["accuracy"], summary["n"]


def test_hull_pose_pretext_answers_i2p_and_p2i(csg_root, tmp_path):
    net = _train("hull-pose", "poses", csg_root, tmp_path, epochs=1)
    for task in ("i2p", "p2i"):
        accuracy, n = _accuracy(net, csg_root, task)
        assert n >= 15 and accuracy >= 0.6, (task, accuracy, n)


def test_hull_matcher_pairs_pretext_beats_chance_on_t2i(csg_root, tmp_path):
    net = _train("hull-matcher", "pairs", csg_root, tmp_path, epochs=8)
    accuracy, n = _accuracy(net, csg_root, "t2i")
    assert n >= 15 and accuracy >= 0.4, (accuracy, n)
