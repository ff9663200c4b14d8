"""Tiny synthetic SPARE3D-layout sets drawn with cv2, easy enough for a tiny network to learn.

An "object" is one of 4 outline shapes; its F, R, T views and isometric drawings show that shape, and
the isometric drawing from pose k puts it at the k-th of 8 positions on a ring. So the matching
isometric (T2I, pairs) is the one with the views' shape, and the pose (I2P, P2I, poses) is where it is.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

SIZE = 32
N_SHAPES = 4
SPLIT_COUNTS = {"train": 24, "valid": 8, "test": 12}


def draw(shape: int, centre: tuple[int, int] = (16, 16), size: int = SIZE) -> np.ndarray:
    """White image with one black outline shape: 0 circle, 1 square, 2 triangle, 3 cross."""
    image = np.full((size, size, 3), 255, np.uint8)
    x, y = centre
    r = size // 5
    if shape == 0:
        cv2.circle(image, (x, y), r, (0, 0, 0), 2)
    elif shape == 1:
        cv2.rectangle(image, (x - r, y - r), (x + r, y + r), (0, 0, 0), 2)
    elif shape == 2:
        pts = np.array([[x, y - r], [x - r, y + r], [x + r, y + r]], np.int32)
        cv2.polylines(image, [pts], True, (0, 0, 0), 2)
    else:
        cv2.line(image, (x - r, y), (x + r, y), (0, 0, 0), 2)
        cv2.line(image, (x, y - r), (x, y + r), (0, 0, 0), 2)
    return image


def pose_centre(pose: int, size: int = SIZE) -> tuple[int, int]:
    """Centre of the shape in the isometric drawing from pose 1..8: a ring of 8 positions."""
    angle = 2 * np.pi * (pose - 1) / 8
    return int(size / 2 + size / 4 * np.cos(angle)), int(size / 2 + size / 4 * np.sin(angle))


def _write(path: Path, image: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), image)


def _views(folder: Path, qid: str, shape: int, suffix: str = "") -> None:
    for view in ("f", "r", "t"):
        _write(folder / f"{qid}_{view}{suffix}.png", draw(shape))


def make_set(root: Path, kind: str, seed: int = 0, string_labels: bool = False) -> Path:
    """Write root/<split>/... for one kind in the SPARE3D layout; returns root."""
    rng = np.random.default_rng(seed)
    for split, count in SPLIT_COUNTS.items():
        answers: dict[str, int | str] = {}
        for i in range(count):
            qid = f"{split}{i:03d}"
            folder = root / split / qid
            shape = int(rng.integers(N_SHAPES))
            if kind == "pairs":
                other = int((shape + rng.integers(1, N_SHAPES)) % N_SHAPES)
                for side, s in (("left", shape), ("right", other)):
                    _views(folder, qid, s, side)
                    _write(folder / f"isometric_{side}.png", draw(s, pose_centre(2)))
                continue
            _views(folder, qid, shape)
            label = i % 4
            if kind == "poses":
                for pose in range(1, 9):
                    _write(folder / f"{pose}.png", draw(shape, pose_centre(pose)))
                continue
            if kind == "t2i":
                others = [s for s in rng.permutation(N_SHAPES) if s != shape][:3]
                shapes = others[:label] + [shape] + others[label:]
                for c, s in enumerate(shapes):
                    _write(folder / f"{c}.png", draw(int(s), pose_centre(2)))
            elif kind == "i2p":
                _write(folder / "answer.png", draw(shape, pose_centre((1, 2, 5, 6)[label])))
            elif kind == "p2i":
                poses = [int(p) + 1 for p in rng.permutation(8)[:4]]
                for c, pose in enumerate(poses):
                    _write(folder / f"{c}.png", draw(shape, pose_centre(pose)))
                (folder / f"pose_{poses[label]}.txt").write_text("")
            answers[qid] = str(label) if string_labels else label
        if kind not in ("pairs", "poses"):
            (root / split / "answer.json").write_text(json.dumps(answers))
    return root


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny networks on a shared 2-core machine: one intra-op thread is ~30x faster than two when
    other processes hold the cores (OpenMP threads wait on each other); restored afterwards."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def data_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ROOT/{pairs,poses,t2i,i2p,p2i}/{train,valid,test} of synthetic drawings."""
    root = tmp_path_factory.mktemp("spare3d_data")
    for seed, kind in enumerate(("pairs", "poses", "t2i", "i2p", "p2i")):
        make_set(root / kind, kind, seed=seed)
    return root


@pytest.fixture
def synthetic():
    """The generator functions (make_set, draw) for tests that build their own variants."""
    return make_set, draw
