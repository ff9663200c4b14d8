"""Momentum (exponential moving average) encoders, as in MoCo / BYOL.

    theta_target <- m * theta_target + (1 - m) * theta_online      (parameters)
    buffers (BatchNorm running statistics) are copied from the online network.
The target copy never receives gradients.
"""

from __future__ import annotations

import copy

import torch
from torch import nn


def momentum_copy(online: nn.Module) -> nn.Module:
    """A frozen deep copy of ``online`` to be updated with ``momentum_update``."""
    target = copy.deepcopy(online)
    for p in target.parameters():
        p.requires_grad_(False)
    return target


@torch.no_grad()
def momentum_update(online: nn.Module, target: nn.Module, m: float) -> None:
    """In-place EMA of ``target`` towards ``online`` with coefficient ``m``."""
    online_params = [p.detach() for p in online.parameters()]
    target_params = list(target.parameters())
    torch._foreach_mul_(target_params, m)
    torch._foreach_add_(target_params, online_params, alpha=1.0 - m)
    for bt, bo in zip(target.buffers(), online.buffers(), strict=True):
        bt.copy_(bo)
