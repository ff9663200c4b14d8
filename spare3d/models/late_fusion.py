"""Late fusion trunk shared by the view-comparison and pose networks (2022 self-supervised method).

Per-view encoders for F, R, T and the isometric drawing (one shared encoder or four separate ones), an
MLP over the concatenated F+R+T features, an MLP over the isometric features, and a head over both.
With `in_channels` > 1 (view comparison with candidate contrast or the edge hull) the isometric
drawings carry extra channels; the three views get zeros there.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from spare3d.models.base import NetConfig, mlp
from spare3d.models.encoders import build_encoder

VIEW_KEYS: tuple[str, ...] = ("f", "r", "t", "iso")


class LateFusion(nn.Module):
    def __init__(self, config: NetConfig, out_dim: int, in_channels: int = 1) -> None:
        super().__init__()
        self.in_channels = in_channels
        n_encoders = 1 if config.shared else len(VIEW_KEYS)
        built = [build_encoder(config, in_channels) for _ in range(n_encoders)]
        self.encoders = nn.ModuleList(module for module, _ in built)
        dim = built[0][1]
        self.views_mlp = mlp(3 * dim, config.hidden)
        self.iso_mlp = mlp(dim, config.hidden)
        self.head = nn.Sequential(mlp(2 * config.hidden, config.hidden), nn.Linear(config.hidden, out_dim))

    def _encode(self, key: str, images: torch.Tensor, extras: Sequence[torch.Tensor] = ()) -> torch.Tensor:
        """(..., H, W) drawings (+ extra channels of the same shape) -> (..., encoder features)."""
        channels = [images, *extras]
        channels += [torch.zeros_like(images)] * (self.in_channels - len(channels))
        stacked = torch.stack(channels, dim=-3)
        encoder = self.encoders[0 if len(self.encoders) == 1 else VIEW_KEYS.index(key)]
        flat = stacked.reshape(-1, *stacked.shape[-3:])
        return encoder(flat).reshape(*images.shape[:-2], -1)

    def encode_views(self, views: torch.Tensor) -> torch.Tensor:
        """(..., 3, H, W) F, R, T -> (..., hidden)."""
        feats = [self._encode(key, views[..., i, :, :]) for i, key in enumerate(VIEW_KEYS[:3])]
        return self.views_mlp(torch.cat(feats, dim=-1))

    def encode_iso(self, iso: torch.Tensor, extras: Sequence[torch.Tensor] = ()) -> torch.Tensor:
        """(..., H, W) isometric drawings (and extra channels) -> (..., hidden)."""
        return self.iso_mlp(self._encode("iso", iso, extras))

    def fuse(self, views: torch.Tensor, iso: torch.Tensor) -> torch.Tensor:
        """Head over broadcast (..., hidden) view and isometric codes -> (..., out_dim)."""
        views, iso = torch.broadcast_tensors(views, iso)
        return self.head(torch.cat([views, iso], dim=-1))
