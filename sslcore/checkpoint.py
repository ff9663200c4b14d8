"""Checkpoints that load without unpickling arbitrary objects, written atomically.

Training checkpoints (``save_checkpoint`` / ``load_checkpoint``) are ``torch.save`` files holding only
tensors, numbers, strings, lists and dicts - model, optimizer and scheduler state dicts, extra tensors
(a key queue), the RNG states and a JSON metadata string - so they load with
``torch.load(weights_only=True)``. Exported weights (``export_backbone`` / ``load_backbone`` /
``load_encoder``) are safetensors files whose metadata (``{"sslcore": json}``) says how to rebuild the
network: backbone name, in_channels, small_input, method and, if saved, the projection head config.
A JSON sidecar (same name, ``.json``) repeats the metadata for humans. Every write goes to a temporary
file in the target directory followed by ``os.replace``, so a crash never leaves a half-written file.
"""

from __future__ import annotations

import dataclasses
import json
import os
import pickle
import random
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file
from torch import nn

from sslcore.backbones import build_backbone
from sslcore.errors import SSLCoreError
from sslcore.heads import HeadConfig, ProjectionHead

FORMAT = "sslcore-checkpoint-v1"
EXPORT_FORMAT = "sslcore-export-v1"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path: str | os.PathLike, write: Callable[[str], None]) -> Path:
    """Call ``write(tmp_path)`` on a temporary file next to ``path``, then rename it onto ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600 files; outputs get the usual permissions
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def rng_state() -> dict[str, Any]:
    """Python, NumPy, torch CPU and CUDA RNG states in weights_only-loadable types."""
    kind, keys, pos, has_gauss, gauss = np.random.get_state()
    state: dict[str, Any] = {
        "python": [list(s) if isinstance(s, tuple) else s for s in random.getstate()],
        "numpy": {
            "keys": torch.from_numpy(keys.astype(np.int64)),
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "gauss": float(gauss),
        },
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    n = state["numpy"]
    np.random.set_state(
        ("MT19937", n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"], n["gauss"])
    )
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_checkpoint(
    path: str | os.PathLike,
    *,
    model: dict[str, torch.Tensor],
    meta: dict[str, Any],
    optimizer: dict | None = None,
    scheduler: dict | None = None,
    tensors: dict[str, torch.Tensor] | None = None,
    generators: dict[str, torch.Tensor] | None = None,
) -> Path:
    """Atomically save a training checkpoint; ``meta`` must be JSON-able (it is stored as JSON)."""
    state = {
        "format": FORMAT,
        "meta": json.dumps(meta),
        "model": model,
        "optimizer": optimizer,
        "scheduler": scheduler,
        "tensors": tensors or {},
        "generators": generators or {},
        "rng": rng_state(),
    }
    return atomic_write(path, lambda tmp: torch.save(state, tmp))


def load_checkpoint(path: str | os.PathLike, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load a checkpoint written by ``save_checkpoint``; ``meta`` comes back as a dict.

    Raises ``SSLCoreError`` with one line naming the file for a missing, corrupt or foreign file.
    """
    path = Path(path)
    if not path.is_file():
        raise SSLCoreError(f"checkpoint {path}: file not found")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        if "Unsupported global" in str(exc):  # a class or function to import: running code, refused
            raise SSLCoreError(
                f"checkpoint {path}: refused: it holds pickled Python objects, and loading them could run "
                "code (sslcore reads only weights-only checkpoints)"
            ) from None
        raise SSLCoreError(
            f"checkpoint {path}: not a readable sslcore checkpoint (corrupt pickle data)"
        ) from None
    except Exception as exc:  # torch raises many types for corrupt/foreign files
        raise SSLCoreError(f"checkpoint {path}: not a readable sslcore checkpoint ({_reason(exc)})") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise SSLCoreError(
            f"checkpoint {path}: not an sslcore training checkpoint (format {FORMAT} expected)"
        )
    state["meta"] = json.loads(state["meta"])
    return state


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:160] if text else type(exc).__name__


def remove_orphans(folder: str | os.PathLike) -> None:
    """Delete the temporary files (``.NAME.*.tmp``) that killed ``atomic_write`` calls left in ``folder``."""
    for orphan in Path(folder).glob(".*.tmp"):
        orphan.unlink(missing_ok=True)


