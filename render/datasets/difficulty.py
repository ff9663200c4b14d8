"""How hard a T2I question is: how much each distractor's drawing differs from the answer's.

A distractor that differs from the answer only in hidden (red) lines can be told apart only by them;
one that changes many visible (black) pixels is easy. Per distractor, with line pixels as in
`render.datasets.filters` and visible pixels the black ones (every channel <= 127; red hidden lines have
R = 255):
- visible: visible pixels of either drawing farther than one pixel (3x3 dilation) from any visible pixel
  of the other, i.e. the visible-line pixels that changed;
- lines: the same count over all line pixels (visible and hidden).
A distractor is hidden-only when fewer than `HIDDEN_ONLY_PIXELS` visible pixels changed. The question's
difficulty class is decided by its least changed distractor: "hidden-only" when any distractor is,
otherwise "subtle" when the smallest visible change is under `SUBTLE_FRACTION` of the answer's visible
pixels, else "clear".
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from render.datasets.filters import line_pixels

HIDDEN_ONLY_PIXELS = 10
SUBTLE_FRACTION = 0.05
CLASSES: tuple[str, ...] = ("hidden-only", "subtle", "clear")
_KERNEL = np.ones((3, 3), np.uint8)


def visible_pixels(image: np.ndarray) -> np.ndarray:
    """Boolean mask of the black (visible-line) pixels of an RGB drawing."""
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"visible lines need an RGB drawing, got shape {image.shape}")
    # channel by channel: numpy's reduction over the last, 3-long axis is several times slower
    return np.maximum(np.maximum(image[..., 0], image[..., 1]), image[..., 2]) <= 127


def changed_pixels(a: np.ndarray, b: np.ndarray) -> int:
    """Pixels of masks a or b farther than one pixel from any pixel of the other mask."""
    grown_a, grown_b = (cv2.dilate(m.view(np.uint8), _KERNEL).view(bool) for m in (a, b))
    return int(np.count_nonzero(a & ~grown_b) + np.count_nonzero(b & ~grown_a))


def distractor_changes(answer: np.ndarray, distractor: np.ndarray) -> dict[str, int]:
    """{"visible": changed visible pixels, "lines": changed line pixels} between two RGB drawings."""
    return {
        "visible": changed_pixels(visible_pixels(answer), visible_pixels(distractor)),
        "lines": changed_pixels(line_pixels(answer), line_pixels(distractor)),
    }


def question_difficulty(candidates: Sequence[np.ndarray], label: int) -> dict:
    """Difficulty of a T2I question from its 4 RGB candidate drawings and the answer's position:
    {"visible": [...], "lines": [...]} per distractor in candidate order, "min_visible" and "class"."""
    answer = candidates[label]
    changes = [distractor_changes(answer, c) for j, c in enumerate(candidates) if j != label]
    visible = [c["visible"] for c in changes]
    least = min(visible)
    if least < HIDDEN_ONLY_PIXELS:
        grade = "hidden-only"
    elif least < SUBTLE_FRACTION * max(int(np.count_nonzero(visible_pixels(answer))), 1):
        grade = "subtle"
    else:
        grade = "clear"
    return {"visible": visible, "lines": [c["lines"] for c in changes], "min_visible": least, "class": grade}
