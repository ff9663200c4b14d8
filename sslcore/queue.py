"""FIFO queue of normalized keys (MoCo's dictionary of negatives).

``enqueue(keys)`` writes the newest keys over the oldest ones, at ``ptr``, wrapping around; the queue
holds the last K keys in arrival order starting at ``ptr`` (oldest) - see ``ordered()``. It is a module
with buffers, so the keys and pointer live in ``state_dict`` (checkpoints, resume) and move with
``.to(device)``. The initial content is random unit vectors, as in MoCo.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class KeyQueue(nn.Module):
    keys: torch.Tensor
    ptr: torch.Tensor

    def __init__(self, size: int, dim: int, generator: torch.Generator | None = None) -> None:
        super().__init__()
        if size < 1:
            raise ValueError("queue size must be positive")
        self.register_buffer("keys", F.normalize(torch.randn(size, dim, generator=generator), dim=1))
        self.register_buffer("ptr", torch.zeros((), dtype=torch.long))

    @torch.no_grad()
    def enqueue(self, keys: torch.Tensor) -> None:
        """Replace the oldest ``len(keys)`` entries by ``keys`` (only the last K if more are given)."""
        keys = keys.detach()[-len(self.keys) :].to(self.keys.dtype)
        rows = (self.ptr + torch.arange(len(keys), device=self.keys.device)) % len(self.keys)
        self.keys[rows] = keys
        self.ptr.copy_((self.ptr + len(keys)) % len(self.keys))

    def ordered(self) -> torch.Tensor:
        """The keys from oldest to newest."""
        return torch.roll(self.keys, -int(self.ptr), dims=0)
