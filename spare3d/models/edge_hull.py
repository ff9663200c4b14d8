"""Edge hull: the three views lifted to 3D and drawn from an isometric pose, a fixed geometric operator.

All drawings of a SPARE3D question share one frame (centre and pixel scale), so a point p of the
frame's cube (pixel units, relative to its centre) is drawn in view c at column S/2 + p.x_c and row
S/2 - p.up_c. A point on an edge of the object is on a line of all three views (hidden lines are drawn
too), so the product E(p) = F(p) R(p) T(p) of the three views' ink at p's projections is high on the
object's edges and near zero almost everywhere else. The edge hull of pose k at pixel q is the maximum
of E over the viewing ray of q (1 px steps through the frame's cube):

    H_k(q) = max_t F(q, t) R(q, t) T(q, t)

which is a drawing of the object's edges (visible and hidden alike) from pose k, up to "ghost" points
where lines of the three views meet by chance. It has no parameters; networks take it as an input
channel aligned with the candidate drawings (`NetConfig.edge_hull`).
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from render.lines.cameras import camera

VIEW_KEYS: tuple[str, ...] = ("f", "r", "t")


def _axes(key: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    cam = camera(key)
    unit = [np.asarray(v, float) / np.linalg.norm(v) for v in (cam.x_axis, cam.up, cam.direction)]
    return unit[0], unit[1], unit[2]


@cache
def sampling_grid(pose: str, size: int) -> torch.Tensor:
    """(3, K, size, size, 2) grid_sample coordinates in F, R, T of K points on each ray of `pose`."""
    x, up, n = _axes(pose)
    half = size / 2
    centres = np.arange(size) + 0.5 - half  # pixel centres relative to the image centre
    cols, rows = np.meshgrid(centres, centres)  # (size, size): image x, image down
    reach = half * math.sqrt(3)  # the frame's cube lies within this depth of the image plane
    depths = np.arange(-reach, reach + 1e-9, 1.0)
    points = (
        cols[None, ..., None] * x + (-rows)[None, ..., None] * up + depths[:, None, None, None] * n
    )  # (K, size, size, 3)
    grids = []
    for key in VIEW_KEYS:
        vx, vup, _ = _axes(key)
        col = points @ vx + half
        row = half - points @ vup
        # align_corners=False: normalised -1 is the left edge of pixel 0, +1 the right edge of the last
        grids.append(np.stack([col / half - 1, row / half - 1], axis=-1))
    return torch.from_numpy(np.stack(grids)).float()


class EdgeHull(nn.Module):
    """views (B, 3, S, S) ink maps of F, R, T -> (B, S, S) edge hull from `pose` (see the module doc).

    `chunk` rays' depths are sampled at a time, which bounds memory at B x chunk x S^2 per view.
    """

    def __init__(self, size: int, pose: str = "2", chunk: int = 16) -> None:
        super().__init__()
        self.size = size
        self.chunk = chunk
        self.register_buffer("grid", sampling_grid(pose, size), persistent=False)

    def forward(self, views: torch.Tensor) -> torch.Tensor:
        b, _, s, _ = views.shape
        hull = views.new_zeros(b, s, s)
        k = self.grid.shape[1]
        for start in range(0, k, self.chunk):
            product = None
            for i in range(3):
                grid = self.grid[i, start : start + self.chunk].to(views.dtype)  # (c, S, S, 2)
                c = grid.shape[0]
                sampled = F.grid_sample(
                    views[:, i : i + 1],
                    grid.reshape(1, c * s, s, 2).expand(b, -1, -1, -1),
                    align_corners=False,
                    padding_mode="zeros",
                ).reshape(b, c, s, s)
                product = sampled if product is None else product * sampled
            hull = torch.maximum(hull, product.amax(1))
        return hull
