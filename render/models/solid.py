"""What questions are made of: a model as an exact B-rep, a B-rep with a mesh proxy, or a mesh.

SPARE3D questions subtract random primitives from a model (`render.models.csg.recipe_primitive`); a result
counts only if it is one solid that lost volume. How that is decided depends on the model:
- a B-rep read from a file (STEP, IGES, BREP): the OpenCASCADE cut must be one valid solid with less
  volume (`render.models.csg.subtract`);
- a generated CSG solid: the cut is tried on its mesh proxy first, which decides piece count and
  volume, and the exact cut must then be one valid solid (`render.models.csg.proxied_step`);
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
from render.models.csg import Primitive, mesh_step, proxied_step, solids, subtract, volume

if TYPE_CHECKING:
    import trimesh

DRAW_SEGMENTS = 96


class NotSubtractableError(ValueError):
    """A model primitives cannot be subtracted from: an open mesh, or a B-rep that is not one solid."""


@dataclass(frozen=True, eq=False)
class Solid:
    """A model: `shape` (B-rep), with a mesh `proxy` for generated CSG solids, or only `mesh`."""

    shape: TopoDS_Shape | None = None
    proxy: Manifold | None = None
    mesh: trimesh.Trimesh | None = None

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
