"""Question recipes: drawing only the views a question needs gives the same drawings and decisions."""

from __future__ import annotations

import numpy as np

from render.datasets.filters import ink, line_pixels
from render.datasets.questions import THREE, Drawer, _Drawn, _looks_same, distinct_objects
from render.lines.drawing import Frame
from render.models.csg import csg_model
from render.models.solid import Solid


def test_line_pixels_are_ink_over_one_half_for_every_colour_sum() -> None:
    sums = np.arange(766)
    rgb = np.stack([np.minimum(sums, 255), np.clip(sums - 255, 0, 255), np.clip(sums - 510, 0, 255)], -1)
    rgb = rgb.astype(np.uint8)[None]  # one pixel per channel sum 0..765; ink depends on the sum only
    np.testing.assert_array_equal(line_pixels(rgb), ink(rgb) > 0.5)
    assert line_pixels(rgb)[0].sum() == 383  # sums 0..382
    gray = np.arange(256, dtype=np.uint8)[None]
    np.testing.assert_array_equal(line_pixels(gray), ink(gray) > 0.5)
    np.testing.assert_array_equal(line_pixels(rgb[:, ::-2]), ink(rgb[:, ::-2]) > 0.5)  # a strided view


class FakeDrawer(Drawer):
    """Drawings looked up by (shape, view) in a table; every requested (shape, view) is recorded."""

    def __init__(self, table: dict[tuple[str, str], np.ndarray]) -> None:
        super().__init__()
        self.table, self.requests = table, []

    def __call__(self, shape, views, frame):
        self.requests += [(shape, v) for v in views]
        return {v: self.table[shape, v] for v in views}


def square(x: int) -> np.ndarray:
    image = np.full((32, 32, 3), 255, np.uint8)
    image[x : x + 10, x] = image[x : x + 10, x + 9] = image[x, x : x + 10] = image[x + 9, x : x + 10] = 0
    return image


def test_looks_same_draws_a_view_only_when_the_answer_depends_on_it() -> None:
    frame = Frame((0.0, 0.0, 0.0), 1.0)
    table = {("a", v): square(2) for v in ("2", *THREE)}
    table |= {("b", "2"): square(2), ("c", "2"): square(12), ("c", "f"): square(12)}
    table |= {("d", "2"): square(12)} | {("d", v): square(2) for v in THREE}
    draw = FakeDrawer(table)
    a = _Drawn("a")
    a.draw((*THREE, "2"), draw, frame)
    assert _looks_same(_Drawn("b"), a, draw, frame)  # same pose-2 drawing: nothing else drawn
    assert not _looks_same(_Drawn("c"), a, draw, frame)  # the front view tells them apart
    assert _looks_same(_Drawn("d"), a, draw, frame)  # same three views, drawn one by one
    assert [r for r in draw.requests if r[0] != "a"] == [
        ("b", "2"),
        ("c", "2"),
        ("c", "f"),
        ("d", "2"),
        ("d", "f"),
        ("d", "r"),
        ("d", "t"),
    ]


def test_distractors_drawn_in_part_match_drawings_of_all_views() -> None:
    csg = csg_model(np.random.default_rng(4), (2, 3))
    model = Solid(csg.shape, csg.mesh)
    bounds = model.bounds()
    frame = Frame.around(*bounds)
    lazy = distinct_objects(model, np.random.default_rng(9), 4, Drawer("poly", 48), frame, bounds, full=1)
    eager = distinct_objects(model, np.random.default_rng(9), 4, Drawer("poly", 48), frame, bounds)
    assert set(lazy[0]) == {*THREE, "2"} and all({"2", "f"} <= set(d) for d in lazy[1:])
    for part, whole in zip(lazy, eager, strict=True):
        assert set(part) <= set(whole)
        for view, image in part.items():
            np.testing.assert_array_equal(image, whole[view])
