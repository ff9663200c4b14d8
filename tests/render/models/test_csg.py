"""Procedural CSG: determinism by seed, primitive counts, validity of the solids, the `render csg` command."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner
from manifold3d import Manifold

from render.cli import main
from render.models.brep import load_shape, shape_bounds
from render.models.csg import (
    AXES,
    CHORD_ERROR_PX,
    PROXY_SEGMENTS,
    RADIUS_FRACTION,
    SLIVER,
    Primitive,
    csg_model,
    draw_segments,
    exact_step,
    fine_step,
    make_primitive,
    mesh_step,
    parse_primitive_range,
    proxied_step,
    recipe_primitive,
    replay,
    solids,
    subtract,
    volume,
    write_brep,
    write_step,
)
from render.models.solid import Solid


@pytest.mark.parametrize(
    ("primitive", "expected"),
    [
        (Primitive("box", (1, 2, 3), (2, 4, 6)), 48.0),
        (Primitive("cylinder", (0, 0, 0), (1.0, 3.0), (1, 0, 0)), np.pi * 3),
        (Primitive("cone", (0, 0, 0), (1.0, 3.0), (0, -1, 0)), np.pi),
        (Primitive("sphere", (5, 5, 5), (2.0,)), 4 / 3 * np.pi * 8),
    ],
)
def test_primitive_volume_and_centre(primitive: Primitive, expected: float) -> None:
    shape = primitive.shape()
    assert volume(shape) == pytest.approx(expected, rel=1e-6)
    lo, hi = shape_bounds(shape)
    if primitive.kind != "cone":  # a cone's bounding box is centred, its volume is not
        np.testing.assert_allclose((lo + hi) / 2, primitive.center, atol=1e-6)


def test_cylinder_axis_is_the_long_side() -> None:
    lo, hi = shape_bounds(make_primitive("cylinder", (0, 0, 0), (1.0, 10.0), (0, 1, 0)))
    np.testing.assert_allclose(hi - lo, [2, 10, 2], atol=1e-6)


def test_same_seed_same_model_different_seed_different_model(tmp_path) -> None:
    a = csg_model(np.random.default_rng([7, 3]), (2, 4))
    b = csg_model(np.random.default_rng([7, 3]), (2, 4))
    c = csg_model(np.random.default_rng([8, 3]), (2, 4))
    assert a.steps == b.steps and a.steps != c.steps
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    write_step(a.shape, tmp_path / "a" / "m.step")
    write_step(b.shape, tmp_path / "b" / "m.step")
    assert (tmp_path / "a" / "m.step").read_bytes() == (tmp_path / "b" / "m.step").read_bytes()
    assert "1970-01-01T00:00:00" in (tmp_path / "a" / "m.step").read_text()
    assert volume(load_shape(tmp_path / "a" / "m.step")) == pytest.approx(volume(a.shape), rel=1e-6)


@pytest.mark.parametrize("seed", range(4))
def test_models_are_one_solid_with_counted_primitives(seed: int) -> None:
    model = csg_model(np.random.default_rng(seed), (2, 3))
    assert 2 <= model.n_primitives <= 3
    assert model.steps[0][0] == "base" and all(op in ("union", "cut") for op, _ in model.steps[1:])
    assert len(solids(model.shape)) == 1 and volume(model.shape) > 0
    for _, p in model.steps:
        assert p.kind in ("box", "cylinder", "cone", "sphere")
        assert all(float(v).is_integer() and 0 <= v <= 10 for v in p.center)


def test_recipe_primitive_follows_the_spare3d_distribution() -> None:
    rng = np.random.default_rng(0)
    lo, hi = np.zeros(3), np.array([10.0, 20.0, 20.0])  # A = 10
    for _ in range(200):
        p = recipe_primitive(rng, lo, hi)
        assert np.all(np.abs(np.array(p.center) - (lo + hi) / 2) <= 0.25 * (hi - lo) + 1e-9)
        if p.kind == "box":
            assert all(5 <= s <= 10 for s in p.size)
        else:
            assert 2.5 <= p.size[0] <= 5
        if p.kind in ("cylinder", "cone"):
            assert 5 <= p.size[1] <= 10


def test_subtract_rejects_a_miss_and_a_split() -> None:
    bar = make_primitive("box", (0, 0, 0), (10, 2, 2))
    assert subtract(bar, Primitive("box", (20, 0, 0), (2, 2, 2))) is None  # removes nothing
    assert subtract(bar, Primitive("box", (0, 0, 0), (2, 4, 4))) is None  # cuts the bar in two
    notch = subtract(bar, Primitive("box", (0, 0, 1), (2, 4, 1)))
    assert notch is not None and volume(notch) == pytest.approx(40 - 2 * 2 * 0.5, rel=1e-6)


def test_an_opencascade_exception_is_a_failed_boolean(monkeypatch) -> None:
    from OCP.Standard import Standard_Failure

    import render.models.csg as csg

    class Failing(csg.ShapeUpgrade_UnifySameDomain):
        def Build(self) -> None:  # what merging faces raised on one model in 500 (3-8 primitives)
            raise Standard_Failure("Courbes non jointives")

    bar = make_primitive("box", (0, 0, 0), (10, 2, 2))
    notch = Primitive("box", (0, 0, 1), (2, 4, 1))
    monkeypatch.setattr(csg, "ShapeUpgrade_UnifySameDomain", Failing)
    assert csg.boolean(bar, notch.shape(), "cut") is None and subtract(bar, notch) is None
    monkeypatch.undo()
    assert subtract(bar, notch) is not None


@pytest.mark.parametrize("axis", AXES)
@pytest.mark.parametrize("kind", ["cylinder", "cone"])
def test_primitive_mesh_is_the_inscribed_polygon_solid_placed_like_the_brep(kind: str, axis) -> None:
    primitive = Primitive(kind, (1, 2, 3), (2.0, 6.0), axis)
    mesh = primitive.mesh()
    n = PROXY_SEGMENTS
    prism = n / 2 * np.sin(2 * np.pi / n) * 2.0**2 * 6.0  # inscribed n-gon area x height
    assert mesh.volume() == pytest.approx(prism if kind == "cylinder" else prism / 3, rel=1e-9)
    box = np.array(mesh.bounding_box()).reshape(2, 3)
    np.testing.assert_allclose(box, np.array(shape_bounds(primitive.shape())), atol=1e-6)
    # the cone's apex is on the +axis side: the half beyond the centre holds 1/8 of the volume
    beyond = mesh.trim_by_plane(tuple(float(v) for v in axis), float(np.dot(axis, (1, 2, 3))))
    assert beyond.volume() / mesh.volume() == pytest.approx(0.5 if kind == "cylinder" else 1 / 8, rel=1e-6)


def test_box_and_sphere_meshes() -> None:
    box = Primitive("box", (1, 2, 3), (2, 4, 6)).mesh()
    assert box.volume() == pytest.approx(48.0, rel=1e-12)
    np.testing.assert_allclose(np.array(box.bounding_box()), [0, 0, 0, 2, 4, 6], atol=1e-12)
    sphere = Primitive("sphere", (5, 5, 5), (2.0,)).mesh()
    assert 0.95 * 4 / 3 * np.pi * 8 < sphere.volume() < 4 / 3 * np.pi * 8  # inscribed, chords of 15 deg
    np.testing.assert_allclose(np.array(sphere.bounding_box()), [3, 3, 3, 7, 7, 7], atol=1e-9)


def test_mesh_step_keeps_one_piece_whose_volume_changed() -> None:
    cube = Manifold.cube((10, 10, 10), center=True)
    void = mesh_step(cube, Manifold.cube((4, 4, 4), center=True), "cut")  # an inner void: one piece
    assert void is not None and void.volume() == pytest.approx(1000 - 64)
    far = Manifold.cube((2, 2, 2)).translate((20, 0, 0))
    assert mesh_step(cube, far, "cut") is None  # nothing removed
    assert mesh_step(cube, far, "union") is None  # two pieces
    assert mesh_step(cube, Manifold.cube((12, 12, 2), center=True), "cut") is None  # cut in two
    grown = mesh_step(cube, Manifold.cube((2, 2, 2)).translate((4, 0, 0)), "union")
    assert grown is not None and grown.volume() == pytest.approx(1000 + 4)
    # a cut leaving a 10 x 10 x 0.005 sheet (0.5 < SLIVER x 1000) keeps only the big piece
    sheet = Manifold.cube((12, 12, 4)).translate((-6, -6, -4.995))
    assert 0.5 < SLIVER * 1000
    kept = mesh_step(cube, sheet, "cut")
    assert kept is not None and kept.volume() == pytest.approx(10 * 10 * 5.995, rel=1e-9)
    assert len(kept.decompose()) == 1


def test_proxied_step_needs_the_proxy_and_the_exact_result() -> None:
    bar = Primitive("box", (0, 0, 0), (10, 2, 2))
    notch = Primitive("box", (0, 0, 1), (2, 4, 1))
    stepped = proxied_step(bar.shape(), bar.mesh(), notch, "cut")
    assert stepped is not None
    assert volume(stepped[0]) == pytest.approx(38.0) and stepped[1].volume() == pytest.approx(38.0)
    assert proxied_step(bar.shape(), bar.mesh(), Primitive("box", (0, 0, 0), (2, 4, 4)), "cut") is None


def test_generated_models_replay_and_their_proxy_follows_the_solid() -> None:
    for seed in range(3):
        model = csg_model(np.random.default_rng(seed), (3, 6))
        assert volume(replay(model.steps)) == pytest.approx(volume(model.shape), rel=1e-9)
        assert model.mesh.volume() == pytest.approx(volume(model.shape), rel=0.1)  # chords of 15 degrees
        assert len(model.mesh.decompose()) >= 1 and model.mesh.volume() > 0


def test_brep_files_keep_the_solid_that_step_files_change(tmp_path) -> None:
    # CSG seed 4 (3-8 primitives): OpenCASCADE's STEP round trip moves one sphere face's boundary
    model = csg_model(np.random.default_rng(4), (3, 8))
    made = CliRunner().invoke(main, ["csg", "-n", "1", "-o", str(tmp_path / "b"), "--format", "brep"])
    assert made.exit_code == 0, made.output
    assert json.loads((tmp_path / "b" / "csg.json").read_text())["format"] == "brep"
    first = csg_model(np.random.default_rng([0, 0]), (3, 8)).shape
    assert volume(load_shape(tmp_path / "b" / "csg_00000.brep")) == pytest.approx(volume(first), rel=1e-12)
    write_brep(model.shape, tmp_path / "m.brep")
    assert volume(load_shape(tmp_path / "m.brep")) == pytest.approx(volume(model.shape), rel=1e-12)
    write_brep(model.shape, tmp_path / "again.brep")
    assert (tmp_path / "again.brep").read_bytes() == (tmp_path / "m.brep").read_bytes()
    write_step(model.shape, tmp_path / "m.step")
    assert volume(load_shape(tmp_path / "m.step")) > 1.02 * volume(model.shape)


@pytest.mark.parametrize("spec", ["0-3", "5-2", "a-b", "1-2-3", ""])
def test_bad_primitive_ranges(spec: str) -> None:
    with pytest.raises(ValueError, match="range A-B"):
        parse_primitive_range(spec)
    assert parse_primitive_range("4") == (4, 4) and parse_primitive_range("3-8") == (3, 8)


def test_csg_command_is_deterministic_and_resumes(tmp_path) -> None:
    runner = CliRunner()
    args = ["csg", "-n", "3", "--seed", "5", "--primitives", "2-3"]
    assert runner.invoke(main, [*args, "-o", str(tmp_path / "a")]).exit_code == 0
    assert runner.invoke(main, [*args[:2], "2", *args[3:], "-o", str(tmp_path / "b")]).exit_code == 0
    resumed = runner.invoke(main, [*args, "-o", str(tmp_path / "b")])  # builds only the third model
    assert resumed.exit_code == 0, resumed.output
    names = sorted(p.name for p in (tmp_path / "a").glob("*.step"))
    assert names == ["csg_00000.step", "csg_00001.step", "csg_00002.step"]
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    index_a = json.loads((tmp_path / "a" / "csg.json").read_text())
    assert index_a == json.loads((tmp_path / "b" / "csg.json").read_text())
    assert all(2 <= n <= 3 for n in index_a["models"].values()) and len(index_a["models"]) == 3


def test_csg_command_bad_flags_give_one_clear_error(tmp_path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["csg", "-n", "2", "-o", str(tmp_path), "--primitives", "8-3"])
    assert result.exit_code == 2 and "--primitives" in result.output and "Traceback" not in result.output
    assert (
        runner.invoke(main, ["csg", "-n", "1", "-o", str(tmp_path / "m"), "--primitives", "1"]).exit_code == 0
    )
    other = runner.invoke(main, ["csg", "-n", "1", "-o", str(tmp_path / "m"), "--seed", "9"])
    assert other.exit_code == 1 and "holds STEP models of seed 0" in other.output
    as_brep = runner.invoke(main, ["csg", "-n", "1", "-o", str(tmp_path / "m"), "--format", "brep"])
    assert as_brep.exit_code == 1 and "holds STEP models of seed 0, primitives [1, 1]" in as_brep.output
    blocked = tmp_path / "file"
    blocked.write_text("x")
    unwritable = runner.invoke(main, ["csg", "-n", "1", "-o", str(blocked / "sub")])
    assert unwritable.exit_code == 1 and "cannot create output folder" in unwritable.output


def test_the_mesh_kernel_makes_the_occt_kernel_s_choices() -> None:
    """Both kernels take the proxy's decisions: the same seed gives the same primitives (on seed 0
    39 of 40 models; there OpenCASCADE refused a step the proxy kept)."""
    same = 0
    for i in range(10):
        occt = csg_model(np.random.default_rng([0, i]), (3, 8), "occt")
        mesh = csg_model(np.random.default_rng([0, i]), (3, 8), "mesh", draw_segments(200))
        assert mesh.shape is None and mesh.segments == 72 and mesh.fine is not None
        v = volume(occt.shape)
        assert abs(mesh.fine.volume() - v) < 0.01 * v + 0.5  # 72 chords; model 8 is a 13 mm^3 sliver
        same += mesh.steps == occt.steps
    assert same == 10


def test_draw_segments_keep_the_chord_error_under_the_limit() -> None:
    for size in (32, 64, 200, 512, 2048):
        n = draw_segments(size)
        radius = RADIUS_FRACTION * size
        assert n % 8 == 0 and n >= PROXY_SEGMENTS
        assert radius * (1 - np.cos(np.pi / n)) <= CHORD_ERROR_PX + 1e-12
        assert n == PROXY_SEGMENTS or radius * (1 - np.cos(np.pi / (n - 8))) > CHORD_ERROR_PX


def test_fine_step_keeps_inner_voids_and_drops_slivers() -> None:
    box = Primitive("box", (0.0, 0.0, 0.0), (20.0, 20.0, 20.0))
    void = Primitive("sphere", (0.0, 0.0, 0.0), (5.0,))
    proxy, fine = box.mesh(), box.mesh(72)
    stepped = fine_step(proxy, fine, void, "cut", 72)
    assert stepped is not None
    _, cut = stepped
    assert len(cut.decompose()) == 2  # the outer shell and the wall of the void
    assert cut.volume() == pytest.approx(8000 - 4 / 3 * np.pi * 125, rel=2e-3)
    miss = Primitive("box", (40.0, 0.0, 0.0), (5.0, 5.0, 5.0))
    assert fine_step(proxy, fine, miss, "union", 72) is None  # two pieces: the proxy refuses
    # the primitives of the fine mesh are its triangles' groups
    solid = Solid.of_fine(*stepped, 72)
    assert len(np.unique(solid.groups)) == 2 and len(solid.groups) == len(solid.mesh.faces)


def test_exact_step_drops_a_sliver_solid_as_the_proxy_does() -> None:
    box = make_primitive("box", (0.0, 0.0, 0.0), (20.0, 20.0, 20.0))
    # a cut leaving a 0.001-thick wall on one side: the wall is a second solid of 0.4 mm^3 (5e-5 of 8000)
    cutter = make_primitive("box", (0.0005, 0.0, 0.0), (19.999, 30.0, 30.0))
    result = exact_step(box, cutter, "cut")
    assert result is None or len(solids(result)) == 1
