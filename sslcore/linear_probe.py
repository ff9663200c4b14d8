"""Linear probe: a logistic-regression classifier trained on frozen, standardized features.

Features are standardized with the training set's mean and std; a linear layer is trained with AdamW
(full batch, cross-entropy, weight decay) for a fixed number of steps; the score is test accuracy.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def linear_probe(
    train: torch.Tensor,
    train_labels: torch.Tensor,
    test: torch.Tensor,
    test_labels: torch.Tensor,
    steps: int = 300,
    lr: float = 0.01,
    weight_decay: float = 1e-4,
    seed: int = 0,
) -> float:
    """Test accuracy of a linear classifier fitted on ``train`` features (frozen backbone)."""
    mean, std = train.mean(dim=0), train.std(dim=0).clamp_min(1e-6)
    train, test = (train - mean) / std, (test - mean) / std
    num_classes = int(max(train_labels.max(), test_labels.max())) + 1
    torch.manual_seed(seed)
    clf = nn.Linear(train.shape[1], num_classes)
    opt = torch.optim.AdamW(clf.parameters(), lr=lr, weight_decay=weight_decay)
    for _ in range(steps):
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(clf(train), train_labels).backward()
        opt.step()
    with torch.no_grad():
        return float((clf(test).argmax(dim=1) == test_labels).float().mean())
