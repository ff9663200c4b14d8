"""The pretraining loop: plain PyTorch, one process per device (torchrun + DDP for several).

Per step: a uint8 batch (this rank's slice of the epoch's permutation) moves to the device, the method
augments it there (batched, channels_last), one bf16-autocast forward per image size, backward, optional
gradient-norm clipping, optimizer and warm-up + cosine scheduler step.

Reproducible and resumable: the data order of epoch e is ``randperm(N, seed + 7919 e)`` and the
augmentation generator is re-seeded from (seed, rank, step) at every step, so a run resumed from
``last.pt`` (model, optimizer, scheduler, queue, RNG states, step) continues exactly as an uninterrupted
one. Checkpoints are atomic, every ``checkpoint_every`` steps and at the end; then the backbone and head
are exported to ``backbone.safetensors``. Metrics go to ``metrics.csv`` and TensorBoard; with labels, a
kNN monitor runs every ``knn_every`` epochs and kNN + linear probe at the end (``eval.json``).
A non-finite loss stops the run before that step's update (``sslcore.finite``): ``last.pt`` keeps the
last checkpoint, nothing is exported. Temporary files of killed checkpoint writes are removed at start.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader
from tqdm import tqdm

from sslcore import distributed
from sslcore.augment.pipelines import channel_stats
from sslcore.checkpoint import (
    atomic_write,
    export_backbone,
    load_checkpoint,
    remove_orphans,
    save_checkpoint,
    set_rng_state,
)
from sslcore.config import PretrainConfig
from sslcore.data import ImageFolder
from sslcore.errors import SSLCoreError
from sslcore.evaluate import evaluate_backbone
from sslcore.finite import check_loss
from sslcore.methods import build_method, view_config
from sslcore.metrics import MetricLogger
from sslcore.optim import build_optimizer, scale_lr
from sslcore.runtime import autocast, channels_last, pick_device, to_device, use_bf16
from sslcore.schedule import WarmupCosine

CACHE_LIMIT_BYTES = 8 << 30
# settings a resumed run must share with its checkpoint
RESUME_KEYS = (
    "method",
    "backbone",
    "channels",
    "small_input",
    "image_size",
    "proj_hidden",
    "proj_dim",
    "proj_layers",
)


class Trainer:
    def __init__(self, config: PretrainConfig) -> None:
        self.dataset = ImageFolder(config.data, config.image_size, config.channels)
        self.config = c = config.resolved(self.dataset.channels)
        self.device = pick_device(c.device)
        self.bf16 = use_bf16(self.device, c.precision)
        self.rank, self.world = distributed.rank(), distributed.world_size()
        self.global_batch = c.batch_size * self.world
        self.steps_per_epoch = len(self.dataset) // self.global_batch
        if self.steps_per_epoch == 0:
            raise SSLCoreError(
                f"data {c.data}: {len(self.dataset)} images, fewer than one batch of {self.global_batch} "
                "(lower --batch-size)"
            )
        self.total_steps = self.steps_per_epoch * c.epochs
        self.stop_step = min(self.total_steps, c.max_steps or self.total_steps)
        self.out = Path(c.out)
        self.checkpoint_path = self.out / "last.pt"
        if self.checkpoint_path.exists() and not c.resume:
            raise SSLCoreError(
                f"out {self.out}: holds a run already (last.pt); pass --resume or another --out"
            )
        if distributed.is_main() and self.out.is_dir():
            remove_orphans(self.out)  # temporary files of checkpoint writes that were killed

        torch.manual_seed(c.seed)
        self.method = channels_last(build_method(c).to(self.device))
        self.model: nn.Module = self.method
        if self.world > 1:
            ids = None
            if self.device.type == "cuda":
                ids = [self.device.index]
                if self.method.global_batchnorm:  # SimCLR; MoCo-based methods shuffle keys instead
                    self.method = nn.SyncBatchNorm.convert_sync_batchnorm(self.method)
            self.model = DistributedDataParallel(self.method, device_ids=ids)
        lr = scale_lr(c.lr, self.global_batch, c.lr_scaling)
        self.optimizer = build_optimizer(self.method, c.optimizer, lr, c.weight_decay)
        warmup = round(c.warmup_epochs * self.steps_per_epoch)
        self.scheduler = WarmupCosine(self.optimizer, warmup, self.total_steps)
        self.step = 0
        if c.resume:
            self._resume()
        nbytes = len(self.dataset) * c.channels * c.image_size**2
        self.images = (
            self.dataset.images(progress=distributed.is_main()) if nbytes <= CACHE_LIMIT_BYTES else None
        )
        self.history: list[tuple[int, float]] = []

    # ---- checkpoints -------------------------------------------------------------------------
    def _state(self) -> dict[str, torch.Tensor]:
        return {k: v for k, v in self.method.state_dict().items() if not k.startswith("teacher.")}

    def save(self) -> None:
        if not distributed.is_main():
            return
        meta = {
            "config": self.config.to_json(),
            "step": self.step,
            "total_steps": self.total_steps,
            "steps_per_epoch": self.steps_per_epoch,
            "world_size": self.world,
        }
        save_checkpoint(
            self.checkpoint_path,
            model=self._state(),
            meta=meta,
            optimizer=self.optimizer.state_dict(),
            scheduler=self.scheduler.state_dict(),
        )

    def _resume(self) -> None:
        if not self.checkpoint_path.exists():
            raise SSLCoreError(f"out {self.out}: nothing to resume (no last.pt)")
        state = load_checkpoint(self.checkpoint_path)
        meta, cfg = state["meta"], state["meta"].get("config", {})
        for key in RESUME_KEYS:
            if cfg.get(key) != getattr(self.config, key):
                raise SSLCoreError(
                    f"checkpoint {self.checkpoint_path}: trained with {key}={cfg.get(key)}, "
                    f"not {getattr(self.config, key)}"
                )
        if (meta["steps_per_epoch"], meta["total_steps"]) != (self.steps_per_epoch, self.total_steps):
            raise SSLCoreError(
                f"checkpoint {self.checkpoint_path}: made for {meta['total_steps']} steps of "
                f"{meta['steps_per_epoch']} per epoch, not {self.total_steps} of {self.steps_per_epoch}"
            )
        missing, unexpected = self.method.load_state_dict(state["model"], strict=False)
        if unexpected or any(not k.startswith("teacher.") for k in missing):
            raise SSLCoreError(
                f"checkpoint {self.checkpoint_path}: weights do not match the {self.config.method} model"
            )
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        set_rng_state(state["rng"])
        self.step = meta["step"]

    # ---- data ----------------------------------------------------------------------------------
    def _epoch_batches(self, epoch: int, first: int) -> list[torch.Tensor]:
        perm = torch.randperm(
            len(self.dataset), generator=torch.Generator().manual_seed(self.config.seed + 7919 * epoch)
        )
        b = self.config.batch_size
        starts = [s * self.global_batch + self.rank * b for s in range(first, self.steps_per_epoch)]
        return [perm[i : i + b] for i in starts]

    def _batches(self, epoch: int, first: int):  # noqa: ANN202 - generator of uint8 batches
        index_lists = self._epoch_batches(epoch, first)
        if self.images is not None:
            yield from (self.images[idx] for idx in index_lists)
            return
        loader = DataLoader(
            self.dataset,
            batch_sampler=[i.tolist() for i in index_lists],
            num_workers=self.config.workers,
            pin_memory=self.device.type == "cuda",
        )
        try:
            yield from (images for images, _ in loader)
        except SSLCoreError as exc:  # from a worker it carries the worker's traceback; keep the message
            raise SSLCoreError(
                str(exc).strip().splitlines()[-1].removeprefix("sslcore.errors.SSLCoreError: ")
            ) from None

    def _generator(self) -> torch.Generator:
        return torch.Generator().manual_seed(
            (self.config.seed * 1_000_003 + self.rank) * 10_000_019 + self.step
        )

    # ---- loop ----------------------------------------------------------------------------------
    def train_step(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        x = to_device(images, self.device)
        views = self.method.make_views(x, self._generator())
        with autocast(self.device, "bf16" if self.bf16 else "fp32"):
            out = self.model(views)
        check_loss(out["loss"], f"step {self.step + 1}")
        self.optimizer.zero_grad(set_to_none=True)
        out["loss"].backward()
        if self.config.grad_clip:
            nn.utils.clip_grad_norm_(
                [p for p in self.method.parameters() if p.requires_grad], self.config.grad_clip
            )
        self.optimizer.step()
        self.scheduler.step()
        self.step += 1
        return out

    def evaluate(self, probe: bool) -> dict[str, float]:
        c = self.config
        if not (c.labels and self.dataset.has_labels and self.images is not None and distributed.is_main()):
            return {}
        return evaluate_backbone(
            self.method.backbone,
            self.images,
            self.dataset.labels,
            view_config(c),
            self.device,
            "bf16" if self.bf16 else "fp32",
            c.knn_k,
            c.knn_t,
            probe,
        )

    def fit(self) -> Path:
        c = self.config
        main = distributed.is_main()
        if main:
            self.out.mkdir(parents=True, exist_ok=True)
            atomic_write(
                self.out / "config.json", lambda t: Path(t).write_text(json.dumps(c.to_json(), indent=2))
            )
        logger = MetricLogger(self.out, self.step if c.resume else None, c.tensorboard) if main else None
        bar = tqdm(
            total=self.stop_step, initial=self.step, desc=c.method, disable=not main, dynamic_ncols=True
        )
        self.method.train()
        tick, tick_step = time.perf_counter(), self.step
        while self.step < self.stop_step:
            epoch, first = divmod(self.step, self.steps_per_epoch)
            for images in self._batches(epoch, first):
                out = self.train_step(images)
                bar.update(1)
                if self.step % c.log_every == 0 or self.step == self.stop_step:
                    logs = {k: float(distributed.all_reduce_mean(v.detach().float())) for k, v in out.items()}
                    now = time.perf_counter()
                    logs["images_per_s"] = (self.step - tick_step) * self.global_batch / (now - tick)
                    logs["lr"] = self.optimizer.param_groups[0]["lr"]
                    tick, tick_step = now, self.step
                    self.history.append((self.step, logs["loss"]))
                    bar.set_postfix(loss=f"{logs['loss']:.4f}", img_s=f"{logs['images_per_s']:.1f}")
                    if logger:
                        logger.log(self.step, epoch=epoch, **logs)
                if self.step % c.checkpoint_every == 0 and self.step < self.stop_step:
                    self.save()
                if self.step == self.stop_step:
                    break
            epoch_done = self.step % self.steps_per_epoch == 0
            if epoch_done and c.knn_every and (self.step // self.steps_per_epoch) % c.knn_every == 0:
                if self.step < self.stop_step and (acc := self.evaluate(probe=False)) and logger:
                    logger.log(self.step, **acc)
        bar.close()
        self.save()
        if main:
            final = self.evaluate(probe=c.linear_probe)
            if final and logger:
                logger.log(self.step, **final)
            atomic_write(self.out / "eval.json", lambda t: Path(t).write_text(json.dumps(final, indent=2)))
            mean, std = channel_stats(view_config(c), c.channels)
            meta = dict(
                mean=mean,
                std=std,
                backbone=c.backbone,
                in_channels=c.channels,
                small_input=c.small_input,
                method=c.method,
                image_size=c.image_size,
                line_drawing=c.line_drawing,
                step=self.step,
            )
            export_backbone(
                self.out / "backbone.safetensors", self.method.backbone, meta, head=self.method.head
            )
            logger.close()
        distributed.barrier()
        return self.out
