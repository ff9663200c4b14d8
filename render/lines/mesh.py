"""Line drawings of triangle meshes: sharp edges, boundaries and silhouettes, visibility by ray casting.

A mesh view draws three kinds of edges: sharp edges (the two faces' normals differ by more than
`angle_deg`), boundary edges (used by one face) and silhouettes (one face turned towards the camera,
the other away: sign(n_a . N) != sign(n_b . N)). Every edge is sampled along its projection about
every half pixel of a 200 px drawing; a sample is hidden when the ray from it towards the camera (+N),
started a hair in front of the surface, hits the mesh. Runs of equally visible samples become the
visible and hidden polylines; each run ends half-way between two samples that disagree. Edges are
first chained into long paths (`chain_edges`) so that polylines, and dashes of hidden lines, run on.
One ray intersector (Embree through embreex when installed) serves every view of a mesh.

Dense meshes (scans such as trimesh's bunny: edges under about a pixel) would come out as many short
fragments, and their hidden views nearly black: scanner noise tilts neighbouring faces by tens of
degrees and makes small front-facing islands. For them (`is_dense`) sharp edges need a dihedral
angle over DENSE_SHARP_ANGLE_DEG (noise rarely reaches it; a real crease of 90 degrees does), the
outlines are interpolated contours (`contour_segments`) of smoothed vertex normals instead of facet
silhouettes, and connected pieces of lines shorter than MIN_FEATURE_PX (6 px at 200 px) are dropped.
On a noisy scan-like test mesh (a box and a ball, 94k faces, noise 0.1 of an edge) this took the
hidden-line drawing from 20% ink, 14,000 hidden polylines, to 3%, about 300 (tests/render/lines).
Generated CSG meshes draw the edges between their primitives (`feature_edge_index` with groups).

`contour_segments` (interpolated outlines from smooth corner normals) and `trace_visibility` also
serve the B-rep route in `render.lines.tessellate`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, depth_first_order

from render.errors import ModelError
from render.lines.cameras import Camera
from render.lines.drawing import Frame, ViewLines

if TYPE_CHECKING:  # trimesh (with scipy.spatial) takes ~0.5 s to import; the B-rep route never needs it
    import trimesh

MESH_SUFFIXES: tuple[str, ...] = (".stl", ".obj", ".ply", ".off", ".glb", ".gltf")
# glTF is Y-up (its front faces +Z); render is Z-up with the front view looking along +y. This turns
# glTF's (x, y, z) into (x, -z, y), as Blender's importer does: up becomes +z, the front faces -y.
GLTF_SUFFIXES: tuple[str, ...] = (".glb", ".gltf")
GLTF_TO_Z_UP = np.array([[1.0, 0, 0, 0], [0, 0, -1, 0], [0, 1, 0, 0], [0, 0, 0, 1]])
SHARP_ANGLE_DEG = 30.0
# Dense meshes (scans): median edge under DENSE_EDGE_PX px of a REFERENCE_SIZE drawing in the default
# frame. Their sharp edges need DENSE_SHARP_ANGLE_DEG, their outlines are interpolated contours of
# vertex normals averaged NORMAL_SMOOTHING times over each vertex's neighbours, and connected pieces of
# either shorter than MIN_FEATURE_PX px are dropped (module docstring).
DENSE_EDGE_PX = 1.5
DENSE_SHARP_ANGLE_DEG = 60.0
NORMAL_SMOOTHING = 2
MIN_FEATURE_PX = 6.0
# Contour points of dense meshes cast their visibility rays from this many px outwards of the outline.
CONTOUR_NUDGE_PX = 0.5
# Samples per pixel of a REFERENCE_SIZE drawing in the model's default frame.
SAMPLES_PER_PIXEL = 2.0
REFERENCE_SIZE = 200
# Ray origins start this fraction of the model size in front of the surface (Embree works in float32).
RAY_OFFSET = 1e-5
# Faces with |n . N| below this are seen edge-on and count as facing away.
FACING_TOL = 1e-9

Occluded = Callable[[np.ndarray, np.ndarray], np.ndarray]


def is_mesh_file(path: str | Path) -> bool:
    """Whether the file's extension (case-insensitive) is a mesh format read through trimesh."""
    return Path(path).suffix.lower() in MESH_SUFFIXES


