import torch

from sslcore.knn import knn_accuracy, knn_predict, stratified_split
from sslcore.linear_probe import linear_probe


def test_weighted_vote_by_hand():
    bank = torch.tensor([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]])
    labels = torch.tensor([0, 1, 1])
    q = torch.tensor([[1.0, 0.0]])
    # k = 3, t = 1: class 0 gets e^1, class 1 gets e^0.8 + e^0 = 3.23 > e = 2.72
    assert knn_predict(q, bank, labels, 2, k=3, temperature=1.0).tolist() == [1]
    # t = 0.1 sharpens: e^10 beats e^8 + 1
    assert knn_predict(q, bank, labels, 2, k=3, temperature=0.1).tolist() == [0]
    assert knn_predict(q, bank, labels, 2, k=1).tolist() == [0]


def test_separable_clusters_and_split():
    g = torch.Generator().manual_seed(0)
    labels = torch.arange(3).repeat_interleave(20)
    feats = torch.eye(3)[labels] * 5 + 0.3 * torch.randn(60, 3, generator=g)
    train, test = stratified_split(labels, 0.25)
    assert len(test) == 15 and set(labels[test].tolist()) == {0, 1, 2}
    assert not set(train.tolist()) & set(test.tolist())
    assert knn_accuracy(feats[train], labels[train], feats[test], labels[test]) == 1.0
    assert linear_probe(feats[train], labels[train], feats[test], labels[test]) == 1.0
