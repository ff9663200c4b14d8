"""A tiny labelled folder of line drawings (three shape classes) for engine and CLI tests."""

import socket
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch


@pytest.fixture(autouse=True, scope="session")
def one_thread():
    """One intra-op thread: on a shared 2-core machine OpenMP spinning makes 2 threads ~20x slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def draw_folder(root: Path, per_class: int = 8, size: int = 24, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    for name in ("circle", "box", "line"):
        (root / name).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            img = np.full((size, size), 255, np.uint8)
            a, b = (int(v) for v in rng.integers(3, 8, size=2))
            if name == "circle":
                cv2.circle(img, (size // 2, size // 2), a + 2, 0, 1)
            elif name == "box":
                cv2.rectangle(img, (a, b), (size - a, size - b), 0, 1)
            else:
                cv2.line(img, (a, b), (size - b, size - a), 0, 1)
            cv2.imwrite(str(root / name / f"{i}.png"), img)
    return root


@pytest.fixture
def free_port() -> int:
    """A free TCP port on localhost for a gloo process group."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def line_folder(tmp_path: Path) -> Path:
    return draw_folder(tmp_path / "data")
