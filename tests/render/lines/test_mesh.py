"""Mesh line drawings: edges, silhouettes and ray-cast visibility against geometry, and bad inputs."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import trimesh

from render.errors import ModelError
from render.lines.cameras import DEFAULT_VIEWS, camera
from render.lines.drawing import Frame, line_iou, line_mask, rasterize
from render.lines.mesh import (
    chain_edges,
    feature_edge_index,
    feature_edges,
    is_dense,
    load_mesh,
    mesh_lines,
    mesh_views,
    path_segments,
    sample_spacing,
    silhouette_edges,
)

REALCAD = Path(__file__).resolve().parents[3].parent / "shared" / "realcad"
SIZE = 100


def polyline_length(lines: list[np.ndarray]) -> float:
    return float(sum(np.linalg.norm(np.diff(p, axis=0), axis=1).sum() for p in lines))


def distance_to_segments(points: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(n,) distance from each 2D point to the nearest of the segments a[k] -> b[k]."""
    d = b - a
    t = np.clip(np.einsum("nkj,kj->nk", points[:, None] - a, d) / np.einsum("kj,kj->k", d, d), 0, 1)
    nearest = a + t[..., None] * d
    return np.linalg.norm(points[:, None] - nearest, axis=2).min(axis=1)


def test_cube_front_view_draws_the_square_outline() -> None:
    cube = trimesh.creation.box((1, 1, 1))
    cam = camera("f")
    frame = Frame.around(*cube.bounds)
    mask = line_mask(rasterize(mesh_lines(cube, cam), cam, frame, SIZE, line_width=1))
    half = 0.5 * SIZE / frame.side
    lo, hi = int(SIZE / 2 - half), int(SIZE / 2 + half)
    inner = slice(lo + 3, hi - 2)
    for edge in (mask[lo, inner], mask[hi, inner], mask[inner, lo], mask[inner, hi]):
        assert edge.mean() > 0.95
    assert not mask[lo + 2 : hi - 1, lo + 2 : hi - 1].any()
    assert not mask[: lo - 1].any() and not mask[hi + 2 :].any()


def test_cube_isometric_hides_the_three_back_edges() -> None:
    cube = trimesh.creation.box((1, 1, 1))
    cam = camera("2")
    lines = mesh_lines(cube, cam)
    corners = cube.vertices
    back = corners[np.argmin(cam.depth(corners))]
    edges = feature_edges(cube)
    assert len(edges) == 12
    is_back = np.all(np.isclose(edges, back), axis=2).any(axis=1)
    proj = cam.project(edges)
    expected_hidden = np.linalg.norm(proj[is_back, 1] - proj[is_back, 0], axis=1).sum()
    expected_visible = np.linalg.norm(proj[~is_back, 1] - proj[~is_back, 0], axis=1).sum()
    tol = 6 * sample_spacing(cube.bounds)
    assert polyline_length(lines.hidden) == pytest.approx(expected_hidden, abs=tol)
    assert polyline_length(lines.visible) == pytest.approx(expected_visible, abs=tol)
    hidden_points = np.vstack(lines.hidden)
    assert distance_to_segments(hidden_points, proj[is_back, 0], proj[is_back, 1]).max() < 1e-9


def vertical_length(lines: list[np.ndarray], x: float, tol: float = 1e-6) -> float:
    """Total length of the polyline pieces lying on the vertical line at image x (within tol)."""
    pieces = np.concatenate([np.stack([p[:-1], p[1:]], axis=1) for p in lines])
    on = np.all(np.abs(pieces[:, :, 0] - x) <= tol, axis=1)
    return float(np.abs(pieces[on, 1, 1] - pieces[on, 0, 1]).sum())


def holed_box() -> trimesh.Trimesh:
    """A 2 x 2 x 1 box with a vertical through hole of radius 0.4 (manifold3d boolean)."""
    return trimesh.creation.box((2, 2, 1)).difference(trimesh.creation.cylinder(0.4, 2, sections=64))