def load_mesh(path: str | Path) -> trimesh.Trimesh:
    """Read an .stl/.obj/.ply/.off/.glb/.gltf file into one mesh with shared (merged) vertices.

    Scenes (GLB, multi-object OBJ) are concatenated with their node transforms. glTF files (.glb, .gltf)
    are Y-up by their specification and trimesh keeps their coordinates, so they are turned Z-up
    (`GLTF_TO_Z_UP`); the other formats have no declared up axis and are read as Z-up. Duplicate vertices are
    merged (STL is a triangle soup; OBJ/GLB split vertices at texture seams) so neighbouring faces share
    edges, and zero-area faces are dropped. Raises ModelError for a missing, unknown, unreadable, empty
    or flat (zero-volume) mesh.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in MESH_SUFFIXES:
        raise ModelError(
            path, f"unknown extension {path.suffix!r}; expected one of {', '.join(MESH_SUFFIXES)}"
        )
    if not path.is_file():
        raise ModelError(path, "no such file")
    kind = suffix[1:].upper()
    import trimesh

    try:
        mesh = trimesh.load_mesh(str(path), file_type=suffix[1:])
    except Exception as exc:  # trimesh's readers raise anything from ValueError to struct.error
        raise ModelError(path, f"unreadable or corrupt {kind} file ({type(exc).__name__}: {exc})") from None
    if not isinstance(mesh, trimesh.Trimesh) or len(mesh.faces) == 0:
        raise ModelError(path, f"empty mesh: the {kind} file holds no triangles")
    if suffix in GLTF_SUFFIXES:
        mesh.apply_transform(GLTF_TO_Z_UP)
    mesh.merge_vertices(merge_tex=True, merge_norm=True)
    mesh.update_faces(mesh.nondegenerate_faces())
    mesh.remove_unreferenced_vertices()
    if len(mesh.faces) == 0 or not mesh.area > 0:
        raise ModelError(path, "degenerate mesh: zero surface area")
    if is_flat(mesh.vertices):
        raise ModelError(path, "degenerate mesh: all vertices coplanar (zero volume)")
    return mesh


def is_flat(points: np.ndarray, rel_tol: float = 1e-9) -> bool:
    """Whether points lie in one plane: smallest singular value of the centred cloud ~ 0 vs the largest."""
    s = np.linalg.svd(points - points.mean(axis=0), compute_uv=False)
    return bool(s[-1] <= rel_tol * s[0]) if len(s) == 3 else True


def sample_spacing(bounds: np.ndarray, per_pixel: float = SAMPLES_PER_PIXEL) -> float:
    """Distance between samples: 1 / `per_pixel` px of a 200 px drawing in the default frame of `bounds`."""
    return Frame.around(bounds[0], bounds[1]).side / (REFERENCE_SIZE * per_pixel)


def feature_edge_index(
    mesh: trimesh.Trimesh,
    angle_deg: float = SHARP_ANGLE_DEG,
    groups: np.ndarray | None = None,
    group_angle_deg: float = 0.0,
) -> np.ndarray:
    """(E, 2) vertex indices of sharp edges (dihedral angle > angle_deg) and boundary edges (one face).

    With `groups` (one label per face: the surface it belongs to, e.g. the primitive of a CSG mesh)
    an edge between faces of different groups is sharp already when its dihedral angle exceeds
    `group_angle_deg`: where two surfaces meet at a shallow angle, which the angle test alone misses,
    but not where two coincident surfaces (coplanar faces) continue each other.
    """
    from trimesh.grouping import group_rows

    angles = mesh.face_adjacency_angles
    sharp_mask = angles > np.radians(angle_deg)
    if groups is not None:
        pairs = mesh.face_adjacency
        sharp_mask |= (groups[pairs[:, 0]] != groups[pairs[:, 1]]) & (angles > np.radians(group_angle_deg))
    sharp = mesh.face_adjacency_edges[sharp_mask]
    boundary = mesh.edges_sorted[group_rows(mesh.edges_sorted, require_count=1)]
    return np.vstack([sharp, boundary.reshape(-1, 2)])


def feature_edges(mesh: trimesh.Trimesh, angle_deg: float = SHARP_ANGLE_DEG) -> np.ndarray:
    """(E, 2, 3) segments of the sharp and boundary edges of a mesh."""
    return mesh.vertices[feature_edge_index(mesh, angle_deg)]


def front_facing(normals: np.ndarray, cam: Camera) -> np.ndarray:
    """(F,) bool: the face normal points towards the camera, n . N > 0 (edge-on faces count as back)."""
    return normals @ cam.direction > FACING_TOL


def silhouette_mask(adjacency: np.ndarray, normals: np.ndarray, cam: Camera) -> np.ndarray:
    """(A,) bool over face pairs: one face of the pair faces the camera and the other does not."""
    front = front_facing(normals, cam)
    return front[adjacency[:, 0]] != front[adjacency[:, 1]]


def silhouette_edge_index(mesh: trimesh.Trimesh, cam: Camera) -> np.ndarray:
    """(S, 2) vertex indices of the edges between a front-facing and a back-facing face."""
    return mesh.face_adjacency_edges[silhouette_mask(mesh.face_adjacency, mesh.face_normals, cam)]


def silhouette_edges(mesh: trimesh.Trimesh, cam: Camera) -> np.ndarray:
    """(S, 2, 3) silhouette segments of a mesh seen by `cam`."""
    return mesh.vertices[silhouette_edge_index(mesh, cam)]


def ray_caster(vertices: np.ndarray, faces: np.ndarray) -> Occluded:
    """Build an occlusion test `occluded(origins (n, 3), direction (3,)) -> (n,) bool` over triangles.

    Uses Embree (embreex) when installed, else trimesh's pure-numpy intersector. Coordinates are
    centred and scaled to a unit box first because Embree works in float32.
    """
    vertices, faces = np.asarray(vertices, dtype=float), np.asarray(faces, dtype=np.int32)
    if len(faces) == 0:
        return lambda origins, direction: np.zeros(len(origins), bool)
    center = (vertices.min(axis=0) + vertices.max(axis=0)) / 2
    scale = 1.0 / max(float(np.ptp(vertices, axis=0).max()), np.finfo(float).tiny)
    try:
        from embreex.mesh_construction import TriangleMesh
        from embreex.rtcore_scene import EmbreeScene
    except ImportError:
        import trimesh

        intersector = trimesh.ray.ray_triangle.RayMeshIntersector(
            trimesh.Trimesh(vertices, faces, process=False)
        )

        def occluded_numpy(origins: np.ndarray, direction: np.ndarray) -> np.ndarray:
            if len(origins) == 0:
                return np.zeros(0, bool)
            return intersector.intersects_any(origins, np.broadcast_to(direction, origins.shape))

        return occluded_numpy

    scene = EmbreeScene()
    TriangleMesh(scene, ((vertices - center) * scale).astype(np.float32), faces)

    def occluded_embree(origins: np.ndarray, direction: np.ndarray) -> np.ndarray:
        if len(origins) == 0:
            return np.zeros(0, bool)
        o = np.ascontiguousarray((origins - center) * scale, dtype=np.float32)
        d = np.ascontiguousarray(np.broadcast_to(np.asarray(direction, np.float32), o.shape))
        return scene.run(o, d, query="OCCLUDED") != -1

    return occluded_embree


def contour_segments(
    vertices: np.ndarray, triangles: np.ndarray, corner_normals: np.ndarray, cam: Camera
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Interpolated silhouettes of a smooth surface (Hertzmann & Zorin 2000) seen by `cam`.

    With g = n . N at each triangle corner (n: the smooth surface normal there, `corner_normals` (T, 3, 3)),
    the contour g = 0 crosses a triangle edge (a, b) whose corners differ in sign at
    p = v_a + t (v_b - v_a), t = g_a / (g_a - g_b); the two crossings of a triangle make one segment.
    Unlike mesh-edge silhouettes it does not zigzag along the facets. A crossing is a node named by its
    mesh edge (evaluated from the edge's lower vertex), so neighbouring triangles share it.
    Returns node points (P, 3), unit normals at the nodes (P, 3; perpendicular to N, pointing away
    from the surface in the image plane) and the segments as (S, 2) node indices.
    """
    g = corner_normals @ cam.direction
    front = g > FACING_TOL
    mixed = front.any(axis=1) & ~front.all(axis=1)
    tri, g, normals, front = triangles[mixed], g[mixed], corner_normals[mixed], front[mixed]
    a, b = np.array([0, 1, 2]), np.array([1, 2, 0])
    crosses = front[:, a] != front[:, b]
    swap = tri[:, a] > tri[:, b]
    ia, ib = np.where(swap, b, a), np.where(swap, a, b)
    rows = np.arange(len(tri))[:, None]
    ga, gb = g[rows, ia], g[rows, ib]
    t = np.where(crosses, ga / np.where(crosses, ga - gb, 1.0), 0.0)[..., None]
    va, vb = vertices[tri[rows, ia]], vertices[tri[rows, ib]]
    points = va + t * (vb - va)
    between = normals[rows, ia] + t * (normals[rows, ib] - normals[rows, ia])
    k = np.arange(len(tri))
    ends = np.stack([np.argmax(crosses, axis=1), 2 - np.argmax(crosses[:, ::-1], axis=1)], axis=1)
    edge_key = tri[rows, ia] * np.int64(len(vertices)) + tri[rows, ib]
    _, first, pairs = np.unique(edge_key[k[:, None], ends], return_index=True, return_inverse=True)
    node_points = points[k[:, None], ends].reshape(-1, 3)[first]
    normal = between[k[:, None], ends].reshape(-1, 3)[first]
    normal -= np.outer(normal @ cam.direction, cam.direction)
    length = np.linalg.norm(normal, axis=1, keepdims=True)
    return node_points, normal / np.where(length > 0, length, 1.0), pairs.reshape(-1, 2)


