"""Ask a trained spare3d network about an uploaded model's drawings.

The upload's F, R, T and isometric drawings (visible lines, as in the question sets) are turned into
network input exactly as `spare3d.datasets` does (grayscale, area-resized to the network's image size,
ink maps on the device), then, depending on what the network answers:

- t2i: which of 4 isometric drawings (poses chosen by the user) is consistent with F, R, T;
- i2p: for the drawing from each pose 1, 2, 5, 6, which of those poses it was drawn from;
- p2i: for each of the 4 candidate poses k, which candidate drawing is the one from pose k.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import torch

from spare3d.datasets import to_device
from spare3d.images import fit
from spare3d.layout import QUESTION_KINDS
from spare3d.models import ReasoningNet
from spare3d.models.pose import I2P_POSES


class QueryError(ValueError):
    """A checkpoint or question the app cannot use; str() is one line."""


def load_network(path: Path) -> ReasoningNet:
    """The network of a spare3d checkpoint (weights only, no unpickling), in eval mode on the CPU."""
    from spare3d.checkpoint import load_model
    from sslcore.errors import SSLCoreError

    try:
        net, _ = load_model(Path(path))
    except (SSLCoreError, ValueError, KeyError, TypeError, RuntimeError) as exc:
        raise QueryError(str(exc).splitlines()[0] if str(exc) else f"{path}: {type(exc).__name__}") from None
    return net.eval()


def answerable_tasks(net: ReasoningNet) -> tuple[str, ...]:
    """The question tasks this network answers (t2i, i2p, p2i)."""
    return tuple(t for t in net.tasks if t in QUESTION_KINDS)


def _gray(images: dict[str, np.ndarray], keys: Sequence[str], size: int) -> torch.Tensor:
    return torch.from_numpy(np.stack([fit(cv2.cvtColor(images[k], cv2.COLOR_RGB2GRAY), size) for k in keys]))


@torch.no_grad()
def ask(
    net: ReasoningNet, task: str, images: dict[str, np.ndarray], poses: Sequence[int] = I2P_POSES
) -> pd.DataFrame:
    """The network's answers for an upload's drawings `images` (view key -> RGB array), one row per question.

    `poses` are the 4 distinct isometric poses used as candidates (t2i, p2i); i2p always uses 1, 2, 5, 6.
    """
    if task not in answerable_tasks(net):
        raise QueryError(
            f"this network answers {', '.join(answerable_tasks(net)) or 'no question task'}, not {task}"
        )
    poses = tuple(int(p) for p in poses)
    if len(set(poses)) != 4 or not all(1 <= p <= 8 for p in poses):
        raise QueryError(f"need 4 distinct isometric poses in 1-8, got {poses}")
    size = net.config.image_size
    device = next(net.parameters()).device
    views = _gray(images, ("f", "r", "t"), size)
    if task == "i2p":
        iso = _gray(images, [str(p) for p in I2P_POSES], size)
        batch = {"views": views[None].expand(4, -1, -1, -1), "iso": iso}
        scores = net.score(task, to_device(batch, device)).float().cpu().numpy()
        return pd.DataFrame(
            {"drawn from pose": I2P_POSES, "answer": [I2P_POSES[i] for i in scores.argmax(1)]}
            | {f"score pose {p}": scores[:, j] for j, p in enumerate(I2P_POSES)}
        )
    candidates = _gray(images, [str(p) for p in poses], size)
    if task == "t2i":
        batch = {"views": views[None], "candidates": candidates[None]}
        scores = net.score(task, to_device(batch, device)).float().cpu().numpy()[0]
        return pd.DataFrame({"candidate pose": poses, "score": scores, "answer": scores == scores.max()})
    batch = {
        "views": views[None].expand(4, -1, -1, -1),
        "candidates": candidates[None].expand(4, -1, -1, -1),
        "pose": torch.tensor([p - 1 for p in poses]),
    }
    scores = net.score(task, to_device(batch, device)).float().cpu().numpy()
    return pd.DataFrame(
        {"asked pose": poses, "answer (pose of the chosen drawing)": [poses[i] for i in scores.argmax(1)]}
        | {f"score pose {p}": scores[:, j] for j, p in enumerate(poses)}
    )