def test_through_hole_is_hidden_in_front_and_visible_from_top() -> None:
    part = holed_box()
    views = mesh_views(part, [camera("f"), camera("t")])
    front, top = views["f"], views["t"]
    # Front: the hole's walls show as hidden vertical lines at x = +-0.4 over the full height 1 (up to
    # a sample where they end on the grazed bottom face), and no visible line runs there.
    for x in (-0.4, 0.4):
        assert vertical_length(front.hidden, x) == pytest.approx(1.0, abs=sample_spacing(part.bounds))
        assert vertical_length(front.visible, x, tol=0.02) < sample_spacing(part.bounds)
    # Top: the hole is a visible circle of radius 0.4 (up to the 64-gon's sagitta).
    radius = np.linalg.norm(np.vstack(top.visible), axis=1)
    on_circle = radius < 0.8
    assert on_circle.sum() > 10
    assert np.allclose(radius[on_circle], 0.4, atol=0.4 * (1 - np.cos(np.pi / 64)) + 1e-9)


def test_sphere_silhouette_is_a_circle_of_the_expected_pixel_radius() -> None:
    sphere = trimesh.creation.icosphere(subdivisions=4, radius=1.0)
    cam = camera("2")
    frame = Frame.around(*sphere.bounds)
    assert len(feature_edges(sphere)) == 0
    assert len(silhouette_edges(sphere, cam)) > 20
    lines = mesh_lines(sphere, cam)
    assert not lines.hidden
    mask = line_mask(rasterize(lines, cam, frame, SIZE, line_width=1))
    rows, cols = np.nonzero(mask)
    radius_px = np.hypot(cols + 0.5 - SIZE / 2, rows + 0.5 - SIZE / 2)
    expected = 1.0 * SIZE / frame.side
    assert np.median(radius_px) == pytest.approx(expected, abs=1.0)
    assert np.all(np.abs(radius_px - expected) < 2.0)


def test_cylinder_outline_is_its_side_rectangle() -> None:
    radius, height = 0.5, 2.0
    cylinder = trimesh.creation.cylinder(radius, height, sections=64)
    cam = camera("f")
    frame = Frame.around(*cylinder.bounds)
    lines = mesh_lines(cylinder, cam)
    points = np.vstack(lines.visible)
    assert np.allclose(points.min(axis=0), [-radius, -height / 2], atol=1e-6)
    assert np.allclose(points.max(axis=0), [radius, height / 2], atol=1e-6)
    mask = line_mask(rasterize(lines, cam, frame, SIZE, line_width=1))
    scale = SIZE / frame.side
    rows, cols = np.nonzero(mask)
    assert np.ptp(cols) + 1 == pytest.approx(2 * radius * scale, abs=1.5)
    assert np.ptp(rows) + 1 == pytest.approx(height * scale, abs=1.5)
    # Nothing inside the outline: side facets are shaded, not drawn.
    assert not mask[rows.min() + 2 : rows.max() - 1, cols.min() + 2 : cols.max() - 1].any()


def _assert_mesh_agrees_with_exact_hlr(shape, mesh: trimesh.Trimesh, min_iou: float) -> None:
    from render.lines.hlr import exact_hlr_views, model_frame

    frame = model_frame(shape)
    cams = [camera(k) for k in ("f", "r", "t", "2")]
    exact, approx = exact_hlr_views(shape, cams), mesh_views(mesh, cams)
    for cam in cams:
        iou = line_iou(rasterize(exact[cam.key], cam, frame), rasterize(approx[cam.key], cam, frame))
        assert iou >= min_iou, (cam.key, iou)


def test_nut_mesh_agrees_with_exact_hlr_of_its_brep(samples_dir: Path) -> None:
    from render.datasets.samples import hex_nut

    _assert_mesh_agrees_with_exact_hlr(hex_nut(), load_mesh(samples_dir / "hex_nut.stl"), 0.8)


