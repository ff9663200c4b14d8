"""The edge hull against drawings of a known object (mesh route) and analytic cases."""

import numpy as np
import torch
import trimesh

from render.cameras import camera
from render.drawing import Frame, rasterize
from render.mesh import mesh_views
from spare3d.models.edge_hull import EdgeHull, sampling_grid

SIZE = 64


def _ink(mesh: trimesh.Trimesh, frame: Frame, keys=("f", "r", "t", "2")) -> torch.Tensor:
    cams = [camera(k) for k in keys]
    lines = mesh_views(mesh, cams)
    images = [rasterize(lines[k], c, frame, SIZE, hidden="red") for k, c in zip(keys, cams, strict=True)]
    return torch.from_numpy(np.stack([1 - img.min(axis=-1) / 255.0 for img in images])).float()


def _cosine(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a * b).sum() / (a.norm() * b.norm()))


def test_hull_of_three_views_draws_the_object_from_pose_2():
    block = trimesh.creation.box((4.0, 2.0, 1.5))
    post = trimesh.creation.box((1.0, 1.0, 2.0))
    post.apply_translation((1.0, 0.3, 1.5))
    obj = trimesh.boolean.union([block, post], engine="manifold")
    frame = Frame.around(*obj.bounds)
    ink = _ink(obj, frame)
    hull = EdgeHull(SIZE)(ink[None, :3])[0]
    moved = obj.copy()
    moved.apply_translation((0.0, 0.0, 0.6))  # another object: the same shape 0.6 higher
    other = _ink(moved, frame, ("2",))[0]
    assert _cosine(hull, ink[3]) > 0.7
    assert _cosine(hull, ink[3]) > _cosine(hull, other) + 0.2


def test_a_point_seen_in_all_three_views_lands_on_its_pose_2_pixel():
    # one 3D point p (pixels from the frame centre) dotted in F, R and T: the hull is bright at p's
    # pose-2 projection only
    p = np.array([6.0, -4.0, 9.0])
    views = torch.zeros(1, 3, SIZE, SIZE)
    half = SIZE // 2
    for i, key in enumerate("frt"):
        cam = camera(key)
        col, row = p @ cam.x_axis + half, half - p @ cam.up
        views[0, i, int(row) - 1 : int(row) + 2, int(col) - 1 : int(col) + 2] = 1.0  # a 3 px dot
    hull = EdgeHull(SIZE)(views)[0]
    cam = camera("2")
    x, up = (np.asarray(v, float) / np.linalg.norm(v) for v in (cam.x_axis, cam.up))
    expected = (int(half - p @ up), int(p @ x + half))
    peak = np.unravel_index(int(hull.argmax()), hull.shape)
    assert abs(peak[0] - expected[0]) <= 1 and abs(peak[1] - expected[1]) <= 1
    assert float(hull.max()) > 0.9 and float((hull > 0.5).sum()) <= 9


def test_grid_covers_the_frame_cube_in_unit_steps():
    grid = sampling_grid("2", 16)
    assert grid.shape == (3, int(2 * 8 * np.sqrt(3)) + 1, 16, 16, 2)
