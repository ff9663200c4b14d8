"""Hull pose network: from which pose was this drawing made? Compare it with the edge hull of each pose.

For the three views and an isometric drawing d, the edge hull H_k of the views from pose k
(edge_hull.py) is a drawing of the object's edges from pose k. A small fully convolutional network g
(hull_matcher.pixel_matcher) reads two aligned channels, d's ink and H_k, and the logit of pose k is
the sum of its map:

    s(d, k) = sum_p g(d, H_k)(p)

so the overlap of d and H_k (the parameter-free cosine baseline) is within reach of one layer, and
what is learned is how ink without hull support and hull without ink count against a pose. Pretext on
`poses`: cross-entropy over the n_poses logits. Direct evaluation as the 2022 pose network: I2P = the
argmax over poses 1, 2, 5, 6; P2I = the candidate with the highest logit for the asked pose k.
Fine-tuning uses cross-entropy over those 4 scores.
"""

from __future__ import annotations

import torch
from torch import nn

from spare3d.models.base import NetConfig, ReasoningNet
from spare3d.models.edge_hull import EdgeHull
from spare3d.models.hull_matcher import pixel_matcher
from spare3d.models.pose import I2P_POSES, PoseNet


class HullPoseNet(PoseNet):
    """The 2022 pose network's tasks, pretext and losses, with the late-fusion trunk replaced by hulls."""

    def __init__(self, config: NetConfig) -> None:
        ReasoningNet.__init__(self, config)
        self.hulls = nn.ModuleList(EdgeHull(config.image_size, str(k)) for k in range(1, config.n_poses + 1))
        self.matcher = pixel_matcher(2, config.width)

    def pose_hulls(self, views: torch.Tensor, poses: list[int]) -> torch.Tensor:
        """views (B, 3, H, W) -> (B, len(poses), H, W) edge hulls from the given 0-based poses."""
        ink = self._ink(views).clamp(0, 1)
        return torch.stack([self.hulls[k](ink) for k in poses], 1)

    def match(self, drawings: torch.Tensor, hulls: torch.Tensor) -> torch.Tensor:
        """drawings (B, N, H, W) network input, hulls (B, N, H, W) -> (B, N) scores s(d, k)."""
        stacked = torch.stack([self._ink(drawings), hulls], dim=2)  # (B, N, 2, H, W)
        return self.matcher(stacked.flatten(0, 1)).sum((1, 2, 3)).reshape(drawings.shape[:2])

    def forward(self, views: torch.Tensor, iso: torch.Tensor) -> torch.Tensor:
        """views (B, 3, H, W), iso (B, H, W) -> (B, n_poses) pose logits."""
        hulls = self.pose_hulls(views, list(range(self.config.n_poses)))
        return self.match(iso[:, None].expand_as(hulls), hulls)

    def score(self, task: str, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        views = batch["views"]
        if task == "i2p":
            hulls = self.pose_hulls(views, [k - 1 for k in I2P_POSES])
            return self.match(batch["iso"][:, None].expand_as(hulls), hulls)
        candidates, pose = batch["candidates"], batch["pose"]
        asked = views.new_zeros(candidates.shape[0], *candidates.shape[2:])
        for k in pose.unique().tolist():  # one hull per item, of the pose its question asks
            rows = pose == k
            asked[rows] = self.pose_hulls(views[rows], [k])[:, 0]
        return self.match(candidates, asked[:, None].expand_as(candidates))

    def encoders(self) -> list:
        return [self.matcher]