def trace_visibility(
    segments: np.ndarray,
    cam: Camera,
    occluded: Occluded,
    spacing: float,
    offset: float,
    nudge: np.ndarray | None = None,
) -> ViewLines:
    """Split (n, 2, 3) segments into visible and hidden polylines by casting one ray per sample.

    Segment i gets m_i = ceil(|projected length| / spacing) intervals and m_i + 1 samples at t = j / m_i;
    segments seen end-on (projected length ~ 0) are dropped. A sample's ray starts at the sample
    + `offset` N (+ the segment's `nudge` vector, (n, 3), if given) and runs towards the camera.
    Each sample owns the parameter range [t - 1/(2 m_i), t + 1/(2 m_i)] clipped to [0, 1], so a
    visibility change falls midway between two samples. Consecutive runs of equal visibility that meet
    end to end (consecutive segments of one chain) are joined into one polyline.
    """
    segments = np.asarray(segments, dtype=float)
    if len(segments) == 0:
        return ViewLines()
    a, d = segments[:, 0], segments[:, 1] - segments[:, 0]
    length = np.linalg.norm(cam.project(d), axis=1)
    keep = length > 1e-6 * spacing
    a, d, length = a[keep], d[keep], length[keep]
    if len(a) == 0:
        return ViewLines()
    m = np.maximum(1, np.ceil(length / spacing)).astype(np.int64)
    seg = np.repeat(np.arange(len(m)), m + 1)
    first = np.concatenate([[0], np.cumsum(m + 1)[:-1]])
    t = (np.arange(len(seg)) - first[seg]) / m[seg]
    points = a[seg] + t[:, None] * d[seg]
    origins = points + offset * cam.direction
    if nudge is not None:
        origins += nudge[keep][seg]
    hidden = occluded(origins, cam.direction)

    new_run = np.ones(len(seg), bool)
    new_run[1:] = (seg[1:] != seg[:-1]) | (hidden[1:] != hidden[:-1])
    start = np.flatnonzero(new_run)
    end = np.append(start[1:], len(seg)) - 1
    half = 0.5 / m[seg[start]]
    run_seg, run_hidden = seg[start], hidden[start]
    lo = cam.project(a[run_seg] + np.maximum(t[start] - half, 0.0)[:, None] * d[run_seg])
    hi = cam.project(a[run_seg] + np.minimum(t[end] + half, 1.0)[:, None] * d[run_seg])
    return ViewLines(
        visible=join_runs(lo[~run_hidden], hi[~run_hidden], spacing),
        hidden=join_runs(lo[run_hidden], hi[run_hidden], spacing),
    )


