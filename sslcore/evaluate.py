"""Evaluation of a backbone on labelled images: features of un-augmented images, kNN and linear probe.

``evaluate_backbone`` splits the labelled images into 80% bank/train and 20% test per class (fixed
seed), and reports the weighted kNN accuracy (k = 200, t = 0.1) and the linear-probe accuracy.
"""

from __future__ import annotations

import torch
from torch import nn

from sslcore.augment.pipelines import ViewConfig, normalize
from sslcore.knn import knn_accuracy, stratified_split
from sslcore.linear_probe import linear_probe
from sslcore.runtime import autocast


@torch.no_grad()
def extract_features(
    backbone: nn.Module,
    images: torch.Tensor,
    view: ViewConfig,
    device: torch.device,
    precision: str = "auto",
    batch_size: int = 256,
) -> torch.Tensor:
    """(N, D) float features of uint8 ``images`` (N, C, H, W), backbone in eval mode (restored after)."""
    was_training = backbone.training
    backbone.eval()
    out = []
    for batch in images.split(batch_size):
        with autocast(device, precision):
            out.append(backbone(normalize(batch.to(device), view)).float().cpu())
    backbone.train(was_training)
    return torch.cat(out)


def evaluate_backbone(
    backbone: nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    view: ViewConfig,
    device: torch.device,
    precision: str = "auto",
    k: int = 200,
    temperature: float = 0.1,
    probe: bool = True,
) -> dict[str, float]:
    """{"knn_acc": ..., "linear_acc": ...} on a per-class 80/20 split of ``images``."""
    feats = extract_features(backbone, images, view, device, precision)
    train, test = stratified_split(labels)
    result = {"knn_acc": knn_accuracy(feats[train], labels[train], feats[test], labels[test], k, temperature)}
    if probe:
        result["linear_acc"] = linear_probe(feats[train], labels[train], feats[test], labels[test])
    return result
