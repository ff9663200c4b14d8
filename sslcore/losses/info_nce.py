"""InfoNCE against a queue of negative keys (MoCo, He et al. 2020; MoCo-v2 temperature 0.2).

For a normalized query q, its positive key k+ and K queued keys k_1..k_K:
    logits = [q . k+, q . k_1, ..., q . k_K] / t,    L = -log softmax(logits)[0],
averaged over the batch.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from sslcore.runtime import full_precision


@full_precision
def queue_logits(q: torch.Tensor, k: torch.Tensor, queue: torch.Tensor, temperature: float) -> torch.Tensor:
    """(n, 1 + K) fp32 logits of normalized queries against [own positive key; queue]; column 0 = positive."""
    q = F.normalize(q.float(), dim=1)
    k = F.normalize(k.float(), dim=1)
    positive = (q * k).sum(dim=1, keepdim=True)
    negative = q @ queue.float().T
    return torch.cat([positive, negative], dim=1) / temperature


def info_nce(q: torch.Tensor, k: torch.Tensor, queue: torch.Tensor, temperature: float = 0.2) -> torch.Tensor:
    """Mean InfoNCE of queries ``q`` (n, d) with positive keys ``k`` (n, d) and negatives ``queue`` (K, d)."""
    logits = queue_logits(q, k, queue, temperature)
    return F.cross_entropy(logits, torch.zeros(len(logits), dtype=torch.long, device=logits.device))
