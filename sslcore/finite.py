"""Stopping a training loop at the first non-finite loss, before its gradients reach the weights.

``check_loss(loss, where)`` raises ``NonFiniteLoss`` (an ``SSLCoreError``: one line, naming the step)
when the loss is NaN or infinite on any rank (the ranks agree, so none waits in a collective for one
that stopped). Called before ``backward()``, the step's update never happens and no checkpoint holding
weights of that step or later is written: ``last.pt`` / ``best.pt`` keep the last finite state.
"""

from __future__ import annotations

import torch

from sslcore import distributed
from sslcore.errors import SSLCoreError


class NonFiniteLoss(SSLCoreError):
    """The loss of a training step was NaN or infinite; training stopped before updating the weights."""


def check_loss(loss: torch.Tensor, where: str) -> None:
    """Raise ``NonFiniteLoss`` naming ``where`` (e.g. "step 12") if ``loss`` is not finite on some rank."""
    finite = distributed.all_reduce_mean(torch.isfinite(loss.detach()).all().float())
    if float(finite) < 1:
        raise NonFiniteLoss(
            f"{where}: the loss is {float(loss.detach().float().mean())} (not finite); training stopped "
            "before this step's update, no weights of it were saved"
        )
