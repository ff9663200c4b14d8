"""CLSA (Wang & Qi, "Contrastive Learning with Stronger Augmentations"), on MoCo-v2.

Views: weak query q', weak key k (momentum encoder), strong queries q''_1..q''_m (weak pipeline + 5
strong ops; several sizes = multi-crop). With S = [k; queue]:
    L = InfoNCE(q', k, queue; T) + beta * mean_j DDM(softmax(q' . S / T2) (stop-grad), q''_j . S / T2)
T = T2 = 0.2, beta = 1. The weak query and the strong queries of the same size share one forward pass.
"""

from __future__ import annotations

import dataclasses

import torch

from sslcore.augment import ViewConfig, ViewPipeline, multicrop_configs
from sslcore.heads import HeadConfig
from sslcore.losses import ddm, info_nce, queue_logits
from sslcore.methods.common import embed_views
from sslcore.methods.moco import MoCoBase


class CLSA(MoCoBase):
    def __init__(
        self,
        backbone: torch.nn.Module,
        head: HeadConfig,
        view: ViewConfig,
        strong_sizes: tuple[int, ...],
        strong_ops: int = 5,
        queue_size: int = 65536,
        ema: float = 0.999,
        temperature: float = 0.2,
        ddm_temperature: float = 0.2,
        ddm_weight: float = 1.0,
        bn_splits: int = 1,
        shuffle_keys: bool = True,
    ) -> None:
        super().__init__(backbone, head, queue_size, ema, temperature, bn_splits, shuffle_keys)
        self.ddm_temperature = ddm_temperature
        self.ddm_weight = ddm_weight
        strong = [
            dataclasses.replace(c, strong=True, strong_ops=strong_ops)
            for c in multicrop_configs(view, strong_sizes)
        ]
        self.pipelines = [ViewPipeline(view), ViewPipeline(view)] + [ViewPipeline(c) for c in strong]

    def forward(self, views: list[torch.Tensor]) -> dict[str, torch.Tensor]:
        weak_q, weak_k, *strong = views
        q, *q_strong = embed_views(self.backbone, self.head, [weak_q, *strong])
        k = self.keys(weak_k)
        queue = self.queue.keys.clone()
        contrastive = info_nce(q, k, queue, self.temperature)
        weak_logits = queue_logits(q, k, queue, self.ddm_temperature)
        divergence = torch.stack(
            [ddm(weak_logits, queue_logits(s, k, queue, self.ddm_temperature)) for s in q_strong]
        )
        self.enqueue(k)
        loss = contrastive + self.ddm_weight * divergence.mean()
        return {"loss": loss, "info_nce": contrastive.detach(), "ddm": divergence.mean().detach()}
