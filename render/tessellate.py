"""The fast B-rep route: one triangulation of the shape, its own edges, mesh silhouettes, ray-cast visibility.

Exact hidden-line removal costs ~12 ms per view (minutes on threads). Here the shape is triangulated
once (BRepMesh_IncrementalMesh, chord error relative to the model size) and every view reuses that
triangulation and one Embree scene. The lines of a view are those of OpenCASCADE's HLR drawing:
- the B-rep's sharp edges, as the polylines BRepMesh laid on the faces (Poly_PolygonOnTriangulation),
  so they lie exactly on mesh edges; seam edges and smooth edges (the continuity recorded on the shape
  between the two faces is above C0, as the fillet and sewing tools set it) are left out, as HLR leaves
  out Rg1/RgN lines. Regularity is not re-encoded: HLR draws edges between coplanar faces that a
  boolean left split, and so does this route;
- outlines of curved faces: mesh edges between a triangle facing the camera and one facing away
  (pairs of triangles that both lie on planar faces cannot form an outline and are skipped);
then `render.mesh.trace_visibility` splits them into visible and hidden runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import trimesh
from OCP.BRep import BRep_Tool
from OCP.BRepAdaptor import BRepAdaptor_Curve, BRepAdaptor_Surface
from OCP.collections import IndexedDataMap_TopoDS_Shape_List_TopoDS_Shape_TopTools_ShapeMapHasher as EdgeFaces
from OCP.collections import IndexedMap_TopoDS_Shape_TopTools_ShapeMapHasher as ShapeIndex
from OCP.collections import List_TopoDS_Shape
from OCP.GCPnts import GCPnts_TangentialDeflection
from OCP.GeomAbs import GeomAbs_C0, GeomAbs_Plane
from OCP.TopAbs import TopAbs_EDGE, TopAbs_FACE, TopAbs_REVERSED
from OCP.TopExp import TopExp
from OCP.TopLoc import TopLoc_Location
from OCP.TopoDS import TopoDS, TopoDS_Edge, TopoDS_Face, TopoDS_Shape

from render.cameras import Camera
from render.drawing import ViewLines
from render.hlr import ANGULAR_DEFLECTION, triangulate
from render.mesh import (
    RAY_OFFSET,
    edge_index_union,
    ray_caster,
    sample_spacing,
    silhouette_mask,
    trace_visibility,
)


@dataclass(frozen=True)
class Tessellation:
    """A triangulated B-rep: the welded mesh, the B-rep face of each triangle, and the edges to draw.

    `edges` are (k_i, ...) polylines as vertex-index chains into `mesh.vertices`; `free_edges` are 3D
    polylines of edges that lie on no triangulated face (wires).
    """

    mesh: trimesh.Trimesh
    triangle_face: np.ndarray
    planar_face: np.ndarray
    edges: list[np.ndarray]
    free_edges: list[np.ndarray]


def _location_matrix(loc: TopLoc_Location) -> np.ndarray:
    trsf = loc.Transformation()
    return np.array([[trsf.Value(r, c) for c in range(1, 5)] for r in range(1, 4)])


def face_triangles(face: TopoDS_Face) -> tuple[np.ndarray, np.ndarray] | None:
    """(k, 3) world-space nodes and (m, 3) zero-based triangles, outward winding; None if unmeshed."""
    loc = TopLoc_Location()
    tri = BRep_Tool.Triangulation_s(face, loc)
    if tri is None or tri.NbTriangles() == 0:
        return None
    nodes = np.array([tri.Node(i).Coord() for i in range(1, tri.NbNodes() + 1)])
    m = _location_matrix(loc)
    nodes = nodes @ m[:, :3].T + m[:, 3]
    triangles = np.array([tri.Triangle(i).Get() for i in range(1, tri.NbTriangles() + 1)]) - 1
    if face.Orientation() == TopAbs_REVERSED:
        triangles = triangles[:, ::-1]
    return nodes, triangles


def edge_nodes(edge: TopoDS_Edge, face: TopoDS_Face) -> np.ndarray | None:
    """Zero-based node indices, in the face's triangulation, of the polyline BRepMesh laid along the edge."""
    loc = TopLoc_Location()
    tri = BRep_Tool.Triangulation_s(face, loc)
    poly = None if tri is None else BRep_Tool.PolygonOnTriangulation_s(edge, tri, loc)
    if poly is None:
        return None
    nodes = poly.Nodes()
    return np.array([nodes.Value(i) for i in range(nodes.Lower(), nodes.Upper() + 1)]) - 1


def curve_points(edge: TopoDS_Edge, deflection: float) -> np.ndarray:
    """(k, 3) points along an edge's 3D curve by tangential deflection."""
    points = GCPnts_TangentialDeflection(BRepAdaptor_Curve(edge), ANGULAR_DEFLECTION, deflection)
    return np.array([points.Value(i).Coord() for i in range(1, points.NbPoints() + 1)])


def is_drawn_edge(edge: TopoDS_Edge, faces: list[TopoDS_Face]) -> bool:
    """HLR draws an edge unless it is degenerate, a seam of one face, or smooth between its two faces."""
    if BRep_Tool.Degenerated_s(edge):
        return False
    if len(faces) == 1 and BRep_Tool.IsClosed_s(edge, faces[0]):
        return False
    if len(faces) == 2:
        if faces[0].IsSame(faces[1]):
            return False
        return BRep_Tool.Continuity_s(edge, faces[0], faces[1]) == GeomAbs_C0
    return True


