"""Pieces shared by the methods: the method base class and one forward pass per image size."""

from __future__ import annotations

import torch
from torch import nn


def embed_views(backbone: nn.Module, head: nn.Module, views: list[torch.Tensor]) -> list[torch.Tensor]:
    """``head(backbone(v))`` for every view; views of the same size share one concatenated forward pass."""
    out: list[torch.Tensor | None] = [None] * len(views)
    sizes = sorted({v.shape[-1] for v in views}, reverse=True)
    for size in sizes:
        idx = [i for i, v in enumerate(views) if v.shape[-1] == size]
        z = head(backbone(torch.cat([views[i] for i in idx])))
        for i, part in zip(idx, z.split([len(views[i]) for i in idx]), strict=True):
            out[i] = part
    return out  # type: ignore[return-value]


class SSLMethod(nn.Module):
    """A method owns ``backbone`` and ``head`` (the exported encoder) and its view ``pipelines``;
    ``forward(views)`` returns a dict with ``"loss"`` (and detached parts for logging).
    ``global_batchnorm``: BatchNorm statistics over all ranks under DDP (SyncBatchNorm on CUDA)."""

    global_batchnorm = True

    backbone: nn.Module
    head: nn.Module
    pipelines: list

    def make_views(self, images: torch.Tensor, generator: torch.Generator) -> list[torch.Tensor]:
        """The method's augmented views of a uint8 batch, in ``forward``'s order."""
        return [p(images, generator) for p in self.pipelines]
