"""Hidden-line removal on B-rep shapes: exact (HLRBRep_Algo) and polygonal (HLRBRep_PolyAlgo) OpenCASCADE.

As in the SPARE3D generator, a view is HLRAlgo_Projector(gp_Ax2(origin, N, X)) and the drawing is, from
HLRBRep_HLRToShape: visible = sharp edges (VCompound) + outlines/silhouettes (OutLineVCompound), hidden =
HCompound + OutLineHCompound; smooth (Rg1) and sewn (RgN) edges and isolines are left out. The result
edges live in the projector's 2D frame (x along X, y along N x X, origin at the world origin), which is
exactly `Camera.project`, so the polylines need no further transform.

Exact edges are discretized with tangential deflection (GCPnts_TangentialDeflection); the chord
tolerance is `DEFLECTION_RATIO` x the frame side, i.e. SPARE3D's 0.04 model units on a model whose frame
is about 33 units wide, and about a quarter pixel at 200 px whatever the model's size.

`model_frame` is the view frame of a B-rep shape, which every B-rep route (here, `render.lines.tessellate`,
`render.lines.views`) draws in.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from OCP.BRep import BRep_Tool
from OCP.BRepAdaptor import BRepAdaptor_Curve
from OCP.BRepMesh import BRepMesh_IncrementalMesh
from OCP.GCPnts import GCPnts_TangentialDeflection
from OCP.gp import gp_Ax2, gp_Dir, gp_Pnt
from OCP.HLRAlgo import HLRAlgo_Projector
from OCP.HLRBRep import HLRBRep_Algo, HLRBRep_HLRToShape, HLRBRep_PolyAlgo, HLRBRep_PolyHLRToShape
from OCP.TopAbs import TopAbs_EDGE
from OCP.TopExp import TopExp, TopExp_Explorer
from OCP.TopoDS import TopoDS, TopoDS_Shape

from render.lines.cameras import Camera
from render.lines.drawing import DEFAULT_MARGIN, Frame, ViewLines
from render.models.brep import shape_bounds

DEFLECTION_RATIO = 1.2e-3
ANGULAR_DEFLECTION = 0.2
# Triangulation for polygonal HLR: chord error relative to the frame side, and angle between normals.
MESH_RATIO = 2e-3  # 0.4 px at 200 px
MESH_ANGLE = 0.3


def model_frame(shape: TopoDS_Shape, margin: float = DEFAULT_MARGIN, precise: bool = True) -> Frame:
    """The square view frame of a shape: `margin` x its largest bounding-box edge, centred on the box."""
    return Frame.around(*shape_bounds(shape, precise), margin=margin)


def projector(cam: Camera) -> HLRAlgo_Projector:
    """The orthographic OCCT projector of a camera: gp_Ax2(origin, N, X)."""
    return HLRAlgo_Projector(gp_Ax2(gp_Pnt(0, 0, 0), gp_Dir(*cam.direction), gp_Dir(*cam.x_axis)))


def default_deflection(shape: TopoDS_Shape) -> float:
    """Chord tolerance for discretizing a shape's edges: DEFLECTION_RATIO x the side of its view frame."""
    return DEFLECTION_RATIO * model_frame(shape).side


def _edges(compounds: Iterable[TopoDS_Shape]) -> Iterable[TopoDS_Shape]:
    for compound in compounds:
        if compound.IsNull():
            continue
        explorer = TopExp_Explorer(compound, TopAbs_EDGE)
        while explorer.More():
            yield TopoDS.Edge(explorer.Current())
            explorer.Next()


def discretize(compounds: Iterable[TopoDS_Shape], deflection: float) -> list[np.ndarray]:
    """(k, 2) polylines of every edge in planar HLR result compounds, by tangential deflection."""
    polylines = []
    for edge in _edges(compounds):
        curve = BRepAdaptor_Curve(edge)
        points = GCPnts_TangentialDeflection(curve, ANGULAR_DEFLECTION, deflection)
        n = points.NbPoints()
        if n < 2:
            continue
        xyz = [points.Value(i) for i in range(1, n + 1)]
        polylines.append(np.array([(p.X(), p.Y()) for p in xyz]))
    return polylines


