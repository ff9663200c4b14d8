"""The edge hull against drawings of a known object (mesh route) and analytic cases."""

import numpy as np
import torch
import trimesh

from render.lines.cameras import camera
from render.lines.drawing import Frame, rasterize
from render.lines.mesh import mesh_views
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


def _bench():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).parents[2] / "bench" / "edge_hull_baseline.py"
    spec = importlib.util.spec_from_file_location("edge_hull_baseline", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_parameter_free_pose_answers_follow_the_hull_of_each_pose():
    """bench/edge_hull_baseline.py: I2P picks the pose whose hull matches the drawing, P2I the drawing
    that matches the asked pose's hull, on the drawings of an asymmetric object from every pose."""
    bench = _bench()
    block = trimesh.creation.box((4.0, 2.0, 1.5))
    post = trimesh.creation.box((1.0, 1.0, 2.0))
    post.apply_translation((1.2, 0.4, 1.5))
    nub = trimesh.creation.box((0.8, 0.8, 0.8))
    nub.apply_translation((-1.6, -0.6, -1.0))
    obj = trimesh.boolean.union([block, post, nub], engine="manifold")
    frame = Frame.around(*obj.bounds)
    ink = _ink(obj, frame, ("f", "r", "t", *map(str, range(1, 9))))
    views, poses = ink[None, :3], ink[3:]  # poses[k - 1]: drawing from pose k
    hulls = {str(k): EdgeHull(SIZE, str(k)) for k in range(1, 9)}
    with torch.no_grad():
        i2p = bench.task_scores(hulls, "i2p", {"views": views, "iso": poses[4][None]})  # pose 5
        candidates = poses[[0, 6, 3, 5]][None]  # poses 1, 7, 4, 6
        p2i = bench.task_scores(
            hulls, "p2i", {"views": views, "candidates": candidates, "pose": torch.tensor([6])}
        )
    assert int(i2p.argmax()) == 2  # I2P labels 0-3 are poses 1, 2, 5, 6
    assert int(p2i.argmax()) == 1
