"""Procedural CSG solids in the style of SPARE3D-CSG, and the primitives that SPARE3D questions subtract.

A model is built from `n` random primitives (box, cylinder, cone, sphere) with integer centres in
[0, 10]^3 and integer sizes (box sides, diameters, heights) in [5, 50] mm. The 90-degree rotations
of SPARE3D-CSG are the axis of a cylinder or cone, one of +-x, +-y, +-z; a box turned by 90 degrees
is an axis-aligned box with permuted sides, which independent side lengths already cover, and a
sphere has no orientation. The first primitive is the base; each further one is fused (probability
`UNION_PROBABILITY`) or cut. A step is kept only when its result is one piece whose volume changed by
more than `MIN_VOLUME_CHANGE` of the previous one (so every primitive contributes) and one valid
solid; otherwise the step is drawn again, and after `STEP_TRIES` failures the model restarts.
All randomness comes from the generator passed in, so a seed fixes the model exactly.

Piece count and volume are decided on a mesh proxy: the same steps on coarse meshes of the primitives
(`PROXY_SEGMENTS` segments a circle) with manifold3d, whose booleans take well under a millisecond.
The exact OpenCASCADE boolean, tens of milliseconds, then runs only for steps the proxy keeps (about
1 in 4 drawn steps is rejected), and its result only has to be one valid solid.

Two kernels (`KERNELS`) build the same models: "occt" as above, an exact B-rep with its proxy; "mesh"
only manifold3d meshes: the proxy decides every step exactly as for "occt" (so a seed gives the same
primitives on both, unless OpenCASCADE finds a result invalid, which is rare), and the drawn mesh is
built by the same steps with `draw_segments(size)` chords a circle, which must again be one piece that
changed volume. Its triangles keep the primitive they came from (manifold3d's original ids), which the
mesh route uses to draw the edges where two primitives meet (`render.lines.mesh.feature_edge_index`).

`recipe_primitive` draws the primitive a SPARE3D question subtracts from a model with bounding-box
extents (X, Y, Z): centre uniform within +-25% of the extents around the box centre and, with
A = (X + Y + Z) / 5, box sides U(0.5A, A), sphere radius U(0.25A, 0.5A), cone and cylinder radius
U(0.25A, 0.5A) and height U(0.5A, A).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from manifold3d import Manifold
from OCP.APIHeaderSection import APIHeaderSection_MakeHeader
from OCP.BRepAlgoAPI import BRepAlgoAPI_Cut, BRepAlgoAPI_Fuse
from OCP.BRepCheck import BRepCheck_Analyzer
from OCP.BRepGProp import BRepGProp
from OCP.BRepPrimAPI import (
    BRepPrimAPI_MakeBox,
    BRepPrimAPI_MakeCone,
    BRepPrimAPI_MakeCylinder,
    BRepPrimAPI_MakeSphere,
)
from OCP.BRepTools import BRepTools
from OCP.gp import gp_Ax2, gp_Dir, gp_Pnt
from OCP.GProp import GProp_GProps
from OCP.IFSelect import IFSelect_RetDone
from OCP.Message import Message, Message_Gravity
from OCP.ShapeUpgrade import ShapeUpgrade_UnifySameDomain
from OCP.Standard import Standard_Failure
from OCP.STEPControl import STEPControl_AsIs, STEPControl_Writer
from OCP.TCollection import TCollection_HAsciiString
from OCP.TopAbs import TopAbs_SOLID
from OCP.TopExp import TopExp_Explorer
from OCP.TopoDS import TopoDS, TopoDS_Shape

from render.files import replacing

KINDS: tuple[str, ...] = ("box", "cylinder", "cone", "sphere")
AXES: tuple[tuple[int, int, int], ...] = ((1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0), (0, 0, 1), (0, 0, -1))
POSITION_RANGE = (0, 10)
SIZE_RANGE = (5, 50)
UNION_PROBABILITY = 0.6
MIN_VOLUME_CHANGE = 1e-3
STEP_TRIES = 30
MODEL_TRIES = 50
MAX_PRIMITIVES = 24  # bounds a model's build time: 24 primitives took about 12 s, 32 about 36 s (seed 0)
STEP_TIMESTAMP = "1970-01-01T00:00:00"
PROXY_SEGMENTS = 24
KERNELS: tuple[str, ...] = ("mesh", "occt")
# The mesh kernel chords a circle finely enough that its polygon departs from the circle by at most
# CHORD_ERROR_PX pixels at the output size; a circle's radius is at most RADIUS_FRACTION of the image
# side (a primitive of the model: radius <= half the largest extent = 1/(2 x 1.7) of the frame; a
# question's cut: radius <= 0.5 A <= 0.3 x the largest extent). Where two curved surfaces meet at a
# shallow angle their edge moves by the chord error / sin(angle), so the error is far below a pixel:
# on 30 models at 200 px, 40 chords (0.25 px) drew views with line IoU 0.95 mean, 0.64 least against
# the OCCT kernel, 72 chords (0.06 px) 0.96 and 0.83, for 1.4x the mesh kernel's time.
CHORD_ERROR_PX = 0.06
RADIUS_FRACTION = 0.3
# Pieces of a proxy result under this fraction of its volume are slivers between a coarse mesh's chords
# and a surface the exact solid touches.
SLIVER = 1e-3
_PRODUCT_NAME = re.compile(r"Open CASCADE STEP translator [0-9.]+ [0-9]+")


class CsgError(RuntimeError):
    """A CSG model could not be generated within the allowed number of tries."""


@dataclass(frozen=True)
class Primitive:
    """A solid primitive: `size` is (dx, dy, dz) for a box, (radius, height) for a cylinder or cone
    (cone apex on the +axis side), (radius,) for a sphere; `center` is the centre of its bounding box."""

    kind: str
    center: tuple[float, float, float]
    size: tuple[float, ...]
    axis: tuple[int, int, int] = (0, 0, 1)

    def shape(self) -> TopoDS_Shape:
        return make_primitive(self.kind, self.center, self.size, self.axis)

    def mesh(self, segments: int = PROXY_SEGMENTS) -> Manifold:
        return primitive_mesh(self.kind, self.center, self.size, self.axis, segments)

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "center": list(self.center),
            "size": list(self.size),
            "axis": list(self.axis),
        }


def make_primitive(
    kind: str,
    center: tuple[float, float, float],
    size: tuple[float, ...],
    axis: tuple[int, int, int] = (0, 0, 1),
) -> TopoDS_Shape:
    """The OpenCASCADE solid of a primitive (see `Primitive` for the meaning of `size`)."""
    c = np.asarray(center, float)
    if kind == "box":
        corner = c - np.asarray(size, float) / 2
        return BRepPrimAPI_MakeBox(gp_Pnt(*corner), *map(float, size)).Shape()
    if kind == "sphere":
        return BRepPrimAPI_MakeSphere(gp_Pnt(*c), float(size[0])).Shape()
    radius, height = map(float, size)
    base = gp_Ax2(gp_Pnt(*(c - np.asarray(axis, float) * height / 2)), gp_Dir(*map(float, axis)))
    if kind == "cylinder":
        return BRepPrimAPI_MakeCylinder(base, radius, height).Shape()
    if kind == "cone":
        return BRepPrimAPI_MakeCone(base, radius, 0.0, height).Shape()
    raise ValueError(f"unknown primitive kind {kind!r}; expected one of {', '.join(KINDS)}")


def draw_segments(size: int) -> int:
    """Chords per circle of the mesh kernel at `size` px: the polygon of the largest circle a drawing
    can show departs from it by at most CHORD_ERROR_PX (a multiple of 8, at least PROXY_SEGMENTS):
    40 at 64 px, 72 at 200 px, 120 at 512 px."""
    radius = RADIUS_FRACTION * size
    n = math.pi / math.acos(1 - CHORD_ERROR_PX / radius) if radius > CHORD_ERROR_PX else 0
    return max(PROXY_SEGMENTS, 8 * math.ceil(n / 8))


def _frame_of_axis(axis: tuple[int, int, int]) -> np.ndarray:
    """A rotation matrix whose third column is the unit vector `axis` (one of AXES)."""
    a = np.asarray(axis, float)
    b = np.roll(np.abs(a), 1)
    return np.column_stack([b, np.cross(a, b), a])


def primitive_mesh(
    kind: str,
    center: tuple[float, float, float],
    size: tuple[float, ...],
    axis: tuple[int, int, int] = (0, 0, 1),
    segments: int = PROXY_SEGMENTS,
) -> Manifold:
    """A closed triangle mesh of a primitive (`segments` chords a circle), placed as `make_primitive`."""
    if kind == "box":
        return Manifold.cube(tuple(map(float, size)), center=True).translate(tuple(map(float, center)))
    if kind == "sphere":
        return Manifold.sphere(float(size[0]), segments).translate(tuple(map(float, center)))
    if kind not in ("cylinder", "cone"):
        raise ValueError(f"unknown primitive kind {kind!r}; expected one of {', '.join(KINDS)}")
    radius, height = map(float, size)
    upright = Manifold.cylinder(height, radius, radius if kind == "cylinder" else 0.0, segments, center=True)
    return upright.transform(np.column_stack([_frame_of_axis(axis), center]).tolist())


def _axis(rng: np.random.Generator) -> tuple[int, int, int]:
    return AXES[int(rng.integers(len(AXES)))]


def random_primitive(rng: np.random.Generator) -> Primitive:
    """A SPARE3D-CSG primitive: integer centre in [0, 10]^3, integer sides/diameters/heights in [5, 50]."""
    kind = KINDS[int(rng.integers(len(KINDS)))]
    center = tuple(float(v) for v in rng.integers(POSITION_RANGE[0], POSITION_RANGE[1] + 1, size=3))
    dims = [float(v) for v in rng.integers(SIZE_RANGE[0], SIZE_RANGE[1] + 1, size=3)]
    if kind == "box":
        return Primitive(kind, center, tuple(dims))
    if kind == "sphere":
        return Primitive(kind, center, (dims[0] / 2,))
    return Primitive(kind, center, (dims[0] / 2, dims[1]), _axis(rng))


def recipe_primitive(rng: np.random.Generator, bbox_min: np.ndarray, bbox_max: np.ndarray) -> Primitive:
    """The primitive a SPARE3D question subtracts from a model with this bounding box (module docstring)."""
    lo, hi = np.asarray(bbox_min, float), np.asarray(bbox_max, float)
    extent = hi - lo
    a = float(extent.sum()) / 5
    kind = KINDS[int(rng.integers(len(KINDS)))]
    center = tuple(float(v) for v in (lo + hi) / 2 + rng.uniform(-0.25, 0.25, size=3) * extent)
    if kind == "box":
        return Primitive(kind, center, tuple(float(v) for v in rng.uniform(0.5 * a, a, size=3)))
    radius = float(rng.uniform(0.25 * a, 0.5 * a))
    if kind == "sphere":
        return Primitive(kind, center, (radius,))
    return Primitive(kind, center, (radius, float(rng.uniform(0.5 * a, a))), _axis(rng))


def volume(shape: TopoDS_Shape) -> float:
    props = GProp_GProps()
    BRepGProp.VolumeProperties_s(shape, props)
    return float(props.Mass())


def solids(shape: TopoDS_Shape) -> list[TopoDS_Shape]:
    out = []
    explorer = TopExp_Explorer(shape, TopAbs_SOLID)
    while explorer.More():
        out.append(TopoDS.Solid(explorer.Current()))
        explorer.Next()
    return out


def valid_solid(shape: TopoDS_Shape) -> TopoDS_Shape | None:
    """The shape's only solid if it has exactly one and that is valid (BRepCheck), else None."""
    found = solids(shape)
    return found[0] if len(found) == 1 and BRepCheck_Analyzer(found[0]).IsValid() else None


