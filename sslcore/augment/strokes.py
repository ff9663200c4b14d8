"""Line-drawing augmentations: stroke width jitter and stroke dropout (dark strokes on light paper).

- Stroke width jitter: per sample, with probability p, thicken the strokes by one pixel (grey-level
  erosion: 3x3 min filter) or thin them, with equal odds. Thinning is half-way to the 3x3 max filter,
  ``(x + max3x3(x)) / 2``: a full max filter would wipe out the 1-2 pixel strokes of small drawings.
- Stroke dropout: per sample, with probability p, erase the strokes inside a random subset (fraction
  ``drop``) of the cells of a ``cells x cells`` grid, i.e. set them to the paper value - pieces of lines
  go missing, as in incomplete or occluded drawings.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def stroke_width_jitter(x: torch.Tensor, generator: torch.Generator, p: float = 0.5) -> torch.Tensor:
    """Thicken or thin dark strokes of float images (B, C, H, W) in [0, 1] by one pixel."""
    if p <= 0:
        return x
    n = x.shape[0]
    on = torch.rand(n, generator=generator) < p
    thicker = torch.rand(n, generator=generator) < 0.5
    mode = (on & thicker).float() - (on & ~thicker).float()  # +1 thicker, -1 thinner, 0 unchanged
    mode = mode.to(x.device).view(-1, 1, 1, 1)
    dark_grown = -F.max_pool2d(-x, 3, stride=1, padding=1)
    dark_shrunk = 0.5 * (x + F.max_pool2d(x, 3, stride=1, padding=1))
    return torch.where(mode > 0, dark_grown, torch.where(mode < 0, dark_shrunk, x))


def stroke_dropout(
    x: torch.Tensor,
    generator: torch.Generator,
    p: float = 0.3,
    drop: float = 0.15,
    cells: int = 8,
    paper: float = 1.0,
) -> torch.Tensor:
    """Erase the drawing inside a random ``drop`` fraction of grid cells, for a fraction ``p`` of samples."""
    if p <= 0:
        return x
    n, _, h, w = x.shape
    on = torch.rand(n, generator=generator) < p
    erase = (torch.rand(n, 1, cells, cells, generator=generator) < drop) & on.view(-1, 1, 1, 1)
    erase = F.interpolate(erase.float(), size=(h, w), mode="nearest").to(x.device)
    return torch.lerp(x, torch.full_like(x, paper), erase)
