"""spare3d.augment against drawings of the transformed object, rendered by the mesh route."""

import numpy as np
import pytest
import torch
import trimesh

from render.lines.cameras import camera
from render.lines.drawing import Frame, line_iou, rasterize
from render.lines.mesh import mesh_views
from spare3d.augment import augment_batch, mirror, pixel_shifts, shift

SIZE = 96
KEYS = ("f", "r", "t", "2")


def _object() -> trimesh.Trimesh:
    """An L-shaped block with a nub, turned: no symmetry that would hide a wrong mirror or shift."""
    base = trimesh.creation.box((4.0, 2.0, 1.0))
    post = trimesh.creation.box((1.0, 2.0, 2.0))
    post.apply_translation((-1.5, 0.0, 1.5))
    nub = trimesh.creation.box((0.6, 0.6, 0.6))
    nub.apply_translation((1.2, -1.2, 0.8))
    block = trimesh.util.concatenate([base, post, nub])
    # a generic orientation: no face seen edge-on, where visibility is a coin toss for any renderer
    block.apply_transform(trimesh.transformations.euler_matrix(0.3, 0.2, 0.5))
    return block


def _draw(mesh: trimesh.Trimesh, frame: Frame) -> np.ndarray:
    """(4, SIZE, SIZE) ink maps of F, R, T and pose 2 (1 on lines, 0 on white)."""
    cams = [camera(k) for k in KEYS]
    lines = mesh_views(mesh, cams)
    images = [rasterize(lines[k], c, frame, SIZE, hidden="red") for k, c in zip(KEYS, cams, strict=True)]
    return np.stack([1 - img.min(axis=-1) / 255.0 for img in images])


def _as_image(ink: np.ndarray) -> np.ndarray:
    return ((1 - ink) * 255).astype(np.uint8)


def _agree(a: torch.Tensor, b: np.ndarray) -> float:
    return min(line_iou(_as_image(x.numpy()), _as_image(y)) for x, y in zip(a, b, strict=True))


def test_mirror_equals_drawings_of_the_mirrored_object():
    mesh = _object()
    frame = Frame.around(*mesh.bounds)
    reflected = mesh.copy()
    reflected.apply_transform(np.array([[0, -1, 0, 0], [-1, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], float))
    reflected.invert()  # a reflection turns the faces inside out
    cx, cy, cz = frame.center
    expected = _draw(reflected, Frame((-cy, -cx, cz), frame.side))
    ink = torch.from_numpy(_draw(mesh, frame))
    views, iso = mirror(ink[:3], ink[3:])
    # not 1: the rasterizer itself is not exactly mirror-symmetric (sub-pixel rounding on its
    # supersampled canvas): hflip of a drawing vs the drawing of mirrored lines agree to about 0.96
    assert _agree(torch.cat([views, iso]), expected) > 0.92
    assert _agree(ink, expected) < 0.6  # the object has no such symmetry: the check can fail


def test_shift_equals_drawings_of_the_translated_object():
    mesh = _object()
    frame = Frame.around(*mesh.bounds)
    a, b, c = 3, -2, 4
    moved = mesh.copy()
    moved.apply_translation(np.array([a, b, c]) * frame.side / SIZE)
    expected = _draw(moved, frame)
    ink = torch.from_numpy(_draw(mesh, frame))
    views, iso = shift(ink[:3], ink[3:], a, b, c)
    assert _agree(torch.cat([views, iso]), expected) > 0.9
    assert _agree(ink, expected) < 0.6


def test_pixel_shifts_follow_the_cameras():
    views, iso = pixel_shifts(2, 0, 0)  # along +x: F and T move right, R stays, pose 2 right and up
    assert views == [(2, 0), (0, 0), (2, 0)] and iso == (1, 1)
    views, iso = pixel_shifts(0, 0, 5)  # along +z: F and R move up, T stays, pose 2 up
    assert views == [(0, -5), (0, -5), (0, 0)] and iso == (0, -4)


@pytest.mark.parametrize("kind", ["t2i", "pairs"])
def test_augment_batch_transforms_each_item_consistently(kind):
    if kind == "t2i":
        batch = {
            "views": torch.rand(6, 3, 16, 16),
            "candidates": torch.rand(6, 4, 16, 16),
            "label": torch.arange(6),
        }
        key = "candidates"
    else:
        batch = {"views": torch.rand(6, 2, 3, 16, 16), "iso": torch.rand(6, 2, 16, 16)}
        key = "iso"
    out = augment_batch(batch, 2, torch.Generator().manual_seed(1))
    assert out["views"].shape == batch["views"].shape and out[key].shape == batch[key].shape
    if kind == "t2i":
        assert torch.equal(out["label"], batch["label"])
    # every drawing keeps its ink (a mirror and a roll only move pixels) and the 4 candidates of an
    # item move alike: their pairwise differences are moved, not changed
    torch.testing.assert_close(out[key].sum((-1, -2)), batch[key].sum((-1, -2)))
    changed = [not torch.equal(out["views"][i], batch["views"][i]) for i in range(6)]
    assert sum(changed) >= 5
