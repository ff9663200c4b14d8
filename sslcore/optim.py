"""Optimizers for pretraining: SGD (momentum), LARS and AdamW, with the usual parameter groups.

Biases and normalization parameters (tensors with ndim <= 1) get no weight decay and no LARS
adaptation; everything else gets both. LARS (You et al., 2017, as used by SimCLR):
    g' = g + wd * w;   trust = eta * ||w|| / ||g'||  (1 when either norm is 0);
    v <- m * v + trust * g';   w <- w - lr * v.
Learning-rate scaling (SimCLR): linear lr = base * B / 256, or square-root lr = base * sqrt(B / 256),
which helps small batches.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch
from torch import nn
from torch.optim import Optimizer

from sslcore.errors import SSLCoreError

OPTIMIZERS = ("sgd", "lars", "adamw")


class LARS(Optimizer):
    """SGD with momentum and layer-wise trust ratio; groups with ``lars=False`` skip the trust ratio."""

    def __init__(
        self,
        params: Iterable,
        lr: float,
        momentum: float = 0.9,
        weight_decay: float = 0.0,
        eta: float = 0.001,
    ) -> None:
        super().__init__(
            params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay, eta=eta, lars=True)
        )

    @torch.no_grad()
    def step(self, closure=None):  # noqa: ANN001, ANN201 - torch Optimizer signature
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                d_p = p.grad.add(p, alpha=group["weight_decay"])
                if group["lars"]:
                    w_norm, g_norm = torch.linalg.vector_norm(p), torch.linalg.vector_norm(d_p)
                    one = torch.ones_like(w_norm)
                    trust = torch.where((w_norm > 0) & (g_norm > 0), group["eta"] * w_norm / g_norm, one)
                    d_p = d_p.mul(trust)
                state = self.state[p]
                buf = state.get("momentum_buffer")
                if buf is None:
                    buf = state["momentum_buffer"] = torch.clone(d_p)
                else:
                    buf.mul_(group["momentum"]).add_(d_p)
                p.add_(buf, alpha=-group["lr"])
        return loss


def param_groups(module: nn.Module, weight_decay: float) -> list[dict]:
    """Two groups: weights (decay, LARS) and biases/norm parameters (no decay, no LARS)."""
    params = [p for p in module.parameters() if p.requires_grad]
    decay = [p for p in params if p.ndim > 1]
    plain = [p for p in params if p.ndim <= 1]
    return [
        {"params": decay, "weight_decay": weight_decay, "lars": True},
        {"params": plain, "weight_decay": 0.0, "lars": False},
    ]


def scale_lr(base_lr: float, batch_size: int, rule: str = "linear") -> float:
    """``base * B/256`` (linear) or ``base * sqrt(B/256)`` (sqrt); ``none`` leaves it unchanged."""
    if rule == "linear":
        return base_lr * batch_size / 256
    if rule == "sqrt":
        return base_lr * math.sqrt(batch_size / 256)
    if rule == "none":
        return base_lr
    raise SSLCoreError(f"lr scaling rule must be linear, sqrt or none, got {rule!r}")


def build_optimizer(
    module: nn.Module, name: str, lr: float, weight_decay: float, momentum: float = 0.9
) -> Optimizer:
    """``sgd`` | ``lars`` | ``adamw`` over ``param_groups(module, weight_decay)``."""
    groups = param_groups(module, weight_decay)
    if name == "sgd":
        for g in groups:
            g.pop("lars")
        return torch.optim.SGD(groups, lr=lr, momentum=momentum)
    if name == "lars":
        return LARS(groups, lr=lr, momentum=momentum)
    if name == "adamw":
        for g in groups:
            g.pop("lars")
        return torch.optim.AdamW(groups, lr=lr)
    raise SSLCoreError(f"unknown optimizer {name!r}; choose from {', '.join(OPTIMIZERS)}")
