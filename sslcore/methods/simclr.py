"""SimCLR (Chen et al., 2020): two weak views, a shared encoder + MLP head, NT-Xent.

Both views go through the backbone in one concatenated forward pass (one BatchNorm batch of 2N, as in
SimCLR's global BN); the loss is NT-Xent over the embeddings gathered from all ranks.
"""

from __future__ import annotations

import torch
from torch import nn

from sslcore.augment import ViewConfig, ViewPipeline
from sslcore.heads import HeadConfig, ProjectionHead
from sslcore.losses import nt_xent
from sslcore.methods.common import SSLMethod, embed_views


class SimCLR(SSLMethod):
    def __init__(
        self, backbone: nn.Module, head: HeadConfig, view: ViewConfig, temperature: float = 0.5
    ) -> None:
        super().__init__()
        self.backbone = backbone
        self.head = ProjectionHead(head)
        self.temperature = temperature
        self.pipelines = [ViewPipeline(view), ViewPipeline(view)]

    def forward(self, views: list[torch.Tensor]) -> dict[str, torch.Tensor]:
        z1, z2 = embed_views(self.backbone, self.head, views)
        return {"loss": nt_xent(z1, z2, self.temperature)}