def single_solid(
    shape: TopoDS_Shape, keep: Callable[[float], bool] = lambda v: True
) -> tuple[TopoDS_Shape, float] | None:
    """The shape's only solid and its volume v if it has exactly one, with v > 0 and keep(v), and it is
    valid; else None. Validity, the costliest test, comes last, so results rejected by `keep` skip it."""
    found = solids(shape)
    if len(found) != 1:
        return None
    v = volume(found[0])
    if v <= 0 or not keep(v) or not BRepCheck_Analyzer(found[0]).IsValid():
        return None
    return found[0], v


def boolean(shape: TopoDS_Shape, tool: TopoDS_Shape, op: str) -> TopoDS_Shape | None:
    """`shape` fused with ('union') or cut by ('cut') `tool`, with coplanar faces merged; None on failure.

    Merging faces and edges that lie on one surface (ShapeUpgrade_UnifySameDomain) removes the seams a
    boolean leaves between coplanar faces, which a drawing would otherwise show as lines. OpenCASCADE
    exceptions count as failures (e.g. merging faces whose boundary curves do not meet raises
    "Courbes non jointives"), so a generator draws another primitive instead of losing the model.
    """
    try:
        algo = (BRepAlgoAPI_Fuse if op == "union" else BRepAlgoAPI_Cut)(shape, tool)
        if not algo.IsDone():
            return None
        unify = ShapeUpgrade_UnifySameDomain(algo.Shape(), True, True, False)
        unify.Build()
        return unify.Shape()
    except Standard_Failure:
        return None


