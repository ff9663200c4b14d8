"""CLSA's strong augmentation: ``n_ops`` ops drawn with replacement from a 14-op pool, each applied
with probability p = 0.5 at a random magnitude (the RandAugment pool used by CLSA / FixMatch):

| op | magnitude range |            | op | magnitude range |
|---|---|---|---|---|
| AutoContrast | - |                | Rotate | [-30, 30] degrees |
| Brightness | factor [0.05, 0.95] |  | Sharpness | factor [0.05, 0.95] |
| Color | factor [0.05, 0.95] |       | ShearX, ShearY | [-0.3, 0.3] |
| Contrast | factor [0.05, 0.95] |    | Solarize | threshold [0, 1] |
| Equalize | - |                    | TranslateX, TranslateY | [-0.3, 0.3] of the side |
| Identity | - |                    | Posterize | [4, 8] bits |

Batched on float images in [0, 1]: for every slot and op the samples that drew it are processed together.
Photometric ops run in slot order; the geometric ones (Rotate, Shear, Translate) are composed into one
affine map per sample and resampled once at the end (fewer interpolation passes, less blur; the
photometric ops are pixel-wise or use global statistics, so the order change is immaterial).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from sslcore.augment.color import blend, gray
from sslcore.augment.geometry import rotation_matrices, shear_matrices, warp

GEOMETRIC = ("Rotate", "ShearX", "ShearY", "TranslateX", "TranslateY")
PHOTOMETRIC = (
    "AutoContrast",
    "Brightness",
    "Color",
    "Contrast",
    "Equalize",
    "Identity",
    "Posterize",
    "Sharpness",
    "Solarize",
)
POOL = PHOTOMETRIC + GEOMETRIC


def _lerp(m: torch.Tensor, low: float, high: float) -> torch.Tensor:
    return low + (high - low) * m


def autocontrast(x: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
    lo = x.amin(dim=(2, 3), keepdim=True)
    hi = x.amax(dim=(2, 3), keepdim=True)
    return torch.where(hi > lo, (x - lo) / (hi - lo).clamp_min(1e-6), x)


def equalize(x: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
    """Histogram equalization per image and channel on 256 levels (as PIL ImageOps.equalize)."""
    b, c, h, w = x.shape
    levels = (x * 255).round().long().view(b * c, h * w)
    hist = torch.zeros(b * c, 256, device=x.device).scatter_add_(
        1, levels, torch.ones_like(levels, dtype=torch.float)
    )
    cdf = hist.cumsum(dim=1)
    cdf_min = torch.where(hist > 0, cdf, torch.full_like(cdf, float(h * w))).amin(dim=1, keepdim=True)
    lut = ((cdf - cdf_min) / (h * w - cdf_min).clamp_min(1)).clamp(0, 1)
    flat = (h * w - cdf_min) <= 0  # a single grey level: PIL leaves the image unchanged
    out = torch.where(flat, levels.float() / 255, lut.gather(1, levels))
    return out.view(b, c, h, w).to(x.dtype)


def posterize(x: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
    bits = _lerp(m, 4, 8).round().long().view(-1, 1, 1, 1).to(x.device)
    keep = (255 >> (8 - bits)) << (8 - bits)
    return ((x * 255).round().long() & keep).to(x.dtype) / 255


def sharpness(x: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
    c = x.shape[1]
    k = torch.tensor([[1.0, 1, 1], [1, 5, 1], [1, 1, 1]], device=x.device, dtype=x.dtype) / 13
    smooth = F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), k.expand(c, 1, 3, 3), groups=c)
    return blend(x, smooth, _lerp(m, 0.05, 0.95))


PIXEL_OPS: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "AutoContrast": autocontrast,
    "Brightness": lambda x, m: (x * _lerp(m, 0.05, 0.95).to(x).view(-1, 1, 1, 1)).clamp(0, 1),
    "Color": lambda x, m: blend(x, gray(x), _lerp(m, 0.05, 0.95)) if x.shape[1] == 3 else x,
    "Contrast": lambda x, m: blend(x, gray(x).mean(dim=(1, 2, 3), keepdim=True), _lerp(m, 0.05, 0.95)),
    "Equalize": equalize,
    "Identity": lambda x, m: x,
    "Posterize": posterize,
    "Sharpness": sharpness,
    "Solarize": lambda x, m: torch.where(x >= m.to(x).view(-1, 1, 1, 1), 1 - x, x),
}


def _geometric(name: str, m: torch.Tensor) -> torch.Tensor:
    """(n, 2, 3) affine maps (output -> input coordinates) for one geometric op, signed magnitude."""
    n = len(m)
    s = 2 * m - 1  # magnitude in [-1, 1]
    zero = torch.zeros(n)
    if name == "Rotate":
        linear, shift = rotation_matrices(30 * s), torch.zeros(n, 2)
    elif name in ("ShearX", "ShearY"):
        linear = shear_matrices(0.3 * s, zero) if name == "ShearX" else shear_matrices(zero, 0.3 * s)
        shift = torch.zeros(n, 2)
    else:
        linear = torch.eye(2).expand(n, 2, 2)
        shift = torch.stack([0.6 * s, zero] if name == "TranslateX" else [zero, 0.6 * s], dim=1)
    return torch.cat([linear, shift[:, :, None]], dim=2)


def _compose(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Affine map ``x -> a(b(x))`` of two (n, 2, 3) maps."""
    return torch.cat([a[:, :, :2] @ b[:, :, :2], (a[:, :, :2] @ b[:, :, 2:]) + a[:, :, 2:]], dim=2)


def strong_augment(
    x: torch.Tensor, generator: torch.Generator, n_ops: int = 5, p: float = 0.5, fill: float = 0.0
) -> torch.Tensor:
    """Apply ``n_ops`` random ops of ``POOL`` per sample (each with prob. ``p``) to images in [0, 1]."""
    n = x.shape[0]
    choice = torch.randint(len(POOL), (n, n_ops), generator=generator)
    active = torch.rand(n, n_ops, generator=generator) < p
    magnitude = torch.rand(n, n_ops, generator=generator)
    theta = torch.tensor([[1.0, 0, 0], [0, 1, 0]]).expand(n, 2, 3)
    x = x.clone()
    for slot in range(n_ops):
        for o, name in enumerate(POOL):
            sel = (choice[:, slot] == o) & active[:, slot]
            if not sel.any():
                continue
            m = magnitude[sel, slot]
            if name in GEOMETRIC:
                theta = theta.clone()
                theta[sel] = _compose(theta[sel], _geometric(name, m))
            else:
                idx = sel.nonzero().squeeze(1).to(x.device)
                x[idx] = PIXEL_OPS[name](x[idx], m.to(x.device))
    moved = (theta != torch.tensor([[1.0, 0, 0], [0, 1, 0]])).any(dim=(1, 2))
    if moved.any():
        idx = moved.nonzero().squeeze(1).to(x.device)
        x[idx] = warp(x[idx], theta[moved], x.shape[-1], fill)
    return x
