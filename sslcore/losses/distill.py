"""DisCo's distillation loss (Gao et al., ECCV 2022) on final L2-normalized embeddings.

    L = mean_i || s_i / ||s_i|| - t_i / ||t_i|| ||^2  = mean_i (2 - 2 cos(s_i, t_i)),
the squared error summed over the embedding dimensions, averaged over the batch; the teacher ``t`` is
frozen (no gradient). DisCo applies it to both augmented views: L(s(v1), t(v1)) + L(s(v2), t(v2)).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def distill_mse(student: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
    """Mean squared distance between normalized student and (detached) teacher embeddings."""
    s = F.normalize(student.float(), dim=1)
    t = F.normalize(teacher.detach().float(), dim=1)
    return (s - t).pow(2).sum(dim=1).mean()
