"""render.datasets.difficulty against drawings made in the test, and the difficulty records and filter of
builds."""

from __future__ import annotations

import json

import cv2
import numpy as np

from render.datasets.dataset import MANIFEST_FILE, DatasetConfig, build_dataset
from render.datasets.difficulty import (
    HIDDEN_ONLY_PIXELS,
    changed_pixels,
    distractor_changes,
    question_difficulty,
)

BLACK, RED = (0, 0, 0), (255, 0, 0)


def _drawing(lines: list[tuple[tuple[int, int], tuple[int, int], tuple[int, int, int]]]) -> np.ndarray:
    image = np.full((64, 64, 3), 255, np.uint8)
    for a, b, color in lines:
        cv2.line(image, a, b, color, 1)
    return image


ANSWER = [((10, 10), (50, 10), BLACK), ((10, 10), (10, 50), BLACK)]


def test_changed_pixels_forgive_one_pixel_and_count_the_rest():
    a = np.zeros((20, 20), bool)
    a[5, 2:12] = True
    assert changed_pixels(a, np.roll(a, 1, axis=0)) == 0  # one pixel off: the same line
    b = a.copy()
    b[15, 2:7] = True  # 5 new pixels far from any line
    assert changed_pixels(a, b) == 5 and changed_pixels(b, a) == 5


def test_hidden_only_distractor_changes_no_visible_pixel():
    answer = _drawing(ANSWER)
    hidden_only = _drawing([*ANSWER, ((20, 30), (50, 30), RED)])
    changes = distractor_changes(answer, hidden_only)
    assert changes["visible"] == 0 and changes["lines"] == 31  # the 31 pixels of the red line
    visible = _drawing([*ANSWER, ((20, 30), (50, 30), BLACK)])
    assert distractor_changes(answer, visible) == {"visible": 31, "lines": 31}


def test_question_class_follows_the_least_changed_distractor():
    answer = _drawing(ANSWER)
    far = _drawing([((10, 40), (50, 40), BLACK), ((40, 5), (40, 60), BLACK)])
    hidden_only = _drawing([*ANSWER, ((20, 30), (50, 30), RED)])
    clear = question_difficulty([far, answer, far, far], label=1)
    assert clear["class"] == "clear" and clear["min_visible"] > HIDDEN_ONLY_PIXELS
    assert len(clear["visible"]) == 3
    hard = question_difficulty([far, answer, hidden_only, far], label=1)
    assert hard["class"] == "hidden-only" and hard["visible"][1] == 0
    grid = [((5, y), (58, y), BLACK) for y in range(5, 60, 6)]  # 10 lines, 540 visible pixels
    small_cut = _drawing([*grid, ((20, 8), (34, 8), BLACK)])  # 15 new pixels: >= 10, under 5% of 540
    subtle = question_difficulty([_drawing(grid), small_cut, far, far], label=0)
    assert subtle["visible"][0] == 15 and subtle["class"] == "subtle"


def _records(out, **kw) -> list[dict]:
    config = DatasetConfig(task=kw.pop("task", "t2i"), csg=6, seed=3, size=64, primitives=(1, 3), **kw)
    build_dataset(config, out, workers=1, progress=False)
    return [m for m in json.loads((out / MANIFEST_FILE).read_text())["models"] if m["status"] == "ok"]


def test_builds_record_difficulty_and_the_filter_enforces_a_minimum_visible_change(tmp_path):
    default = _records(tmp_path / "default")
    assert default and all(len(r["difficulty"]["visible"]) == 3 for r in default)
    least = min(r["difficulty"]["min_visible"] for r in default)
    threshold = 40
    filtered = _records(tmp_path / "filtered", min_visible_change=threshold)
    assert filtered and all(r["difficulty"]["min_visible"] >= threshold for r in filtered)
    assert least < threshold  # the default set has distractors the filter would have redrawn
    pairs = _records(tmp_path / "pairs", task="pairs", min_visible_change=threshold)
    assert pairs and all(r["visible_change"] >= threshold for r in pairs)
