"""Pose network (2022): F, R, T + one isometric drawing -> logits over the 8 (or 20) poses.

Pretext on `poses` (cross-entropy over the poses). Direct evaluation: I2P = argmax over the logits of
poses 1, 2, 5, 6 (labels 0-3); P2I = the candidate with the highest logit for the asked pose k.
Fine-tuning uses cross-entropy over those 4 scores.
"""

from __future__ import annotations

import torch

from spare3d.losses import cross_entropy
from spare3d.models.base import NetConfig, ReasoningNet
from spare3d.models.late_fusion import LateFusion

I2P_POSES: tuple[int, ...] = (1, 2, 5, 6)


class PoseNet(ReasoningNet):
    tasks = ("i2p", "p2i")
    pretext = "poses"

    def __init__(self, config: NetConfig) -> None:
        super().__init__(config)
        self.trunk = LateFusion(config, out_dim=config.n_poses)

    def forward(self, views: torch.Tensor, iso: torch.Tensor) -> torch.Tensor:
        """views (B, 3, H, W), iso (B, H, W) or (B, N, H, W) -> pose logits (B, [N,] n_poses)."""
        codes = self.trunk.encode_views(views)
        if iso.dim() == 4:
            codes = codes[:, None]
        return self.trunk.fuse(codes, self.trunk.encode_iso(iso))

    def score(self, task: str, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        if task == "i2p":
            return self(batch["views"], batch["iso"])[:, [k - 1 for k in I2P_POSES]]
        logits = self(batch["views"], batch["candidates"])  # (B, 4, n_poses)
        pose = batch["pose"][:, None, None].expand(-1, logits.shape[1], 1)
        return logits.gather(2, pose)[..., 0]

    def task_loss(self, task: str, scores: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        return cross_entropy(scores, label)

    def pretext_step(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        logits = self(batch["views"], batch["iso"])
        return cross_entropy(logits, batch["label"]), logits.argmax(1) == batch["label"]

    def encoders(self) -> list:
        return list(self.trunk.encoders)
