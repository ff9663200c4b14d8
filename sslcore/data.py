"""Image folders as uint8 tensors: any folder of images (recursive), labels from sub-folder names.

``ImageFolder(root, size, channels=None)`` finds every image under ``root`` (png, jpg, jpeg, bmp, tif,
tiff, webp; hidden files skipped), sorted by path. When every image sits in a first-level sub-folder and
there are at least two of them, the sub-folder name is the label (``class_names`` sorted); otherwise the
set is unlabelled (label -1). A dataset written by ``render`` is such a folder of PNGs. Images decode
with OpenCV: alpha is composited onto white, 16-bit is scaled to 8-bit, the shorter side is resized to
``size`` (area interpolation when shrinking) and the centre is cropped to ``size x size``.
``channels=None`` picks 1 when the first images are grey (R = G = B), else 3.

``images()`` decodes everything into one (N, C, size, size) uint8 tensor (threads; OpenCV releases the
GIL) so that training batches are plain indexing. An empty folder or an unreadable image raises
``SSLCoreError`` with one line naming the folder or file.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset
from tqdm import tqdm

from sslcore.errors import SSLCoreError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"}


def find_images(root: Path) -> list[Path]:
    if not root.is_dir():
        raise SSLCoreError(f"data {root}: not a folder")
    paths = sorted(
        Path(d) / f
        for d, dirs, files in os.walk(root)
        for f in files
        if Path(f).suffix.lower() in IMAGE_SUFFIXES and not f.startswith(".")
    )
    if not paths:
        raise SSLCoreError(f"data {root}: no images found (looked for {', '.join(sorted(IMAGE_SUFFIXES))})")
    return paths


def folder_labels(root: Path, paths: list[Path]) -> tuple[list[int] | None, list[str]]:
    """Labels from first-level sub-folder names, or (None, []) when the set is not laid out by class."""
    parts = [p.relative_to(root).parts for p in paths]
    if any(len(q) < 2 for q in parts):
        return None, []
    names = sorted({q[0] for q in parts})
    if len(names) < 2:
        return None, []
    index = {n: i for i, n in enumerate(names)}
    return [index[q[0]] for q in parts], names


def read_image(path: Path) -> np.ndarray:
    """Decode ``path`` to (H, W) grey or (H, W, 3) RGB uint8, alpha composited onto white."""
    img = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if img is None or img.size == 0:
        raise SSLCoreError(f"image {path}: unreadable or not an image")
    if img.dtype == np.uint16:
        img = (img // 257).astype(np.uint8)
    elif img.dtype != np.uint8:
        img = cv2.normalize(img, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    if img.ndim == 3 and img.shape[2] == 4:
        alpha = img[:, :, 3:].astype(np.float32) / 255
        img = (img[:, :, :3] * alpha + 255 * (1 - alpha)).round().astype(np.uint8)
    if img.ndim == 3 and img.shape[2] == 3:
        img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    elif img.ndim == 3:
        img = img[:, :, 0]
    return img


def is_grey(img: np.ndarray) -> bool:
    return img.ndim == 2 or bool((img == img[:, :, :1]).all())


def fit_square(img: np.ndarray, size: int, channels: int) -> np.ndarray:
    """Resize the shorter side to ``size``, centre-crop, convert to ``channels`` -> (C, size, size)."""
    h, w = img.shape[:2]
    scale = size / min(h, w)
    nh, nw = max(size, round(h * scale)), max(size, round(w * scale))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    img = cv2.resize(img, (nw, nh), interpolation=interp)
    top, left = (nh - size) // 2, (nw - size) // 2
    img = img[top : top + size, left : left + size]
    if channels == 1 and img.ndim == 3:
        img = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    elif channels == 3 and img.ndim == 2:
        img = np.repeat(img[:, :, None], 3, axis=2)
    return img[None] if img.ndim == 2 else img.transpose(2, 0, 1)


class ImageFolder(Dataset):
    """Images under ``root`` as (uint8 (C, size, size) tensor, label) pairs."""

    def __init__(
        self, root: str | os.PathLike, size: int, channels: int | None = None, probe: int = 8
    ) -> None:
        self.root = Path(root)
        self.size = size
        self.paths = find_images(self.root)
        labels, self.class_names = folder_labels(self.root, self.paths)
        self.labels = torch.tensor(labels if labels is not None else [-1] * len(self.paths))
        if channels is None:
            channels = 1 if all(is_grey(read_image(p)) for p in self.paths[:probe]) else 3
        self.channels = channels
        self._cache: torch.Tensor | None = None

    @property
    def has_labels(self) -> bool:
        return bool(self.class_names)

    def __len__(self) -> int:
        return len(self.paths)

    def load(self, i: int) -> torch.Tensor:
        return torch.from_numpy(
            np.ascontiguousarray(fit_square(read_image(self.paths[i]), self.size, self.channels))
        )

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        image = self._cache[i] if self._cache is not None else self.load(i)
        return image, int(self.labels[i])

    def images(self, threads: int = 2, progress: bool = True) -> torch.Tensor:
        """All images decoded into one (N, C, size, size) uint8 tensor (kept for later calls)."""
        if self._cache is None:
            out = torch.empty(len(self), self.channels, self.size, self.size, dtype=torch.uint8)
            with ThreadPoolExecutor(threads) as pool:
                todo = pool.map(lambda i: out.__setitem__(i, self.load(i)), range(len(self)))
                for _ in tqdm(todo, total=len(self), desc="decode images", disable=not progress, leave=False):
                    pass
            self._cache = out
        return self._cache
