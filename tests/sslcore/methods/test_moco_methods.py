"""CLSA and DisCo losses against their formulas, one and two (symmetric) query directions."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from sslcore.augment import line_drawing_config
from sslcore.heads import HeadConfig
from sslcore.losses import ddm, info_nce, queue_logits
from sslcore.methods import CLSA, DisCo

N, QUEUE = 6, 16


def backbone() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten()
    )


def views(count: int) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    return [torch.randn(N, 1, 8, 8, generator=g) for _ in range(count)]


def embed(method: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Eval mode: per-sample BatchNorm, and right after construction the key encoder equals the query one."""
    return F.normalize(method.head(method.backbone(x)), dim=1)


@pytest.mark.parametrize("symmetric", [False, True])
def test_clsa_loss_and_queue(symmetric: bool):
    method = CLSA(
        backbone(),
        HeadConfig(4, 8, 6),
        line_drawing_config(8),
        (8,),
        queue_size=QUEUE,
        ema=0.9,
        temperature=0.3,
        ddm_temperature=0.2,
        ddm_weight=0.7,
        symmetric=symmetric,
    ).eval()
    w1, w2, s = views(3)
    queue = method.queue.keys.clone()
    with torch.no_grad():
        q1, q2, qs = (embed(method, v) for v in (w1, w2, s))
    pairs = [(q1, q2), (q2, q1)] if symmetric else [(q1, q2)]  # (query, its key: the other view)
    nce = sum(info_nce(q, k, queue, 0.3) for q, k in pairs) / len(pairs)
    div = sum(ddm(queue_logits(q, k, queue, 0.2), queue_logits(qs, k, queue, 0.2)) for q, k in pairs) / len(
        pairs
    )
    out = method([w1, w2, s])
    assert out["loss"].item() == pytest.approx((nce + 0.7 * div).item(), rel=1e-5)
    queued = torch.cat([k for _, k in pairs])
    assert torch.allclose(method.queue.keys[: len(queued)], queued, atol=1e-6)
    assert int(method.queue.ptr) == len(queued)


@pytest.mark.parametrize("symmetric", [False, True])
def test_moco_student_without_teacher_loss(symmetric: bool):
    method = DisCo(
        backbone(),
        HeadConfig(4, 8, 6),
        line_drawing_config(8),
        None,
        queue_size=QUEUE,
        ema=0.9,
        temperature=0.3,
        symmetric=symmetric,
    ).eval()
    v1, v2 = views(2)
    queue = method.queue.keys.clone()
    with torch.no_grad():
        z1, z2 = embed(method, v1), embed(method, v2)
    expected = (
        (info_nce(z1, z2, queue, 0.3) + info_nce(z2, z1, queue, 0.3)) / 2
        if symmetric
        else info_nce(z1, z2, queue, 0.3)
    )
    assert method([v1, v2])["loss"].item() == pytest.approx(expected.item(), rel=1e-5)
    assert int(method.queue.ptr) == (2 * N if symmetric else N)
