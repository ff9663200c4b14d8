"""Augmentations that keep the answer: each gives the drawings of a transformed 3D object.

Both act on every drawing of one item together (three views and all candidates), so the views still
describe the candidates they describe before; they apply to t2i items and pairs items.

- mirror: reflect the object in the plane x = -y, (x, y, z) -> (-y, -x, z). The cameras of front and
  right swap, top and pose 2 stay, so F' = hflip(R), R' = hflip(F), T' = transpose(T), and every pose-2
  isometric drawing is flipped left-right (u = (x + y) / sqrt 2 -> -u, v = (-x + y + 2z) / sqrt 6 -> v).
- shift: translate the object by (a, b, c) pixels: F moves by (a, -c) (column, row), R by (b, -c),
  T by (a, -b) and a pose-2 drawing by ((a + b) / sqrt 2, -(-a + b + 2c) / sqrt 6), rounded. Drawings
  are rolled, so a shift must stay within the empty margin (SPARE3D frames leave 15% on each side).
"""

from __future__ import annotations

import math

import torch

CANDIDATE_KEYS: tuple[str, ...] = ("candidates", "iso")


def mirror(views: torch.Tensor, candidates: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """views (..., 3, H, W) F, R, T and pose-2 candidates (..., N, H, W) of the object mirrored in x = -y."""
    f, r, t = views.unbind(-3)
    mirrored = torch.stack([r.flip(-1), f.flip(-1), t.transpose(-1, -2)], dim=-3)
    return mirrored, candidates.flip(-1)


def pixel_shifts(a: int, b: int, c: int) -> tuple[list[tuple[int, int]], tuple[int, int]]:
    """(column, row) shifts of F, R, T and of a pose-2 drawing for a 3D translation of (a, b, c) px."""
    iso = (round((a + b) / math.sqrt(2)), -round((-a + b + 2 * c) / math.sqrt(6)))
    return [(a, -c), (b, -c), (a, -b)], iso


def _roll(image: torch.Tensor, shift: tuple[int, int]) -> torch.Tensor:
    return image.roll(shifts=(shift[1], shift[0]), dims=(-2, -1))


def shift(
    views: torch.Tensor, candidates: torch.Tensor, a: int, b: int, c: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """views (..., 3, H, W) and pose-2 candidates (..., N, H, W) of the object translated by (a, b, c) px."""
    view_shifts, iso_shift = pixel_shifts(a, b, c)
    moved = torch.stack([_roll(v, s) for v, s in zip(views.unbind(-3), view_shifts, strict=True)], dim=-3)
    return moved, _roll(candidates, iso_shift)


def augment_batch(
    batch: dict[str, torch.Tensor], max_shift: int, generator: torch.Generator | None = None
) -> dict[str, torch.Tensor]:
    """A random mirror (probability 1/2) and shift (each axis uniform in [-max_shift, max_shift] px)
    per item of a t2i or pairs batch; other keys are passed through."""
    key = next(k for k in CANDIDATE_KEYS if k in batch)
    views, candidates = batch["views"], batch[key]
    pairs = candidates.dim() < views.dim()  # (B, 2, H, W) isos beside (B, 2, 3, H, W) views
    if pairs:
        candidates = candidates[..., None, :, :]
    flips = torch.rand(views.shape[0], generator=generator) < 0.5
    offsets = torch.randint(-max_shift, max_shift + 1, (views.shape[0], 3), generator=generator)
    out_views, out_candidates = [], []
    for i in range(views.shape[0]):
        v, c = mirror(views[i], candidates[i]) if flips[i] else (views[i], candidates[i])
        v, c = shift(v, c, *offsets[i].tolist())
        out_views.append(v)
        out_candidates.append(c[..., 0, :, :] if pairs else c)
    return {**batch, "views": torch.stack(out_views), key: torch.stack(out_candidates)}