def join_runs(lo: np.ndarray, hi: np.ndarray, spacing: float) -> list[np.ndarray]:
    """Chain straight runs lo[k] -> hi[k] into polylines where a run starts where the previous one ends.

    A polyline holds lo of its first run, then hi of each of its runs.
    """
    if len(lo) == 0:
        return []
    starts = np.flatnonzero(np.append(True, np.any(np.abs(lo[1:] - hi[:-1]) > 1e-9 * spacing, axis=1)))
    first_rank = np.zeros(len(lo), np.int64)
    first_rank[starts] = 1
    hi_at = np.arange(len(lo)) + np.cumsum(first_rank)
    lo_at = starts + np.arange(len(starts))
    points = np.empty((len(lo) + len(starts), 2))
    points[hi_at], points[lo_at] = hi, lo[starts]
    bounds = np.append(lo_at, len(points)).tolist()
    return [points[i:j] for i, j in zip(bounds[:-1], bounds[1:], strict=True)]


def chain_edges(pairs: np.ndarray) -> list[np.ndarray]:
    """Order undirected edges (E, 2) between node ids into paths: a list of node-id arrays.

    A depth-first search from a virtual root joined to every node, path ends (degree 1) first, walks
    each path and cycle of the edge graph in order; the search tree breaks into paths where the next
    node is not the child of the previous one, and edges left out of the tree (the closing edge of a
    cycle, extra edges at branch nodes) become two-node paths. Every edge appears once.
    """
    if len(pairs) == 0:
        return []
    nodes, local = np.unique(pairs, return_inverse=True)
    n = len(nodes)
    # Relabel so that path ends come first: the search leaves the root in label order.
    perm = np.argsort(np.bincount(local.ravel(), minlength=n) != 1, kind="stable")
    label = np.empty(n, np.int64)
    label[perm] = np.arange(n)
    nodes, local = nodes[perm], label[local].reshape(-1, 2)
    rows = np.concatenate([local[:, 0], local[:, 1], np.full(n, n)])
    cols = np.concatenate([local[:, 1], local[:, 0], np.arange(n)])
    graph = csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n + 1, n + 1))
    order, parent = depth_first_order(graph, n, directed=True)
    order = order[1:]
    new_path = (parent[order] == n) | (parent[order] != np.concatenate([[n], order[:-1]]))
    # Paths, flat: each is its head (the parent of its first node, unless that is the root) and then
    # its run of the search order; `ends` are where they end in `flat`.
    firsts = np.flatnonzero(new_path)
    heads = parent[order[firsts]]
    headed = heads != n
    flat = np.insert(order, firsts[headed], heads[headed])
    ends = np.append(firsts[1:], len(order)) + np.cumsum(headed)
    starts = np.append(0, ends[:-1])
    tree = np.sort(np.stack([parent[order], order], axis=1), axis=1)
    tree = tree[tree[:, 1] != n]

    def key(e: np.ndarray) -> np.ndarray:
        return e[:, 0] * (n + 1) + e[:, 1]

    edges = np.sort(local, axis=1)
    rest = edges[~np.isin(key(edges), key(tree))]
    # Close cycles: a leftover edge from a path's last node back to its first one ends that path.
    loop = np.sort(np.stack([flat[ends - 1], flat[starts]], axis=1), axis=1)
    closes = (ends - starts > 2) & np.isin(key(loop), key(rest))
    flat = np.insert(flat, ends[closes], flat[starts[closes]])
    ends = ends + np.cumsum(closes)
    rest = rest[~np.isin(key(rest), key(loop[closes]))]
    flat = nodes[np.concatenate([flat, rest.ravel()])]
    bounds = np.concatenate([[0], ends, ends[-1] + 2 * np.arange(1, len(rest) + 1)]).tolist()
    return [flat[i:j] for i, j in zip(bounds[:-1], bounds[1:], strict=True)]


