"""Split BatchNorm statistics by hand, shuffled key forwards on one process and across two gloo ranks."""

import os
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn

from sslcore.augment import line_drawing_config
from sslcore.config import PretrainConfig
from sslcore.errors import SSLCoreError
from sslcore.heads import HeadConfig
from sslcore.methods import DisCo
from sslcore.shuffle_bn import SplitBatchNorm, shuffled_forward, split_batchnorm


def encoder() -> nn.Sequential:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.BatchNorm2d(3), nn.ReLU(), nn.Flatten(1))
    with torch.no_grad():  # non-trivial affine parameters and running statistics
        net[1].weight.uniform_(0.5, 1.5)
        net[1].bias.uniform_(-0.5, 0.5)
        net[1].running_mean.uniform_(-1, 1)
        net[1].running_var.uniform_(0.5, 2)
    return net


def test_split_batchnorm_normalizes_each_interleaved_sub_batch_with_its_own_statistics():
    torch.manual_seed(1)
    x = torch.randn(12, 3, 4, 5) * torch.tensor([1.0, 2.0, 3.0]).view(1, 3, 1, 1) + 1.0
    bn = SplitBatchNorm(3, num_splits=3, momentum=0.1)
    with torch.no_grad():
        bn.weight.copy_(torch.tensor([0.5, 1.0, 2.0]))
        bn.bias.copy_(torch.tensor([0.1, -0.2, 0.3]))
    y = bn.train()(x)
    means, unbiased = [], []
    for j in range(3):
        part = x[j::3]  # sub-batch j: samples j, j + 3, j + 6, ...
        mean = part.mean(dim=(0, 2, 3), keepdim=True)
        var = part.var(dim=(0, 2, 3), unbiased=False, keepdim=True)
        expected = (part - mean) / torch.sqrt(var + bn.eps) * bn.weight.view(1, 3, 1, 1) + bn.bias.view(
            1, 3, 1, 1
        )
        assert torch.allclose(y[j::3], expected, atol=1e-5)
        means.append(mean.flatten())
        unbiased.append(part.var(dim=(0, 2, 3), unbiased=True))
    assert torch.allclose(bn.running_mean, 0.1 * torch.stack(means).mean(0), atol=1e-6)
    assert torch.allclose(bn.running_var, 0.9 + 0.1 * torch.stack(unbiased).mean(0), atol=1e-5)
    assert int(bn.num_batches_tracked) == 1
    plain = nn.BatchNorm2d(3).eval()
    plain.load_state_dict(bn.state_dict())
    assert torch.allclose(bn.eval()(x), plain(x), atol=1e-6)  # eval mode: ordinary BatchNorm
    with pytest.raises(ValueError, match="does not split"):
        bn.train()(x[:10])


def test_split_batchnorm_on_features_and_one_split_is_plain_batchnorm():
    torch.manual_seed(2)
    x = torch.randn(8, 5)
    bn = SplitBatchNorm(5, num_splits=2).train()
    y = bn(x)
    for j in range(2):
        part = x[j::2]
        expected = (part - part.mean(0)) / torch.sqrt(part.var(0, unbiased=False) + bn.eps)
        assert torch.allclose(y[j::2], expected, atol=1e-5)
    one, plain = SplitBatchNorm(5, num_splits=1).train(), nn.BatchNorm1d(5).train()
    assert torch.allclose(one(x), plain(x), atol=1e-6)
    assert torch.allclose(one.running_var, plain.running_var)


def test_split_batchnorm_conversion_keeps_state_and_state_dict_keys():
    net = encoder()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    split_batchnorm(net, 2)
    assert isinstance(net[1], SplitBatchNorm) and net[1].num_splits == 2
    after = net.state_dict()
    assert before.keys() == after.keys()
    assert all(torch.equal(before[k], after[k]) for k in before)
    with pytest.raises(ValueError, match="container"):
        split_batchnorm(nn.BatchNorm2d(3), 2)


def test_shuffled_forward_returns_rows_in_order():
    x = torch.randn(8, 2, 3, 3, generator=torch.Generator().manual_seed(3))
    net = split_batchnorm(encoder(), 2)
    # eval mode: per-sample computation, so shuffle + unshuffle changes nothing
    net.eval()
    assert torch.allclose(shuffled_forward(net, x), net(x), atol=1e-6)
    # train mode: the permutation decides which samples share BatchNorm statistics
    net.train()
    torch.manual_seed(7)
    got = shuffled_forward(net, x)
    torch.manual_seed(7)
    perm = torch.randperm(8)
    expected = torch.empty_like(got)
    expected[perm] = net(x[perm])
    assert torch.allclose(got, expected, atol=1e-6)
    assert not torch.allclose(got, net(x), atol=1e-3)


def test_moco_keys_shuffled_in_eval_mode_equal_unshuffled_keys():
    torch.manual_seed(4)
    backbone = nn.Sequential(
        nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten()
    )
    head = HeadConfig(4, 8, 6)
    view = line_drawing_config(8)
    method = DisCo(backbone, head, view, None, queue_size=16, ema=0.9, bn_splits=2).eval()
    assert isinstance(method.key_backbone[1], SplitBatchNorm) and isinstance(method.head[1], SplitBatchNorm)
    x = torch.randn(6, 1, 8, 8)
    (shuffled,) = method.keys([x])
    method.shuffle_keys = False
    assert torch.allclose(shuffled, method.keys([x])[0], atol=1e-6)
    method.train()
    assert torch.allclose(shuffled.norm(dim=1), torch.ones(6))


def test_bn_splits_must_divide_the_batch(tmp_path: Path):
    with pytest.raises(SSLCoreError, match="does not split into 3"):
        PretrainConfig("clsa", tmp_path, batch_size=16, bn_splits=3).resolved(1)
    assert PretrainConfig("clsa", tmp_path, batch_size=16, bn_splits=4).resolved(1).bn_splits == 4


WORLD, LOCAL = 2, 4


def ddp_worker(rank: int, port: int, out: str) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=WORLD)
    torch.set_num_threads(1)
    x = torch.randn(WORLD * LOCAL, 2, 3, 3, generator=torch.Generator().manual_seed(5))
    net = encoder().train()
    torch.manual_seed(11 + rank)  # rank 0's permutation is broadcast: the other seeds must not matter
    keys = shuffled_forward(net, x[rank * LOCAL : (rank + 1) * LOCAL])
    torch.save({"keys": keys}, Path(out) / f"rank{rank}.pt")
    dist.destroy_process_group()


def test_cross_rank_shuffle_matches_per_rank_batchnorm_on_the_shuffled_global_batch(
    tmp_path: Path, free_port: int
):
    mp.start_processes(ddp_worker, args=(free_port, str(tmp_path)), nprocs=WORLD, start_method="fork")
    got = torch.cat([torch.load(tmp_path / f"rank{r}.pt", weights_only=True)["keys"] for r in range(WORLD)])
    x = torch.randn(WORLD * LOCAL, 2, 3, 3, generator=torch.Generator().manual_seed(5))
    torch.manual_seed(11)
    perm = torch.randperm(WORLD * LOCAL)
    net = encoder().train()
    expected = torch.empty_like(got)
    for r in range(WORLD):  # each rank normalizes its slice of the shuffled batch on its own
        rows = perm[r * LOCAL : (r + 1) * LOCAL]
        expected[rows] = net(x[rows])
    assert torch.allclose(got, expected, atol=1e-5)