def subtract(
    shape: TopoDS_Shape, primitive: Primitive, shape_volume: float | None = None
) -> TopoDS_Shape | None:
    """`shape` minus the primitive if that is one valid solid that lost volume, else None."""
    limit = (1 - MIN_VOLUME_CHANGE) * (volume(shape) if shape_volume is None else shape_volume)
    result = boolean(shape, primitive.shape(), "cut")
    checked = None if result is None else single_solid(result, lambda v: v < limit)
    return None if checked is None else checked[0]


def _changed(v: float, before: float) -> bool:
    return abs(v - before) > MIN_VOLUME_CHANGE * before


def _one_piece(mesh: Manifold, tool: Manifold, op: str) -> tuple[Manifold, float, float] | None:
    """`mesh` fused with ('union') or cut by ('cut') `tool`, without its outer shells under SLIVER of
    the volume, if exactly one shell remains: (result, its volume, `mesh`'s volume); else None.

    The result's connected surfaces are outer shells (positive volume) and the walls of inner voids
    (negative, kept).
    """
    before = mesh.volume()
    result = mesh + tool if op == "union" else mesh - tool
    surfaces = result.decompose()
    volumes = np.array([surface.volume() for surface in surfaces])
    if np.count_nonzero(volumes > SLIVER * before) != 1:
        return None
    kept = ~((volumes > 0) & (volumes <= SLIVER * before))
    if not kept.all():
        result = Manifold.compose([s for s, k in zip(surfaces, kept, strict=True) if k])
    return result, float(volumes[kept].sum()), before


