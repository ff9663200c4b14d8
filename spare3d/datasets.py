"""PyTorch datasets over question sets (t2i, i2p, p2i) and pretext sets (pairs, poses).

Items are dicts of uint8 image tensors (collated cheaply, converted on the device by `to_device`):

- t2i:   views (3, H, W) = F, R, T; candidates (4, H, W); label in 0..3
- p2i:   as t2i plus pose = k - 1 (k in 1..8)
- i2p:   views (3, H, W); iso (H, W); label in 0..3 (poses 1, 2, 5, 6)
- pairs: views (2, 3, H, W) and iso (2, H, W) for the two objects (left, right): views i match iso i
- poses: one item per (model, pose): views (3, H, W); iso (H, W); label = pose - 1

When `render pack` output exists beside the split (DATA/packed/<split>, render.datasets.pack), images come
from its memory-mapped array instead of PNG files; its question ids must equal the split folder's.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from render.datasets.pack import INDEX_FILE, PACKED_DIR, PackedSplit, PackError, open_packed
from spare3d.images import INK, fit, read_gray, to_input
from spare3d.layout import (
    QUESTION_KINDS,
    LayoutError,
    Question,
    pick_files,
    pose_count,
    read_split,
    resolve_split,
)


def read_packed(split_dir: Path, kind: str, n_poses: int) -> tuple[PackedSplit, list[Question], np.ndarray]:
    """(packed split, items, (N, files) rows of each item's images) from DATA/packed/<split>."""
    pack_dir = split_dir.parent / PACKED_DIR / split_dir.name
    try:
        packed = open_packed(split_dir.parent, split_dir.name)
    except (PackError, OSError, ValueError) as exc:
        raise LayoutError(pack_dir, f"unusable packed split ({exc})") from None
    folders = {p.name for p in split_dir.iterdir() if p.is_dir()}
    if set(packed.ids) != folders:
        raise LayoutError(
            pack_dir, f"stale: {len(packed)} items packed, {len(folders)} in {split_dir}; rerun render pack"
        )
    questions, rows = [], []
    for entry in packed.questions:
        folder = split_dir / entry["id"]
        names = pick_files(folder, entry["files"].keys(), kind, n_poses)
        if kind in QUESTION_KINDS and entry["label"] is None:
            raise LayoutError(folder, "no label in the packed index")
        if kind == "p2i" and entry["pose"] is None:
            raise LayoutError(folder, "no pose_k.txt in the packed index")
        questions.append(
            Question(entry["id"], tuple(folder / n for n in names), entry["label"], entry["pose"])
        )
        rows.append([entry["files"][n] for n in names])
    return packed, questions, np.asarray(rows, dtype=np.int64)


class DrawingSet(Dataset):
    """One split of one kind, read from PNG files in the SPARE3D layout and resized to `image_size`."""

    def __init__(self, split_dir: Path, kind: str, image_size: int, limit: int | None = None) -> None:
        self.split_dir = Path(split_dir)
        self.kind = kind
        self.image_size = image_size
        self.n_poses = pose_count(self.split_dir) if kind == "poses" else 8
        self.packed: PackedSplit | None = None
        if (self.split_dir.parent / PACKED_DIR / self.split_dir.name / INDEX_FILE).is_file():
            self.packed, questions, self.rows = read_packed(self.split_dir, kind, self.n_poses)
        else:
            questions = read_split(self.split_dir, kind, self.n_poses)
        self.questions: list[Question] = questions[:limit] if limit else questions

    @classmethod
    def open(cls, data: Path, kind: str, split: str, image_size: int, limit: int | None = None) -> DrawingSet:
        """The `split` of `kind` under a data root (see spare3d.layout for the root convention)."""
        return cls(resolve_split(Path(data), kind, split), kind, image_size, limit)

    def __len__(self) -> int:
        return len(self.questions) * (self.n_poses if self.kind == "poses" else 1)

    def _read(self, index: int, indices: range | list[int]) -> torch.Tensor:
        if self.packed is not None:
            images = [
                fit(np.asarray(self.packed.images[r]), self.image_size) for r in self.rows[index][indices]
            ]
        else:
            images = [read_gray(self.questions[index].files[i], self.image_size) for i in indices]
        return torch.from_numpy(np.stack(images))

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        if self.kind == "poses":
            pose = index % self.n_poses
            images = self._read(index // self.n_poses, [0, 1, 2, 3 + pose])
            return {"views": images[:3], "iso": images[3], "label": torch.tensor(pose)}
        question = self.questions[index]
        images = self._read(index, list(range(len(question.files))))
        if self.kind == "pairs":
            return {"views": torch.stack([images[0:3], images[4:7]]), "iso": images[[3, 7]]}
        item = {"views": images[:3], "label": torch.tensor(question.label)}
        if self.kind == "i2p":
            item["iso"] = images[3]
        else:
            item["candidates"] = images[3:7]
        if self.kind == "p2i":
            item["pose"] = torch.tensor(question.pose - 1)
        return item

    @property
    def ids(self) -> list[str]:
        return [q.id for q in self.questions]


def to_device(
    batch: dict[str, torch.Tensor], device: torch.device, mean: float = INK[0], std: float = INK[1]
) -> dict[str, torch.Tensor]:
    """Move a collated batch to `device`; uint8 images become (x / 255 - mean) / std there."""
    out = {}
    for key, value in batch.items():
        value = value.to(device, non_blocking=True)
        out[key] = to_input(value, mean, std) if value.dtype == torch.uint8 else value
    return out