@pytest.mark.realcad
def test_featuretype_mesh_agrees_with_exact_hlr_of_the_step_model() -> None:
    from render.models.brep import load_shape

    mesh = load_mesh(REALCAD / "trimesh" / "featuretype.STL")
    mesh.apply_scale(25.4)  # the STL is in inches, the STEP in millimetres
    _assert_mesh_agrees_with_exact_hlr(load_shape(REALCAD / "trimesh" / "featuretype.STEP"), mesh, 0.8)


def _assert_mesh_draws_all_views(path: Path) -> None:
    mesh = load_mesh(path)
    frame = Frame.around(*mesh.bounds)
    cams = [camera(k) for k in DEFAULT_VIEWS]
    views = mesh_views(mesh, cams)
    for cam in cams:
        assert line_mask(rasterize(views[cam.key], cam, frame, 64)).sum() >= 4, cam.key


def test_the_sample_mesh_renders_all_views_non_blank(samples_dir: Path) -> None:
    _assert_mesh_draws_all_views(samples_dir / "hex_nut.stl")


MESH_FILES = sorted(p for p in (REALCAD / "trimesh").glob("*") if p.suffix.lower() == ".stl")


@pytest.mark.realcad
@pytest.mark.parametrize("path", MESH_FILES, ids=lambda p: p.name)
def test_every_realcad_mesh_renders_all_views_non_blank(path: Path) -> None:
    _assert_mesh_draws_all_views(path)


def test_stl_triangle_soup_gets_shared_edges(tmp_path: Path) -> None:
    path = tmp_path / "cube.STL"
    trimesh.creation.box((1, 1, 1)).export(path)
    mesh = load_mesh(path)
    assert len(mesh.vertices) == 8 and mesh.is_watertight
    assert len(feature_edges(mesh)) == 12


def test_glb_scene_is_concatenated_with_node_transforms(tmp_path: Path) -> None:
    scene = trimesh.Scene()
    scene.add_geometry(
        trimesh.creation.box((1, 1, 1)), transform=trimesh.transformations.translation_matrix([5, 0, 0])
    )
    scene.add_geometry(trimesh.creation.box((1, 1, 1)))
    path = tmp_path / "two.glb"
    scene.export(path)
    mesh = load_mesh(path)
    assert np.allclose(mesh.bounds, [[-0.5, -0.5, -0.5], [5.5, 0.5, 0.5]])


def _tall_cup() -> trimesh.Trimesh:
    """A cup-like mesh, glTF's Y-up: 1.5 wide (x, with a handle on +x), 4 tall (+y), 2 deep (z)."""
    body = trimesh.creation.box(extents=(1, 4, 2))
    handle = trimesh.creation.box(
        extents=(0.5, 1, 0.5), transform=trimesh.transformations.translation_matrix([0.75, 1, 0])
    )
    return trimesh.util.concatenate([body, handle])


@pytest.mark.parametrize("suffix", [".glb", ".gltf"])
def test_gltf_is_read_y_up_and_drawn_upright(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"cup{suffix}"
    if suffix == ".glb":
        _tall_cup().export(path)  # trimesh writes the coordinates as they are: Y-up in the file
    else:  # .gltf with its buffers in separate files beside it
        for name, data in trimesh.Scene(_tall_cup()).export(file_type="gltf").items():
            (tmp_path / name).write_bytes(data)
        (tmp_path / "model.gltf").rename(path)
    mesh = load_mesh(path)
    np.testing.assert_allclose(mesh.extents, [1.5, 2, 4])  # glTF +y (up) is z, glTF +z (front) is -y
    np.testing.assert_allclose(mesh.bounds[:, 2], [-2, 2])
    front = mesh_views(mesh, [camera("f")])["f"]
    points = np.vstack(front.visible)
    width, height = np.ptp(points, axis=0)
    assert height == pytest.approx(4, abs=0.01) and width == pytest.approx(1.5, abs=0.01)  # upright
    handle = points[points[:, 0] > 0.6]
    assert handle.size and handle[:, 1].min() == pytest.approx(0.5, abs=0.01)  # on the right, up high


def test_other_mesh_formats_are_read_as_z_up(tmp_path: Path) -> None:
    path = tmp_path / "cup.stl"
    _tall_cup().export(path)
    np.testing.assert_allclose(load_mesh(path).extents, [1.5, 4, 2])


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("name", "data", "problem"),
    [
        ("missing.stl", None, "no such file"),
        ("model.xyz", b"1 2 3\n", "unknown extension"),
        ("corrupt.ply", b"ply\nformat nonsense\nend_header\n\x00\x01", "unreadable or corrupt PLY"),
        ("empty.obj", b"# nothing here\n", "empty mesh"),
        ("flat.off", b"OFF\n4 2 0\n0 0 0\n1 0 0\n1 1 0\n0 1 0\n3 0 1 2\n3 0 2 3\n", "coplanar"),
        ("line.off", b"OFF\n3 1 0\n0 0 0\n1 0 0\n2 0 0\n3 0 1 2\n", "zero surface area"),
    ],
)
def test_bad_inputs_raise_one_line_model_errors(
    tmp_path: Path, name: str, data: bytes | None, problem: str
) -> None:
    path = tmp_path / name if data is None else write(tmp_path / name, data)
    with pytest.raises(ModelError) as err:
        load_mesh(path)
    message = str(err.value)
    assert "\n" not in message and message.startswith(str(path)) and problem in message