def mesh_step(mesh: Manifold, tool: Manifold, op: str) -> Manifold | None:
    """`mesh` fused with ('union') or cut by ('cut') `tool` if the result is one piece (`_one_piece`)
    whose volume changed by more than MIN_VOLUME_CHANGE, else None."""
    piece = _one_piece(mesh, tool, op)
    return None if piece is None or not _changed(piece[1], piece[2]) else piece[0]


def _main_solid(shape: TopoDS_Shape) -> TopoDS_Shape | None:
    """The shape's only solid, or its largest when every other one is a sliver (under SLIVER of the
    largest's volume, as the proxy drops them), if that is valid (BRepCheck); else None."""
    found = solids(shape)
    if len(found) > 1:
        volumes = [volume(s) for s in found]
        largest = int(np.argmax(volumes))
        if any(v > SLIVER * volumes[largest] for j, v in enumerate(volumes) if j != largest):
            return None
        found = [found[largest]]
    return found[0] if len(found) == 1 and BRepCheck_Analyzer(found[0]).IsValid() else None


def exact_step(shape: TopoDS_Shape, tool: TopoDS_Shape, op: str) -> TopoDS_Shape | None:
    """The solid of `shape` fused with or cut by `tool` for a step the proxy kept, or None.

    The result must be one valid solid after dropping slivers (`_main_solid`). Merging coplanar faces
    (`boolean`) sometimes leaves an invalid solid where the plain boolean's is valid; then the plain
    one is taken. So OpenCASCADE follows the proxy's decisions in all but rare cases (10 of 201 kept
    steps of 40 models were refused before: 6 slivers, 4 invalid after merging faces; 1 now)."""

    def plain() -> TopoDS_Shape | None:
        try:
            algo = (BRepAlgoAPI_Fuse if op == "union" else BRepAlgoAPI_Cut)(shape, tool)
            return algo.Shape() if algo.IsDone() else None
        except Standard_Failure:
            return None

    raw = plain()
    if raw is None:
        return None
    try:
        unify = ShapeUpgrade_UnifySameDomain(raw, True, True, False)
        unify.Build()
        solid = _main_solid(unify.Shape())
    except Standard_Failure:  # e.g. "Courbes non jointives" merging faces whose boundaries do not meet
        solid = None
    if solid is not None:
        return solid
    # merging faces changes the tolerances of the edges it shares with the plain result: boolean again
    raw = plain()
    return None if raw is None else _main_solid(raw)


