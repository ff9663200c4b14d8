import math

import pytest
import torch
from torch import nn

from sslcore.optim import LARS, build_optimizer, scale_lr
from sslcore.schedule import WarmupCosine, warmup_cosine


def test_warmup_cosine_values():
    assert warmup_cosine(0, 4, 20) == pytest.approx(0.25)
    assert warmup_cosine(3, 4, 20) == pytest.approx(1.0)
    assert warmup_cosine(4, 4, 20) == pytest.approx(1.0)
    assert warmup_cosine(12, 4, 20) == pytest.approx(0.5)
    assert warmup_cosine(20, 4, 20, final_ratio=0.1) == pytest.approx(0.1)


def test_scheduler_follows_formula_and_state_is_plain():
    opt = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=2.0)
    sched = WarmupCosine(opt, 2, 10)
    lrs = []
    for _ in range(10):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert lrs == pytest.approx([2 * warmup_cosine(s, 2, 10) for s in range(10)])
    assert all(isinstance(v, (int, float, list, bool)) for v in sched.state_dict().values())


def test_lars_step_formula():
    w = nn.Parameter(torch.tensor([[3.0, 4.0]]))  # ||w|| = 5
    opt = LARS([{"params": [w], "weight_decay": 0.0, "lars": True}], lr=0.1, momentum=0.9, eta=0.02)
    w.grad = torch.tensor([[0.0, 2.0]])  # ||g|| = 2
    opt.step()
    trust = 0.02 * 5 / 2
    assert torch.allclose(w.detach(), torch.tensor([[3.0, 4.0 - 0.1 * trust * 2.0]]))


def test_param_groups_and_lr_scaling():
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    opt = build_optimizer(model, "lars", 0.5, 1e-4)
    decay, plain = opt.param_groups
    assert [p.ndim for p in decay["params"]] == [2] and decay["weight_decay"] == 1e-4
    assert len(plain["params"]) == 3 and plain["weight_decay"] == 0 and not plain["lars"]
    assert scale_lr(0.3, 512, "linear") == pytest.approx(0.6)
    assert scale_lr(0.3, 64, "sqrt") == pytest.approx(0.3 * math.sqrt(0.25))
