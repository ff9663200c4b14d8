"""SimCLR training throughput on line drawings: sslcore vs lightly's SimCLR recipe, in the same run.

Both sides: torchvision ResNet-18 (weights=None, standard stem, 3-channel input), projection head
512-512-128 with BatchNorm, NT-Xent (t = 0.5), SGD (momentum 0.9), batch 128, two views per image.
- lightly recipe: ``SimCLRTransform`` per sample (PIL) in a DataLoader with 2 workers, one forward
  per view, ``SimCLRProjectionHead``, ``NTXentLoss`` (the recipe of lightly's examples).
- sslcore: ``sslcore.engine.Trainer.train_step`` - images decoded once to a uint8 tensor, both views
  augmented batched on tensors, one forward over both views, channels_last, bf16 autocast where the CPU
  has native bf16 (``--precision auto``); also shown in fp32.
Blocks of ``--steps`` timed steps (after one untimed warm-up step) alternate between the contenders,
``--rounds`` times, so load changes on a shared machine hit both; figures are samples/s (2 views each).

    python bench/ssl_throughput.py --steps 5 --sizes 64,128
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch
import torchvision
from lightly.loss import NTXentLoss
from lightly.models.modules import SimCLRProjectionHead
from lightly.transforms import SimCLRTransform
from ssl_quality import draw_dataset
from torch import nn
from torch.utils.data import DataLoader

from sslcore.config import PretrainConfig
from sslcore.engine import Trainer


def lightly_recipe(data: Path, size: int, batch: int) -> Callable[[int], float]:
    """A function running n timed steps of lightly's SimCLR recipe, returning seconds."""
    backbone = nn.Sequential(*list(torchvision.models.resnet18(weights=None).children())[:-1])
    head = SimCLRProjectionHead(512, 512, 128)
    criterion = NTXentLoss(temperature=0.5)
    params = list(backbone.parameters()) + list(head.parameters())
    optimizer = torch.optim.SGD(params, lr=0.06, momentum=0.9, weight_decay=5e-4)
    dataset = torchvision.datasets.ImageFolder(str(data), transform=SimCLRTransform(input_size=size))
    loader = DataLoader(dataset, batch_size=batch, shuffle=True, drop_last=True, num_workers=2)

    def step(views: list[torch.Tensor]) -> None:
        z0 = head(backbone(views[0]).flatten(start_dim=1))
        z1 = head(backbone(views[1]).flatten(start_dim=1))
        loss = criterion(z0, z1)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    def run(n: int) -> float:
        batches = itertools.chain.from_iterable(itertools.repeat(loader))
        step(next(batches)[0])  # warm-up: worker start, first batch
        t = time.perf_counter()
        for _ in range(n):
            step(next(batches)[0])
        return time.perf_counter() - t

    return run


def sslcore_recipe(data: Path, size: int, batch: int, precision: str, out: Path) -> Callable[[int], float]:
    config = PretrainConfig(
        method="simclr",
        data=data,
        out=out,
        backbone="resnet18",
        channels=3,
        small_input=False,
        line_drawing=False,
        image_size=size,
        batch_size=batch,
        epochs=1000,
        proj_hidden=512,
        proj_dim=128,
        temperature=0.5,
        optimizer="sgd",
        lr=0.06,
        lr_scaling="none",
        weight_decay=5e-4,
        precision=precision,
        knn_every=0,
        linear_probe=False,
        tensorboard=False,
    )
    trainer = Trainer(config)
    trainer.method.train()
    g = torch.Generator().manual_seed(0)

    def batch_images() -> torch.Tensor:
        return trainer.images[torch.randperm(len(trainer.images), generator=g)[:batch]]

    def run(n: int) -> float:
        trainer.train_step(batch_images())  # warm-up
        t = time.perf_counter()
        for _ in range(n):
            trainer.train_step(batch_images())
        return time.perf_counter() - t

    return run


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--steps", type=int, default=5, help="Timed steps per block.")
    p.add_argument("--rounds", type=int, default=2, help="Alternating blocks per contender.")
    p.add_argument("--sizes", default="64,128")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--images", type=int, default=1024, help="Line drawings in the data set (200 px PNGs).")
    p.add_argument(
        "--threads", type=int, default=torch.get_num_threads(), help="torch threads, main process."
    )
    p.add_argument("--no-fp32", action="store_true", help="Skip the sslcore fp32 row.")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    work = Path(tempfile.mkdtemp(prefix="ssl_throughput_"))
    data = draw_dataset(work / "data", per_class=args.images // 10, size=200)
    print(
        f"{args.images // 10 * 10} line drawings, batch {args.batch_size}, "
        f"{args.steps} steps x {args.rounds} rounds, {args.threads} thread(s)",
        flush=True,
    )
    print("| px | contender | samples/s | vs lightly |\n|---|---|---|---|")
    for size in (int(s) for s in args.sizes.split(",")):
        contenders = {"lightly recipe": lightly_recipe(data, size, args.batch_size)}
        contenders["sslcore (auto: bf16)"] = sslcore_recipe(
            data, size, args.batch_size, "auto", work / f"a{size}"
        )
        if not args.no_fp32:
            contenders["sslcore fp32"] = sslcore_recipe(
                data, size, args.batch_size, "fp32", work / f"f{size}"
            )
        seconds = dict.fromkeys(contenders, 0.0)
        for _ in range(args.rounds):
            for name, run in contenders.items():
                seconds[name] += run(args.steps)
        rate = {k: args.steps * args.rounds * args.batch_size / s for k, s in seconds.items()}
        for name, r in rate.items():
            print(f"| {size} | {name} | {r:.1f} | {r / rate['lightly recipe']:.2f}x |", flush=True)


if __name__ == "__main__":
    main()
