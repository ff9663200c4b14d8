"""View-comparison network (2022): does this isometric drawing show the object of these three views?

One matching logit from the late-fusion trunk. Pretext on `pairs`: for two similar objects A and B,
(views A, iso A) and (views B, iso B) are matches, the cross pairs are not (BCE). T2I: score each of
the 4 candidates, argmax; fine-tuning uses BCE over the 4 candidates.

Options beyond the paper (NetConfig): `contrast` gives each candidate a second input channel, its
difference to the mean of the other candidates of the item, so the encoder sees where the candidates
disagree; `pretext_loss="rank"` scores each set of views against all its candidates with a softmax
(the pretext becomes a T2I question with 2 or 4 candidates); `negatives="mixed"` adds both objects of
the next model in the batch as easy negatives. Pretext accuracy is always the hard decision: the
matching isometric scores above the other object's.
"""

from __future__ import annotations

import torch

from spare3d.losses import bce_over_candidates, pair_matching, pair_ranking
from spare3d.models.base import NetConfig, ReasoningNet
from spare3d.models.late_fusion import LateFusion


def candidate_contrast(candidates: torch.Tensor) -> torch.Tensor:
    """(B, N, H, W) -> each candidate minus the mean of the other N - 1 candidates of its item."""
    n = candidates.shape[1]
    others = (candidates.sum(1, keepdim=True) - candidates) / (n - 1)
    return candidates - others


class ViewComparisonNet(ReasoningNet):
    tasks = ("t2i",)
    pretext = "pairs"

    def __init__(self, config: NetConfig) -> None:
        super().__init__(config)
        if config.pretext_loss not in ("bce", "rank") or config.negatives not in ("pair", "mixed"):
            raise ValueError(
                f"pretext loss {config.pretext_loss!r} / negatives {config.negatives!r}: "
                "expected bce|rank and pair|mixed"
            )
        self.trunk = LateFusion(config, out_dim=1, in_channels=2 if config.contrast else 1)

    def encode_candidates(self, candidates: torch.Tensor) -> torch.Tensor:
        """(B, N, H, W) candidate drawings of B items -> (B, N, hidden)."""
        contrast = candidate_contrast(candidates) if self.config.contrast else None
        return self.trunk.encode_iso(candidates, contrast)

    def forward(self, views: torch.Tensor, iso: torch.Tensor) -> torch.Tensor:
        """views (B, 3, H, W), iso (B, N, H, W) -> (B, N) matching logits."""
        return self.trunk.fuse(self.trunk.encode_views(views)[:, None], self.encode_candidates(iso))[..., 0]

    def score(self, task: str, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return self(batch["views"], batch["candidates"])

    def task_loss(self, task: str, scores: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        return bce_over_candidates(scores, label)

    def pretext_step(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        views = self.trunk.encode_views(batch["views"])  # (B, 2, hidden)
        iso = self.encode_candidates(batch["iso"])  # (B, 2, hidden)
        positive = self.trunk.fuse(views, iso)[..., 0]  # (B, 2)
        hard = self.trunk.fuse(views, iso.flip(1))[..., 0]  # (B, 2): the other object of the pair
        negatives = [hard[..., None]]
        if self.config.negatives == "mixed":
            other_model = iso.roll(1, dims=0)  # both objects of another model in the batch
            negatives.append(self.trunk.fuse(views[:, :, None], other_model[:, None])[..., 0])  # (B, 2, 2)
        negatives = torch.cat(negatives, dim=-1).flatten(0, 1)  # (2B, 1 or 3)
        positive = positive.flatten()
        if self.config.pretext_loss == "rank":
            loss, _ = pair_ranking(torch.cat([positive[:, None], negatives], dim=1))
        else:  # positives repeated so that they weigh as much as all negatives together
            loss, _ = pair_matching(positive.repeat(negatives.shape[1]), negatives.T.flatten())
        return loss, positive > negatives[:, 0]

    def encoders(self) -> list:
        return list(self.trunk.encoders)