def _segments(compounds: Iterable[TopoDS_Shape]) -> list[np.ndarray]:
    """Polygonal HLR compounds hold one straight edge per segment: read their end points, chain them."""
    ends = []
    for edge in _edges(compounds):
        p, q = BRep_Tool.Pnt_s(TopExp.FirstVertex_s(edge)), BRep_Tool.Pnt_s(TopExp.LastVertex_s(edge))
        ends.append(((p.X(), p.Y()), (q.X(), q.Y())))
    if not ends:
        return []
    segments = np.array(ends)
    return chain(segments, tol=1e-9 * max(1.0, float(np.abs(segments).max())))


def chain(segments: np.ndarray, tol: float = 1e-9) -> list[np.ndarray]:
    """Join (n, 2, 2) segments, taken in order, into polylines where they share an end point.

    Polygonal HLR emits the segments of one edge consecutively but in either direction, so each new
    segment is attached at whichever end of the current polyline it touches, else starts a new one.
    """
    polylines: list[np.ndarray] = []
    current: list = []
    for a, b in segments.tolist():
        if current:
            if _near(a, current[-1], tol):
                current.append(b)
                continue
            if _near(b, current[-1], tol):
                current.append(a)
                continue
            if _near(b, current[0], tol):
                current.insert(0, a)
                continue
            if _near(a, current[0], tol):
                current.insert(0, b)
                continue
            polylines.append(np.array(current))
        current = [a, b]
    if current:
        polylines.append(np.array(current))
    return polylines


def _near(p: list[float], q: list[float], tol: float) -> bool:
    return abs(p[0] - q[0]) <= tol and abs(p[1] - q[1]) <= tol


def _sharp_and_outline(
    to_shape: HLRBRep_HLRToShape | HLRBRep_PolyHLRToShape, hidden: bool
) -> tuple[list[TopoDS_Shape], list[TopoDS_Shape]]:
    visible = [to_shape.VCompound(), to_shape.OutLineVCompound()]
    return visible, [to_shape.HCompound(), to_shape.OutLineHCompound()] if hidden else []


def exact_hlr(
    shape: TopoDS_Shape, cam: Camera, deflection: float | None = None, hidden: bool = True
) -> ViewLines:
    """Exact hidden-line removal of one view (may take minutes on threads: run it under a time limit)."""
    return exact_hlr_views(shape, [cam], deflection, hidden)[cam.key]


def exact_hlr_views(
    shape: TopoDS_Shape, cams: Sequence[Camera], deflection: float | None = None, hidden: bool = True
) -> dict[str, ViewLines]:
    """Exact HLR of several views of one shape (hidden=False leaves hidden lines out, saving time).

    Each view gets a fresh HLRBRep_Algo: re-projecting a used one (Projector + Update) keeps edge
    statuses of the previous view and returns wrong visibility (checked on a box in OCCT 8.0).
    """
    deflection = default_deflection(shape) if deflection is None else deflection
    out = {}
    for cam in cams:
        algo = HLRBRep_Algo()
        algo.Add(shape)
        algo.Projector(projector(cam))
        algo.Update()
        algo.Hide()
        visible, hid = _sharp_and_outline(HLRBRep_HLRToShape(algo), hidden)
        out[cam.key] = ViewLines(discretize(visible, deflection), discretize(hid, deflection))
    return out


def triangulate(shape: TopoDS_Shape, deflection: float | None = None) -> None:
    """Mesh the shape's faces in place (BRepMesh_IncrementalMesh), chord error relative to its size."""
    deflection = MESH_RATIO * model_frame(shape).side if deflection is None else deflection
    BRepMesh_IncrementalMesh(shape, deflection, False, MESH_ANGLE, False)


def poly_hlr(
    shape: TopoDS_Shape, cam: Camera, mesh_deflection: float | None = None, hidden: bool = True
) -> ViewLines:
    """Polygonal hidden-line removal of one view on the shape's triangulation (fast on any shape)."""
    return poly_hlr_views(shape, [cam], mesh_deflection, hidden)[cam.key]


def poly_hlr_views(
    shape: TopoDS_Shape, cams: Sequence[Camera], mesh_deflection: float | None = None, hidden: bool = True
) -> dict[str, ViewLines]:
    """Polygonal HLR of several views; the triangulation and the HLRBRep_PolyAlgo are built once."""
    triangulate(shape, mesh_deflection)
    algo = HLRBRep_PolyAlgo(shape)
    out = {}
    for cam in cams:
        algo.Projector(projector(cam))
        algo.Update()
        to_shape = HLRBRep_PolyHLRToShape()
        to_shape.Update(algo)
        visible, hid = _sharp_and_outline(to_shape, hidden)
        out[cam.key] = ViewLines(_segments(visible), _segments(hid))
    return out