def weld(vertices: np.ndarray, tol: float) -> tuple[np.ndarray, np.ndarray]:
    """Merge vertices closer than ~tol (rounded to a tol grid): (unique vertices, inverse index)."""
    keys = np.round(vertices / tol).astype(np.int64)
    _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    return vertices[first], inverse.reshape(-1)


def tessellate(shape: TopoDS_Shape, deflection: float | None = None) -> Tessellation:
    """Triangulate a shape once and collect the welded mesh and its drawable edges (see module doc)."""
    triangulate(shape, deflection)
    faces = ShapeIndex()
    TopExp.MapShapes_s(shape, TopAbs_FACE, faces)
    offsets = np.zeros(faces.Size() + 1, np.int64)
    nodes, triangles, triangle_face, planar = [], [], [], np.zeros(faces.Size(), bool)
    for i in range(faces.Size()):
        face = TopoDS.Face(faces.FindKey(i + 1))
        planar[i] = BRepAdaptor_Surface(face, False).GetType() == GeomAbs_Plane
        mesh = face_triangles(face)
        count = 0
        if mesh is not None:
            nodes.append(mesh[0])
            triangles.append(mesh[1] + offsets[i])
            triangle_face.append(np.full(len(mesh[1]), i))
            count = len(mesh[0])
        offsets[i + 1] = offsets[i] + count
    if not triangles:
        raise ValueError("the shape has no triangulated faces")
    raw = np.vstack(nodes)
    size = float(np.ptp(raw, axis=0).max())
    vertices, welded = weld(raw, 1e-7 * size)
    mesh = trimesh.Trimesh(vertices, welded[np.vstack(triangles)], process=False)

    edge_faces = EdgeFaces()
    TopExp.MapShapesAndAncestors_s(shape, TopAbs_EDGE, TopAbs_FACE, edge_faces)
    edges, free_edges = [], []
    for i in range(1, edge_faces.Size() + 1):
        edge = TopoDS.Edge(edge_faces.FindKey(i))
        owners = [TopoDS.Face(f) for f in _shapes(edge_faces.FindFromIndex(i))]
        if not is_drawn_edge(edge, owners):
            continue
        chain = None
        for face in owners:
            local = edge_nodes(edge, face)
            if local is not None and len(local) >= 2:
                chain = welded[local + offsets[faces.FindIndex(face) - 1]]
                break
        if chain is not None:
            edges.append(chain)
        elif not owners:
            free_edges.append(curve_points(edge, deflection or 1e-3 * size))
    return Tessellation(mesh, np.concatenate(triangle_face), planar, edges, free_edges)


def _shapes(shapes: List_TopoDS_Shape) -> list[TopoDS_Shape]:
    # Iterating an OCP list costs ~0.5 ms; First/Last cover the usual one or two faces of an edge.
    n = shapes.Size()
    return (
        []
        if n == 0
        else [shapes.First()]
        if n == 1
        else [shapes.First(), shapes.Last()]
        if n == 2
        else list(shapes)
    )


def chain_segments(chains: list[np.ndarray]) -> np.ndarray:
    """(n, 2) consecutive index pairs of vertex-index chains, chain after chain."""
    if not chains:
        return np.zeros((0, 2), np.int64)
    return np.vstack([np.stack([c[:-1], c[1:]], axis=1) for c in chains])


def outline_index(tess: Tessellation, cam: Camera) -> np.ndarray:
    """(S, 2) mesh edges between a front- and a back-facing triangle, unless both lie on planar faces."""
    adjacency = tess.mesh.face_adjacency
    curved = ~(
        tess.planar_face[tess.triangle_face[adjacency[:, 0]]]
        & tess.planar_face[tess.triangle_face[adjacency[:, 1]]]
    )
    mask = curved & silhouette_mask(adjacency, tess.mesh.face_normals, cam)
    return tess.mesh.face_adjacency_edges[mask]


def brep_mesh_lines(
    shape: TopoDS_Shape,
    cams: Sequence[Camera],
    deflection: float | None = None,
    spacing: float | None = None,
) -> dict[str, ViewLines]:
    """Visible and hidden lines of several views of a B-rep shape from one triangulation and one ray scene.

    `deflection` is BRepMesh's chord tolerance (default: render.hlr.triangulate's, relative to the model
    size); `spacing` the distance between visibility samples (default: half a pixel of a 200 px drawing).
    """
    tess = tessellate(shape, deflection)
    mesh = tess.mesh
    spacing = sample_spacing(mesh.bounds) if spacing is None else spacing
    offset = RAY_OFFSET * float(np.ptp(mesh.vertices, axis=0).max())
    occluded = ray_caster(mesh.vertices, mesh.faces)
    sharp = chain_segments(tess.edges)
    free = [np.stack([p[:-1], p[1:]], axis=1) for p in tess.free_edges]
    out = {}
    for cam in cams:
        edges = edge_index_union(sharp, outline_index(tess, cam))
        segments = np.concatenate([mesh.vertices[edges], *free]) if free else mesh.vertices[edges]
        out[cam.key] = trace_visibility(segments, cam, occluded, spacing, offset)
    return out
