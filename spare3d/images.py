"""Reading line drawings as grayscale uint8 arrays and turning batches of them into network input."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import torch

from spare3d.layout import LayoutError


def read_gray(path: Path, size: int) -> np.ndarray:
    """A drawing as a (size, size) uint8 grayscale array (area interpolation when resizing)."""
    image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if image is None:
        raise LayoutError(path, "cannot read image")
    return fit(image, size)


def fit(image: np.ndarray, size: int) -> np.ndarray:
    """Resize a (H, W) uint8 image to (size, size); area interpolation keeps thin lines visible."""
    if image.shape == (size, size):
        return image
    return cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA)


INK: tuple[float, float] = (1.0, -1.0)
SSLCORE_LINE_DRAWING: tuple[float, float] = (0.5, 0.5)


def to_input(images: torch.Tensor, mean: float = INK[0], std: float = INK[1]) -> torch.Tensor:
    """uint8 drawings (black lines on white) -> (x / 255 - mean) / std.

    The default (mean 1, std -1) gives ink maps 1 - x / 255 (lines 1, background 0): the empty
    background at zero is what zero padding in the encoders assumes. Encoders taken from an sslcore
    export use that export's statistics (line-drawing preset: 0.5, 0.5, i.e. background +1, lines -1).
    """
    return (images.float() / 255.0 - mean) / std
