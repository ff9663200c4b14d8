"""Where and how tensors compute: device choice, bf16 autocast, channels_last.

- ``pick_device("auto")``: the local CUDA device when present (``cuda:LOCAL_RANK`` under torchrun),
  else CPU.
- ``autocast(device, precision)``: ``precision`` is ``"fp32"``, ``"bf16"`` or ``"auto"``; ``"auto"``
  means bf16 on CUDA and on CPUs with native bf16 instructions (AVX512-BF16 / AMX), fp32 elsewhere.
- ``channels_last(module)`` / ``to_device(x, device)``: NHWC memory format, the fast layout for
  convolutions in oneDNN (CPU) and cuDNN (tensor cores).
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable, Iterator
from typing import ParamSpec, TypeVar

import torch
from torch import nn

from sslcore.errors import SSLCoreError

PRECISIONS = ("auto", "bf16", "fp32")
P = ParamSpec("P")
R = TypeVar("R")


def pick_device(name: str = "auto") -> torch.device:
    """``"auto"`` -> CUDA if available (the local rank's GPU under torchrun) else CPU; else ``name``."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
        return torch.device("cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SSLCoreError(f"device {name!r} requested but CUDA is not available")
    return device


@functools.cache
def cpu_has_bf16() -> bool:
    """True when oneDNN can run bf16 natively on this CPU (AVX512-BF16 or AMX)."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def use_bf16(device: torch.device, precision: str = "auto") -> bool:
    if precision not in PRECISIONS:
        raise SSLCoreError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    if precision == "auto":
        return device.type == "cuda" or cpu_has_bf16()
    return precision == "bf16"


@contextlib.contextmanager
def autocast(device: torch.device, precision: str = "auto") -> Iterator[None]:
    """bf16 autocast on ``device`` when ``use_bf16`` says so; a no-op context otherwise."""
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_bf16(device, precision)):
        yield


def full_precision(fn: Callable[P, R]) -> Callable[P, R]:
    """Run ``fn`` with autocast off (losses compute in fp32 inside a bf16 forward)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with torch.autocast("cpu", enabled=False), torch.autocast("cuda", enabled=False):
            return fn(*args, **kwargs)

    return wrapper


def channels_last(module: nn.Module) -> nn.Module:
    return module.to(memory_format=torch.channels_last)


def to_device(x: torch.Tensor, device: torch.device) -> torch.Tensor:
    """Move an image batch to ``device`` in channels_last layout (non-blocking from pinned memory)."""
    return x.to(device, non_blocking=True).contiguous(memory_format=torch.channels_last)