def path_segments(paths: list[np.ndarray]) -> np.ndarray:
    """(n, 2) consecutive node pairs of paths, path after path (the input order of `trace_visibility`)."""
    if not paths:
        return np.zeros((0, 2), np.int64)
    flat = np.concatenate(paths)
    pairs = np.stack([flat[:-1], flat[1:]], axis=1)
    last = np.cumsum([len(p) for p in paths])[:-1] - 1  # a pair from a path's last node to the next path
    keep = np.ones(len(pairs), bool)
    keep[last[last < len(pairs)]] = False
    return pairs[keep]


def edge_index_union(*index_sets: np.ndarray) -> np.ndarray:
    """Unique undirected (k, 2) vertex-index edges from several sets, order of first appearance kept."""
    edges = np.vstack([e.reshape(-1, 2) for e in index_sets]).astype(np.int64)
    lo, hi = edges.min(axis=1), edges.max(axis=1)
    _, first = np.unique(lo * (int(edges.max(initial=0)) + 1) + hi, return_index=True)
    return edges[np.sort(first)]


def long_pieces(vertices: np.ndarray, edges: np.ndarray, min_length: float) -> np.ndarray:
    """(k, 2) the edges whose connected piece (edges sharing vertices) is at least `min_length` long."""
    if len(edges) == 0 or min_length <= 0:
        return edges
    nodes, local = np.unique(edges, return_inverse=True)
    local = local.reshape(-1, 2)
    graph = csr_matrix((np.ones(len(local)), (local[:, 0], local[:, 1])), shape=(len(nodes), len(nodes)))
    _, piece = connected_components(graph, directed=False)
    lengths = np.linalg.norm(vertices[edges[:, 0]] - vertices[edges[:, 1]], axis=1)
    total = np.bincount(piece[local[:, 0]], weights=lengths, minlength=piece.max(initial=0) + 1)
    return edges[total[piece[local[:, 0]]] >= min_length]


