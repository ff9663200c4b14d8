"""Batched geometric augmentation: every sample gets its own affine map, all resampled at once.

A sample's map sends output coordinates u in [-1, 1]^2 to input coordinates
    x = c + R(theta) . Shear(sx, sy) . diag(flip * w, h) . u
(``F.affine_grid`` convention, align_corners=False): a crop of relative size (w, h) centred at c,
optionally mirrored, rotated and sheared. One ``grid_sample`` per batch does crop, resize, flip, rotate,
shear and translate together. Pixels from outside the image get the ``fill`` value (white paper for
line drawings, black for natural images).

Random resized crop (as torchvision's RandomResizedCrop on a square image): area fraction
s ~ U(scale), log aspect ~ U(log ratio), w = sqrt(s r), h = sqrt(s / r) (clipped to 1), centre uniform
over the positions that keep the crop inside the image.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def uniform(n: int, low: float, high: float, generator: torch.Generator) -> torch.Tensor:
    return low + (high - low) * torch.rand(n, generator=generator)


def crop_matrices(
    n: int,
    generator: torch.Generator,
    scale: tuple[float, float] = (0.08, 1.0),
    ratio: tuple[float, float] = (3 / 4, 4 / 3),
    flip_p: float = 0.5,
    max_rotate_deg: float = 0.0,
    max_shear: float = 0.0,
) -> torch.Tensor:
    """(n, 2, 3) affine matrices for random resized crops with optional flip, rotation and shear."""
    area = uniform(n, *scale, generator)
    log_r = uniform(n, math.log(ratio[0]), math.log(ratio[1]), generator)
    w = torch.sqrt(area * log_r.exp()).clamp(max=1.0)
    h = torch.sqrt(area / log_r.exp()).clamp(max=1.0)
    cx = (1 - w) * (2 * torch.rand(n, generator=generator) - 1)
    cy = (1 - h) * (2 * torch.rand(n, generator=generator) - 1)
    flip = torch.where(torch.rand(n, generator=generator) < flip_p, -1.0, 1.0)
    linear = torch.zeros(n, 2, 2)
    linear[:, 0, 0] = flip * w
    linear[:, 1, 1] = h
    if max_shear > 0:
        linear = shear_matrices(uniform(n, -max_shear, max_shear, generator), torch.zeros(n)) @ linear
    if max_rotate_deg > 0:
        linear = rotation_matrices(uniform(n, -max_rotate_deg, max_rotate_deg, generator)) @ linear
    return torch.cat([linear, torch.stack([cx, cy], dim=1)[:, :, None]], dim=2)


def rotation_matrices(degrees: torch.Tensor) -> torch.Tensor:
    a = torch.deg2rad(degrees)
    c, s = torch.cos(a), torch.sin(a)
    return torch.stack([torch.stack([c, -s], 1), torch.stack([s, c], 1)], 1)


def shear_matrices(sx: torch.Tensor, sy: torch.Tensor) -> torch.Tensor:
    one = torch.ones_like(sx)
    return torch.stack([torch.stack([one, sx], 1), torch.stack([sy, one], 1)], 1)


def warp(x: torch.Tensor, theta: torch.Tensor, size: int, fill: float) -> torch.Tensor:
    """Resample float images ``x`` (B, C, H, W) through ``theta`` (B, 2, 3) to (B, C, size, size)."""
    theta = theta.to(device=x.device, dtype=x.dtype)
    grid = F.affine_grid(theta, [x.shape[0], x.shape[1], size, size], align_corners=False)
    return F.grid_sample(x - fill, grid, mode="bilinear", padding_mode="zeros", align_corners=False) + fill
