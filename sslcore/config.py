"""Settings of one pretraining run (``PretrainConfig``), with the paper defaults filled in per method.

``None`` means "the method's default" (``resolved()`` fills them in): temperature 0.5 for SimCLR
(CIFAR setting) and 0.2 for the MoCo-v2 based CLSA and DisCo; CLSA's DDM temperature 0.2; ``channels``
from the images (1 when they are grayscale); ``small_input`` when ``image_size <= 64``; ``line_drawing``
when ``channels == 1``; warm-up 10% of the epochs, at most 10 (SimCLR uses 10 epochs). The learning
rate is ``lr * sqrt(global_batch / 256)`` by default (SimCLR's square-root rule for small batches).

CLSA and DisCo (MoCo-based) use MoCo's shuffling BN (``sslcore.shuffle_bn``): with ``shuffle_bn`` the key
batch is shuffled across ranks before the key encoder (per-device BatchNorm, as MoCo), and each device
normalizes ``bn_splits`` sub-batches separately (MoCo's one-GPU CIFAR demo uses 8). The default of one
BatchNorm batch per device is measured: on one CPU, 8 (and 2) sub-batches of the bench's batch of 64
learned slower (``bench/ssl_quality.py`` docstring). ``symmetric`` (default on): both views are queries,
each against the other's key (MoCo's CIFAR demo); in the bench's 300-step budget it lifted CLSA's kNN
accuracy from 0.47 to 0.72.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from sslcore.errors import SSLCoreError

METHODS = ("simclr", "clsa", "disco")
TEMPERATURE = {"simclr": 0.5, "clsa": 0.2, "disco": 0.2}
DDM_TEMPERATURE = 0.2
MAX_IMAGE_SIZE = 2048  # images are cached decoded: larger sides exhaust memory before training starts


@dataclass
class PretrainConfig:
    method: str
    data: Path
    out: Path = Path("runs/pretrain")
    backbone: str = "resnet18"
    channels: int | None = None
    small_input: bool | None = None
    image_size: int = 64
    batch_size: int = 128
    epochs: int = 100
    optimizer: str = "sgd"
    lr: float = 0.3
    lr_scaling: str = "sqrt"
    weight_decay: float = 5e-4
    warmup_epochs: float | None = None
    temperature: float | None = None
    proj_hidden: int = 2048
    proj_dim: int = 128
    proj_layers: int = 2
    queue_size: int = 4096
    ema: float = 0.99
    ddm_weight: float = 1.0
    ddm_temperature: float | None = None
    shuffle_bn: bool = True
    bn_splits: int = 1
    symmetric: bool = True
    strong_ops: int = 5
    strong_sizes: tuple[int, ...] = ()
    teacher: Path | None = None
    distill_weight: float = 1.0
    line_drawing: bool | None = None
    seed: int = 0
    checkpoint_every: int = 500
    resume: bool = False
    workers: int = 0
    device: str = "auto"
    precision: str = "auto"
    grad_clip: float | None = None
    labels: bool = True
    knn_every: int = 10
    knn_k: int = 200
    knn_t: float = 0.1
    linear_probe: bool = True
    max_steps: int | None = None
    log_every: int = 10
    tensorboard: bool = True

    def resolved(self, channels: int) -> PretrainConfig:
        """A copy with every ``None`` default replaced by its method/data-dependent value."""
        c = dataclasses.replace(self)
        c.channels = c.channels or channels
        c.small_input = c.image_size <= 64 if c.small_input is None else c.small_input
        c.line_drawing = c.channels == 1 if c.line_drawing is None else c.line_drawing
        c.temperature = TEMPERATURE[c.method] if c.temperature is None else c.temperature
        c.ddm_temperature = DDM_TEMPERATURE if c.ddm_temperature is None else c.ddm_temperature
        c.check_ranges()
        c.warmup_epochs = min(10.0, 0.1 * c.epochs) if c.warmup_epochs is None else c.warmup_epochs
        c.strong_sizes = tuple(c.strong_sizes) or (c.image_size,)
        if c.bn_splits < 1 or c.batch_size % c.bn_splits:
            raise SSLCoreError(
                f"batch size {c.batch_size} does not split into {c.bn_splits} BatchNorm sub-batches"
            )
        return c

    def check_ranges(self) -> None:
        """One-line SSLCoreError for a setting outside its range (a resolved config)."""
        positive = ("lr", "temperature", "ddm_temperature")
        bad = [
            f"--{k.replace('_', '-')} must be > 0, got {getattr(self, k)}"
            for k in positive
            if not getattr(self, k) > 0
        ]
        if not 0 <= self.weight_decay < float("inf"):
            bad.append(f"--weight-decay must be >= 0, got {self.weight_decay}")
        if not 0 <= self.ema <= 1:
            bad.append(f"--ema must be in [0, 1], got {self.ema}")
        if not 8 <= self.image_size <= MAX_IMAGE_SIZE:
            bad.append(f"--image-size must be in 8..{MAX_IMAGE_SIZE}, got {self.image_size}")
        if bad:
            raise SSLCoreError("; ".join(bad))

    def to_json(self) -> dict:
        return {
            k: (str(v) if isinstance(v, Path) else list(v) if isinstance(v, tuple) else v)
            for k, v in dataclasses.asdict(self).items()
        }
