"""spare3d network checkpoints on top of sslcore's (weights_only, atomic), and network initialisation.

A checkpoint holds the network's state dict and, in its metadata, `net` = the NetConfig (so `eval`
rebuilds the network from the file alone) plus the stage, epoch and validation accuracy. A network can
start from such a checkpoint (same model: every tensor; another model: the tensors whose names and
shapes match) or from an sslcore backbone export (safetensors), loaded into each encoder that has the
export's backbone and input channels.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import torch
from torch import nn

from spare3d.images import SSLCORE_LINE_DRAWING
from spare3d.models import NetConfig, ReasoningNet, build_model
from sslcore.augment.pipelines import IMAGENET_MEAN, IMAGENET_STD
from sslcore.checkpoint import load_checkpoint, read_export, save_checkpoint
from sslcore.errors import SSLCoreError


def save_model(
    path: Path, net: ReasoningNet, meta: dict[str, Any], optimizer: torch.optim.Optimizer | None = None
) -> Path:
    """Atomically save `net` (unwrapped), its config and `meta` (JSON-able), optionally the optimizer."""
    return save_checkpoint(
        path,
        model=net.state_dict(),
        meta={**meta, "net": net.config.to_dict()},
        optimizer=optimizer.state_dict() if optimizer is not None else None,
    )


def read_model_checkpoint(path: Path) -> dict[str, Any]:
    """The checkpoint dict; SSLCoreError (one line) when the file is not a spare3d checkpoint."""
    state = load_checkpoint(path)
    if "net" not in state["meta"]:
        raise SSLCoreError(f"checkpoint {path}: not a spare3d network checkpoint (no network config)")
    return state


def load_model(path: Path) -> tuple[ReasoningNet, dict[str, Any]]:
    """Rebuild the network saved at `path` with its weights -> (network, metadata)."""
    state = read_model_checkpoint(path)
    net = build_model(NetConfig.from_dict(state["meta"]["net"]))
    net.load_state_dict(state["model"])
    return net, state["meta"]


def _copy_matching(net: nn.Module, source: dict[str, torch.Tensor]) -> int:
    own = net.state_dict()
    matched = {k: v for k, v in source.items() if k in own and own[k].shape == v.shape}
    net.load_state_dict(matched, strict=False)
    return len(matched)


def _first_conv(module: nn.Module) -> tuple[str, nn.Conv2d]:
    return next((n, m) for n, m in module.named_modules() if isinstance(m, nn.Conv2d))


def adapt_input_conv(weight: torch.Tensor, in_channels: int) -> torch.Tensor:
    """Tile a first-layer kernel (out, c, k, k) over `in_channels` inputs, scaled by c / in_channels.

    The response to an image repeated on every input channel stays what the pretrained layer gave for
    that image (as timm's `adapt_input_conv`): a 1-channel export then starts the 4-channel early-fusion
    and I2P-classifier encoders.
    """
    c = weight.shape[1]
    reps = -(-in_channels // c)
    return weight.repeat(1, reps, 1, 1)[:, :in_channels] * (c / in_channels)


def _load_export(net: ReasoningNet, path: Path) -> str:
    meta, tensors = read_export(path)
    if meta["backbone"] != net.config.backbone:
        raise SSLCoreError(
            f"weights {path}: backbone {meta['backbone']} does not match --backbone {net.config.backbone}"
        )
    state = {k[len("backbone.") :]: v for k, v in tensors.items() if k.startswith("backbone.")}
    encoders = net.encoders()
    for encoder in encoders:
        name, conv = _first_conv(encoder)
        own = dict(state)
        if conv.in_channels != meta["in_channels"] and f"{name}.weight" in own:
            own[f"{name}.weight"] = adapt_input_conv(own[f"{name}.weight"], conv.in_channels)
        try:
            encoder.load_state_dict(own)
        except RuntimeError:
            raise SSLCoreError(
                f"weights {path}: does not fit the {net.config.backbone} encoder (tensor shapes differ)"
            ) from None
    return f"{meta.get('method', 'sslcore')} backbone into {len(encoders)} encoder(s)"


def initialise(config: NetConfig, init: str | Path | None) -> tuple[ReasoningNet, str]:
    """A network for `config` started from scratch (None), a spare3d checkpoint or an sslcore export.

    From a checkpoint of the same model its saved architecture is kept (only the task is replaced).
    Returns (network, a one-line description of what was loaded).
    """
    if init is None:
        return build_model(config), "scratch"
    path = Path(init)
    if path.suffix == ".safetensors":
        meta, _ = read_export(path)
        # every encoder then sees images as the export's pretraining did
        stats = (
            SSLCORE_LINE_DRAWING if meta.get("line_drawing", True) else (IMAGENET_MEAN[0], IMAGENET_STD[0])
        )
        config = replace(config, small_input=meta["small_input"], input_mean=stats[0], input_std=stats[1])
        net = build_model(config)
        return net, _load_export(net, path)
    state = read_model_checkpoint(path)
    saved = NetConfig.from_dict(state["meta"]["net"])
    if saved.model == config.model:
        saved.task = config.task
        net = build_model(saved)
        net.load_state_dict(state["model"])
        return net, f"all weights of {path}"
    net = build_model(replace(config, input_mean=saved.input_mean, input_std=saved.input_std))
    copied = _copy_matching(net, state["model"])
    if not copied:
        raise SSLCoreError(f"checkpoint {path}: no tensor fits a {config.model} network")
    return net, f"{copied} matching tensors of {path}"
