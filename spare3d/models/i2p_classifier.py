"""I2P baseline (SPARE3D): [F, R, T, isometric] stacked as channels -> 4-way classifier over
poses 1, 2, 5, 6, trained with cross-entropy."""

from __future__ import annotations

import torch
from torch import nn

from spare3d.losses import cross_entropy
from spare3d.models.base import NetConfig, ReasoningNet, mlp
from spare3d.models.encoders import build_encoder


class I2PClassifier(ReasoningNet):
    tasks = ("i2p",)

    def __init__(self, config: NetConfig) -> None:
        super().__init__(config)
        self.encoder, dim = build_encoder(config, 4)
        self.head = nn.Sequential(mlp(dim, config.hidden), nn.Linear(config.hidden, 4))

    def score(self, task: str, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.head(self.encoder(torch.cat([batch["views"], batch["iso"][:, None]], dim=1)))

    def task_loss(self, task: str, scores: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        return cross_entropy(scores, label)

    def encoders(self) -> list:
        return [self.encoder]
