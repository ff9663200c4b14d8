"""Learning-rate schedule: linear warm-up then cosine decay, stepped once per optimizer step.

factor(s) = (s + 1) / W                                            for s < W
factor(s) = r + (1 - r) * 0.5 * (1 + cos(pi * (s - W) / (T - W)))  for W <= s < T
with W warm-up steps, T total steps, r = ``final_ratio`` (SimCLR: 10-epoch warm-up, cosine to 0).
"""

from __future__ import annotations

import math

from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler


def warmup_cosine(step: int, warmup_steps: int, total_steps: int, final_ratio: float = 0.0) -> float:
    """The multiplier of the base learning rate at optimizer step ``step`` (0-based)."""
    if step < warmup_steps:
        return (step + 1) / warmup_steps
    progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
    return final_ratio + (1.0 - final_ratio) * 0.5 * (1.0 + math.cos(math.pi * progress))


class WarmupCosine(LRScheduler):
    """``warmup_cosine`` as a torch scheduler (state_dict holds only numbers)."""

    def __init__(
        self,
        optimizer: Optimizer,
        warmup_steps: int,
        total_steps: int,
        final_ratio: float = 0.0,
        last_epoch: int = -1,
    ) -> None:
        self.warmup_steps = warmup_steps
        self.total_steps = total_steps
        self.final_ratio = final_ratio
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        f = warmup_cosine(self.last_epoch, self.warmup_steps, self.total_steps, self.final_ratio)
        return [base * f for base in self.base_lrs]
