"""Data-parallel helpers for torchrun (single node or multi-node) with correct gradients.

``init_distributed()`` reads torchrun's environment (``WORLD_SIZE``, ``RANK``, ``LOCAL_RANK``,
``MASTER_ADDR``/``MASTER_PORT``) and joins the process group (NCCL on CUDA, gloo on CPU); without those
variables it does nothing and the helpers answer rank 0 of 1.

``gather_with_grad(x)`` concatenates ``x`` from all ranks along dim 0 and keeps the autograd graph:
the backward pass sums the incoming gradients over ranks (all-reduce) and returns this rank's slice.
Each rank computes its loss as a mean over its *local* rows against the gathered keys, DDP averages
the parameter gradients over the W ranks, so the result is the gradient of the global mean loss for any
world size. (Returning only the local slice without the all-reduce - or computing the full loss on
every rank - yields gradients off by a factor of W, the known bug in SSL libraries.)
"""

from __future__ import annotations

import datetime
import os

import torch
import torch.distributed as dist


def is_initialized() -> bool:
    return dist.is_available() and dist.is_initialized()


def world_size() -> int:
    return dist.get_world_size() if is_initialized() else 1


def rank() -> int:
    return dist.get_rank() if is_initialized() else 0


def is_main() -> bool:
    return rank() == 0


def init_distributed(timeout_minutes: float = 30.0) -> bool:
    """Join the torchrun process group if ``WORLD_SIZE`` > 1; return whether distributed is on."""
    if is_initialized():
        return True
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return False
    backend = "nccl" if torch.cuda.is_available() else "gloo"
    if backend == "nccl":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", 0)))
    dist.init_process_group(backend, timeout=datetime.timedelta(minutes=timeout_minutes))
    return True


def teardown() -> None:
    if is_initialized():
        dist.destroy_process_group()


def barrier() -> None:
    if is_initialized():
        dist.barrier()


class _GatherWithGrad(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:  # noqa: ANN001 - autograd signature
        parts = [torch.empty_like(x) for _ in range(dist.get_world_size())]
        dist.all_gather(parts, x.contiguous())
        ctx.rows = x.shape[0]
        return torch.cat(parts)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:  # noqa: ANN001
        grad = grad.contiguous()
        dist.all_reduce(grad)
        start = dist.get_rank() * ctx.rows
        return grad[start : start + ctx.rows]


def gather_with_grad(x: torch.Tensor) -> torch.Tensor:
    """All ranks' ``x`` concatenated (same shape on every rank), differentiable; ``x`` itself if W = 1."""
    return _GatherWithGrad.apply(x) if world_size() > 1 else x


@torch.no_grad()
def gather(x: torch.Tensor) -> torch.Tensor:
    """All ranks' ``x`` concatenated without gradient (keys for a queue, features for kNN)."""
    if world_size() == 1:
        return x
    parts = [torch.empty_like(x) for _ in range(world_size())]
    dist.all_gather(parts, x.contiguous())
    return torch.cat(parts)


def all_reduce_mean(x: torch.Tensor) -> torch.Tensor:
    """Mean of ``x`` over ranks (for logging)."""
    if world_size() == 1:
        return x
    x = x.detach().clone()
    dist.all_reduce(x)
    return x / world_size()
