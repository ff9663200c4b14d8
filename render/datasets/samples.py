"""Built-in sample parts: realistic machined parts made in code with OpenCASCADE, for examples and tests.

Each part is one valid solid built from its dimensions (a frozen spec dataclass, millimetres) by
booleans, revolutions, fillets and chamfers, so its volume follows from the dimensions by a formula
(see tests/render/datasets/test_samples.py):

- `bracket`: an angle bracket: base plate and upright, two through holes with chamfered tops, two
  drilled blind holes (118-degree points) in the upright, two rounded base corners, a fillet inside the
  angle and a chamfer along the upright's top edge.
- `shaft`: a stepped shaft (revolved profile): a journal with a retaining-ring groove, a body with a
  closed flat-ended keyway, a fillet at the shoulder and chamfered ends.
- `pulley`: a V-belt pulley revolved from its cross-section (hub, web, rim with a 38-degree groove),
  four lightening holes through the web and a keyway along the bore.
- `angle_block`: a block with a slanted face, a blind hole drilled normal to it, and a pocket with
  rounded corners in the top face.
- `hex_nut`: a hexagon nut with a bore chamfered on both sides, written only as an STL mesh (its
  triangulation by `render.lines.tessellate`), the sample of the mesh route.

`write_samples` writes the B-rep parts as STEP, BREP and IGES (any subset) and the mesh part as STL.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from OCP.Bnd import Bnd_Box
from OCP.BRepAdaptor import BRepAdaptor_Curve
from OCP.BRepBndLib import BRepBndLib
from OCP.BRepBuilderAPI import BRepBuilderAPI_MakeFace, BRepBuilderAPI_MakePolygon
from OCP.BRepFilletAPI import BRepFilletAPI_MakeChamfer, BRepFilletAPI_MakeFillet
from OCP.BRepPrimAPI import (
    BRepPrimAPI_MakeBox,
    BRepPrimAPI_MakeCylinder,
    BRepPrimAPI_MakePrism,
    BRepPrimAPI_MakeRevol,
)
from OCP.GeomAbs import GeomAbs_Circle, GeomAbs_CurveType, GeomAbs_Line
from OCP.gp import gp_Ax1, gp_Ax2, gp_Dir, gp_Pnt, gp_Vec
from OCP.IGESControl import IGESControl_Writer
from OCP.TCollection import TCollection_HAsciiString
from OCP.TopAbs import TopAbs_EDGE
from OCP.TopExp import TopExp_Explorer
from OCP.TopoDS import TopoDS, TopoDS_Edge, TopoDS_Shape

from render.files import replacing, write_atomic
from render.models.csg import boolean, valid_solid, write_brep, write_step

BREP_FORMATS: tuple[str, ...] = ("step", "brep", "iges")
SUFFIXES: dict[str, str] = {"step": ".step", "brep": ".brep", "iges": ".igs", "stl": ".stl"}
IGES_DATE = "19700101.000000"
IGES_AUTHOR = "linedraw3d"
DRILL_POINT_DEG = 118.0
# Edges are selected by their bounding box, within this distance (mm).
SELECT_TOL = 1e-4


class SampleError(RuntimeError):
    """An OpenCASCADE operation of a sample part failed (a bug in the part's construction)."""


@dataclass(frozen=True)
class BracketSpec:
    """Base plate `length` (x) x `depth` (y) x `base` (z); upright `length` x `upright` (y, flush with
    the back face y = depth) up to z = `height`."""

    length: float = 80.0
    depth: float = 60.0
    base: float = 10.0
    upright: float = 12.0
    height: float = 50.0
    hole_radius: float = 4.5
    hole_xy: tuple[tuple[float, float], ...] = ((15.0, 22.0), (65.0, 22.0))
    hole_chamfer: float = 1.0
    blind_radius: float = 3.0
    blind_depth: float = 6.0  # cylindrical part; the drill point adds blind_radius / tan(59 deg)
    blind_xz: tuple[tuple[float, float], ...] = ((25.0, 32.0), (55.0, 32.0))
    corner_radius: float = 8.0  # the two vertical front corners of the base
    inner_fillet: float = 6.0  # inside the angle, along x
    top_chamfer: float = 3.0  # the upright's top front edge


@dataclass(frozen=True)
class ShaftSpec:
    """Along z: journal (radius `journal_radius`, z in [0, journal_length]), then body up to
    `journal_length + body_length`; keyway of `keyway_width` x `keyway_length` x `keyway_depth` on the
    +y side of the body centred at z = `keyway_center`; groove at z = `groove_center`."""

    journal_radius: float = 10.0
    journal_length: float = 40.0
    body_radius: float = 15.0
    body_length: float = 60.0
    end_chamfer: float = 1.0
    shoulder_fillet: float = 2.0
    keyway_width: float = 6.0
    keyway_depth: float = 3.5
    keyway_length: float = 30.0
    keyway_center: float = 70.0
    groove_width: float = 2.0
    groove_depth: float = 1.0
    groove_center: float = 10.0


@dataclass(frozen=True)
class PulleySpec:
    """`profile`: the cross-section as (radius, z) corners, counter-clockwise, revolved about z."""

    profile: tuple[tuple[float, float], ...] = (
        (10.0, 0.0), (18.0, 0.0), (18.0, 10.0), (40.0, 10.0), (40.0, 2.0), (55.0, 2.0), (55.0, 9.0),
        (45.0, 12.4433), (45.0, 17.5567), (55.0, 21.0), (55.0, 28.0), (40.0, 28.0), (40.0, 20.0),
        (18.0, 20.0), (18.0, 30.0), (10.0, 30.0),
    )  # fmt: skip
    hole_radius: float = 6.0
    hole_pitch_radius: float = 29.0
    holes: int = 4
    web: tuple[float, float] = (10.0, 20.0)  # z range of the web the holes go through
    keyway_width: float = 5.0
    keyway_depth: float = 2.5  # beyond the bore radius

    @property
    def bore_radius(self) -> float:
        return self.profile[0][0]

    @property
    def length(self) -> float:
        return max(z for _, z in self.profile)


@dataclass(frozen=True)
class AngleBlockSpec:
    """Block `length` (x) x `width` (y) x `height` (z) with the edge x = length, z = height cut off by a
    plane through (length - slant_run, z = height) and (length, z = height - slant_drop)."""

    length: float = 70.0
    width: float = 40.0
    height: float = 30.0
    slant_run: float = 25.0
    slant_drop: float = 15.0
    hole_radius: float = 4.0  # a blind hole drilled normal to the slanted face at its centre
    hole_depth: float = 12.0  # cylindrical part; the drill point adds hole_radius / tan(59 deg)
    pocket: tuple[float, float, float, float] = (10.0, 10.0, 25.0, 20.0)  # x, y, size x, size y
    pocket_depth: float = 8.0
    pocket_corner: float = 5.0


@dataclass(frozen=True)
class HexNutSpec:
    across_flats: float = 24.0
    thickness: float = 13.0
    bore_radius: float = 8.0
    bore_chamfer: float = 1.5


BRACKET = BracketSpec()
SHAFT = ShaftSpec()
PULLEY = PulleySpec()
ANGLE_BLOCK = AngleBlockSpec()
HEX_NUT = HexNutSpec()


def _checked(shape: TopoDS_Shape | None, what: str) -> TopoDS_Shape:
    solid = None if shape is None else valid_solid(shape)
    if solid is None:
        raise SampleError(f"{what} did not give one valid solid")
    return solid


def _cut(shape: TopoDS_Shape, *tools: TopoDS_Shape) -> TopoDS_Shape:
    for tool in tools:
        shape = _checked(boolean(shape, tool, "cut"), "a cut")
    return shape


def _fuse(shape: TopoDS_Shape, *tools: TopoDS_Shape) -> TopoDS_Shape:
    for tool in tools:
        shape = _checked(boolean(shape, tool, "union"), "a fuse")
    return shape


def _box(corner: Sequence[float], size: Sequence[float]) -> TopoDS_Shape:
    return BRepPrimAPI_MakeBox(gp_Pnt(*map(float, corner)), *map(float, size)).Shape()


def _cylinder(base: Sequence[float], axis: Sequence[float], radius: float, height: float) -> TopoDS_Shape:
    frame = gp_Ax2(gp_Pnt(*map(float, base)), gp_Dir(*map(float, axis)))
    return BRepPrimAPI_MakeCylinder(frame, radius, height).Shape()


def polygon_face(points: Sequence[Sequence[float]]) -> TopoDS_Shape:
    """The planar face bounded by the closed polygon through the 3D points."""
    polygon = BRepBuilderAPI_MakePolygon()
    for p in points:
        polygon.Add(gp_Pnt(*map(float, p)))
    polygon.Close()
    return BRepBuilderAPI_MakeFace(polygon.Wire(), True).Face()


def prism(points: Sequence[Sequence[float]], vector: Sequence[float]) -> TopoDS_Shape:
    """The solid swept by the planar polygon through the 3D points moved along `vector`."""
    return _checked(
        BRepPrimAPI_MakePrism(polygon_face(points), gp_Vec(*map(float, vector))).Shape(), "a prism"
    )


def revolve(
    profile: Sequence[tuple[float, float]], base: Sequence[float], axis: Sequence[float]
) -> TopoDS_Shape:
    """The solid swept by a closed (radius, height) polygon in the plane of `axis` turned once about it.

    Radius runs along the frame's X direction (OCCT's default for the axis), height along the axis.
    """
    frame = gp_Ax2(gp_Pnt(*map(float, base)), gp_Dir(*map(float, axis)))
    origin = np.array(base, float)
    x_dir = np.array([frame.XDirection().X(), frame.XDirection().Y(), frame.XDirection().Z()])
    z_dir = np.array(axis, float) / np.linalg.norm(axis)
    face = polygon_face([origin + r * x_dir + h * z_dir for r, h in profile])
    return _checked(
        BRepPrimAPI_MakeRevol(face, gp_Ax1(frame.Location(), frame.Direction())).Shape(), "a revolution"
    )


def drill(tip_base: Sequence[float], axis: Sequence[float], radius: float, depth: float) -> TopoDS_Shape:
    """A twist drill's cut: a cylinder of `depth` from `tip_base` along `axis` (into the material), then
    a point of DRILL_POINT_DEG included angle; starts 1 mm outside to cut cleanly through the surface."""
    point = radius / math.tan(math.radians(DRILL_POINT_DEG / 2))
    profile = [(0.0, -1.0), (radius, -1.0), (radius, depth), (0.0, depth + point)]
    return revolve(profile, tip_base, axis)


def _edge_box(edge: TopoDS_Edge) -> tuple[np.ndarray, np.ndarray]:
    box = Bnd_Box()
    BRepBndLib.AddOptimal_s(edge, box, False, False)
    lo, hi = box.CornerMin(), box.CornerMax()
    return np.array([lo.X(), lo.Y(), lo.Z()]), np.array([hi.X(), hi.Y(), hi.Z()])


def edges_within(
    shape: TopoDS_Shape, lo: Sequence[float], hi: Sequence[float], kind: GeomAbs_CurveType
) -> list[TopoDS_Edge]:
    """The shape's edges of curve type `kind` whose bounding box lies inside the box [lo, hi]."""
    found, explorer = [], TopExp_Explorer(shape, TopAbs_EDGE)
    lo_, hi_ = np.asarray(lo, float) - SELECT_TOL, np.asarray(hi, float) + SELECT_TOL
    while explorer.More():
        edge = TopoDS.Edge(explorer.Current())
        explorer.Next()
        if BRepAdaptor_Curve(edge).GetType() != kind:
            continue
        e_lo, e_hi = _edge_box(edge)
        if np.all(e_lo >= lo_) and np.all(e_hi <= hi_) and not any(edge.IsSame(f) for f in found):
            found.append(edge)
    return found


def _one(edges: list[TopoDS_Edge], count: int, what: str) -> list[TopoDS_Edge]:
    if len(edges) != count:
        raise SampleError(f"expected {count} {what} edges, found {len(edges)}")
    return edges


def fillet(shape: TopoDS_Shape, edges: Sequence[TopoDS_Edge], radius: float) -> TopoDS_Shape:
    """The shape with a constant-radius fillet on each of the edges."""
    algo = BRepFilletAPI_MakeFillet(shape)
    for edge in edges:
        algo.Add(radius, edge)
    algo.Build()
    return _checked(algo.Shape() if algo.IsDone() else None, "a fillet")


def chamfer(shape: TopoDS_Shape, edges: Sequence[TopoDS_Edge], distance: float) -> TopoDS_Shape:
    """The shape with a symmetric 45-degree chamfer of `distance` on each of the edges."""
    algo = BRepFilletAPI_MakeChamfer(shape)
    for edge in edges:
        algo.Add(distance, edge)
    algo.Build()
    return _checked(algo.Shape() if algo.IsDone() else None, "a chamfer")


def bracket(s: BracketSpec = BRACKET) -> TopoDS_Shape:
    """The angle bracket (see the module docstring)."""
    back = s.depth - s.upright
    part = _fuse(
        _box((0, 0, 0), (s.length, s.depth, s.base)), _box((0, back, 0), (s.length, s.upright, s.height))
    )
    corners = [
        e for x in (0.0, s.length) for e in edges_within(part, (x, 0, 0), (x, 0, s.base), GeomAbs_Line)
    ]
    part = fillet(part, _one(corners, 2, "front corner"), s.corner_radius)
    inner = edges_within(part, (0, back, s.base), (s.length, back, s.base), GeomAbs_Line)
    part = fillet(part, _one(inner, 1, "inner angle"), s.inner_fillet)
    top = edges_within(part, (0, back, s.height), (s.length, back, s.height), GeomAbs_Line)
    part = chamfer(part, _one(top, 1, "upright top"), s.top_chamfer)
    holes = [_cylinder((x, y, -1), (0, 0, 1), s.hole_radius, s.base + 2) for x, y in s.hole_xy]
    part = _cut(part, *holes)
    r = s.hole_radius
    rims = [
        e
        for x, y in s.hole_xy
        for e in edges_within(part, (x - r, y - r, s.base), (x + r, y + r, s.base), GeomAbs_Circle)
    ]
    part = chamfer(part, _one(rims, len(s.hole_xy), "hole rim"), s.hole_chamfer)
    blind = [drill((x, back, z), (0, 1, 0), s.blind_radius, s.blind_depth) for x, z in s.blind_xz]
    return _cut(part, *blind)


def shaft(s: ShaftSpec = SHAFT) -> TopoDS_Shape:
    """The stepped shaft (see the module docstring)."""
    end = s.journal_length + s.body_length
    r1, r2 = s.journal_radius, s.body_radius
    profile = [(0, 0), (r1, 0), (r1, s.journal_length), (r2, s.journal_length), (r2, end), (0, end)]
    part = revolve(profile, (0, 0, 0), (0, 0, 1))
    shoulder = edges_within(part, (-r1, -r1, s.journal_length), (r1, r1, s.journal_length), GeomAbs_Circle)
    part = fillet(part, _one(shoulder, 1, "shoulder"), s.shoulder_fillet)
    ends = edges_within(part, (-r1, -r1, 0), (r1, r1, 0), GeomAbs_Circle)
    ends += edges_within(part, (-r2, -r2, end), (r2, r2, end), GeomAbs_Circle)
    part = chamfer(part, _one(ends, 2, "end"), s.end_chamfer)
    half = s.keyway_width / 2
    keyway = _box(
        (-half, r2 - s.keyway_depth, s.keyway_center - s.keyway_length / 2),
        (s.keyway_width, s.keyway_depth + 1, s.keyway_length),
    )
    g0 = s.groove_center - s.groove_width / 2
    groove = revolve(
        [
            (r1 - s.groove_depth, g0),
            (r1 + 1, g0),
            (r1 + 1, g0 + s.groove_width),
            (r1 - s.groove_depth, g0 + s.groove_width),
        ],
        (0, 0, 0),
        (0, 0, 1),
    )
    return _cut(part, keyway, groove)


def pulley(s: PulleySpec = PULLEY) -> TopoDS_Shape:
    """The V-belt pulley (see the module docstring)."""
    part = revolve(s.profile, (0, 0, 0), (0, 0, 1))
    z0, z1 = s.web
    holes = [
        _cylinder(
            (s.hole_pitch_radius * math.cos(a), s.hole_pitch_radius * math.sin(a), z0 - 1),
            (0, 0, 1),
            s.hole_radius,
            z1 - z0 + 2,
        )
        for a in np.arange(s.holes) * 2 * math.pi / s.holes + math.pi / s.holes
    ]
    half = s.keyway_width / 2
    keyway = _box((-half, 0, -1), (s.keyway_width, s.bore_radius + s.keyway_depth, s.length + 2))
    return _cut(part, *holes, keyway)


def slant_normal(s: AngleBlockSpec = ANGLE_BLOCK) -> np.ndarray:
    """The outward unit normal of the angle block's slanted face."""
    n = np.array([s.slant_drop, 0.0, s.slant_run])
    return n / np.linalg.norm(n)


def angle_block(s: AngleBlockSpec = ANGLE_BLOCK) -> TopoDS_Shape:
    """The angle block (see the module docstring)."""
    part = _box((0, 0, 0), (s.length, s.width, s.height))
    n = slant_normal(s)
    start, stop = (
        np.array([s.length - s.slant_run, 0, s.height]),
        np.array([s.length, 0, s.height - s.slant_drop]),
    )
    along = (stop - start) / np.linalg.norm(stop - start)
    reach = s.slant_run + s.slant_drop  # well past the block's corner above the slanted face
    p0, p1 = start - along - [0, 1, 0], stop + along - [0, 1, 0]
    waste = prism([p0, p1, p1 + reach * n, p0 + reach * n], (0, s.width + 2, 0))
    center = (start + stop) / 2 + [0, s.width / 2, 0]
    hole = drill(center, -n, s.hole_radius, s.hole_depth)
    px, py, sx, sy = s.pocket
    pocket = _box((px, py, s.height - s.pocket_depth), (sx, sy, s.pocket_depth + 1))
    rounded = [
        e
        for x in (px, px + sx)
        for y in (py, py + sy)
        for e in edges_within(pocket, (x, y, 0), (x, y, s.height + 1), GeomAbs_Line)
    ]
    pocket = fillet(pocket, _one(rounded, 4, "pocket corner"), s.pocket_corner)
    return _cut(part, waste, hole, pocket)


def hex_nut(s: HexNutSpec = HEX_NUT) -> TopoDS_Shape:
    """The hexagon nut's B-rep (see the module docstring), flats parallel to the x axis."""
    corner = s.across_flats / math.sqrt(3)
    hexagon = [(corner * math.cos(a), corner * math.sin(a), 0.0) for a in np.arange(6) * math.pi / 3]
    part = prism(hexagon, (0, 0, s.thickness))
    r = s.bore_radius
    part = _cut(part, _cylinder((0, 0, -1), (0, 0, 1), r, s.thickness + 2))
    rims = edges_within(part, (-r, -r, 0), (r, r, s.thickness), GeomAbs_Circle)
    return chamfer(part, _one(rims, 2, "bore rim"), s.bore_chamfer)


@dataclass(frozen=True)
class Sample:
    """A built-in part: `build()` makes its solid; `mesh` parts are written only as STL."""

    name: str
    build: Callable[[], TopoDS_Shape]
    mesh: bool = False


SAMPLES: tuple[Sample, ...] = (
    Sample("bracket", bracket),
    Sample("shaft", shaft),
    Sample("pulley", pulley),
    Sample("angle_block", angle_block),
    Sample("hex_nut", hex_nut, mesh=True),
)


def write_iges(shape: TopoDS_Shape, path: str | Path) -> None:
    """Write the shape as an IGES file of B-rep solids (entity 186) atomically; the global section's
    file name, author and dates are fixed, so the same shape always gives the same bytes."""
    path = Path(path)
    with replacing(path) as tmp:
        writer = IGESControl_Writer("MM", 1)
        writer.AddShape(shape)
        writer.ComputeModel()
        header = writer.Model().GlobalSection()
        header.SetFileName(TCollection_HAsciiString(path.name))
        header.SetAuthorName(TCollection_HAsciiString(IGES_AUTHOR))
        header.SetDate(TCollection_HAsciiString(IGES_DATE))
        header.SetLastChangeDate(TCollection_HAsciiString(IGES_DATE))
        writer.Model().SetGlobalSection(header)
        if not writer.Write(str(tmp)):
            raise OSError(f"{path}: IGES writer failed")


def write_stl(shape: TopoDS_Shape, path: str | Path) -> None:
    """Write the shape's triangulation (`render.lines.tessellate`: welded, outward-facing) as binary STL."""
    import trimesh

    from render.lines.tessellate import tessellate

    tess = tessellate(shape)
    data = trimesh.Trimesh(tess.vertices, tess.triangles, process=False).export(file_type="stl")
    write_atomic(Path(path), data)


WRITERS: dict[str, Callable[[TopoDS_Shape, str | Path], None]] = {
    "step": write_step,
    "brep": write_brep,
    "iges": write_iges,
    "stl": write_stl,
}


def sample_paths(out_dir: str | Path, formats: Sequence[str] = BREP_FORMATS) -> list[Path]:
    """The files `write_samples(out_dir, formats)` writes, in order: <name>.<suffix>."""
    return [
        Path(out_dir) / f"{sample.name}{SUFFIXES[fmt]}"
        for sample in SAMPLES
        for fmt in (("stl",) if sample.mesh else formats)
    ]


def write_samples(out_dir: str | Path, formats: Sequence[str] = BREP_FORMATS) -> list[Path]:
    """Build every sample part; write the B-rep ones in `formats` (of BREP_FORMATS), the mesh one as STL."""
    unknown = [f for f in formats if f not in BREP_FORMATS] or ([] if formats else ["(none)"])
    if unknown:
        raise ValueError(f"unknown format {', '.join(unknown)}; expected step, brep or iges")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for sample in SAMPLES:
        shape = sample.build()
        for fmt in ("stl",) if sample.mesh else formats:
            path = out / f"{sample.name}{SUFFIXES[fmt]}"
            WRITERS[fmt](shape, path)
            written.append(path)
    return written