def test_chain_edges_walks_paths_and_cycles_using_every_edge_once() -> None:
    cycle = [[0, 1], [2, 1], [3, 2], [3, 4], [5, 4], [0, 5]]
    path = [[12, 13], [10, 11], [12, 11]]
    branch = [[20, 21], [21, 22], [23, 21]]
    pairs = np.array(cycle + path + branch)[np.random.default_rng(0).permutation(12)]
    paths = chain_edges(pairs)
    used = sorted(tuple(sorted(e)) for p in paths for e in zip(p[:-1].tolist(), p[1:].tolist(), strict=True))
    assert used == sorted(tuple(sorted(e)) for e in pairs.tolist())
    as_lists = [p.tolist() for p in paths]
    assert [10, 11, 12, 13] in as_lists or [13, 12, 11, 10] in as_lists
    closed = [p for p in as_lists if p[0] == p[-1]]
    assert len(closed) == 1 and sorted(closed[0][:-1]) == [0, 1, 2, 3, 4, 5]
    assert len(paths) == 4  # cycle, path, and the branch as two paths


@pytest.mark.parametrize("seed", range(4))
def test_chained_paths_and_their_segments_use_every_edge_once(seed: int) -> None:
    """On random graphs (paths, cycles, branches, isolated edges): every undirected edge appears exactly
    once among consecutive nodes of the paths and among the rows of path_segments, in path order."""
    rng = np.random.default_rng(seed)
    for _ in range(200):
        n = int(rng.integers(2, 30))
        pairs = rng.integers(0, n, size=(int(rng.integers(1, 45)), 2))
        pairs = np.unique(np.sort(pairs[pairs[:, 0] != pairs[:, 1]], axis=1), axis=0)
        if len(pairs) == 0:
            continue
        paths = chain_edges(pairs[rng.permutation(len(pairs))])
        assert all(len(p) >= 2 for p in paths)
        segments = path_segments(paths)
        expected = [tuple(e) for p in paths for e in zip(p[:-1].tolist(), p[1:].tolist(), strict=True)]
        assert [tuple(e) for e in segments.tolist()] == expected
        assert sorted(tuple(sorted(e)) for e in expected) == [tuple(e) for e in pairs.tolist()]


def test_mesh_outlines_come_as_long_polylines() -> None:
    sphere = trimesh.creation.icosphere(subdivisions=3, radius=1.0)
    lines = mesh_lines(sphere, camera("f"))
    assert len(lines.visible) == 1 and np.allclose(lines.visible[0][0], lines.visible[0][-1])


