"""View-comparison network (2022): does this isometric drawing show the object of these three views?

One matching logit from the late-fusion trunk. Pretext on `pairs`: for two similar objects A and B,
(views A, iso A) and (views B, iso B) are matches, the cross pairs are not (BCE). T2I: score each of
the 4 candidates, argmax; fine-tuning uses BCE over the 4 candidates.
"""

from __future__ import annotations

import torch

from spare3d.losses import bce_over_candidates, pair_matching
from spare3d.models.base import NetConfig, ReasoningNet
from spare3d.models.late_fusion import LateFusion


class ViewComparisonNet(ReasoningNet):
    tasks = ("t2i",)
    pretext = "pairs"

    def __init__(self, config: NetConfig) -> None:
        super().__init__(config)
        self.trunk = LateFusion(config, out_dim=1)

    def forward(self, views: torch.Tensor, iso: torch.Tensor) -> torch.Tensor:
        """views (B, 3, H, W), iso (B, N, H, W) -> (B, N) matching logits."""
        return self.trunk.fuse(self.trunk.encode_views(views)[:, None], self.trunk.encode_iso(iso))[..., 0]

    def score(self, task: str, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return self(batch["views"], batch["candidates"])

    def task_loss(self, task: str, scores: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        return bce_over_candidates(scores, label)

    def pretext_step(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        views = self.trunk.encode_views(batch["views"])  # (B, 2, hidden)
        iso = self.trunk.encode_iso(batch["iso"])  # (B, 2, hidden)
        positive = self.trunk.fuse(views, iso)
        negative = self.trunk.fuse(views, iso.flip(1))
        return pair_matching(positive, negative)

    def encoders(self) -> list:
        return list(self.trunk.encoders)
