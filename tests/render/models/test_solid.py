"""Models of questions: subtracting a primitive from a B-rep, a CSG solid with its proxy, and a mesh."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh
from OCP.BRep import BRep_Builder
from OCP.TopoDS import TopoDS_Compound

from render.datasets.questions import Drawer
from render.lines.cameras import camera
from render.lines.drawing import Frame
from render.lines.mesh import mesh_views
from render.models.csg import Primitive, volume
from render.models.solid import DRAW_SEGMENTS, NotSubtractableError, Solid

CORNER = Primitive("box", (5, 5, 5), (4, 4, 4))  # takes a 2 x 2 x 2 corner off a 10-cube at the origin
INSIDE = Primitive("sphere", (0, 0, 0), (2.0,))
MISS = Primitive("box", (20, 0, 0), (2, 2, 2))


def test_brep_minus_uses_exact_volumes() -> None:
    cube = Solid(Primitive("box", (0, 0, 0), (10, 10, 10)).shape())
    assert cube.brep_volume == pytest.approx(1000)
    corner = cube.minus(CORNER)
    assert corner is not None and corner.proxy is None and volume(corner.shape) == pytest.approx(1000 - 8)
    void = cube.minus(INSIDE)
    assert void is not None and volume(void.shape) == pytest.approx(1000 - 4 / 3 * np.pi * 8, rel=1e-9)
    assert cube.minus(MISS) is None


def test_csg_minus_carries_the_proxy_along() -> None:
    base = Primitive("box", (0, 0, 0), (10, 10, 10))
    cube = Solid(base.shape(), base.mesh())
    corner = cube.minus(CORNER)
    assert corner is not None and volume(corner.shape) == pytest.approx(992)
    assert corner.proxy.volume() == pytest.approx(992)
    assert cube.minus(MISS) is None
    np.testing.assert_allclose(np.array(cube.bounds()), [[-5] * 3, [5] * 3], atol=1e-6)


def test_mesh_minus_is_a_fine_mesh_cut() -> None:
    cube = Solid(mesh=trimesh.creation.box((10, 10, 10)))
    np.testing.assert_allclose(np.array(cube.bounds()), [[-5] * 3, [5] * 3])
    corner = cube.minus(CORNER)
    assert corner is not None and corner.shape is None and corner.mesh.volume == pytest.approx(992)
    hole = cube.minus(Primitive("cylinder", (0, 0, 0), (2.0, 20.0), (0, 0, 1)))
    n = DRAW_SEGMENTS
    assert hole.mesh.volume == pytest.approx(1000 - n / 2 * np.sin(2 * np.pi / n) * 4 * 10, rel=1e-9)
    assert hole.mesh.is_watertight and cube.minus(MISS) is None


def test_open_mesh_cannot_be_subtracted_from_but_draws() -> None:
    box = trimesh.creation.box((10, 10, 10))
    box.update_faces(np.arange(len(box.faces) - 2))  # one side left open
    open_box = Solid(mesh=box)
    with pytest.raises(NotSubtractableError, match="not a closed manifold mesh"):
        open_box.minus(CORNER)
    frame = Frame.around(*open_box.bounds())
    drawn = Drawer("exact", size=64)(open_box, ("f",), frame)["f"]
    assert (drawn < 128).any()


def test_mesh_of_two_pieces_cannot_be_subtracted_from() -> None:
    apart = trimesh.util.concatenate(
        [trimesh.creation.box((10, 10, 10)), trimesh.creation.box((2, 2, 2)).apply_translation((20, 0, 0))]
    )
    with pytest.raises(NotSubtractableError, match="2 pieces, not one"):
        Solid(mesh=apart).minus(CORNER)


def test_brep_of_several_solids_cannot_be_subtracted_from() -> None:
    compound = TopoDS_Compound()
    builder = BRep_Builder()
    builder.MakeCompound(compound)
    for x in (0, 20):
        builder.Add(compound, Primitive("box", (x, 0, 0), (10, 10, 10)).shape())
    with pytest.raises(NotSubtractableError, match="2 solids, not one"):
        Solid(compound).minus(CORNER)


def test_meshes_take_the_mesh_route_whatever_the_method() -> None:
    part = Solid(mesh=trimesh.creation.box((10, 6, 4)))
    expected = mesh_views(part.mesh, [camera("f"), camera("2")])
    frame = Frame.around(*part.bounds())
    for method in ("auto", "exact", "poly"):
        lines = Drawer(method).lines(part, ("f", "2"), frame)
        for view in ("f", "2"):
            for a, b in zip(lines[view].visible, expected[view].visible, strict=True):
                np.testing.assert_array_equal(a, b)


def test_a_solid_is_a_shape_or_a_mesh() -> None:
    with pytest.raises(ValueError, match="B-rep shape or a mesh"):
        Solid()
    with pytest.raises(ValueError, match="B-rep shape or a mesh"):
        Solid(Primitive("box", (0, 0, 0), (1, 1, 1)).shape(), mesh=trimesh.creation.box((1, 1, 1)))
