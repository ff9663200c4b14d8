"""SSL methods (one file each, MoCo style) and ``build_method(config)`` that assembles one from settings."""

from __future__ import annotations

from sslcore.augment import ViewConfig, line_drawing_config
from sslcore.backbones import build_backbone
from sslcore.config import PretrainConfig
from sslcore.errors import SSLCoreError
from sslcore.heads import HeadConfig
from sslcore.methods.clsa import CLSA
from sslcore.methods.common import SSLMethod
from sslcore.methods.disco import DisCo
from sslcore.methods.simclr import SimCLR
from sslcore.teacher import load_teacher

__all__ = ["CLSA", "DisCo", "SSLMethod", "SimCLR", "build_method", "view_config"]


def view_config(config: PretrainConfig) -> ViewConfig:
    """The weak view of a resolved config: the line-drawing preset or SimCLR's natural-image pipeline."""
    return line_drawing_config(config.image_size) if config.line_drawing else ViewConfig(config.image_size)


def build_method(config: PretrainConfig) -> SSLMethod:
    """The method named by a resolved ``config`` with a fresh backbone (and the teacher for DisCo; DisCo
    without a teacher is the MoCo-v2 student baseline)."""
    backbone, dim = build_backbone(config.backbone, config.channels, config.small_input)
    head = HeadConfig(dim, config.proj_hidden, config.proj_dim, config.proj_layers)
    view = view_config(config)
    if config.method == "simclr":
        return SimCLR(backbone, head, view, config.temperature)
    moco = dict(
        queue_size=config.queue_size,
        ema=config.ema,
        temperature=config.temperature,
        bn_splits=config.bn_splits,
        shuffle_keys=config.shuffle_bn,
        symmetric=config.symmetric,
    )
    if config.method == "clsa":
        return CLSA(
            backbone,
            head,
            view,
            config.strong_sizes,
            config.strong_ops,
            ddm_temperature=config.ddm_temperature,
            ddm_weight=config.ddm_weight,
            **moco,
        )
    if config.method == "disco":
        teacher = (
            None if config.teacher is None else load_teacher(config.teacher, config.channels, config.proj_dim)
        )
        return DisCo(backbone, head, view, teacher, distill_weight=config.distill_weight, **moco)
    raise SSLCoreError(f"unknown method {config.method!r}; choose from simclr, clsa, disco")
