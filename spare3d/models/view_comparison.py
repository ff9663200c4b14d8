"""View-comparison network (2022): does this isometric drawing show the object of these three views?

One matching logit from the late-fusion trunk. Pretext on `pairs`: for two similar objects A and B,
(views A, iso A) and (views B, iso B) are matches, the cross pairs are not (BCE). T2I: score each of
the 4 candidates, argmax; fine-tuning uses BCE over the 4 candidates.

Options beyond the paper (NetConfig): `contrast` gives each candidate an input channel, its
difference to the mean of the other candidates of the item, so the encoder sees where the candidates
disagree; `edge_hull` gives it the edge hull of the three views drawn from pose 2 (edge_hull.py), so
the candidate branch sees, aligned with each candidate, which lines the views support;
`pretext_loss="rank"` scores each set of views against all its candidates with a softmax
(the pretext becomes a T2I question with 2 or 4 candidates); `negatives="mixed"` adds both objects of
the next model in the batch as easy negatives. Pretext accuracy is always the hard decision: the
matching isometric scores above the other object's.
"""

from __future__ import annotations

import torch

from spare3d.losses import bce_over_candidates, pair_matching, pair_ranking
from spare3d.models.base import NetConfig, ReasoningNet
from spare3d.models.edge_hull import EdgeHull
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
        channels = 1 + config.contrast + config.edge_hull
        self.trunk = LateFusion(config, out_dim=1, in_channels=channels)
        self.hull = EdgeHull(config.image_size) if config.edge_hull else None

    def _from_ink(self, ink: torch.Tensor) -> torch.Tensor:
        return (1 - ink - self.config.input_mean) / self.config.input_std

    def forward(
        self, views: torch.Tensor, iso: torch.Tensor, contrast: torch.Tensor | None = None
    ) -> torch.Tensor:
        """views (B, 3, H, W), iso (B, N, H, W) -> (B, N) matching logits.

        `contrast` (B, N, H, W): the candidates' contrast channel, by default among the N given."""
        extras = []
        if self.config.contrast:
            extras.append(candidate_contrast(iso) if contrast is None else contrast)
        if self.hull is not None:
            hull = self._from_ink(self.hull(self._ink(views).clamp(0, 1)))
            extras.append(hull[:, None].expand_as(iso))
        codes = self.trunk.encode_iso(iso, extras)
        return self.trunk.fuse(self.trunk.encode_views(views)[:, None], codes)[..., 0]

    def score(self, task: str, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return self(batch["views"], batch["candidates"])

    def task_loss(self, task: str, scores: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        return bce_over_candidates(scores, label)

    def pretext_step(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        views, iso = batch["views"], batch["iso"]  # (B, 2, 3, H, W), (B, 2, H, W)
        contrast = candidate_contrast(iso)  # within each pair, as at T2I time within each question
        scores = []
        for j in (
            0,
            1,
        ):  # the views of object j against: its isometric, the other object's, [another model's]
            order = [j, 1 - j]
            candidates, contrasts = [iso[:, order]], [contrast[:, order]]
            if self.config.negatives == "mixed":
                candidates.append(iso.roll(1, dims=0))
                contrasts.append(contrast.roll(1, dims=0))
            scores.append(self(views[:, j], torch.cat(candidates, 1), torch.cat(contrasts, 1)))
        scores = torch.stack(scores, 1).flatten(0, 1)  # (2B, 2 or 4), the matching isometric first
        positive, negatives = scores[:, 0], scores[:, 1:]
        if self.config.pretext_loss == "rank":
            loss, _ = pair_ranking(scores)
        else:  # positives repeated so that they weigh as much as all negatives together
            loss, _ = pair_matching(positive.repeat(negatives.shape[1]), negatives.T.flatten())
        return loss, positive > negatives[:, 0]

    def encoders(self) -> list:
        return list(self.trunk.encoders)
