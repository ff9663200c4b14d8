"""Benchmark spare3d: drawing reads per second and training / answering throughput of every network.

Reads: the first --items items of a set under --data (PNG decoding + resizing to --size in one
process, as a DataLoader worker does). Networks: Adam training steps on random batches of the
network's own training input (pretext batch for the 2022 networks, question batch for baselines),
then no-grad answering; figures are items per second after one warm-up step.

    python bench/spare3d_throughput.py --size 64 --width 64 --batch 32
    python bench/spare3d_throughput.py --data DATA_ROOT --kind t2i --items 500
"""

from __future__ import annotations

import time
from pathlib import Path

import click
import torch

from spare3d.datasets import DrawingSet
from spare3d.models import NetConfig, build_model
from spare3d.train import Objective
from sslcore.runtime import autocast, pick_device

CASES = {
    "view-comparison": ("t2i", "pairs"),
    "pose": ("i2p", "poses"),
    "early-fusion": ("t2i", "t2i"),
    "metric": ("p2i", "p2i"),
    "i2p-classifier": ("i2p", "i2p"),
}


def random_batch(kind: str, b: int, size: int, device: torch.device) -> dict[str, torch.Tensor]:
    images = {"pairs": (2, 3), "poses": (3,), "t2i": (3,), "p2i": (3,), "i2p": (3,)}[kind]
    batch = {"views": torch.rand(b, *images, size, size, device=device)}
    if kind == "pairs":
        batch["iso"] = torch.rand(b, 2, size, size, device=device)
    elif kind in ("poses", "i2p"):
        batch["iso"] = torch.rand(b, size, size, device=device)
    else:
        batch["candidates"] = torch.rand(b, 4, size, size, device=device)
    batch["pose"] = torch.randint(0, 8, (b,), device=device)
    batch["label"] = torch.randint(0, 8 if kind == "poses" else 4, (b,), device=device)
    return batch


def time_steps(fn, steps: int) -> float:
    fn()
    start = time.perf_counter()
    for _ in range(steps):
        fn()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / steps


def bench_network(
    name: str, task: str, kind: str, config: NetConfig, batch: int, steps: int, dev: torch.device
) -> tuple[float, float]:
    """(training items/s, answered questions/s) of one network."""
    net = build_model(NetConfig(**{**config.to_dict(), "model": name, "task": task})).to(dev)
    objective = Objective(net, kind)
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-4)
    train_batch = random_batch(kind, batch, config.image_size, dev)
    question_batch = random_batch(task, batch, config.image_size, dev)

    def train_step() -> None:
        with autocast(dev):
            loss, _ = objective(train_batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    @torch.no_grad()
    def answer() -> None:
        with autocast(dev):
            net.score(task, question_batch)

    net.train()
    train_rate = batch / time_steps(train_step, steps)
    net.eval()
    return train_rate, batch / time_steps(answer, steps)


def read_rate(data: Path, kind: str, size: int, items: int) -> tuple[float, int]:
    """(images/s, images) reading the first `items` items of the train split."""
    dataset = DrawingSet.open(data, kind, "train", size, limit=items)
    start = time.perf_counter()
    n_images = 0
    for i in range(len(dataset)):
        n_images += sum(v.numel() // (size * size) for v in dataset[i].values() if v.ndim >= 2)
    return n_images / (time.perf_counter() - start), n_images


@click.command()
@click.option("--size", default=64, show_default=True)
@click.option("--width", default=64, show_default=True)
@click.option("--hidden", default=512, show_default=True)
@click.option("--batch", default=32, show_default=True)
@click.option("--steps", default=3, show_default=True)
@click.option("--data", type=click.Path(path_type=Path), help="Also time reading this data root.")
@click.option("--kind", default="t2i", show_default=True)
@click.option("--items", default=200, show_default=True)
@click.option("--device", default="auto", show_default=True)
def main(
    size: int,
    width: int,
    hidden: int,
    batch: int,
    steps: int,
    data: Path | None,
    kind: str,
    items: int,
    device: str,
) -> None:
    dev = pick_device(device)
    click.echo(f"device {dev}, {torch.get_num_threads()} threads, {size} px, width {width}, batch {batch}")
    if data is not None:
        rate, n_images = read_rate(data, kind, size, items)
        click.echo(f"read {kind}: {rate:,.0f} images/s ({n_images} images, PNG decode + resize)")
    config = NetConfig("pose", width=width, image_size=size, hidden=hidden)
    click.echo("| network | trains on | train items/s | answers/s |\n|---|---|---|---|")
    for name, (task, kind_) in CASES.items():
        train_rate, answer_rate = bench_network(name, task, kind_, config, batch, steps, dev)
        click.echo(f"| {name} | {kind_} | {train_rate:,.0f} | {answer_rate:,.0f} |")


if __name__ == "__main__":
    main()
