from __future__ import annotations

import numpy as np
import pytest

from render.lines.cameras import camera
from render.lines.drawing import rasterize
from render.lines.hlr import chain, exact_hlr, model_frame, poly_hlr

METHODS = [exact_hlr, poly_hlr]
SIZE = 200

# Box with minimum corner (1, -2, 3) and edges (2, 4, 6): which world axes each principal view shows
# horizontally (x right) and vertically (up), from the SPARE3D camera table.
CORNER, EDGES = np.array([1.0, -2.0, 3.0]), np.array([2.0, 4.0, 6.0])
AXES = {"f": (0, 2), "r": (1, 2), "t": (0, 1)}


def _outline_distance(cols: np.ndarray, rows: np.ndarray, rect: tuple[float, ...]) -> np.ndarray:
    """Distance of pixel centres to the outline of an axis-aligned rectangle (c0, r0, c1, r1)."""
    c0, r0, c1, r1 = rect
    dx = np.maximum.reduce([c0 - cols, cols - c1, np.zeros_like(cols)])
    dy = np.maximum.reduce([r0 - rows, rows - r1, np.zeros_like(rows)])
    outside = np.hypot(dx, dy)
    inside = np.minimum.reduce([cols - c0, c1 - cols, rows - r0, r1 - rows])
    return np.where(outside > 0, outside, np.abs(inside))


@pytest.mark.parametrize("hlr", METHODS)
@pytest.mark.parametrize("view", ["f", "r", "t"])
def test_box_edges_land_on_expected_pixels(make_box, hlr, view: str) -> None:
    box = make_box(tuple(CORNER), tuple(EDGES))
    frame = model_frame(box)
    image = rasterize(hlr(box, camera(view)), camera(view), frame, SIZE, line_width=1.0)
    h, v = AXES[view]
    scale = SIZE / frame.side  # = 200 / (1.7 * 6)
    centre = CORNER + EDGES / 2
    c0, c1 = SIZE / 2 + (np.array([CORNER[h], CORNER[h] + EDGES[h]]) - centre[h]) * scale
    r1, r0 = SIZE / 2 - (np.array([CORNER[v], CORNER[v] + EDGES[v]]) - centre[v]) * scale
    rows, cols = np.nonzero(image.min(axis=2) < 160)
    assert len(rows) > 0
    # Every dark pixel lies on the rectangle's outline ...
    assert _outline_distance(cols + 0.5, rows + 0.5, (c0, r0, c1, r1)).max() < 1.5
    # ... and the whole outline is drawn.
    t = np.linspace(0.02, 0.98, 50)
    samples = np.concatenate(
        [
            np.stack([c0 + t * (c1 - c0), np.full_like(t, r0)], 1),
            np.stack([c0 + t * (c1 - c0), np.full_like(t, r1)], 1),
            np.stack([np.full_like(t, c0), r0 + t * (r1 - r0)], 1),
            np.stack([np.full_like(t, c1), r0 + t * (r1 - r0)], 1),
        ]
    )
    gray = image.min(axis=2).astype(int)
    near = [gray[int(r) - 1 : int(r) + 2, int(c) - 1 : int(c) + 2].min() for c, r in samples]
    assert max(near) < 100


@pytest.mark.parametrize("hlr", METHODS)
def test_drilled_hole_is_hidden_in_front_view_and_visible_in_top_view(holed_box, hlr) -> None:
    front = hlr(holed_box, camera("f"))
    # Front view: the hole's silhouettes x = 1 and x = 3 run the full height, hidden.
    segs = np.concatenate([np.stack([p[:-1], p[1:]], axis=1) for p in front.hidden])
    for x in (1.0, 3.0):
        vertical = np.all(np.abs(segs[:, :, 0] - x) < 1e-3, axis=1)
        ys = segs[vertical][:, :, 1]
        assert ys.min() == pytest.approx(0.0, abs=1e-3) and ys.max() == pytest.approx(4.0, abs=1e-3)
        assert np.abs(ys[:, 1] - ys[:, 0]).sum() >= 4.0 - 1e-3
    # No visible line passes through the inside of the box's front face.
    pts = np.concatenate(front.visible)
    inner = (pts[:, 0] > 0.05) & (pts[:, 0] < 3.95) & (pts[:, 1] > 0.05) & (pts[:, 1] < 3.95)
    assert not inner.any()
    # Top view: the hole is a visible circle of radius 1 around (2, 2).
    top = hlr(holed_box, camera("t"))
    radius = [np.hypot(p[:, 0] - 2, p[:, 1] - 2) for p in top.visible]
    circle = np.concatenate([r for r in radius if r.max() < 1.5])
    assert circle.size >= 8 and np.allclose(circle, 1.0, atol=0.01)


def test_hole_pixels_red_when_hidden_shown_and_blank_when_off(holed_box) -> None:
    cam = camera("f")
    frame = model_frame(holed_box)
    lines = exact_hlr(holed_box, cam)
    col = int(SIZE / 2 + (1.0 - 2.0) * SIZE / frame.side)  # hole silhouette x = 1
    red = rasterize(lines, cam, frame, SIZE, line_width=2.0, hidden="red")
    off = rasterize(lines, cam, frame, SIZE, line_width=2.0, hidden="off")
    band = slice(SIZE // 2 - 20, SIZE // 2 + 20)
    strip_red, strip_off = red[band, col - 1 : col + 2], off[band, col - 1 : col + 2]
    assert (strip_off == 255).all()
    reddish = (strip_red[..., 0].astype(int) - strip_red[..., 1]) > 60
    assert reddish.any(axis=1).all()


def test_chain_joins_segments_in_either_direction() -> None:
    segs = np.array(
        [[[0, 0], [1, 0]], [[2, 0], [1, 0]], [[2, 0], [3, 0]], [[5, 5], [6, 6]], [[-1, 0], [5, 5]]], float
    )
    lines = chain(segs)
    assert [len(p) for p in lines] == [4, 3]
    np.testing.assert_array_equal(lines[0][:, 0], [0, 1, 2, 3])
    np.testing.assert_array_equal(lines[1], [[-1, 0], [5, 5], [6, 6]])