def is_dense(mesh: trimesh.Trimesh) -> bool:
    """Whether the median edge of the mesh is under DENSE_EDGE_PX px of a REFERENCE_SIZE drawing."""
    side = Frame.around(*mesh.bounds).side
    return bool(np.median(mesh.edges_unique_length) < DENSE_EDGE_PX * side / REFERENCE_SIZE)


def smoothed_vertex_normals(mesh: trimesh.Trimesh, iterations: int = NORMAL_SMOOTHING) -> np.ndarray:
    """(V, 3) unit vertex normals, each averaged `iterations` times with its neighbours' (edges)."""
    edges, n = mesh.edges_unique, len(mesh.vertices)
    rows = np.concatenate([edges[:, 0], edges[:, 1], np.arange(n)])
    cols = np.concatenate([edges[:, 1], edges[:, 0], np.arange(n)])
    ring = csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    normals = np.asarray(mesh.vertex_normals, float)
    for _ in range(iterations):
        normals = ring @ normals
        normals /= np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-12)
    return normals


def _dense_views(
    mesh: trimesh.Trimesh, cams: Sequence[Camera], angle_deg: float, spacing: float, min_feature_px: float
) -> dict[str, ViewLines]:
    px = Frame.around(*mesh.bounds).side / REFERENCE_SIZE
    occluded = ray_caster(mesh.vertices, mesh.faces)
    offset = RAY_OFFSET * float(mesh.scale)
    sharp = feature_edge_index(mesh, angle_deg)
    sharp = path_segments(chain_edges(long_pieces(mesh.vertices, sharp, min_feature_px * px)))
    corner_normals = smoothed_vertex_normals(mesh)[mesh.faces]
    out = {}
    for cam in cams:
        nodes, normals, pairs = contour_segments(mesh.vertices, mesh.faces, corner_normals, cam)
        contours = path_segments(chain_edges(long_pieces(nodes, pairs, min_feature_px * px)))
        outwards = normals[contours[:, 0]] + normals[contours[:, 1]]
        outwards /= np.maximum(np.linalg.norm(outwards, axis=1, keepdims=True), 1e-12)
        segments = np.concatenate([mesh.vertices[sharp], nodes[contours]]).reshape(-1, 2, 3)
        nudge = np.concatenate([np.zeros((len(sharp), 3)), CONTOUR_NUDGE_PX * px * outwards]).reshape(-1, 3)
        out[cam.key] = trace_visibility(segments, cam, occluded, spacing, offset, nudge)
    return out


