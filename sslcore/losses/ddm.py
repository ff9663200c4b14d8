"""CLSA's distributional divergence minimization (DDM) loss (Wang & Qi, CLSA).

With S = [positive key; queue] and temperature T2 (0.2):
    p_weak   = softmax(q' . S / T2)   (stop-gradient: the weak view is the teacher)
    p_strong = softmax(q'' . S / T2)
    L_DDM    = -sum_j p_weak[j] log p_strong[j],   averaged over the batch,
i.e. the cross-entropy of the strong view's distribution against the weak view's.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def ddm(weak_logits: torch.Tensor, strong_logits: torch.Tensor) -> torch.Tensor:
    """DDM from (n, 1 + K) logits over [positive; queue] (``info_nce.queue_logits`` with T2)."""
    target = F.softmax(weak_logits.detach().float(), dim=1)
    return -(target * F.log_softmax(strong_logits.float(), dim=1)).sum(dim=1).mean()
