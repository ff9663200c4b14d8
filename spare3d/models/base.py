"""What every reasoning network provides: its configuration, the tasks it answers and its losses."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import torch
from torch import nn

from spare3d.images import INK


@dataclass
class NetConfig:
    """Everything needed to rebuild a network (saved in checkpoints as plain values).

    model: registry name; task: the question task a task-specific network is built for (early fusion and
    metric learning condition on the pose for p2i); backbone: `vgg` or an sslcore backbone; width:
    VGG-style channels; hidden: MLP width (4096 in the 2022 paper); shared: one encoder for all views;
    small_input: sslcore backbones' small-image stem (None: for <= 64 px); input_mean / input_std:
    input (x / 255 - mean) / std (default: ink maps, see spare3d.images).
    View-comparison options (the 2022 network is contrast=False, pretext_loss="bce", negatives="pair"):
    contrast: each candidate drawing is encoded together with its difference to the mean of the other
    candidates of the same item (the other object of a pretext pair, the 3 others of a question);
    pretext_loss: "bce" (match / no-match per pair) or "rank" (softmax over each item's candidates);
    negatives: "pair" (the other object of the pair) or "mixed" (also both objects of another model);
    edge_hull: each candidate also gets the edge hull of the three views from pose 2 (a fixed
    geometric operator, spare3d.models.edge_hull) as an input channel aligned with it.
    """

    model: str
    task: str = "t2i"
    backbone: str = "vgg"
    width: int = 64
    image_size: int = 64
    hidden: int = 512
    shared: bool = True
    n_poses: int = 8
    margin: float = 1.0
    small_input: bool | None = None
    input_mean: float = INK[0]
    input_std: float = INK[1]
    contrast: bool = False
    pretext_loss: str = "bce"
    negatives: str = "pair"
    edge_hull: bool = False

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> NetConfig:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in names})


class ReasoningNet(nn.Module):
    """Base class: `score(task, batch)` gives (B, 4) candidate scores (argmax = answer)."""

    tasks: tuple[str, ...] = ()
    pretext: str | None = None

    def __init__(self, config: NetConfig) -> None:
        super().__init__()
        self.config = config

    @property
    def input_stats(self) -> tuple[float, float]:
        return self.config.input_mean, self.config.input_std

    def _ink(self, images: torch.Tensor) -> torch.Tensor:
        """Network input back to ink (1 on lines, 0 on paper), whatever the input statistics."""
        return 1 - (images * self.config.input_std + self.config.input_mean)

    def score(self, task: str, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        raise NotImplementedError

    def task_loss(self, task: str, scores: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def pretext_step(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """(loss, per-decision correctness) on a batch of the `pretext` set."""
        raise NotImplementedError(f"{self.config.model} has no pretext task")

    def encoders(self) -> list[nn.Module]:
        """The image encoders (targets for an sslcore backbone export)."""
        raise NotImplementedError


def mlp(in_dim: int, out_dim: int) -> nn.Sequential:
    """Linear + ReLU: the feature MLPs of the late-fusion networks."""
    return nn.Sequential(nn.Linear(in_dim, out_dim), nn.ReLU(inplace=True))
