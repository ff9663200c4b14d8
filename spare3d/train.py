"""The training loop: plain PyTorch, Adam (the SPARE3D and 2022 setting), one checkpoint per epoch.

`fit` trains a network on one set (a pretext set, pairs or poses, or a question set) for `epochs`,
validates after every epoch, and keeps OUT/last.pt (network + optimizer + RNG, for --resume) and
OUT/best.pt (the best validation accuracy), written atomically. Under torchrun it runs data-parallel
(DDP over a wrapper whose forward computes the loss, so gradients are averaged over ranks).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, Dataset, DistributedSampler
from tqdm import tqdm

from spare3d.augment import augment_batch
from spare3d.checkpoint import save_model
from spare3d.datasets import to_device
from spare3d.models import ReasoningNet
from sslcore import distributed as dist
from sslcore.checkpoint import atomic_write, load_checkpoint, remove_orphans, set_rng_state
from sslcore.finite import check_loss
from sslcore.runtime import autocast, channels_last

AUGMENTED_KINDS: tuple[str, ...] = ("t2i", "pairs")  # spare3d.augment keeps pose-2 answers only


@dataclass
class TrainSettings:
    epochs: int = 10
    batch_size: int = 32
    lr: float = 5e-5
    weight_decay: float = 0.0
    workers: int = 0
    precision: str = "auto"
    seed: int = 0
    augment: bool = False
    max_shift: int = 3


class Objective(nn.Module):
    """forward(batch) -> (loss, per-decision correctness) of `net` on the training set of `kind`."""

    def __init__(self, net: ReasoningNet, kind: str) -> None:
        super().__init__()
        self.net = net
        self.kind = kind

    def forward(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        if self.kind == self.net.pretext:
            return self.net.pretext_step(batch)
        scores = self.net.score(self.kind, batch)
        return self.net.task_loss(self.kind, scores, batch["label"]), scores.argmax(1) == batch["label"]


@torch.no_grad()
def accuracy(objective: Objective, dataset: Dataset, device: torch.device, settings: TrainSettings) -> float:
    """Fraction of correct decisions of the objective over a whole set, in eval mode."""
    objective.eval()
    loader = DataLoader(dataset, batch_size=settings.batch_size, num_workers=settings.workers)
    correct = total = 0
    for batch in loader:
        with autocast(device, settings.precision):
            _, ok = objective(to_device(batch, device, *objective.net.input_stats))
        correct += int(ok.sum())
        total += ok.numel()
    return correct / max(total, 1)


def fit(
    net: ReasoningNet,
    kind: str,
    train_set: Dataset,
    valid_set: Dataset | None,
    out_dir: Path,
    settings: TrainSettings,
    device: torch.device,
    resume: bool = False,
    meta: dict | None = None,
) -> Path:
    """Train `net` on `train_set` (of `kind`); returns the path of the best checkpoint."""
    out_dir = Path(out_dir)
    last, best = out_dir / "last.pt", out_dir / "best.pt"
    if dist.is_main() and out_dir.is_dir():
        remove_orphans(out_dir)
    net.to(device)
    if device.type == "cuda":
        channels_last(net)
    optimizer = torch.optim.Adam(net.parameters(), lr=settings.lr, weight_decay=settings.weight_decay)
    history: list[dict] = []
    start, best_acc = 0, -1.0
    if resume and last.is_file():
        state = load_checkpoint(last, map_location=device)
        net.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        set_rng_state(state["rng"])
        history, best_acc = state["meta"]["history"], state["meta"]["best_accuracy"]
        start = state["meta"]["epoch"] + 1
    objective = Objective(net, kind)
    trainer: nn.Module = objective
    if dist.world_size() > 1:
        trainer = DistributedDataParallel(
            objective, device_ids=[device.index] if device.type == "cuda" else None
        )
    base_meta = {**(meta or {}), "kind": kind, "settings": asdict(settings)}
    for epoch in range(start, settings.epochs):
        sampler = DistributedSampler(train_set, seed=settings.seed) if dist.world_size() > 1 else None
        if sampler is not None:
            sampler.set_epoch(epoch)
        generator = torch.Generator().manual_seed(settings.seed * 1000 + epoch)
        augmenting = settings.augment and kind in AUGMENTED_KINDS
        loader = DataLoader(
            train_set,
            batch_size=settings.batch_size,
            shuffle=sampler is None,
            sampler=sampler,
            generator=generator,
            num_workers=settings.workers,
            drop_last=len(train_set) > settings.batch_size,
            pin_memory=device.type == "cuda",
        )
        trainer.train()
        total_loss = correct = decisions = 0.0
        progress = tqdm(loader, desc=f"{kind} epoch {epoch + 1}/{settings.epochs}", leave=False, disable=None)
        for step, batch in enumerate(progress):
            batch = to_device(batch, device, *net.input_stats)
            if augmenting:
                batch = augment_batch(batch, settings.max_shift, generator)
            with autocast(device, settings.precision):
                loss, ok = trainer(batch)
            check_loss(loss, f"{kind} epoch {epoch + 1} batch {step + 1}")
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total_loss += float(loss.detach()) * ok.numel()
            correct += float(ok.sum())
            decisions += ok.numel()
            progress.set_postfix(loss=f"{float(loss.detach()):.4f}")
        train_acc = correct / max(decisions, 1)
        valid_acc = accuracy(objective, valid_set, device, settings) if valid_set is not None else train_acc
        history.append(
            {
                "epoch": epoch,
                "loss": total_loss / max(decisions, 1),
                "train_accuracy": train_acc,
                "valid_accuracy": valid_acc,
            }
        )
        if dist.is_main():
            tqdm.write(
                f"{kind} epoch {epoch + 1}/{settings.epochs}: loss {history[-1]['loss']:.4f} "
                f"train {train_acc:.3f} valid {valid_acc:.3f}"
            )
            epoch_meta = {**base_meta, "epoch": epoch, "history": history}
            if valid_acc > best_acc:
                best_acc = valid_acc
                save_model(best, net, {**epoch_meta, "best_accuracy": best_acc})
            save_model(last, net, {**epoch_meta, "best_accuracy": best_acc}, optimizer)
            atomic_write(
                out_dir / "history.json", lambda tmp: Path(tmp).write_text(json.dumps(history, indent=1))
            )
        dist.barrier()
    return best
