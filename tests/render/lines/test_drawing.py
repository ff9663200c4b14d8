from __future__ import annotations

import re

import numpy as np
import pytest

from render.lines.cameras import camera
from render.lines.drawing import Frame, ViewLines, dash, rasterize, to_svg

SIZE = 100
FRONT = camera("f")
FRAME = Frame((0.0, 0.0, 0.0), 2.0)  # 50 px per model unit at 100 px


def _darkness(image: np.ndarray) -> np.ndarray:
    return (255 - image.min(axis=2).astype(float)) / 255


def test_line_lands_where_the_frame_maps_it() -> None:
    # Front view: image x = world x, image up = world z; x in [-0.5, 0.5] at z = 0.25.
    lines = ViewLines(visible=[np.array([[-0.5, 0.25], [0.5, 0.25]])])
    dark = _darkness(rasterize(lines, FRONT, FRAME, SIZE, line_width=1.0)) > 0.5
    rows, cols = np.nonzero(dark)
    assert set(rows) == {37}  # 50 - 0.25 * 50 = 37.5 -> pixel row 37
    assert cols.min() in (24, 25) and cols.max() in (74, 75)  # round caps reach half a width out


@pytest.mark.parametrize("width", [1.0, 2.0, 3.0, 5.0])
def test_stroke_thickness_in_pixels_equals_line_width(width: float) -> None:
    lines = ViewLines(visible=[np.array([[0.1, -0.8], [0.1, 0.8]])])
    ink = _darkness(rasterize(lines, FRONT, FRAME, SIZE, line_width=width))
    thickness = ink[30:70].sum(axis=1)  # ink across each row crossing the vertical line
    np.testing.assert_allclose(thickness, width, atol=0.15)


def test_hidden_lines_red_under_visible_or_dashed_or_off() -> None:
    shared = np.array([[-0.8, 0.0], [0.8, 0.0]])
    hidden_only = np.array([[-0.8, -0.5], [0.8, -0.5]])
    lines = ViewLines(visible=[shared], hidden=[shared, hidden_only])
    red = rasterize(lines, FRONT, FRAME, SIZE, line_width=2.0, hidden="red")
    row_shared, row_hidden = 50, 75  # z = 0 and z = -0.5
    assert (red[row_shared - 1 : row_shared + 1, 20:80] < 60).all()  # black wins where both lie
    strip = red[row_hidden - 1 : row_hidden + 1, 20:80].astype(int)
    assert ((strip[..., 0] - strip[..., 1]).max(axis=0) > 100).all()  # red, continuous
    off = rasterize(lines, FRONT, FRAME, SIZE, line_width=2.0, hidden="off")
    assert (off[row_hidden - 2 : row_hidden + 2] == 255).all()
    dashed = _darkness(rasterize(lines, FRONT, FRAME, SIZE, line_width=2.0, hidden="dashed"))
    covered = dashed[row_hidden - 2 : row_hidden + 2, 15:85].max(axis=0) > 0.5
    dashes = np.count_nonzero(np.diff(covered.astype(int)) == 1) + covered[0]
    assert dashes == pytest.approx(70 / 8, abs=1.5)  # one dash per period of 4 x line width


def test_dash_splits_a_polyline_by_length() -> None:
    line = np.array([[0.0, 0.0], [10.0, 0.0]])
    dashes = dash(line, period=4.0, duty=0.5)
    np.testing.assert_allclose([d[0, 0] for d in dashes], [0, 4, 8])
    np.testing.assert_allclose([d[-1, 0] for d in dashes], [2, 6, 10])
    corner = dash(np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]]), period=4.0, duty=0.5)
    np.testing.assert_allclose(corner[0], [[0, 0], [1, 0], [1, 1]])


def test_svg_paths_match_pixel_mapping_and_keep_stroke_width() -> None:
    lines = ViewLines(visible=[np.array([[-0.5, 0.25], [0.5, 0.25]])], hidden=[np.array([[0, 0], [0, 1.0]])])
    svg = to_svg(lines, FRONT, FRAME, SIZE, line_width=2.5, hidden="dashed")
    paths = re.findall(r'<path d="([^"]*)" stroke="(\w+)" stroke-width="([\d.]+)"', svg)
    assert [(p[1], p[2]) for p in paths] == [("black", "2.5"), ("black", "2.5")]
    assert paths[1][0] == "M25.00,37.50 L75.00,37.50"
    assert paths[0][0] == "M50.00,50.00 L50.00,0.00"
    assert 'stroke-dasharray="6 4"' in svg and "non-scaling-stroke" in svg
    assert f'width="{SIZE}" height="{SIZE}"' in svg