def proxied_step(
    shape: TopoDS_Shape, mesh: Manifold, primitive: Primitive, op: str
) -> tuple[TopoDS_Shape, Manifold] | None:
    """One step on a solid and its mesh proxy (module docstring): (solid, proxy) or None if rejected."""
    stepped = mesh_step(mesh, primitive.mesh(), op)
    solid = None if stepped is None else exact_step(shape, primitive.shape(), op)
    return None if solid is None else (solid, stepped)


def fine_step(
    proxy: Manifold, fine: Manifold, primitive: Primitive, op: str, segments: int
) -> tuple[Manifold, Manifold] | None:
    """One step of the mesh kernel: the proxy decides it (as `proxied_step`), and the fine mesh
    (`segments` chords a circle) must then be one piece after dropping slivers (its volume change is
    not judged again: near 0.1% the two meshes can disagree); (proxy, fine) or None."""
    stepped = mesh_step(proxy, primitive.mesh(), op)
    piece = None if stepped is None else _one_piece(fine, primitive.mesh(segments), op)
    return None if piece is None else (stepped, piece[0])


@dataclass(frozen=True)
class CsgModel:
    """A generated solid, its mesh proxy, and how it was made: the base primitive, then (operation,
    primitive) steps. The "occt" kernel gives `shape`, the "mesh" kernel `fine`, the mesh drawn
    (`segments` chords a circle)."""

    shape: TopoDS_Shape | None
    mesh: Manifold
    steps: tuple[tuple[str, Primitive], ...]
    fine: Manifold | None = None
    segments: int = PROXY_SEGMENTS

    @property
    def n_primitives(self) -> int:
        return len(self.steps)


def _build(rng: np.random.Generator, n: int, kernel: str, segments: int) -> CsgModel | None:
    base = random_primitive(rng)
    mesh = base.mesh()
    # the state the kernel carries besides the proxy: the B-rep (occt) or the fine mesh (mesh)
    other = base.shape() if kernel == "occt" else base.mesh(segments)
    steps: list[tuple[str, Primitive]] = [("base", base)]
    for _ in range(n - 1):
        for _ in range(STEP_TRIES):
            primitive = random_primitive(rng)
            op = "union" if rng.random() < UNION_PROBABILITY else "cut"
            if kernel == "occt":
                stepped = proxied_step(other, mesh, primitive, op)
            else:
                stepped = fine_step(mesh, other, primitive, op, segments)
                stepped = None if stepped is None else stepped[::-1]
            if stepped is not None:
                other, mesh = stepped
                steps.append((op, primitive))
                break
        else:
            return None
    if kernel == "occt":
        return CsgModel(other, mesh, tuple(steps))
    return CsgModel(None, mesh, tuple(steps), other, segments)


