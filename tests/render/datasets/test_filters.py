"""Quality filters: blank drawings, near-identical drawings, duplicate three-views across questions."""

from __future__ import annotations

import cv2
import numpy as np

from render.datasets.dataset import problems
from render.datasets.filters import duplicates, is_blank, near_identical, near_identical_pairs, signature
from render.datasets.questions import Question


def drawing(shapes: list[tuple[int, int, int, int]], size: int = 64) -> np.ndarray:
    image = np.full((size, size, 3), 255, np.uint8)
    for x0, y0, x1, y1 in shapes:
        cv2.rectangle(image, (x0, y0), (x1, y1), (0, 0, 0), 1)
    return image


def test_blank_and_near_blank() -> None:
    assert is_blank(drawing([]))
    assert is_blank(drawing([(10, 10, 12, 11)]))  # 6 line pixels < 64 / 4
    assert not is_blank(drawing([(10, 10, 40, 40)]))


def test_near_identical() -> None:
    a = drawing([(10, 10, 40, 40)])
    assert near_identical(a, a.copy())
    shifted = drawing([(11, 10, 41, 40)])  # one pixel over: within the 1-px tolerance
    assert near_identical(a, shifted)
    assert not near_identical(a, drawing([(10, 10, 40, 40), (20, 20, 30, 30)]))
    assert not near_identical(a, drawing([(10, 10, 50, 50)]))


def test_near_identical_pairs_need_all_views_alike() -> None:
    a, b = drawing([(10, 10, 40, 40)]), drawing([(5, 5, 20, 50)])
    items = {"x": (a, a), "y": (a, b), "z": (a.copy(), a.copy())}
    assert near_identical_pairs(items) == [("x", "z")]


def test_problems_catch_planted_blank_and_duplicate_candidates() -> None:
    a, b, c = drawing([(10, 10, 40, 40)]), drawing([(5, 5, 20, 50)]), drawing([(2, 30, 60, 40)])
    question = Question(
        images={
            "q_f.png": a,
            "q_r.png": drawing([]),
            "q_t.png": b,
            "0.png": a,
            "1.png": b,
            "2.png": c,
            "3.png": b,
        },
        label=0,
        three_views=("q_f.png", "q_r.png", "q_t.png"),
        distinct=[("identical candidates", {f"{j}.png": (im,) for j, im in enumerate([a, b, c, b])})],
    )
    assert problems(question) == ["blank drawing q_r.png", "identical candidates: 1.png ~ 3.png"]
    question.images["q_r.png"] = c
    question.distinct[0][1]["3.png"] = (drawing([(30, 3, 60, 20)]),)
    assert problems(question) == []


def test_duplicate_three_views_across_questions() -> None:
    rng = np.random.default_rng(0)
    views = [
        [
            drawing([tuple(sorted(rng.integers(0, 64, 2))) + tuple(sorted(rng.integers(0, 64, 2)))])
            for _ in range(3)
        ]
        for _ in range(6)
    ]
    sigs = [signature(v) for v in views]
    sigs.insert(4, sigs[1].copy())  # question 4 repeats question 1's three views
    sigs.append(signature([v.copy() for v in views[2]]))  # the last one repeats question 2
    assert duplicates(np.stack(sigs), block=3) == {4: 1, 7: 2}
