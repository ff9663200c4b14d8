"""The MoCo-v2 machinery CLSA and DisCo build on: query encoder, momentum key encoder, key queue.

k = normalize(key_head(key_backbone(view)))   (no gradient; key encoder an EMA of the query encoder)
after the loss, the keys of all ranks enter the FIFO queue.
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


class MoCoBase(SSLMethod):
    def __init__(
        self, backbone: nn.Module, head: HeadConfig, queue_size: int, ema: float, temperature: float
    ) -> None:
        super().__init__()
        self.backbone = backbone
        self.head = ProjectionHead(head)
        self.key_backbone = momentum_copy(self.backbone)
        self.key_head = momentum_copy(self.head)
        self.queue = KeyQueue(queue_size, head.out_dim)
        self.ema = ema
        self.temperature = temperature

    @torch.no_grad()
    def keys(self, view: torch.Tensor) -> torch.Tensor:
        """EMA-update the key encoder, then the normalized keys of ``view``."""
        momentum_update(self.backbone, self.key_backbone, self.ema)
        momentum_update(self.head, self.key_head, self.ema)
        return F.normalize(self.key_head(self.key_backbone(view)).float(), dim=1)

    @torch.no_grad()
    def enqueue(self, keys: torch.Tensor) -> None:
        self.queue.enqueue(distributed.gather(keys))
