"""NT-Xent, SimCLR's normalized temperature-scaled cross-entropy (Chen et al., 2020).

For 2N L2-normalized embeddings (two views of N images) and a positive pair (i, j):
    l(i, j) = -log( exp(s_ij / t) / sum_{k != i} exp(s_ik / t) ),   s = cosine similarity,
the denominator running over the 2N - 1 other embeddings (the positive and 2N - 2 negatives); the loss
is the mean of l over all 2N ordered positive pairs. Analytic checks: identical embeddings give
log(2N - 1); orthogonal images with identical views give log(1 + (2N - 2) exp(-1/t)).

Under data parallelism each rank passes its local n rows; the embeddings of all ranks are gathered with
gradients (``sslcore.distributed.gather_with_grad``), the local rows are the queries and the mean is over
them, so DDP's gradient averaging yields the gradient of the global loss for any world size.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from sslcore import distributed
from sslcore.runtime import full_precision


@full_precision
def nt_xent(
    z1: torch.Tensor, z2: torch.Tensor, temperature: float = 0.5, gather: bool = True
) -> torch.Tensor:
    """Mean NT-Xent over the positive pairs (z1[i], z2[i]); ``z*`` are (n, d), normalized inside."""
    z1 = F.normalize(z1.float(), dim=1)
    z2 = F.normalize(z2.float(), dim=1)
    n = z1.shape[0]
    if gather and distributed.world_size() > 1:
        k1, k2 = distributed.gather_with_grad(z1), distributed.gather_with_grad(z2)
        offset = distributed.rank() * n
    else:
        k1, k2, offset = z1, z2, 0
    total = k1.shape[0]
    queries = torch.cat([z1, z2])
    logits = queries @ torch.cat([k1, k2]).T / temperature
    own = torch.arange(n, device=z1.device) + offset
    self_cols = torch.cat([own, own + total])
    rows = torch.arange(2 * n, device=z1.device)
    logits = logits.index_put((rows, self_cols), torch.tensor(float("-inf"), device=z1.device))
    positives = torch.cat([own + total, own])
    return F.cross_entropy(logits, positives)