def export_backbone(
    path: str | os.PathLike, backbone: nn.Module, meta: dict[str, Any], head: ProjectionHead | None = None
) -> Path:
    """Save backbone (and optionally projection head) weights as safetensors + a ``.json`` sidecar.

    ``meta`` needs ``backbone``, ``in_channels``, ``small_input`` and ``method``; the head config is added.
    """
    missing = {"backbone", "in_channels", "small_input", "method"} - meta.keys()
    if missing:
        raise ValueError(f"export metadata lacks {sorted(missing)}")
    meta = {**meta, "format": EXPORT_FORMAT, "head": head.config_dict() if head is not None else None}
    tensors = {f"backbone.{k}": v.detach().cpu().contiguous() for k, v in backbone.state_dict().items()}
    if head is not None:
        tensors |= {f"head.{k}": v.detach().cpu().contiguous() for k, v in head.state_dict().items()}
    path = Path(path)
    atomic_write(path, lambda tmp: save_file(tensors, tmp, metadata={"sslcore": json.dumps(meta)}))
    atomic_write(
        path.with_suffix(".json"), lambda tmp: Path(tmp).write_text(json.dumps(meta, indent=2) + "\n")
    )
    return path


def read_export(path: str | os.PathLike) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """(metadata, tensors) of an exported file; one-line ``SSLCoreError`` if it is not one."""
    path = Path(path)
    if not path.is_file():
        raise SSLCoreError(f"weights {path}: file not found")
    try:
        with safe_open(str(path), framework="pt") as f:
            raw = (f.metadata() or {}).get("sslcore")
        tensors = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise SSLCoreError(f"weights {path}: not a readable safetensors file ({str(exc)[:160]})") from None
    if raw is None:
        raise SSLCoreError(f"weights {path}: safetensors file without sslcore metadata")
    try:
        meta = json.loads(raw)
    except ValueError as exc:
        raise SSLCoreError(f"weights {path}: sslcore metadata is not JSON ({_reason(exc)})") from None
    if not isinstance(meta, dict) or meta.get("format") != EXPORT_FORMAT:
        raise SSLCoreError(f"weights {path}: not an sslcore export (format {EXPORT_FORMAT} expected)")
    _check_export_meta(path, meta)
    return meta, tensors


EXPORT_FIELDS = {"backbone": str, "in_channels": int, "small_input": bool, "method": str}


def _check_export_meta(path: Path, meta: dict[str, Any]) -> None:
    """One-line SSLCoreError for metadata lacking a field or holding one of the wrong type."""
    bad = [k for k, kind in EXPORT_FIELDS.items() if not isinstance(meta.get(k), kind)]
    head = meta.get("head")
    names = {f.name for f in dataclasses.fields(HeadConfig)}
    if head is not None and not (isinstance(head, dict) and set(head) <= names and "in_dim" in head):
        bad.append("head")
    if bad:
        raise SSLCoreError(f"weights {path}: sslcore metadata lacks or mistypes {', '.join(bad)}")


def _sub_state(tensors: dict[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    return {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}


def load_backbone(path: str | os.PathLike) -> nn.Module:
    """Rebuild an exported backbone (features before the head) with its weights, in eval mode."""
    return _backbone_from(path, *read_export(path))


def _load_weights(path: str | os.PathLike, module: nn.Module, state: dict[str, torch.Tensor]) -> None:
    try:
        module.load_state_dict(state)
    except RuntimeError:
        raise SSLCoreError(
            f"weights {path}: tensors do not fit the {type(module).__name__} its metadata describes"
        ) from None


def _backbone_from(
    path: str | os.PathLike, meta: dict[str, Any], tensors: dict[str, torch.Tensor]
) -> nn.Module:
    backbone, _ = build_backbone(meta["backbone"], meta["in_channels"], meta["small_input"])
    _load_weights(path, backbone, _sub_state(tensors, "backbone."))
    return backbone.eval()


def load_encoder(path: str | os.PathLike) -> tuple[nn.Module, ProjectionHead, dict[str, Any]]:
    """(backbone, projection head, metadata) of an export that includes its head."""
    meta, tensors = read_export(path)
    if meta.get("head") is None:
        raise SSLCoreError(f"weights {path}: exported without a projection head")
    backbone = _backbone_from(path, meta, tensors)
    try:
        head = ProjectionHead(HeadConfig(**meta["head"]))
    except (TypeError, ValueError) as exc:
        raise SSLCoreError(f"weights {path}: head metadata does not describe a head ({exc})") from None
    _load_weights(path, head, _sub_state(tensors, "head."))
    return backbone, head.eval(), meta
