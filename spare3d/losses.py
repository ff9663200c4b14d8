"""Losses over the 4 candidate scores of a question, and the view-comparison pretext loss."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def bce_over_candidates(scores: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
    """SPARE3D "binary classification": each of the 4 logits is a match / no-match decision,
    BCE with target 1 for the correct candidate and 0 for the others, averaged over all 4."""
    target = F.one_hot(label, scores.shape[1]).to(scores.dtype)
    return F.binary_cross_entropy_with_logits(scores, target)


def cross_entropy(scores: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
    """Softmax cross-entropy over the candidates (or classes)."""
    return F.cross_entropy(scores.float(), label)


def margin_ranking(scores: torch.Tensor, label: torch.Tensor, margin: float = 1.0) -> torch.Tensor:
    """SPARE3D "metric learning": scores are negative L2 distances; for the correct candidate p and each
    wrong candidate n, max(0, margin + d_p - d_n), averaged over the 3 wrong candidates."""
    positive = scores.gather(1, label[:, None])
    wrong = torch.ones_like(scores, dtype=torch.bool).scatter_(1, label[:, None], False)
    hinge = (margin - positive + scores).clamp(min=0)
    return hinge[wrong].mean()


def pair_matching(positive: torch.Tensor, negative: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """View-comparison pretext (2022): BCE with matching pairs as 1 and cross pairs as 0.

    Returns (loss, per-decision correctness) where a decision is correct when its logit has the right sign.
    """
    logits = torch.cat([positive.flatten(), negative.flatten()]).float()
    target = torch.cat([torch.ones(positive.numel()), torch.zeros(negative.numel())]).to(logits.device)
    loss = F.binary_cross_entropy_with_logits(logits, target)
    return loss, (logits > 0) == target.bool()


def pair_ranking(scores: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """View-comparison pretext as a choice: scores (B, N) of one set of views against N candidate
    drawings, the first of them the matching one; softmax cross-entropy towards candidate 0.

    Returns (loss, per-item correctness: the matching candidate scores highest).
    """
    target = torch.zeros(scores.shape[0], dtype=torch.long, device=scores.device)
    return F.cross_entropy(scores.float(), target), scores.argmax(1) == 0