def mesh_views(
    mesh: trimesh.Trimesh,
    cams: Sequence[Camera],
    angle_deg: float | None = None,
    spacing: float | None = None,
    groups: np.ndarray | None = None,
    group_angle_deg: float = 0.0,
    dense: bool | None = None,
    min_feature_px: float = MIN_FEATURE_PX,
) -> dict[str, ViewLines]:
    """Visible and hidden lines of several views; sharp edges and the ray intersector are built once.

    `angle_deg`: the sharp-edge angle (default SHARP_ANGLE_DEG, DENSE_SHARP_ANGLE_DEG for a dense
    mesh); `groups`, `group_angle_deg`: see `feature_edge_index`; `dense` (default: `is_dense`; never
    with groups) draws as the module docstring says, dropping pieces under `min_feature_px`.
    """
    spacing = sample_spacing(mesh.bounds) if spacing is None else spacing
    if dense is None:
        dense = groups is None and is_dense(mesh)
    if dense:
        angle = DENSE_SHARP_ANGLE_DEG if angle_deg is None else angle_deg
        return _dense_views(mesh, cams, angle, spacing, min_feature_px)
    angle_deg = SHARP_ANGLE_DEG if angle_deg is None else angle_deg
    offset = RAY_OFFSET * float(mesh.scale)
    occluded = ray_caster(mesh.vertices, mesh.faces)
    sharp = feature_edge_index(mesh, angle_deg, groups, group_angle_deg)
    out = {}
    for cam in cams:
        edges = path_segments(chain_edges(edge_index_union(sharp, silhouette_edge_index(mesh, cam))))
        out[cam.key] = trace_visibility(mesh.vertices[edges], cam, occluded, spacing, offset)
    return out


def mesh_lines(
    mesh: trimesh.Trimesh, cam: Camera, angle_deg: float | None = None, spacing: float | None = None
) -> ViewLines:
    """Visible and hidden lines of one view of a mesh (see `mesh_views`)."""
    return mesh_views(mesh, [cam], angle_deg, spacing)[cam.key]
