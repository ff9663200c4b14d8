"""Loading a frozen teacher encoder (backbone + projection head) for DisCo.

Accepted: an sslcore training checkpoint (``last.pt``: rebuilt from its stored config, weights under
``backbone.`` / ``head.``) or an sslcore export with its head (``*.safetensors``). The teacher must take
the student's input channels and embed to the student's dimension; otherwise one-line ``SSLCoreError``.
"""

from __future__ import annotations

from pathlib import Path

from torch import nn

from sslcore.backbones import build_backbone
from sslcore.checkpoint import load_checkpoint, load_encoder
from sslcore.errors import SSLCoreError
from sslcore.heads import HeadConfig, ProjectionHead


def _from_checkpoint(path: Path) -> tuple[nn.Module, ProjectionHead, int]:
    state = load_checkpoint(path)
    cfg = state["meta"].get("config")
    if cfg is None:
        raise SSLCoreError(f"teacher {path}: checkpoint without a pretraining config")
    backbone, dim = build_backbone(cfg["backbone"], cfg["channels"], cfg["small_input"])
    head = ProjectionHead(HeadConfig(dim, cfg["proj_hidden"], cfg["proj_dim"], cfg["proj_layers"]))
    model = state["model"]
    try:
        backbone.load_state_dict({k[9:]: v for k, v in model.items() if k.startswith("backbone.")})
        head.load_state_dict({k[5:]: v for k, v in model.items() if k.startswith("head.")})
    except RuntimeError as exc:
        raise SSLCoreError(
            f"teacher {path}: weights do not fit {cfg['backbone']} ({str(exc)[:120]})"
        ) from None
    return backbone, head, cfg["channels"]


def load_teacher(path: str | Path, channels: int, embed_dim: int) -> nn.Module:
    """Frozen ``Sequential(backbone, head)`` from ``path``, checked against the student's settings."""
    path = Path(path)
    if path.suffix == ".safetensors":
        backbone, head, meta = load_encoder(path)
        teacher_channels = meta["in_channels"]
    else:
        backbone, head, teacher_channels = _from_checkpoint(path)
    if teacher_channels != channels:
        raise SSLCoreError(
            f"teacher {path}: takes {teacher_channels}-channel images, the student {channels}-channel ones"
        )
    if head.config.out_dim != embed_dim:
        raise SSLCoreError(
            f"teacher {path}: embeds to {head.config.out_dim} dimensions, the student to {embed_dim} "
            f"(set --proj-dim {head.config.out_dim})"
        )
    teacher = nn.Sequential(backbone, head).eval()
    return teacher.requires_grad_(False)
