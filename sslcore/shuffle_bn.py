"""Shuffling BatchNorm for momentum-contrast methods (MoCo, He et al. 2020, sec. 3.3), on one device or many.

Why: BatchNorm couples the samples of a batch. InfoNCE against a queue only asks a query to score its
positive key above keys from *earlier* batches, so when the queries and their keys are normalized with
statistics of the same images, the encoders can tell "key of this batch" from "queued key" by the batch
statistics alone and the loss falls without learning features (MoCo calls it cheating; on one device a
MoCo-v2 student stayed at random-init kNN accuracy). MoCo's fix is per-device BN with the key batch
shuffled across devices, so a query and its key are normalized over different sets of images.

What:
- ``SplitBatchNorm``: in training, each of ``num_splits`` interleaved sub-batches (sample i belongs to
  sub-batch i mod num_splits) is normalized with its own mean and (biased) variance, as if the batch ran
  on ``num_splits`` devices with per-device BN (MoCo's single-GPU CIFAR demo). The running statistics
  move towards the mean over sub-batches of their (unbiased) statistics; eval mode is plain BN.
- ``split_batchnorm(module, num_splits)``: every BatchNorm of ``module`` replaced by a ``SplitBatchNorm``
  with the same parameters, buffers and ``state_dict`` keys.
- ``shuffled_forward(encoder, x)``: ``encoder`` on a random permutation of the batch, rows put back in
  order. Under DDP the permutation runs over the global batch (MoCo's ``batch_shuffle_ddp``): gather the
  inputs, each rank encodes its slice of the shuffled batch, gather the outputs, unshuffle. The
  permutation comes from torch's global CPU generator (saved in checkpoints; rank 0's is broadcast).
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import chain

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn

from sslcore import distributed


class SplitBatchNorm(nn.modules.batchnorm._BatchNorm):
    """BatchNorm over ``num_splits`` interleaved sub-batches in training (any input ``(N, C, *)``)."""

    def __init__(self, num_features: int, num_splits: int, **kwargs: object) -> None:
        super().__init__(num_features, **kwargs)  # type: ignore[arg-type]
        if num_splits < 1:
            raise ValueError("num_splits must be positive")
        self.num_splits = num_splits

    def _check_input_dim(self, x: torch.Tensor) -> None:
        if x.dim() < 2:
            raise ValueError(f"expected an (N, C, *) input, got {x.dim()}D")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = self.num_splits
        if not self.training or s == 1:
            return super().forward(x)
        self._check_input_dim(x)
        n, c = x.shape[:2]
        if n % s:
            raise ValueError(f"batch of {n} does not split into {s} BatchNorm sub-batches")
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:  # cumulative moving average
                momentum = 1.0 / float(self.num_batches_tracked)
        tracked = self.track_running_stats and self.running_mean is not None
        running_mean = self.running_mean.repeat(s) if tracked else None
        running_var = self.running_var.repeat(s) if tracked else None
        y = F.batch_norm(
            x.reshape(n // s, s * c, *x.shape[2:]),  # channel j*c + k is channel k of sub-batch j
            running_mean,
            running_var,
            None if self.weight is None else self.weight.repeat(s),
            None if self.bias is None else self.bias.repeat(s),
            True,
            momentum,
            self.eps,
        ).reshape(x.shape)
        if tracked:
            with torch.no_grad():
                self.running_mean.copy_(running_mean.view(s, c).mean(0))
                self.running_var.copy_(running_var.view(s, c).mean(0))
        return y

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, num_splits={self.num_splits}"


def split_batchnorm(module: nn.Module, num_splits: int) -> nn.Module:
    """``module`` with every BatchNorm below it replaced by a ``SplitBatchNorm`` (same state); returned."""
    if isinstance(module, nn.modules.batchnorm._BatchNorm):
        raise ValueError("split_batchnorm replaces the BatchNorm layers inside a container module")
    for name, child in module.named_children():
        if isinstance(child, nn.modules.batchnorm._BatchNorm) and not isinstance(child, nn.SyncBatchNorm):
            like = next(chain(child.parameters(), child.buffers()), None)  # device and dtype to match
            split = SplitBatchNorm(
                child.num_features,
                num_splits,
                eps=child.eps,
                momentum=child.momentum,
                affine=child.affine,
                track_running_stats=child.track_running_stats,
                device=None if like is None else like.device,
                dtype=None if like is None else like.dtype,
            )
            split.load_state_dict(child.state_dict())
            split.train(child.training)
            setattr(module, name, split)
        else:
            split_batchnorm(child, num_splits)
    return module


def _permutation(n: int, device: torch.device) -> torch.Tensor:
    perm = torch.randperm(n).to(device)
    if distributed.world_size() > 1:
        dist.broadcast(perm, src=0)
    return perm


@torch.no_grad()
def shuffled_forward(encoder: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """``encoder`` (no gradient: a key encoder) on the (global) batch ``x`` in shuffled order; the rows
    come back in ``x``'s order."""
    world = distributed.world_size()
    if world == 1:
        perm = _permutation(len(x), x.device)
        return encoder(x[perm])[torch.argsort(perm)]
    n, rank = len(x), distributed.rank()
    everything = distributed.gather(x)
    perm = _permutation(len(everything), x.device)
    mine = slice(rank * n, (rank + 1) * n)
    out = distributed.gather(encoder(everything[perm[mine]]))
    return out[torch.argsort(perm)][mine]
