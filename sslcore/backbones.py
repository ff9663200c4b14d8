"""Torchvision backbones as feature extractors: global-pooled features before any classifier.

``build_backbone(name, in_channels, small_input)`` returns ``(module, feature_dim)``; the module maps
``(B, C, H, W) -> (B, feature_dim)``. Models are built with ``weights=None`` (nothing is downloaded).

- ``in_channels=1`` replaces the first convolution by a 1-channel one (line drawings are grayscale);
  any other width works too (early-fusion networks stack several drawings as channels).
- ``small_input=True`` removes the first downsampling for small images (CIFAR-style stem): ResNets get
  a 3x3 stride-1 first convolution and no max-pool; MobileNet-v3 / EfficientNet get a stride-1 first
  convolution; VGG loses its first max-pool.
- Every BatchNorm uses momentum 0.1 (torchvision's MobileNet-v3 uses 0.01: after a short run its
  running statistics are still far from the batch statistics and eval-mode features collapse).
- Every strided convolution is an ``ExactStridedConv2d`` (same parameters and ``state_dict``): on a map
  with fewer rows or columns than its stride it computes stride 1 and subsamples, because oneDNN's bf16
  weight gradient of such a convolution (CPU autocast; measured with torch 2.14) is garbage in the
  kernel taps that meet only padding - uninitialised memory, different in every call, often inf or NaN.
  Small images meet it: 16 px through the ImageNet stem leave ResNet's layer4 a 1x1 map. Its non-finite
  weights stayed invisible while every view had that size (the bf16 kernel skips padding taps) and made
  the loss NaN, at random, once something multiplied them: a larger view in the same run (a 32 px view
  has a 2x2 map there, which the right-hand tap meets) or fp32 at batch 1, which multiplies padding.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
import torchvision.models as tvm
from torch import nn

from sslcore.errors import SSLCoreError

_RESNETS: dict[str, Callable[..., tvm.ResNet]] = {
    "resnet18": tvm.resnet18,
    "resnet34": tvm.resnet34,
    "resnet50": tvm.resnet50,
}
BACKBONES = (*_RESNETS, "mobilenet_v3_small", "efficientnet_b0", "vgg16")


class ExactStridedConv2d(nn.Conv2d):
    """A zero-padded strided convolution whose gradients stay exact on maps smaller than its stride.

    With stride (s_h, s_w), padding p and dilation d, ``conv_s(x)[i, j] = conv_1(x)[s_h i, s_w j]``: both
    sum ``w[a, b] x[s_h i - p_h + d_h a, s_w j - p_w + d_w b]``, and the stride-1 map has
    ``H + 2 p_h - d_h (k_h - 1)`` rows, of which every s_h-th from 0 are exactly the stride-s rows. An
    input with fewer than s_h rows or s_w columns takes this route (the map is at most a few pixels, so
    the s_h s_w times larger stride-1 output costs nothing); every other input the ordinary one.
    """

    def _conv_forward(
        self, input: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None
    ) -> torch.Tensor:
        sh, sw = self.stride
        if input.shape[-2] >= sh and input.shape[-1] >= sw:
            return super()._conv_forward(input, weight, bias)
        full = F.conv2d(input, weight, bias, 1, self.padding, self.dilation, self.groups)
        last = input.is_contiguous(memory_format=torch.channels_last)
        return full[..., ::sh, ::sw].contiguous(
            memory_format=torch.channels_last if last else torch.contiguous_format
        )


def exact_strided_convs(module: nn.Module) -> nn.Module:
    """``module`` with every zero-padded strided ``nn.Conv2d`` below it replaced by an
    ``ExactStridedConv2d`` with the same weights (no random initialisation is drawn); returned."""
    for name, child in module.named_children():
        if type(child) is nn.Conv2d and child.stride != (1, 1) and child.padding_mode == "zeros":
            exact = nn.utils.skip_init(
                ExactStridedConv2d,
                child.in_channels,
                child.out_channels,
                child.kernel_size,
                child.stride,
                child.padding,
                child.dilation,
                child.groups,
                child.bias is not None,
                device=child.weight.device,
                dtype=child.weight.dtype,
            )
            exact.load_state_dict(child.state_dict())
            exact.train(child.training)
            setattr(module, name, exact)
        else:
            exact_strided_convs(child)
    return module


def _conv_like(
    conv: nn.Conv2d, in_channels: int, kernel: int | None = None, stride: int | None = None
) -> nn.Conv2d:
    """A fresh convolution shaped like ``conv`` with another input width, kernel size or stride."""
    k = kernel if kernel is not None else conv.kernel_size[0]
    s = stride if stride is not None else conv.stride[0]
    return nn.Conv2d(in_channels, conv.out_channels, k, s, padding=k // 2, bias=conv.bias is not None)


def _resnet(name: str, in_channels: int, small_input: bool) -> tuple[nn.Module, int]:
    net = _RESNETS[name](weights=None)
    if small_input:
        net.conv1 = _conv_like(net.conv1, in_channels, kernel=3, stride=1)
        net.maxpool = nn.Identity()
    elif in_channels != 3:
        net.conv1 = _conv_like(net.conv1, in_channels)
    dim = net.fc.in_features
    net.fc = nn.Identity()
    return net, dim


def _pooled(features: nn.Module) -> nn.Module:
    return nn.Sequential(features, nn.AdaptiveAvgPool2d(1), nn.Flatten(1))


def _mobile(name: str, in_channels: int, small_input: bool) -> tuple[nn.Module, int]:
    net = (
        tvm.mobilenet_v3_small(weights=None)
        if name == "mobilenet_v3_small"
        else tvm.efficientnet_b0(weights=None)
    )
    stem = net.features[0][0]
    if small_input or in_channels != 3:
        net.features[0][0] = _conv_like(stem, in_channels, stride=1 if small_input else None)
    dim = net.features[-1].out_channels
    return _pooled(net.features), dim


def _vgg16(in_channels: int, small_input: bool) -> tuple[nn.Module, int]:
    layers = list(tvm.vgg16(weights=None).features)
    if in_channels != 3:
        layers[0] = _conv_like(layers[0], in_channels)
    if small_input:
        first_pool = next(i for i, m in enumerate(layers) if isinstance(m, nn.MaxPool2d))
        del layers[first_pool]
    return _pooled(nn.Sequential(*layers)), 512


def build_backbone(name: str, in_channels: int = 3, small_input: bool = False) -> tuple[nn.Module, int]:
    """Build backbone ``name`` (one of ``BACKBONES``) -> ``(module, feature_dim)``."""
    if in_channels < 1:
        raise SSLCoreError(f"in_channels must be at least 1, got {in_channels}")
    if name in _RESNETS:
        net, dim = _resnet(name, in_channels, small_input)
    elif name in ("mobilenet_v3_small", "efficientnet_b0"):
        net, dim = _mobile(name, in_channels, small_input)
    elif name == "vgg16":
        net, dim = _vgg16(in_channels, small_input)
    else:
        raise SSLCoreError(f"unknown backbone {name!r}; choose from {', '.join(BACKBONES)}")
    for m in net.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.momentum = 0.1
    return exact_strided_convs(net), dim


def num_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


__all__ = ["BACKBONES", "ExactStridedConv2d", "build_backbone", "exact_strided_convs", "num_parameters"]
