"""Image encoders for the reasoning networks: a VGG-style encoder of settable width, or an sslcore backbone.

The VGG-style encoder follows the 2022 findings: per-view convolutional encoders whose final map is
flattened without adaptive pooling (keeping where lines are), width 512 best at full scale.
"""

from __future__ import annotations

from torch import nn

from spare3d.models.base import NetConfig
from sslcore.backbones import build_backbone


def vgg_blocks(image_size: int) -> int:
    """Pooling stages: as many as keep the final map at least 4x4, at most 5 (VGG-16 has 5)."""
    blocks = 0
    while blocks < 5 and image_size // 2 ** (blocks + 1) >= 4:
        blocks += 1
    return blocks


class VGGEncoder(nn.Module):
    """Stages of two (3x3 conv, batch norm, ReLU) then 2x2 max-pool; channels double per stage up to
    `width` (last stage); output: the flattened final map, width x (image_size / 2**stages)**2 values."""

    def __init__(self, in_channels: int, width: int, image_size: int) -> None:
        super().__init__()
        blocks = vgg_blocks(image_size)
        layers: list[nn.Module] = []
        channels = in_channels
        for stage in range(blocks):
            out = max(width // 2 ** (blocks - 1 - stage), 8)
            for _ in range(2):
                layers += [
                    nn.Conv2d(channels, out, 3, padding=1, bias=False),
                    nn.BatchNorm2d(out),
                    nn.ReLU(True),
                ]
                channels = out
            layers.append(nn.MaxPool2d(2))
        self.features = nn.Sequential(*layers, nn.Flatten(1))
        self.feature_dim = channels * (image_size // 2**blocks) ** 2

    def forward(self, x):
        return self.features(x)


def build_encoder(config: NetConfig, in_channels: int) -> tuple[nn.Module, int]:
    """`vgg` (spare3d's VGG-style encoder, `width` channels) or any sslcore backbone -> (module, dim).

    sslcore backbones get the small-input stem when `config.small_input` says so (None: images of
    64 px or less, sslcore's own default).
    """
    if config.backbone == "vgg":
        encoder = VGGEncoder(in_channels, config.width, config.image_size)
        return encoder, encoder.feature_dim
    small = config.small_input if config.small_input is not None else config.image_size <= 64
    return build_backbone(config.backbone, in_channels, small_input=small)
