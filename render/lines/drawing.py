"""2D line drawings: the polylines of one view, the square frame that fixes the scale, PNG and SVG.

Every renderer (exact HLR, polygonal HLR, mesh ray casting) produces `ViewLines` in image-plane
coordinates of its camera (model units, x right, y up). A `Frame` maps them to pixels; PNG and SVG
writers share that mapping, so both show the same lines at the same place. Line width is given in
output pixels and does not depend on the size of the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Literal

import cv2
import numpy as np

from render.lines.cameras import Camera

HiddenStyle = Literal["off", "dashed", "red"]
HIDDEN_STYLES: tuple[str, ...] = ("off", "dashed", "red")
SUPERSAMPLE = 4
DEFAULT_MARGIN = 1.7


@dataclass
class ViewLines:
    """Visible and hidden polylines of one view; each polyline is a (k, 2) float array, k >= 2."""

    visible: list[np.ndarray] = field(default_factory=list)
    hidden: list[np.ndarray] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not self.visible and not self.hidden


@dataclass(frozen=True)
class Frame:
    """A square view box of side `side` (model units) centred on the projection of `center`.

    SPARE3D draws every view and candidate of a question in one box of 1.7 x the largest bounding-box
    edge of the original model, so one frame is shared by all of them.
    """

    center: tuple[float, float, float]
    side: float

    @classmethod
    def around(cls, bbox_min: np.ndarray, bbox_max: np.ndarray, margin: float = DEFAULT_MARGIN) -> Frame:
        lo, hi = np.asarray(bbox_min, float), np.asarray(bbox_max, float)
        side = margin * float(np.max(hi - lo))
        if not side > 0:
            raise ValueError("empty bounding box")
        return cls(tuple(float(c) for c in (lo + hi) / 2), side)

    def to_pixels(self, points: np.ndarray, cam: Camera, size: int) -> np.ndarray:
        """Map (k, 2) image-plane points to pixel coordinates (column, row) in a size x size image."""
        c = cam.project(np.asarray(self.center))
        scale = size / self.side
        px = (points - c) * scale
        return np.stack([px[:, 0] + size / 2, size / 2 - px[:, 1]], axis=1)


def dash(polyline: np.ndarray, period: float, duty: float = 0.6) -> list[np.ndarray]:
    """Cut a polyline into dashes: `duty * period` drawn, the rest left out, measured along its length."""
    seg = np.diff(polyline, axis=0)
    s = np.concatenate([[0.0], np.cumsum(np.hypot(seg[:, 0], seg[:, 1]))])
    if s[-1] <= 0:
        return []
    starts = np.arange(0.0, s[-1], period)
    ends = np.minimum(starts + duty * period, s[-1])
    dashes = []
    for a, b in zip(starts, ends, strict=True):
        inner = (s > a) & (s < b)
        ts = np.concatenate([[a], s[inner], [b]])
        pts = np.stack([np.interp(ts, s, polyline[:, 0]), np.interp(ts, s, polyline[:, 1])], axis=1)
        dashes.append(pts)
    return dashes


def _pixel_polylines(lines: list[np.ndarray], frame: Frame, cam: Camera, size: int) -> list[np.ndarray]:
    lines = [p for p in lines if len(p) >= 2]
    if not lines:
        return []
    px = frame.to_pixels(np.concatenate(lines), cam, size)  # one mapping for all polylines
    return _split_like(px, lines)


def _split_like(points: np.ndarray, parts: list[np.ndarray]) -> list[np.ndarray]:
    """`points` cut into consecutive pieces as long as `parts` (np.split, without its per-piece cost)."""
    ends = np.cumsum([len(p) for p in parts]).tolist()
    return [points[i:j] for i, j in zip([0, *ends[:-1]], ends, strict=True)]


def _cv2_thickness(width: int) -> int:
    """cv2 draws thickness t >= 2 as 2 ceil(t / 2) + 1 pixels: the t that draws an odd `width`."""
    return 1 if width == 1 else width - 1


def _coverage(polylines: list[np.ndarray], size: int, line_width: float) -> np.ndarray:
    """(size, size) uint8 ink coverage (255 = full) of polylines (pixel coordinates), `line_width` px wide.

    cv2 strokes are an odd number of pixels wide, so a width w (supersampled pixels) between odd
    widths lo and lo + 2 is drawn as lo at full ink over lo + 2 at ink (w - lo) / 2: across the line
    the ink adds up to w exactly; then the canvas is area-averaged down.
    """
    s = SUPERSAMPLE
    canvas = np.zeros((size * s, size * s), np.uint8)
    if polylines:
        # One rounding for all polylines, split back (cv2 takes a list of int32 arrays).
        pts = _split_like(np.round(np.concatenate(polylines) * s).astype(np.int32), polylines)
        width = line_width * s
        if width <= 1:
            cv2.polylines(canvas, pts, False, round(255 * width), 1, cv2.LINE_8)
        else:
            lo = int(width) if int(width) % 2 else int(width) - 1
            frac = (width - lo) / 2
            if frac > 0:
                cv2.polylines(canvas, pts, False, round(255 * frac), _cv2_thickness(lo + 2), cv2.LINE_8)
            cv2.polylines(canvas, pts, False, 255, _cv2_thickness(lo), cv2.LINE_8)
    return cv2.resize(canvas, (size, size), interpolation=cv2.INTER_AREA)


def rasterize(
    lines: ViewLines,
    cam: Camera,
    frame: Frame,
    size: int = 200,
    line_width: float = 1.5,
    hidden: HiddenStyle = "off",
) -> np.ndarray:
    """Draw black visible lines (and optionally hidden ones) on white: a (size, size, 3) uint8 RGB image.

    Each kind of line is drawn as a coverage mask on a SUPERSAMPLE x canvas and area-averaged down,
    which antialiases it and allows fractional widths; the width in output pixels is `line_width`
    whatever the model's size. Hidden lines lie under the visible ones: 'red' draws them red at half
    width, 'dashed' draws them black, dashed, at the same width.
    """
    visible = _coverage(_pixel_polylines(lines.visible, frame, cam, size), size, line_width)
    if hidden == "off" or not lines.hidden:
        # White x (1 - ink) in whole grey levels: 255 - coverage, without the float compositing.
        return np.repeat((255 - visible)[..., None], 3, axis=2)
    px = _pixel_polylines(lines.hidden, frame, cam, size)
    if hidden == "red":
        ink, color = _coverage(px, size, line_width / 2), (255, 0, 0)
    else:
        period = max(4.0, 4 * line_width)
        ink, color = _coverage([d for p in px for d in dash(p, period)], size, line_width), (0, 0, 0)
    pair = ink.astype(np.intp) << 8 | visible  # index of (hidden, visible coverage) in a flat table
    channels = {c: _composite_table(c).take(pair) for c in set(color)}
    return np.stack([channels[c] for c in color], axis=2)


@cache
def _composite_table(color: int) -> np.ndarray:
    """(65536,) uint8, at 256 i + j: one channel of white paper under hidden ink of channel value
    `color` at coverage i under black visible ink at coverage j, round((255 + i/255 (color - 255))
    (1 - j/255)) in float32. A lookup per pixel is several times faster than compositing float images."""
    paper = np.float32(255.0)
    hidden = paper + np.arange(256, dtype=np.float32)[:, None] / 255 * (np.float32(color) - paper)
    return np.round(hidden * (1 - np.arange(256, dtype=np.float32)[None, :] / 255)).astype(np.uint8).ravel()


def to_svg(
    lines: ViewLines,
    cam: Camera,
    frame: Frame,
    size: int = 200,
    line_width: float = 1.5,
    hidden: HiddenStyle = "off",
) -> str:
    """The same drawing as `rasterize`, as an SVG document with non-scaling strokes in pixels."""

    def path(polylines: list[np.ndarray]) -> str:
        return " ".join(
            "M" + " L".join(f"{x:.2f},{y:.2f}" for x, y in p)
            for p in _pixel_polylines(polylines, frame, cam, size)
        )

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
        f'viewBox="0 0 {size} {size}">',
        f'<rect width="{size}" height="{size}" fill="white"/>',
    ]
    common = 'fill="none" stroke-linecap="round" stroke-linejoin="round" vector-effect="non-scaling-stroke"'
    if hidden != "off" and lines.hidden:
        if hidden == "red":
            parts.append(
                f'<path d="{path(lines.hidden)}" stroke="red" stroke-width="{line_width / 2:g}" {common}/>'
            )
        else:
            period = max(4.0, 4 * line_width)
            parts.append(
                f'<path d="{path(lines.hidden)}" stroke="black" stroke-width="{line_width:g}" '
                f'stroke-dasharray="{0.6 * period:g} {0.4 * period:g}" {common}/>'
            )
    parts.append(f'<path d="{path(lines.visible)}" stroke="black" stroke-width="{line_width:g}" {common}/>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def line_mask(image: np.ndarray, threshold: int = 128) -> np.ndarray:
    """(H, W) bool: the drawn pixels of a drawing on white (any channel darker than `threshold`)."""
    return image.min(axis=-1) < threshold if image.ndim == 3 else image < threshold


def line_iou(img_a: np.ndarray, img_b: np.ndarray, dilate: int = 1) -> float:
    """Pixel IoU |A & B| / |A | B| of the drawn pixels of two drawings, each dilated by `dilate` pixels.

    Dilation by a (2 dilate + 1)^2 square forgives sub-pixel offsets between two renderers of the same
    lines. Two blank drawings count as identical (IoU 1).
    """
    kernel = np.ones((2 * dilate + 1, 2 * dilate + 1), np.uint8)
    a, b = (cv2.dilate(line_mask(img).astype(np.uint8), kernel) > 0 for img in (img_a, img_b))
    union = np.count_nonzero(a | b)
    return float(np.count_nonzero(a & b) / union) if union else 1.0
