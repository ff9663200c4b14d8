import math

import pytest
import torch
import torch.nn.functional as F

from sslcore.losses import ddm, distill_mse, info_nce, nt_xent, queue_logits


def nt_xent_by_definition(z1: torch.Tensor, z2: torch.Tensor, t: float) -> float:
    z = F.normalize(torch.cat([z1, z2]).double(), dim=1)
    n2 = len(z)
    total = 0.0
    for i in range(n2):
        j = (i + n2 // 2) % n2
        denom = sum(math.exp(float(z[i] @ z[k]) / t) for k in range(n2) if k != i)
        total += -math.log(math.exp(float(z[i] @ z[j]) / t) / denom)
    return total / n2


def test_nt_xent_matches_definition():
    g = torch.Generator().manual_seed(0)
    z1, z2 = torch.randn(5, 7, generator=g), torch.randn(5, 7, generator=g)
    for t in (0.1, 0.5, 2.0):
        assert float(nt_xent(z1, z2, t)) == pytest.approx(nt_xent_by_definition(z1, z2, t), rel=1e-5)


def test_nt_xent_hand_computed_two_pairs():
    # z1 = [e1, e2], z2 = [e1, -e2] at t = 1: rows e1, e2, e1, -e2
    z1 = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    z2 = torch.tensor([[1.0, 0.0], [0.0, -1.0]])
    e = math.e
    l_e1 = -math.log(e / (1 + e + 1))  # sims to others: e2 -> 0, e1 -> 1 (positive), -e2 -> 0
    l_e2 = -math.log(math.exp(-1) / (1 + 1 + math.exp(-1)))
    expected = (l_e1 + l_e2 + l_e1 + l_e2) / 4
    assert float(nt_xent(z1, z2, 1.0)) == pytest.approx(expected, rel=1e-6)


def test_nt_xent_identical_embeddings_give_log_2n_minus_1():
    z = torch.ones(6, 4)
    for t in (0.05, 0.5, 5.0):
        assert float(nt_xent(z, z, t)) == pytest.approx(math.log(11), rel=1e-5)


def test_nt_xent_orthogonal_images():
    z = torch.eye(4)
    for t in (0.2, 0.5, 1.0):
        assert float(nt_xent(z, z.clone(), t)) == pytest.approx(math.log(1 + 6 * math.exp(-1 / t)), rel=1e-5)
    assert float(nt_xent(z, z.clone(), 0.01)) < 1e-6  # t -> 0: only the positive counts
    assert float(nt_xent(z, z.clone(), 1e4)) == pytest.approx(math.log(7), rel=1e-3)  # t -> inf: uniform


def test_nt_xent_scale_invariant():
    g = torch.Generator().manual_seed(1)
    z1, z2 = torch.randn(4, 3, generator=g), torch.randn(4, 3, generator=g)
    assert torch.allclose(nt_xent(z1, z2), nt_xent(3 * z1, 0.5 * z2))


def test_info_nce_hand_computed():
    q = torch.tensor([[1.0, 0.0]])
    k = torch.tensor([[1.0, 0.0]])
    queue = torch.tensor([[0.0, 1.0], [-1.0, 0.0]])
    t = 0.5
    expected = -math.log(math.exp(1 / t) / (math.exp(1 / t) + math.exp(0) + math.exp(-1 / t)))
    assert float(info_nce(q, k, queue, t)) == pytest.approx(expected, rel=1e-6)
    logits = queue_logits(q, k, queue, t)
    assert torch.allclose(logits, torch.tensor([[2.0, 0.0, -2.0]]))


def test_ddm_equals_explicit_cross_entropy_and_stops_weak_gradient():
    g = torch.Generator().manual_seed(2)
    weak = torch.randn(3, 6, generator=g, requires_grad=True)
    strong = torch.randn(3, 6, generator=g, requires_grad=True)
    p_weak = torch.softmax(weak.detach(), dim=1)
    explicit = torch.stack(
        [-sum(p_weak[i, j] * torch.log_softmax(strong[i], 0)[j] for j in range(6)) for i in range(3)]
    ).mean()
    loss = ddm(weak, strong)
    assert torch.allclose(loss, explicit)
    # soft-target cross entropy, as torch computes it
    assert torch.allclose(loss, F.cross_entropy(strong, p_weak))
    loss.backward()
    assert weak.grad is None and strong.grad is not None
    # identical distributions: DDM equals the entropy of the weak distribution
    assert float(ddm(weak.detach(), weak.detach())) == pytest.approx(
        float(-(p_weak * p_weak.log()).sum(1).mean())
    )


def test_distill_mse_on_normalized_embeddings():
    s = torch.tensor([[2.0, 0.0], [0.0, 3.0]], requires_grad=True)
    t = torch.tensor([[5.0, 0.0], [1.0, 0.0]])
    # same direction -> 0; orthogonal -> ||e2 - e1||^2 = 2; mean over the batch = 1
    loss = distill_mse(s, t)
    assert float(loss.detach()) == pytest.approx(1.0)
    loss.backward()
    assert s.grad is not None
    assert float(distill_mse(t, -t)) == pytest.approx(4.0)
