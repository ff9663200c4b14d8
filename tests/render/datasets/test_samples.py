"""Built-in sample parts: one valid solid each, volumes against closed-form formulas of their dimensions,
the claimed features (holes through or blind, fillets, chamfers, keyways) found in the geometry, and files
the renderer reads back to the same solid."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from OCP.BRepAdaptor import BRepAdaptor_Surface
from OCP.BRepClass3d import BRepClass3d_SolidClassifier
from OCP.BRepGProp import BRepGProp
from OCP.GeomAbs import GeomAbs_Cone, GeomAbs_Cylinder, GeomAbs_Plane, GeomAbs_Torus
from OCP.gp import gp_Pnt
from OCP.GProp import GProp_GProps
from OCP.TopAbs import TopAbs_FACE, TopAbs_IN, TopAbs_OUT
from OCP.TopExp import TopExp_Explorer
from OCP.TopoDS import TopoDS, TopoDS_Face, TopoDS_Shape

from render.cli import main
from render.datasets import samples as S
from render.lines.mesh import load_mesh
from render.models.brep import load_shape, shape_bounds
from render.models.csg import valid_solid, volume

PI = math.pi
DRILL_HALF_ANGLE = math.radians(59.0)


def chamfer_ring(radius: float, distance: float, outside: bool) -> float:
    """Volume of a 45-degree chamfer of `distance` on a circular edge of `radius` (Pappus: a right
    triangle of area d^2 / 2 whose centroid is d / 3 from the edge, outwards for a hole's rim)."""
    return 2 * PI * (radius + (distance if outside else -distance) / 3) * distance**2 / 2


def drilled(radius: float, depth: float) -> float:
    """Volume of a blind hole: a cylinder of `depth`, then a 118-degree cone."""
    return PI * radius**2 * (depth + radius / math.tan(DRILL_HALF_ANGLE) / 3)


def bracket_volume(s: S.BracketSpec) -> float:
    plate = s.length * s.depth * s.base + s.length * s.upright * (s.height - s.base)
    corners = 2 * (1 - PI / 4) * s.corner_radius**2 * s.base  # convex fillets remove r^2 (1 - pi/4) L
    inner = (1 - PI / 4) * s.inner_fillet**2 * s.length  # a concave one adds it
    top = s.top_chamfer**2 / 2 * s.length
    holes = len(s.hole_xy) * (
        PI * s.hole_radius**2 * s.base + chamfer_ring(s.hole_radius, s.hole_chamfer, True)
    )
    return plate - corners + inner - top - holes - len(s.blind_xz) * drilled(s.blind_radius, s.blind_depth)


def circle_strip(radius: float, half_width: float) -> float:
    """Area of the disc of `radius` between x = -half_width and x = half_width."""
    return half_width * math.sqrt(radius**2 - half_width**2) + radius**2 * math.asin(half_width / radius)


def shaft_volume(s: S.ShaftSpec) -> float:
    r1, r2, f, c = s.journal_radius, s.body_radius, s.shoulder_fillet, s.end_chamfer
    steps = PI * r1**2 * s.journal_length + PI * r2**2 * s.body_length
    ends = chamfer_ring(r1, c, False) + chamfer_ring(r2, c, False)
    # The shoulder fillet's section: a square of side f less a quarter disc; its centroid lies
    # f (5/6 - pi/4) / (1 - pi/4) out from the journal.
    centroid = r1 + f * (5 / 6 - PI / 4) / (1 - PI / 4)
    fillet = 2 * PI * centroid * (1 - PI / 4) * f**2
    h = s.keyway_width / 2
    keyway = s.keyway_length * (circle_strip(r2, h) - 2 * h * (r2 - s.keyway_depth))
    groove = PI * (r1**2 - (r1 - s.groove_depth) ** 2) * s.groove_width
    return steps - ends + fillet - keyway - groove


def pulley_volume(s: S.PulleySpec) -> float:
    r, z = np.array(s.profile).T
    cross = r * np.roll(z, -1) - np.roll(r, -1) * z
    area = cross.sum() / 2
    centroid = ((r + np.roll(r, -1)) * cross).sum() / (6 * area)
    holes = s.holes * PI * s.hole_radius**2 * (s.web[1] - s.web[0])
    rb, h = s.bore_radius, s.keyway_width / 2
    keyway = (2 * h * (rb + s.keyway_depth) - circle_strip(rb, h)) * s.length
    return 2 * PI * centroid * area - holes - keyway  # Pappus


def angle_block_volume(s: S.AngleBlockSpec) -> float:
    block = s.length * s.width * s.height - s.slant_run * s.slant_drop / 2 * s.width
    _, _, sx, sy = s.pocket
    pocket = s.pocket_depth * (sx * sy - (4 - PI) * s.pocket_corner**2)
    return block - pocket - drilled(s.hole_radius, s.hole_depth)


def hex_nut_volume(s: S.HexNutSpec) -> float:
    prism = math.sqrt(3) / 2 * s.across_flats**2 * s.thickness
    return prism - PI * s.bore_radius**2 * s.thickness - 2 * chamfer_ring(s.bore_radius, s.bore_chamfer, True)


VOLUMES = {
    "bracket": (S.bracket, lambda: bracket_volume(S.BRACKET)),
    "shaft": (S.shaft, lambda: shaft_volume(S.SHAFT)),
    "pulley": (S.pulley, lambda: pulley_volume(S.PULLEY)),
    "angle_block": (S.angle_block, lambda: angle_block_volume(S.ANGLE_BLOCK)),
    "hex_nut": (S.hex_nut, lambda: hex_nut_volume(S.HEX_NUT)),
}


def faces(shape: TopoDS_Shape) -> list[TopoDS_Face]:
    out, explorer = [], TopExp_Explorer(shape, TopAbs_FACE)
    while explorer.More():
        out.append(TopoDS.Face(explorer.Current()))
        explorer.Next()
    return out


def surfaces(shape: TopoDS_Shape, kind) -> list[BRepAdaptor_Surface]:
    return [s for s in (BRepAdaptor_Surface(f) for f in faces(shape)) if s.GetType() == kind]


def cylinder_radii(shape: TopoDS_Shape) -> Counter:
    return Counter(round(s.Cylinder().Radius(), 6) for s in surfaces(shape, GeomAbs_Cylinder))


def cone_half_angles(shape: TopoDS_Shape) -> Counter:
    return Counter(round(math.degrees(abs(s.Cone().SemiAngle())), 3) for s in surfaces(shape, GeomAbs_Cone))


def area(face: TopoDS_Face) -> float:
    props = GProp_GProps()
    BRepGProp.SurfaceProperties_s(face, props)
    return props.Mass()


def planes_with_normal(shape: TopoDS_Shape, normal) -> list[TopoDS_Face]:
    n = np.asarray(normal, float) / np.linalg.norm(normal)
    found = []
    for face in faces(shape):
        surface = BRepAdaptor_Surface(face)
        if surface.GetType() == GeomAbs_Plane:
            d = surface.Plane().Axis().Direction()
            if abs(abs(np.dot([d.X(), d.Y(), d.Z()], n)) - 1) < 1e-9:
                found.append(face)
    return found


def state(shape: TopoDS_Shape, point) -> int:
    classifier = BRepClass3d_SolidClassifier(shape, gp_Pnt(*map(float, point)), 1e-7)
    return classifier.State()


@pytest.fixture(scope="module")
def built() -> dict[str, TopoDS_Shape]:
    return {name: build() for name, (build, _) in VOLUMES.items()}


def test_the_samples_are_the_five_parts_and_only_the_nut_is_a_mesh() -> None:
    assert [s.name for s in S.SAMPLES] == list(VOLUMES)
    assert [s.name for s in S.SAMPLES if s.mesh] == ["hex_nut"]


@pytest.mark.parametrize("name", list(VOLUMES))
def test_each_part_is_one_valid_solid_with_the_volume_of_its_formula(built, name: str) -> None:
    shape = built[name]
    assert valid_solid(shape) is not None
    assert volume(shape) == pytest.approx(VOLUMES[name][1](), rel=1e-9)


def test_bracket_has_two_through_holes_two_blind_holes_fillets_and_chamfers(built) -> None:
    s, part = S.BRACKET, built["bracket"]
    np.testing.assert_allclose(
        np.hstack(shape_bounds(part)), [0, 0, 0, s.length, s.depth, s.height], atol=1e-6
    )
    assert cylinder_radii(part) == {
        s.hole_radius: 2,
        s.blind_radius: 2,
        s.corner_radius: 2,
        s.inner_fillet: 1,
    }
    # Chamfered hole rims are 45-degree cones, drill points 59-degree ones.
    assert cone_half_angles(part) == {45.0: 2, 59.0: 2}
    top = planes_with_normal(part, (0, -1, 1))
    assert [area(f) for f in top] == pytest.approx([s.top_chamfer * math.sqrt(2) * s.length])
    for x, y in s.hole_xy:  # open all the way along the axis, material beside it
        assert all(state(part, (x, y, z)) == TopAbs_OUT for z in np.linspace(0.1, s.base - 0.1, 9))
        assert state(part, (x + s.hole_radius + 0.5 + s.hole_chamfer, y, s.base / 2)) == TopAbs_IN
    back = s.depth - s.upright
    point = s.blind_radius / math.tan(DRILL_HALF_ANGLE)
    for x, z in s.blind_xz:  # open to the drill point's tip, closed behind it
        assert state(part, (x, back + s.blind_depth + point - 0.05, z)) == TopAbs_OUT
        assert state(part, (x, back + s.blind_depth + point + 0.05, z)) == TopAbs_IN


def test_shaft_has_a_keyway_a_groove_a_shoulder_fillet_and_chamfered_ends(built) -> None:
    s, part = S.SHAFT, built["shaft"]
    r1, r2 = s.journal_radius, s.body_radius
    assert cylinder_radii(part) == {r1: 2, r2: 1, r1 - s.groove_depth: 1}  # the groove splits the journal
    assert cone_half_angles(part) == {45.0: 2}
    (torus,) = surfaces(part, GeomAbs_Torus)
    assert torus.Torus().MinorRadius() == pytest.approx(s.shoulder_fillet)
    assert torus.Torus().MajorRadius() == pytest.approx(r1 + s.shoulder_fillet)
    floor = planes_with_normal(part, (0, 1, 0))
    assert [area(f) for f in floor] == pytest.approx([s.keyway_width * s.keyway_length])
    bottom = r2 - s.keyway_depth
    assert state(part, (0, bottom + 0.05, s.keyway_center)) == TopAbs_OUT
    assert state(part, (0, bottom - 0.05, s.keyway_center)) == TopAbs_IN
    assert state(part, (0, bottom + 0.05, s.keyway_center + s.keyway_length / 2 + 0.05)) == TopAbs_IN
    groove = r1 - s.groove_depth
    assert state(part, (groove + 0.05, 0, s.groove_center)) == TopAbs_OUT
    assert state(part, (groove - 0.05, 0, s.groove_center)) == TopAbs_IN


def test_pulley_groove_is_38_degrees_with_four_web_holes_and_a_bore_keyway(built) -> None:
    s, part = S.PULLEY, built["pulley"]
    # The groove's flanks are cones 19 degrees off the radial plane: 90 - 19 = 71 degrees from the axis.
    assert cone_half_angles(part) == {71.0: 2}
    assert cylinder_radii(part)[s.hole_radius] == s.holes
    angles = np.arange(s.holes) * 2 * PI / s.holes + PI / s.holes
    for a in angles:
        centre = s.hole_pitch_radius * np.array([math.cos(a), math.sin(a)])
        assert state(part, (*centre, sum(s.web) / 2)) == TopAbs_OUT
        assert (
            state(part, (*(centre * (1 + (s.hole_radius + 0.5) / s.hole_pitch_radius)), sum(s.web) / 2))
            == TopAbs_IN
        )
    reach = s.bore_radius + s.keyway_depth
    assert state(part, (0, reach - 0.05, s.length / 2)) == TopAbs_OUT
    assert state(part, (0, reach + 0.05, s.length / 2)) == TopAbs_IN
    assert state(part, (s.keyway_width / 2 + 0.05, s.bore_radius + 0.05, s.length / 2)) == TopAbs_IN


def test_angle_block_has_a_slanted_face_with_a_normal_hole_and_a_rounded_pocket(built) -> None:
    s, part = S.ANGLE_BLOCK, built["angle_block"]
    n = S.slant_normal(s)
    (slant,) = planes_with_normal(part, n)
    slant_length = math.hypot(s.slant_run, s.slant_drop)
    assert area(slant) == pytest.approx(slant_length * s.width - PI * s.hole_radius**2)
    assert cylinder_radii(part) == {s.hole_radius: 1, s.pocket_corner: 4}
    assert cone_half_angles(part) == {59.0: 1}
    _, _, sx, sy = s.pocket
    depth = s.height - s.pocket_depth
    floor = [f for f in planes_with_normal(part, (0, 0, 1)) if abs(shape_bounds(f)[1][2] - depth) < 1e-9]
    assert [area(f) for f in floor] == pytest.approx([sx * sy - (4 - PI) * s.pocket_corner**2])
    centre = np.array([s.length - s.slant_run / 2, s.width / 2, s.height - s.slant_drop / 2])
    tip = s.hole_depth + s.hole_radius / math.tan(DRILL_HALF_ANGLE)
    assert state(part, centre - (tip - 0.05) * n) == TopAbs_OUT
    assert state(part, centre - (tip + 0.05) * n) == TopAbs_IN


def test_written_files_are_the_listed_ones_and_read_back_to_the_same_solids(samples_dir: Path, built) -> None:
    paths = S.sample_paths(samples_dir)
    assert sorted(paths) == sorted(samples_dir.iterdir())
    assert [p.suffix for p in paths] == [".step", ".brep", ".igs"] * 4 + [".stl"]
    for path in paths[:-1]:
        shape = load_shape(path)
        assert valid_solid(shape) is not None, path.name
        assert volume(shape) == pytest.approx(volume(built[path.stem]), rel=1e-8), path.name


def test_the_nut_mesh_is_closed_with_one_through_hole_and_the_volume_within_its_chord_error(
    samples_dir: Path,
) -> None:
    s = S.HEX_NUT
    mesh = load_mesh(samples_dir / "hex_nut.stl")
    assert mesh.is_watertight and mesh.is_winding_consistent and mesh.volume > 0
    assert mesh.euler_number == 0  # V - E + F = 2 - 2 genus: one hole through
    corner = s.across_flats / math.sqrt(3)
    np.testing.assert_allclose(
        mesh.bounds, [[-corner, -s.across_flats / 2, 0], [corner, s.across_flats / 2, s.thickness]], atol=1e-6
    )
    # Chords inscribed in the bore cut away less than the circle: a little more volume, within 1%.
    exact = hex_nut_volume(s)
    assert exact < mesh.volume < 1.01 * exact


def test_writing_twice_gives_the_same_bytes(samples_dir: Path, tmp_path: Path) -> None:
    again = S.write_samples(tmp_path)
    for path in again:
        assert path.read_bytes() == (samples_dir / path.name).read_bytes(), path.name


def test_unknown_formats_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown format obj; expected step, brep or iges"):
        S.write_samples(tmp_path, ["step", "obj"])


def test_render_samples_then_render_views_on_a_sample(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["samples", "-o", str(tmp_path / "s"), "--format", "brep"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "s").iterdir()) == sorted(
        p.name for p in S.sample_paths(tmp_path / "s", ["brep"])
    )
    result = runner.invoke(main, ["views", str(tmp_path / "s" / "bracket.brep"), "-o", str(tmp_path / "v")])
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "v").glob("bracket_*.png"))) == 11
    bad = runner.invoke(main, ["samples", "-o", str(tmp_path / "x"), "--format", "dwg"])
    assert bad.exit_code == 2 and "unknown format dwg; expected step, brep or iges" in bad.output