def replay(steps: Sequence[tuple[str, Primitive]]) -> TopoDS_Shape:
    """The solid of recorded steps (`CsgModel.steps`), rebuilt by the same booleans without checks."""
    (_, base), *rest = steps
    shape = base.shape()
    for op, primitive in rest:
        result = boolean(shape, primitive.shape(), op)
        if result is None:
            raise CsgError(f"the {op} of {primitive} failed")
        shape = solids(result)[0]
    return shape


def csg_model(
    rng: np.random.Generator,
    primitives: tuple[int, int] = (3, 8),
    kernel: str = "occt",
    segments: int = PROXY_SEGMENTS,
) -> CsgModel:
    """A random CSG solid of between primitives[0] and primitives[1] primitives (both included), built
    by `kernel` (module docstring; "mesh" chords circles by `segments`)."""
    lo, hi = primitives
    if not 1 <= lo <= hi:
        raise ValueError(f"bad primitive range {lo}-{hi}: need 1 <= A <= B")
    if kernel not in KERNELS:
        raise ValueError(f"unknown kernel {kernel!r}; expected one of {', '.join(KERNELS)}")
    n = int(rng.integers(lo, hi + 1))
    for _ in range(MODEL_TRIES):
        model = _build(rng, n, kernel, segments)
        if model is not None:
            return model
    raise CsgError(f"no valid {n}-primitive solid in {MODEL_TRIES} tries")


def random_csg(rng: np.random.Generator, primitives: tuple[int, int] = (3, 8)) -> TopoDS_Shape:
    """The solid of `csg_model(rng, primitives)`: one connected valid solid with positive volume."""
    return csg_model(rng, primitives).shape


def parse_primitive_range(spec: str) -> tuple[int, int]:
    """Parse 'A-B' (or 'A') into (A, B) with 1 <= A <= B <= MAX_PRIMITIVES."""
    parts = spec.strip().split("-")
    try:
        lo, hi = (int(parts[0]), int(parts[-1])) if len(parts) <= 2 else (0, -1)
    except ValueError:
        raise ValueError(f"{spec!r} is not a range A-B of primitive counts") from None
    if len(parts) > 2 or not 1 <= lo <= hi <= MAX_PRIMITIVES:
        raise ValueError(
            f"{spec!r} is not a range A-B of primitive counts with 1 <= A <= B <= {MAX_PRIMITIVES}"
        )
    return lo, hi


def write_brep(shape: TopoDS_Shape, path: str | Path) -> None:
    """Write the shape as an OpenCASCADE BREP file atomically: lossless (a STEP round trip can move a
    sphere face's boundary, see `render csg --format`), and the same shape always gives the same bytes."""
    path = Path(path)
    with replacing(path) as tmp:
        if not BRepTools.Write_s(shape, str(tmp)):
            raise OSError(f"{path}: BREP writer failed")


def write_step(shape: TopoDS_Shape, path: str | Path) -> None:
    """Write the shape as a STEP file atomically; the header has a fixed name and time stamp, so the
    same shape always gives the same bytes."""
    path = Path(path)
    with replacing(path) as tmp:
        printers = Message.DefaultMessenger_s().Printers()
        levels = [p.GetTraceLevel() for p in printers]
        for p in printers:  # the STEP writer prints transfer statistics on stdout
            p.SetTraceLevel(Message_Gravity.Message_Fail)
        try:
            writer = STEPControl_Writer()
            writer.Transfer(shape, STEPControl_AsIs)
            header = APIHeaderSection_MakeHeader(writer.Model())
            header.SetName(TCollection_HAsciiString(path.stem))
            header.SetTimeStamp(TCollection_HAsciiString(STEP_TIMESTAMP))
            ok = writer.Write(str(tmp)) == IFSelect_RetDone
        finally:
            for p, level in zip(printers, levels, strict=True):
                p.SetTraceLevel(level)
        if not ok:
            raise OSError(f"{path}: STEP writer failed")
        # OCCT numbers the product name with a per-process counter ("... translator 8.0 3"): name it by file.
        text = _PRODUCT_NAME.sub(path.stem.replace("'", ""), tmp.read_text())
        tmp.write_text(text)
