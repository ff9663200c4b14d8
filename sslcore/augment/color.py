"""Batched photometric augmentation on float images in [0, 1], parameters drawn per sample.

SimCLR (Chen et al., 2020): colour jitter with strength s (brightness, contrast, saturation 0.8 s,
hue 0.2 s) applied with p = 0.8, grayscale with p = 0.2, Gaussian blur (sigma in [0.1, 2], kernel ~10%
of the side) with p = 0.5. Factors f ~ U(1 - a, 1 + a):
    brightness: x f;   contrast: m + f (x - m), m = mean grey level of the image;
    saturation: g + f (x - g), g = the pixel's grey level (ITU-R 601 luma);
    hue: rotation by angle 2 pi h, h ~ U(-a, a), about the grey axis in YIQ space (linear, per sample).
Ops on colour are skipped for 1-channel images. Jitter ops run in one random order per batch.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from sslcore.augment.geometry import uniform

LUMA = (0.299, 0.587, 0.114)


def gray(x: torch.Tensor) -> torch.Tensor:
    """(B, 1, H, W) luma of (B, 3, H, W) images (the image itself if it has one channel)."""
    if x.shape[1] == 1:
        return x
    w = torch.tensor(LUMA, device=x.device, dtype=x.dtype).view(1, 3, 1, 1)
    return (x * w).sum(dim=1, keepdim=True)


def _per_sample(v: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return v.to(device=x.device, dtype=x.dtype).view(-1, 1, 1, 1)


def blend(a: torch.Tensor, b: torch.Tensor, f: torch.Tensor) -> torch.Tensor:
    """``b + f (a - b)`` clipped to [0, 1] (PIL ImageEnhance: f = 0 gives b, f = 1 gives a)."""
    return (b + _per_sample(f, a) * (a - b)).clamp_(0, 1)


def _yiq_hue(x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
    to_yiq = torch.tensor(
        [[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]],
        device=x.device,
        dtype=x.dtype,
    )
    a = 2 * math.pi * h.to(device=x.device, dtype=x.dtype)
    rot = torch.zeros(len(h), 3, 3, device=x.device, dtype=x.dtype)
    rot[:, 0, 0] = 1
    rot[:, 1, 1], rot[:, 1, 2] = torch.cos(a), -torch.sin(a)
    rot[:, 2, 1], rot[:, 2, 2] = torch.sin(a), torch.cos(a)
    m = torch.linalg.inv(to_yiq) @ rot @ to_yiq
    return torch.einsum("bij,bjhw->bihw", m, x).clamp_(0, 1)


def color_jitter(
    x: torch.Tensor,
    generator: torch.Generator,
    brightness: float = 0.8,
    contrast: float = 0.8,
    saturation: float = 0.8,
    hue: float = 0.2,
    p: float = 0.8,
) -> torch.Tensor:
    """SimCLR colour jitter; samples not drawn (prob. 1 - p) get factor 1 / angle 0, i.e. unchanged."""
    if p <= 0:
        return x
    n = x.shape[0]
    on = torch.rand(n, generator=generator) < p

    def factor(a: float) -> torch.Tensor:
        return torch.where(on, uniform(n, max(0.0, 1 - a), 1 + a, generator), torch.ones(n))

    fb, fc, fs = factor(brightness), factor(contrast), factor(saturation)
    fh = torch.where(on, uniform(n, -hue, hue, generator), torch.zeros(n))
    ops = [
        lambda y: (y * _per_sample(fb, y)).clamp_(0, 1),
        lambda y: blend(y, gray(y).mean(dim=(1, 2, 3), keepdim=True), fc),
    ]
    if x.shape[1] == 3:
        ops += [lambda y: blend(y, gray(y), fs), lambda y: _yiq_hue(y, fh)]
    for i in torch.randperm(len(ops), generator=generator).tolist():
        x = ops[i](x)
    return x


def random_grayscale(x: torch.Tensor, generator: torch.Generator, p: float = 0.2) -> torch.Tensor:
    if x.shape[1] == 1 or p <= 0:
        return x
    on = _per_sample(torch.rand(x.shape[0], generator=generator) < p, x)
    return torch.lerp(x, gray(x).expand_as(x), on)


def gaussian_blur(
    x: torch.Tensor, generator: torch.Generator, sigma: tuple[float, float] = (0.1, 2.0), p: float = 0.5
) -> torch.Tensor:
    """Separable Gaussian blur, sigma ~ U(sigma) per sample, kernel side ~10% of the image (odd, >= 3).

    Samples not drawn get a delta kernel; all samples go through one grouped convolution per axis.
    """
    if p <= 0:
        return x
    b, c, h, w = x.shape
    k = max(3, int(0.1 * h) // 2 * 2 + 1)
    s = uniform(b, *sigma, generator)
    on = torch.rand(b, generator=generator) < p
    r = torch.arange(k, dtype=torch.float32) - k // 2
    kern = torch.exp(-(r[None] ** 2) / (2 * s[:, None] ** 2))
    kern = kern / kern.sum(dim=1, keepdim=True)
    delta = (r == 0).float().expand(b, k)
    kern = torch.where(on[:, None], kern, delta).to(device=x.device, dtype=x.dtype)
    kern = kern.repeat_interleave(c, dim=0)
    y = x.reshape(1, b * c, h, w)
    y = F.conv2d(F.pad(y, (k // 2, k // 2, 0, 0), mode="replicate"), kern[:, None, None, :], groups=b * c)
    y = F.conv2d(F.pad(y, (0, 0, k // 2, k // 2), mode="replicate"), kern[:, None, :, None], groups=b * c)
    return y.reshape(b, c, h, w)
