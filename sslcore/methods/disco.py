"""DisCo (Gao et al., "Distilled Contrastive Learning", ECCV 2022): a MoCo-v2 student distilled from a
frozen self-supervised teacher on the final L2-normalized embeddings of both views:
    L = InfoNCE(s(v1), k(v2), queue) + w * [ ||s(v1) - t(v1)||^2 + ||s(v2) - t(v2)||^2 ]  (normalized)
The student's head is widened (hidden 2048) to lift the distilling bottleneck; without a teacher this is
plain MoCo-v2 with the same head (the baseline DisCo is compared to). Both views share one student
forward pass; the teacher runs in eval mode without gradients. ``symmetric``: the contrastive term is the
mean of InfoNCE(s(v1), k(v2)) and InfoNCE(s(v2), k(v1)).
"""

from __future__ import annotations

import torch
from torch import nn

from sslcore.augment import ViewConfig, ViewPipeline
from sslcore.heads import HeadConfig
from sslcore.losses import distill_mse, info_nce
from sslcore.methods.common import embed_views
from sslcore.methods.moco import MoCoBase


class DisCo(MoCoBase):
    def __init__(
        self,
        backbone: nn.Module,
        head: HeadConfig,
        view: ViewConfig,
        teacher: nn.Module | None,
        queue_size: int = 65536,
        ema: float = 0.999,
        temperature: float = 0.2,
        distill_weight: float = 1.0,
        bn_splits: int = 1,
        shuffle_keys: bool = True,
        symmetric: bool = False,
    ) -> None:
        super().__init__(backbone, head, queue_size, ema, temperature, bn_splits, shuffle_keys, symmetric)
        self.teacher = teacher
        if teacher is not None:
            teacher.requires_grad_(False).eval()
        self.distill_weight = distill_weight
        self.pipelines = [ViewPipeline(view), ViewPipeline(view)]

    def train(self, mode: bool = True) -> DisCo:
        super().train(mode)
        if self.teacher is not None:
            self.teacher.eval()
        return self

    def forward(self, views: list[torch.Tensor]) -> dict[str, torch.Tensor]:
        v1, v2 = views
        s1, s2 = embed_views(self.backbone, self.head, [v1, v2])
        queue = self.queue.keys.clone()
        if self.symmetric:
            k1, k2 = self.keys([v1, v2])
            contrastive = (
                info_nce(s1, k2, queue, self.temperature) + info_nce(s2, k1, queue, self.temperature)
            ) / 2
            self.enqueue(torch.cat([k1, k2]))
        else:
            (k2,) = self.keys([v2])
            contrastive = info_nce(s1, k2, queue, self.temperature)
            self.enqueue(k2)
        if self.teacher is None:
            return {"loss": contrastive}
        with torch.no_grad():
            t1, t2 = self.teacher(torch.cat([v1, v2])).chunk(2)
        distill = distill_mse(s1, t1) + distill_mse(s2, t2)
        loss = contrastive + self.distill_weight * distill
        return {"loss": loss, "info_nce": contrastive.detach(), "distill": distill.detach()}
