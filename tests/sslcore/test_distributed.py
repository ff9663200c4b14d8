"""Two gloo processes on CPU must reproduce the single-process loss and gradients on the whole batch."""

import os
from pathlib import Path

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from sslcore import distributed
from sslcore.losses import nt_xent

BATCH, WORLD = 8, 2


def make_problem() -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 4))
    g = torch.Generator().manual_seed(1)
    return model, torch.randn(BATCH, 6, generator=g), torch.randn(BATCH, 6, generator=g)


def worker(rank: int, port: int, out: str) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=WORLD)
    torch.set_num_threads(1)
    model, x1, x2 = make_problem()
    ddp = DistributedDataParallel(model)
    n = BATCH // WORLD
    local = slice(rank * n, (rank + 1) * n)
    z1, z2 = ddp(torch.cat([x1[local], x2[local]])).chunk(2)
    loss = nt_xent(z1, z2, 0.5)
    loss.backward()
    result = {
        "loss": loss.detach(),
        "mean_loss": distributed.all_reduce_mean(loss.detach()),
        "world": torch.tensor(distributed.world_size()),
    }
    result |= {f"grad.{k}": p.grad for k, p in model.named_parameters()}
    torch.save(result, Path(out) / f"rank{rank}.pt")
    dist.destroy_process_group()


def test_ddp_loss_and_gradients_match_single_process(tmp_path: Path, free_port: int):
    mp.start_processes(worker, args=(free_port, str(tmp_path)), nprocs=WORLD, start_method="fork")
    model, x1, x2 = make_problem()
    z1, z2 = model(torch.cat([x1, x2])).chunk(2)
    loss = nt_xent(z1, z2, 0.5)
    loss.backward()
    ranks = [torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in range(WORLD)]
    assert all(int(r["world"]) == WORLD for r in ranks)
    assert torch.allclose(torch.stack([r["loss"] for r in ranks]).mean(), loss.detach(), atol=1e-6)
    assert torch.allclose(ranks[0]["mean_loss"], loss.detach(), atol=1e-6)
    for name, p in model.named_parameters():
        for r in ranks:
            assert torch.allclose(r[f"grad.{name}"], p.grad, atol=1e-6), name
