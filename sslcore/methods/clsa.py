"""CLSA (Wang & Qi, "Contrastive Learning with Stronger Augmentations"), on MoCo-v2.

Views: weak query q', weak key k (momentum encoder), strong queries q''_1..q''_m (weak pipeline + 5
strong ops; several sizes = multi-crop). With S = [k; queue]:
    L = InfoNCE(q', k, queue; T) + beta * mean_j DDM(softmax(q' . S / T2) (stop-grad), q''_j . S / T2)
T = T2 = 0.2, beta = 1. The weak query and the strong queries of the same size share one forward pass.
``symmetric``: the second weak view is a query too (its key: the first view's); both terms are averaged
over the two (query, key) directions.
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
        symmetric: bool = False,
    ) -> None:
        super().__init__(backbone, head, queue_size, ema, temperature, bn_splits, shuffle_keys, symmetric)
        self.ddm_temperature = ddm_temperature
        self.ddm_weight = ddm_weight
        strong = [
            dataclasses.replace(c, strong=True, strong_ops=strong_ops)
            for c in multicrop_configs(view, strong_sizes)
        ]
        self.pipelines = [ViewPipeline(view), ViewPipeline(view)] + [ViewPipeline(c) for c in strong]

    def forward(self, views: list[torch.Tensor]) -> dict[str, torch.Tensor]:
        weak_1, weak_2, *strong = views
        weak = [weak_1, weak_2] if self.symmetric else [weak_1]
        queries = embed_views(self.backbone, self.head, [*weak, *strong])
        q_weak, q_strong = queries[: len(weak)], queries[len(weak) :]
        keys = self.keys(weak[::-1] if self.symmetric else [weak_2])  # each query's key: the other view
        queue = self.queue.keys.clone()
        t2 = self.ddm_temperature
        contrastive = torch.stack(
            [info_nce(q, k, queue, self.temperature) for q, k in zip(q_weak, keys, strict=True)]
        ).mean()
        divergence = torch.stack(
            [
                ddm(queue_logits(q, k, queue, t2), queue_logits(s, k, queue, t2))
                for q, k in zip(q_weak, keys, strict=True)
                for s in q_strong
            ]
        ).mean()
        self.enqueue(torch.cat(keys))
        loss = contrastive + self.ddm_weight * divergence
        return {"loss": loss, "info_nce": contrastive.detach(), "ddm": divergence.detach()}