@pytest.mark.parametrize("kind", ["cylinder", "sphere", "cone"])
def test_mesh_kernel_curved_primitives_show_no_facet_lines(kind: str) -> None:
    """A primitive of the mesh kernel (72 chords a circle at 200 px) draws only its real edges: the
    rims of a cylinder, the base of a cone, nothing on a sphere; its views match exact HLR's."""
    from render.datasets.questions import Drawer
    from render.lines.hlr import exact_hlr_views
    from render.models.csg import Primitive, draw_segments
    from render.models.solid import Solid

    size = (10.0, 30.0) if kind != "sphere" else (12.0,)
    primitive = Primitive(kind, (1.0, 2.0, 3.0), size, (0, 1, 0))
    n = draw_segments(200)
    solid = Solid.of_fine(primitive.mesh(), primitive.mesh(n), n)
    edges = feature_edge_index(solid.mesh, groups=solid.groups, group_angle_deg=360 / n)
    assert len(edges) == {"cylinder": 2 * n, "cone": n, "sphere": 0}[kind]
    if kind != "sphere":  # rim vertices only: on the end planes, at the radius
        ends = solid.mesh.vertices[edges.ravel()]
        assert np.allclose(np.abs(ends[:, 1] - 2.0), 15.0) or kind == "cone"
        assert np.allclose(np.hypot(ends[:, 0] - 1.0, ends[:, 2] - 3.0), 10.0)
    frame = Frame.around(*solid.bounds())
    views = ("f", "r", "t", "2")
    drawn = Drawer("auto", 200, 1.5, "red")(solid, views, frame)
    exact = exact_hlr_views(primitive.shape(), [camera(v) for v in views])
    for v in views:
        reference = rasterize(exact[v], camera(v), frame, 200, 1.5, "red")
        assert line_iou(drawn[v], reference) >= 0.9, v
        # no line where exact HLR has none (facet lines would be such lines)
        grown = cv2.dilate(line_mask(reference).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
        ink = line_mask(drawn[v])
        assert np.count_nonzero(ink & ~grown) <= 0.005 * np.count_nonzero(ink), v


def scan_like_mesh(seed: int = 0) -> trimesh.Trimesh:
    """A box and a ball, densely meshed (94,000 faces, median edge 0.9 px at 200 px), with scanner-like
    noise on every vertex (0.06-0.1 of an edge)."""
    rng = np.random.default_rng(seed)
    box = trimesh.creation.box((40, 30, 20))
    for _ in range(5):
        box = box.subdivide()
    box = trimesh.Trimesh(box.vertices + rng.normal(0, 0.08, box.vertices.shape), box.faces)
    ball = trimesh.creation.icosphere(6, 15)
    ball = trimesh.Trimesh(ball.vertices + rng.normal(0, 0.05, ball.vertices.shape) + (0, 0, 12), ball.faces)
    return trimesh.util.concatenate([box, ball])


def test_dense_noisy_meshes_get_clean_feature_lines() -> None:
    mesh = scan_like_mesh()
    assert is_dense(mesh) and not is_dense(trimesh.creation.box((1, 1, 1)))
    frame = Frame.around(*mesh.bounds)
    cams = [camera("f"), camera("2")]
    clean, raw = mesh_views(mesh, cams), mesh_views(mesh, cams, dense=False)
    for cam in cams:
        lines, noisy = clean[cam.key], raw[cam.key]
        ink = line_mask(rasterize(lines, cam, frame, 200, 1.5, "dashed")).mean()
        noisy_ink = line_mask(rasterize(noisy, cam, frame, 200, 1.5, "dashed")).mean()
        assert ink < 0.06 and noisy_ink > 2 * ink, (ink, noisy_ink)
        assert len(lines.visible) + len(lines.hidden) < 0.2 * (len(noisy.visible) + len(noisy.hidden))
        # the outline is still drawn: the visible ink reaches the mesh's projected extent
        points = np.vstack(lines.visible)
        extent = np.ptp(cam.project(mesh.vertices), axis=0)
        assert np.all(np.ptp(points, axis=0) >= 0.97 * extent)
    # the box's visible creases stay in pose 2: long visible polylines besides the two outlines
    long_lines = [p for p in clean["2"].visible if polyline_length([p]) > 10]
    assert len(long_lines) >= 3
