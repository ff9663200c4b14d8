"""Early fusion baseline (SPARE3D "binary classification"): [candidate, F, R, T] stacked as channels,
one encoder, one matching logit per candidate; trained with BCE over the 4 candidates.

For P2I the asked pose k (one-hot) is appended to the image features before the MLP.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from spare3d.losses import bce_over_candidates
from spare3d.models.base import NetConfig, ReasoningNet, mlp
from spare3d.models.encoders import build_encoder


class EarlyFusionNet(ReasoningNet):
    tasks = ("t2i", "p2i")

    def __init__(self, config: NetConfig) -> None:
        super().__init__(config)
        self.tasks = (config.task,)
        self.encoder, dim = build_encoder(config, 4)
        self.n_pose_inputs = config.n_poses if config.task == "p2i" else 0
        self.head = nn.Sequential(mlp(dim + self.n_pose_inputs, config.hidden), nn.Linear(config.hidden, 1))

    def score(self, task: str, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        views, candidates = batch["views"], batch["candidates"]
        b, n = candidates.shape[:2]
        stacked = torch.cat([candidates[:, :, None], views[:, None].expand(-1, n, -1, -1, -1)], dim=2)
        feats = self.encoder(stacked.flatten(0, 1)).reshape(b, n, -1)
        if self.n_pose_inputs:
            pose = F.one_hot(batch["pose"], self.n_pose_inputs).to(feats.dtype)
            feats = torch.cat([feats, pose[:, None].expand(-1, n, -1)], dim=-1)
        return self.head(feats)[..., 0]

    def task_loss(self, task: str, scores: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        return bce_over_candidates(scores, label)

    def encoders(self) -> list:
        return [self.encoder]
