"""The MoCo-v2 machinery CLSA and DisCo build on: query encoder, momentum key encoder, key queue.

k = normalize(key_head(key_backbone(view)))   (no gradient; key encoder an EMA of the query encoder)
after the loss, the keys of all ranks enter the FIFO queue. ``symmetric`` (MoCo's CIFAR demo): both
views are queries, each against the other's key, the loss is the mean of the two directions and both key
batches enter the queue.

Shuffling BN (``sslcore.shuffle_bn``, MoCo sec. 3.3): both encoders normalize ``bn_splits`` sub-batches
per device separately and the key batch is shuffled (across ranks under DDP) before the key encoder,
so a query and its positive key are normalized over (mostly) different images; otherwise the encoders
tell current keys from queued ones by their batch statistics and learn little.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from sslcore import distributed
from sslcore.heads import HeadConfig, ProjectionHead
from sslcore.methods.common import SSLMethod
from sslcore.momentum import momentum_copy, momentum_update
from sslcore.queue import KeyQueue
from sslcore.shuffle_bn import shuffled_forward, split_batchnorm


class MoCoBase(SSLMethod):
    global_batchnorm = False  # per-device (split) BN with shuffled keys, never SyncBatchNorm

    def __init__(
        self,
        backbone: nn.Module,
        head: HeadConfig,
        queue_size: int,
        ema: float,
        temperature: float,
        bn_splits: int = 1,
        shuffle_keys: bool = True,
        symmetric: bool = False,
    ) -> None:
        super().__init__()
        self.symmetric = symmetric
        self.backbone = split_batchnorm(backbone, bn_splits)
        self.head = split_batchnorm(ProjectionHead(head), bn_splits)
        self.shuffle_keys = shuffle_keys
        self.key_backbone = momentum_copy(self.backbone)
        self.key_head = momentum_copy(self.head)
        self.queue = KeyQueue(queue_size, head.out_dim)
        self.ema = ema
        self.temperature = temperature

    @torch.no_grad()
    def keys(self, views: list[torch.Tensor]) -> list[torch.Tensor]:
        """EMA-update the key encoder once, then the normalized keys of each view (one forward each)."""
        momentum_update(self.backbone, self.key_backbone, self.ema)
        momentum_update(self.head, self.key_head, self.ema)
        encode = self.key_encoder
        return [
            F.normalize((shuffled_forward(encode, v) if self.shuffle_keys else encode(v)).float(), dim=1)
            for v in views
        ]

    def key_encoder(self, view: torch.Tensor) -> torch.Tensor:
        return self.key_head(self.key_backbone(view))

    @torch.no_grad()
    def enqueue(self, keys: torch.Tensor) -> None:
        self.queue.enqueue(distributed.gather(keys))
