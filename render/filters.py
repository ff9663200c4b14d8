"""Quality filters of question sets: blank drawings, near-identical drawings, duplicate three-views.

Drawings are compared through their ink, 1 - gray / 255 (1 on a line, 0 on paper).
- blank: fewer than `BLANK_INK_FRACTION * size` ink pixels (ink > 0.5), i.e. less ink than one line a
  quarter of the image long.
- near-identical: the ink pixels of either image that are more than one pixel away from any ink pixel of
  the other (3x3 dilation) number at most `NEAR_FRACTION` of the larger ink count; identical geometry
  drawn twice gives 0.
- duplicate three-views across questions: each question's F, R, T are area-averaged to
  `SIGNATURE_SIZE`^2 ink maps and concatenated into a signature s; two questions are near-identical when
  ||s_a - s_b|| <= `SIGNATURE_DISTANCE` * sqrt((||s_a||^2 + ||s_b||^2) / 2), found by blocked Gram
  products so that thousands of questions cost seconds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import cv2
import numpy as np

BLANK_INK_FRACTION = 0.25
NEAR_FRACTION = 0.005
SIGNATURE_SIZE = 16
SIGNATURE_DISTANCE = 0.05
_KERNEL = np.ones((3, 3), np.uint8)


def ink(image: np.ndarray) -> np.ndarray:
    """Ink coverage in [0, 1] of an RGB or gray uint8 drawing (mean over channels)."""
    gray = image.mean(axis=2) if image.ndim == 3 else image
    return 1.0 - gray.astype(np.float32) / 255.0


def line_pixels(image: np.ndarray) -> np.ndarray:
    return ink(image) > 0.5


def is_blank(image: np.ndarray) -> bool:
    return int(line_pixels(image).sum()) < BLANK_INK_FRACTION * image.shape[0]


def near_identical(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two drawings differ by at most NEAR_FRACTION of their line pixels beyond one pixel."""
    ma, mb = line_pixels(a), line_pixels(b)
    da = cv2.dilate(ma.astype(np.uint8), _KERNEL).astype(bool)
    db = cv2.dilate(mb.astype(np.uint8), _KERNEL).astype(bool)
    differing = int((ma & ~db).sum() + (mb & ~da).sum())
    return differing <= NEAR_FRACTION * max(int(ma.sum()), int(mb.sum()), 1)


def near_identical_pairs(items: Mapping[str, Sequence[np.ndarray]]) -> list[tuple[str, str]]:
    """Pairs of named items (tuples of drawings) whose drawings are all pairwise near-identical."""
    names = list(items)
    return [
        (x, y)
        for i, x in enumerate(names)
        for y in names[i + 1 :]
        if all(near_identical(a, b) for a, b in zip(items[x], items[y], strict=True))
    ]


def signature(views: Sequence[np.ndarray]) -> np.ndarray:
    """uint8 signature of a question's three views: SIGNATURE_SIZE^2 area-averaged ink per view."""
    maps = [cv2.resize(ink(v), (SIGNATURE_SIZE, SIGNATURE_SIZE), interpolation=cv2.INTER_AREA) for v in views]
    return np.round(np.concatenate([m.ravel() for m in maps]) * 255).astype(np.uint8)


def duplicates(signatures: np.ndarray, block: int = 1024) -> dict[int, int]:
    """For each row that is near-identical to an earlier row: row -> the first such earlier row."""
    s = signatures.astype(np.float32) / 255.0
    sq = (s * s).sum(axis=1)
    found: dict[int, int] = {}
    for start in range(0, len(s), block):
        rows = slice(start, start + block)
        d2 = sq[rows, None] + sq[None, :] - 2.0 * s[rows] @ s.T
        limit = SIGNATURE_DISTANCE**2 * (sq[rows, None] + sq[None, :]) / 2
        close = (d2 <= limit + 1e-6) & (
            np.arange(len(s))[None, :] < np.arange(start, start + d2.shape[0])[:, None]
        )
        for r in np.flatnonzero(close.any(axis=1)):
            found[start + int(r)] = int(np.argmax(close[r]))
    return found
