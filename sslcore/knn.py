"""Weighted k-nearest-neighbour classifier on normalized features (the kNN monitor of InstDisc / MoCo).

For a query q and memory-bank features f_i with labels y_i, take the k most cosine-similar f_i; class c
scores sum_{i in top-k, y_i = c} exp(q . f_i / t); the prediction is the best class. k = 200, t = 0.1.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


@torch.no_grad()
def knn_predict(
    query: torch.Tensor,
    bank: torch.Tensor,
    bank_labels: torch.Tensor,
    num_classes: int,
    k: int = 200,
    temperature: float = 0.1,
    chunk: int = 1024,
) -> torch.Tensor:
    """Predicted labels (n,) for ``query`` (n, d) against ``bank`` (m, d) with labels (m,)."""
    bank = F.normalize(bank.float(), dim=1)
    k = min(k, len(bank))
    preds = []
    for q in F.normalize(query.float(), dim=1).split(chunk):
        sim, idx = (q @ bank.T).topk(k, dim=1)
        votes = torch.zeros(len(q), num_classes, device=q.device)
        votes.scatter_add_(1, bank_labels[idx], (sim / temperature).exp())
        preds.append(votes.argmax(dim=1))
    return torch.cat(preds)


def knn_accuracy(
    train: torch.Tensor,
    train_labels: torch.Tensor,
    test: torch.Tensor,
    test_labels: torch.Tensor,
    k: int = 200,
    temperature: float = 0.1,
) -> float:
    num_classes = int(max(train_labels.max(), test_labels.max())) + 1
    pred = knn_predict(test, train, train_labels, num_classes, k, temperature)
    return float((pred == test_labels).float().mean())


def stratified_split(
    labels: torch.Tensor, test_fraction: float = 0.2, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """(train indices, test indices): ``test_fraction`` of every class (at least one, if it has two)."""
    g = torch.Generator().manual_seed(seed)
    train, test = [], []
    for c in labels.unique():
        idx = (labels == c).nonzero().squeeze(1)
        idx = idx[torch.randperm(len(idx), generator=g)]
        n_test = min(len(idx) - 1, max(1, round(test_fraction * len(idx)))) if len(idx) > 1 else 0
        test.append(idx[:n_test])
        train.append(idx[n_test:])
    return torch.cat(train).sort().values, torch.cat(test).sort().values
