"""Orthographic cameras of SPARE3D: front, right, top, the 8 isometric corners and poses 9-20.

A camera is the OpenCASCADE frame gp_Ax2(origin, N, X): the camera sits on +N looking along -N,
X is the image x-axis and image "up" is N x X. The table for f, r, t and poses 1-8 is the one of the
SPARE3D generator. Poses 9-20 (added by the 2022 self-supervised work) are the 4 horizontal diagonals
and the 8 views from 45 degrees above/below the middle of each cube edge around the vertical axis.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, cached_property

import numpy as np


@dataclass(frozen=True)
class Camera:
    """An orthographic camera: `direction` N (unit, towards the camera) and image axes x and up."""

    key: str
    direction: np.ndarray
    x_axis: np.ndarray

    @cached_property
    def up(self) -> np.ndarray:
        return np.cross(self.direction, self.x_axis)

    @cached_property
    def image_axes(self) -> np.ndarray:
        """(3, 2) matrix whose columns are the image x and up axes (cached_property bypasses frozen)."""
        return np.stack([self.x_axis, self.up], axis=1)

    def project(self, points: np.ndarray) -> np.ndarray:
        """Project (..., 3) points to (..., 2) image-plane coordinates (x right, y up), model units."""
        return points @ self.image_axes

    def depth(self, points: np.ndarray) -> np.ndarray:
        """Signed distance towards the camera: larger is nearer."""
        return points @ self.direction


_TABLE: dict[str, tuple[tuple[float, float, float], tuple[float, float, float]]] = {
    "f": ((0, -1, 0), (1, 0, 0)),
    "r": ((1, 0, 0), (0, 1, 0)),
    "t": ((0, 0, 1), (1, 0, 0)),
    "1": ((-1, -1, 1), (1, -1, 0)),
    "2": ((1, -1, 1), (1, 1, 0)),
    "3": ((1, 1, 1), (-1, 1, 0)),
    "4": ((-1, 1, 1), (-1, -1, 0)),
    "5": ((-1, -1, -1), (1, -1, 0)),
    "6": ((1, -1, -1), (1, 1, 0)),
    "7": ((1, 1, -1), (-1, 1, 0)),
    "8": ((-1, 1, -1), (-1, -1, 0)),
    # 2022 extension: horizontal diagonals (9-12), 45-degree views above (13-16) and below (17-20)
    # the middle of the front, right, back and left faces.
    "9": ((-1, -1, 0), (1, -1, 0)),
    "10": ((1, -1, 0), (1, 1, 0)),
    "11": ((1, 1, 0), (-1, 1, 0)),
    "12": ((-1, 1, 0), (-1, -1, 0)),
    "13": ((0, -1, 1), (1, 0, 0)),
    "14": ((1, 0, 1), (0, 1, 0)),
    "15": ((0, 1, 1), (-1, 0, 0)),
    "16": ((-1, 0, 1), (0, -1, 0)),
    "17": ((0, -1, -1), (1, 0, 0)),
    "18": ((1, 0, -1), (0, 1, 0)),
    "19": ((0, 1, -1), (-1, 0, 0)),
    "20": ((-1, 0, -1), (0, -1, 0)),
}

THREE_VIEWS: tuple[str, ...] = ("f", "r", "t")
ISOMETRIC_POSES: tuple[str, ...] = tuple(str(k) for k in range(1, 9))
EXTRA_POSES: tuple[str, ...] = tuple(str(k) for k in range(9, 21))
DEFAULT_VIEWS: tuple[str, ...] = THREE_VIEWS + ISOMETRIC_POSES
ALL_VIEWS: tuple[str, ...] = DEFAULT_VIEWS + EXTRA_POSES


@cache
def camera(key: str) -> Camera:
    """The camera for a view key ('f', 'r', 't' or '1'..'20'); one shared, read-only object per key."""
    if key not in _TABLE:
        raise ValueError(f"unknown view {key!r}; expected one of {', '.join(ALL_VIEWS)}")
    n, x = (np.asarray(v, dtype=float) for v in _TABLE[key])
    n, x = n / np.linalg.norm(n), x / np.linalg.norm(x)
    n.flags.writeable = x.flags.writeable = False
    return Camera(key, n, x)


def parse_views(spec: str) -> tuple[str, ...]:
    """Parse a comma-separated view list such as 'f,r,t,1,2'; 'all' means f, r, t and poses 1-20."""
    if spec.strip() == "all":
        return ALL_VIEWS
    keys = tuple(k.strip() for k in spec.split(",") if k.strip())
    for key in keys:
        camera(key)
    if not keys:
        raise ValueError("no views given")
    return keys
