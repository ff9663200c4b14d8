import math

import torch

from spare3d.losses import bce_over_candidates, margin_ranking, pair_matching


def test_margin_ranking_formula():
    scores = torch.tensor([[-1.0, -0.5, -3.0, -2.2]])  # distances 1, 0.5, 3, 2.2; correct = 0
    expected = (max(0, 1 + 1 - 0.5) + max(0, 1 + 1 - 3) + max(0, 1 + 1 - 2.2)) / 3
    assert math.isclose(float(margin_ranking(scores, torch.tensor([0]))), expected, rel_tol=1e-6)


def test_bce_over_candidates_formula():
    scores = torch.tensor([[2.0, 0.0, -1.0, 1.0]])
    sig = torch.sigmoid(scores[0])
    expected = (
        -(torch.log(sig[2]) + torch.log(1 - sig[0]) + torch.log(1 - sig[1]) + torch.log(1 - sig[3])) / 4
    )
    assert math.isclose(float(bce_over_candidates(scores, torch.tensor([2]))), float(expected), rel_tol=1e-5)


def test_pair_matching_correctness_by_sign():
    loss, ok = pair_matching(torch.tensor([3.0, -1.0]), torch.tensor([-2.0, 0.5]))
    assert ok.tolist() == [True, False, True, False]
    assert float(loss) > 0
