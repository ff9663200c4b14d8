"""What questions are made of: a model as an exact B-rep, a B-rep with a mesh proxy, or a mesh.

SPARE3D questions subtract random primitives from a model (`render.models.csg.recipe_primitive`); a result
counts only if it is one solid that lost volume. How that is decided depends on the model:
- a B-rep read from a file (STEP, IGES, BREP): the OpenCASCADE cut must be one valid solid with less
  volume (`render.models.csg.subtract`);
- a generated CSG solid: the cut is tried on its mesh proxy first, which decides piece count and
  volume, and the exact cut must then be one valid solid (`render.models.csg.proxied_step`);
- a generated CSG solid of the mesh kernel: the cut is decided on its proxy as above, and its fine
  mesh (`render.models.csg.draw_segments` chords a circle) must again be one piece that lost volume
  (`render.models.csg.fine_step`); no OpenCASCADE at all. Its triangles keep the primitive they came
  from (`groups`), which the mesh route draws edges between;
- a mesh read from a file (STL, OBJ, PLY, OFF, GLB): a manifold3d cut with the primitive chorded by
  `DRAW_SEGMENTS` segments a circle, fine enough to draw, must be one piece that lost volume. This
  needs a closed, consistently oriented (manifold) mesh; drawing alone does not.
A model that is not one solid (an open mesh, a B-rep of several solids or of sheets) raises
NotSubtractableError at its first subtraction.
B-reps are drawn by the B-rep routes, meshes by the mesh route (`render.datasets.questions.Drawer`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
from manifold3d import Manifold, Mesh64
from OCP.TopoDS import TopoDS_Shape

from render.models.brep import shape_bounds
from render.models.csg import (
    PROXY_SEGMENTS,
    CsgModel,
    Primitive,
    fine_step,
    mesh_step,
    proxied_step,
    solids,
    subtract,
    volume,
)

if TYPE_CHECKING:
    import trimesh

DRAW_SEGMENTS = 96


class NotSubtractableError(ValueError):
    """A model primitives cannot be subtracted from: an open mesh, or a B-rep that is not one solid."""


@dataclass(frozen=True, eq=False)
class Solid:
    """A model: `shape` (B-rep), with a mesh `proxy` for generated CSG solids, or only `mesh`; a CSG
    solid of the mesh kernel is its `mesh` drawn, the manifold3d `fine` mesh it came from (`segments`
    chords a circle), its `proxy`, and `groups`, each triangle's primitive (manifold3d original id)."""

    shape: TopoDS_Shape | None = None
    proxy: Manifold | None = None
    mesh: trimesh.Trimesh | None = None
    fine: Manifold | None = None
    segments: int = PROXY_SEGMENTS
    groups: np.ndarray | None = None

    @classmethod
    def of_csg(cls, model: CsgModel) -> Solid:
        """The Solid of a generated CSG model of either kernel."""
        if model.fine is None:
            return cls(model.shape, model.mesh)
        return cls.of_fine(model.mesh, model.fine, model.segments)

    @classmethod
    def of_fine(cls, proxy: Manifold, fine: Manifold, segments: int) -> Solid:
        mesh, groups = _trimesh_groups(fine)
        return cls(proxy=proxy, mesh=mesh, fine=fine, segments=segments, groups=groups)

    def __post_init__(self) -> None:
        if (self.shape is None) == (self.mesh is None):
            raise ValueError("a Solid is a B-rep shape or a mesh")

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """(min, max) corners of the tight bounding box."""
        if self.shape is not None:
            return shape_bounds(self.shape)
        lo, hi = self.mesh.bounds
        return np.asarray(lo, float), np.asarray(hi, float)

    @cached_property
    def brep_volume(self) -> float:
        return volume(self.shape)

    @cached_property
    def manifold(self) -> Manifold:
        """The mesh as one manifold3d solid (NotSubtractableError if it is not closed and oriented, or
        is several pieces)."""
        mesh = Mesh64(
            vert_properties=np.asarray(self.mesh.vertices, np.float64),
            tri_verts=np.asarray(self.mesh.faces, np.uint64),
        )
        solid = Manifold(mesh)
        if solid.is_empty():
            raise NotSubtractableError(
                f"not a closed manifold mesh ({solid.status().name}): cannot subtract primitives from it"
            )
        if (n := sum(piece.volume() > 0 for piece in solid.decompose())) != 1:
            raise NotSubtractableError(f"{n} pieces, not one: cannot subtract primitives from it")
        return solid

    def minus(self, primitive: Primitive) -> Solid | None:
        """This model minus the primitive if that is one solid that lost volume (module docstring)."""
        if self.fine is not None:
            stepped = fine_step(self.proxy, self.fine, primitive, "cut", self.segments)
            return None if stepped is None else Solid.of_fine(*stepped, self.segments)
        if self.shape is None:
            cut = mesh_step(self.manifold, primitive.mesh(DRAW_SEGMENTS), "cut")
            return None if cut is None else Solid(mesh=_trimesh(cut))
        if self.proxy is not None:
            stepped = proxied_step(self.shape, self.proxy, primitive, "cut")
            return None if stepped is None else Solid(*stepped)
        if (n := len(solids(self.shape))) != 1:
            raise NotSubtractableError(f"{n} solids, not one: cannot subtract primitives from it")
        cut = subtract(self.shape, primitive, self.brep_volume)
        return None if cut is None else Solid(cut)


def _trimesh(solid: Manifold) -> trimesh.Trimesh:
    import trimesh

    mesh = solid.to_mesh64()
    return trimesh.Trimesh(np.asarray(mesh.vert_properties)[:, :3], np.asarray(mesh.tri_verts), process=True)


def _trimesh_groups(solid: Manifold) -> tuple[trimesh.Trimesh, np.ndarray]:
    """The manifold as a trimesh (vertices as manifold3d shares them, no processing) and the original
    id of each triangle."""
    import trimesh

    mesh = solid.to_mesh64()
    starts, ids = np.asarray(mesh.run_index, np.int64), np.asarray(mesh.run_original_id, np.int64)
    groups = np.repeat(ids, np.diff(starts) // 3)
    out = trimesh.Trimesh(np.asarray(mesh.vert_properties)[:, :3], np.asarray(mesh.tri_verts), process=False)
    return out, groups
