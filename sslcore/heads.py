"""Projection heads: MLPs between backbone features and the contrastive embedding.

``ProjectionHead(in_dim, hidden_dim, out_dim, num_layers)`` is ``num_layers`` linear layers; every
layer but the last is Linear -> BatchNorm1d -> ReLU (SimCLR/MoCo-v2 with ``num_layers=2``: one hidden
layer). Downstream tasks use the features before the head (Chen et al. 2020; Appalaraju et al.).
DisCo's "distilling bottleneck" fix is just a wider student head: ``disco_student_head`` uses a
2048-wide hidden layer (dropped at deployment, so it costs nothing there).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from torch import nn


@dataclass(frozen=True)
class HeadConfig:
    in_dim: int
    hidden_dim: int = 2048
    out_dim: int = 128
    num_layers: int = 2
    batch_norm: bool = True


class ProjectionHead(nn.Sequential):
    """MLP head; ``config`` (a ``HeadConfig``) is kept so checkpoints can rebuild it."""

    def __init__(self, config: HeadConfig) -> None:
        if config.num_layers < 1:
            raise ValueError("a projection head needs at least one layer")
        dims = [config.in_dim] + [config.hidden_dim] * (config.num_layers - 1) + [config.out_dim]
        layers: list[nn.Module] = []
        for i, (a, b) in enumerate(zip(dims[:-1], dims[1:], strict=True)):
            last = i == len(dims) - 2
            layers.append(nn.Linear(a, b, bias=last or not config.batch_norm))
            if not last:
                if config.batch_norm:
                    layers.append(nn.BatchNorm1d(b))
                layers.append(nn.ReLU(inplace=True))
        super().__init__(*layers)
        self.config = config

    def config_dict(self) -> dict:
        return asdict(self.config)


def disco_student_head(in_dim: int, out_dim: int = 128, hidden_dim: int = 2048) -> ProjectionHead:
    """DisCo's widened student head (hidden width 2048 in the paper's code)."""
    return ProjectionHead(HeadConfig(in_dim=in_dim, hidden_dim=hidden_dim, out_dim=out_dim))
