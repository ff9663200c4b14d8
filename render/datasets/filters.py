"""Quality filters of question sets: blank drawings, near-identical drawings, duplicate three-views.

Drawings are compared through their ink, 1 - gray / 255 (1 on a line, 0 on paper), gray being the
mean of the channels; a line pixel has ink > 0.5, i.e. for uint8 drawings gray <= 127 (channel sum
<= 382), computed once per drawing as a `LineMask` with its 3x3 dilation.
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
from dataclasses import dataclass

import cv2
import numpy as np

BLANK_INK_FRACTION = 0.25
NEAR_FRACTION = 0.005
SIGNATURE_SIZE = 16
SIGNATURE_DISTANCE = 0.05
_KERNEL = np.ones((3, 3), np.uint8)
_MEAN = np.full((1, 3), 1 / 3)


def ink(image: np.ndarray) -> np.ndarray:
    """Ink coverage in [0, 1] of an RGB or gray uint8 drawing (mean over channels)."""
    gray = image.mean(axis=2) if image.ndim == 3 else image
    return 1.0 - gray.astype(np.float32) / 255.0


def line_pixels(image: np.ndarray) -> np.ndarray:
    """Boolean mask of the line pixels (ink > 0.5) of an RGB or gray drawing."""
    if image.dtype != np.uint8 or image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] != 3):
        return ink(image) > 0.5
    # cv2's rounded uint8 mean of the channels is <= 127 exactly when their sum is <= 382 (the means
    # next to the 127.5 boundary are 127.33 and 127.67): the same pixels as ink > 0.5, 15x faster.
    gray = cv2.transform(image, _MEAN) if image.ndim == 3 else image
    return gray <= 127


@dataclass(frozen=True)
class LineMask:
    """A drawing's line pixels, their 3x3 dilation and their count, made once and compared many times."""

    pixels: np.ndarray
    dilated: np.ndarray
    count: int

    @classmethod
    def of(cls, image: np.ndarray) -> LineMask:
        pixels = line_pixels(image)
        dilated = cv2.dilate(pixels.view(np.uint8), _KERNEL).view(bool)
        return cls(pixels, dilated, int(np.count_nonzero(pixels)))


def is_blank(image: np.ndarray | LineMask) -> bool:
    mask = image if isinstance(image, LineMask) else LineMask.of(image)
    return mask.count < BLANK_INK_FRACTION * mask.pixels.shape[0]


def near_identical(a: np.ndarray | LineMask, b: np.ndarray | LineMask) -> bool:
    """Whether two drawings differ by at most NEAR_FRACTION of their line pixels beyond one pixel."""
    ma = a if isinstance(a, LineMask) else LineMask.of(a)
    mb = b if isinstance(b, LineMask) else LineMask.of(b)
    differing = np.count_nonzero(ma.pixels > mb.dilated) + np.count_nonzero(mb.pixels > ma.dilated)
    return differing <= NEAR_FRACTION * max(ma.count, mb.count, 1)


def near_identical_pairs(
    items: Mapping[str, Sequence[np.ndarray | LineMask]],
) -> list[tuple[str, str]]:
    """Pairs of named items (tuples of drawings) whose drawings are all pairwise near-identical."""
    masks = {
        name: [d if isinstance(d, LineMask) else LineMask.of(d) for d in drawings]
        for name, drawings in items.items()
    }
    names = list(masks)
    return [
        (x, y)
        for i, x in enumerate(names)
        for y in names[i + 1 :]
        if all(near_identical(a, b) for a, b in zip(masks[x], masks[y], strict=True))
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
