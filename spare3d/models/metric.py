"""Late-fusion metric learning baseline (SPARE3D): an encoder of the stacked F, R, T drawings and a
separate candidate encoder map into one embedding space; score = -L2 distance, trained with a margin
ranking loss (correct candidate nearer than each wrong one by `margin`).

For P2I a learned embedding of the asked pose k is added to the three-view embedding.
"""

from __future__ import annotations

import torch
from torch import nn

from spare3d.losses import margin_ranking
from spare3d.models.base import NetConfig, ReasoningNet
from spare3d.models.encoders import build_encoder


class MetricNet(ReasoningNet):
    tasks = ("t2i", "p2i")

    def __init__(self, config: NetConfig) -> None:
        super().__init__(config)
        self.tasks = (config.task,)
        self.views_encoder, views_dim = build_encoder(config, 3)
        self.candidate_encoder, cand_dim = build_encoder(config, 1)
        self.views_proj = nn.Linear(views_dim, config.hidden)
        self.candidate_proj = nn.Linear(cand_dim, config.hidden)
        self.pose_embedding = nn.Embedding(config.n_poses, config.hidden) if config.task == "p2i" else None

    def score(self, task: str, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        anchor = self.views_proj(self.views_encoder(batch["views"]))
        if self.pose_embedding is not None:
            anchor = anchor + self.pose_embedding(batch["pose"])
        candidates = batch["candidates"]
        b, n = candidates.shape[:2]
        emb = self.candidate_proj(
            self.candidate_encoder(candidates.reshape(b * n, 1, *candidates.shape[-2:]))
        )
        return -(emb.reshape(b, n, -1) - anchor[:, None]).float().norm(dim=-1)

    def task_loss(self, task: str, scores: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        return margin_ranking(scores, label, self.config.margin)

    def encoders(self) -> list:
        return [self.views_encoder, self.candidate_encoder]
