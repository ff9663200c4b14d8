from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from OCP.BRep import BRep_Builder
from OCP.BRepCheck import BRepCheck_Analyzer
from OCP.BRepGProp import BRepGProp
from OCP.BRepTools import BRepTools
from OCP.GProp import GProp_GProps
from OCP.STEPControl import STEPControl_Reader
from OCP.TopoDS import TopoDS_Compound, TopoDS_Shape

from render.datasets.samples import BRACKET
from render.errors import ModelError
from render.lines.hlr import model_frame
from render.lines.views import render_shape
from render.models.brep import (
    OCCT_STEP_PROCESSOR,
    OCCT_WRITTEN_SKIPPED_FIXES,
    load_shape,
    shape_bounds,
    skip_fixes,
    written_by_occt,
)
from render.models.csg import Primitive, random_csg, replay, write_step
from render.workers.timelimit import call_with_time_limit


def test_bounds_are_tight_and_frame_is_margin_times_largest_edge(make_box) -> None:
    box = make_box((1, -2, 3), (2, 4, 8))
    lo, hi = shape_bounds(box)
    np.testing.assert_allclose(lo, [1, -2, 3], atol=1e-6)
    np.testing.assert_allclose(hi, [3, 2, 11], atol=1e-6)
    frame = model_frame(box, margin=1.5)
    assert frame.side == pytest.approx(12.0)
    np.testing.assert_allclose(frame.center, [2, 0, 7], atol=1e-6)


def _assert_loose_bounds_contain_the_tight_ones(paths: list[Path]) -> None:
    for path in paths:
        shape = load_shape(path)
        (lo, hi), (loose_lo, loose_hi) = shape_bounds(shape), shape_bounds(shape, precise=False)
        assert np.all(loose_lo <= lo + 1e-9) and np.all(loose_hi >= hi - 1e-9)
        assert np.max(loose_hi - loose_lo) <= 1.5 * np.max(hi - lo)


def test_loose_bounds_contain_the_tight_ones(samples_dir: Path) -> None:
    _assert_loose_bounds_contain_the_tight_ones(
        [samples_dir / f"{n}.step" for n in ("pulley", "shaft", "bracket")]
    )


def test_loose_bounds_contain_the_tight_ones_on_real_parts(realcad: Path) -> None:
    _assert_loose_bounds_contain_the_tight_ones(
        [realcad / "trimesh" / "featuretype.STEP", realcad / "occt" / "screw.step"]
    )


def test_brep_round_trip_with_uppercase_extension(make_box, tmp_path: Path) -> None:
    path = tmp_path / "box.BREP"
    assert BRepTools.Write_s(make_box((0, 0, 0), (1, 2, 3)), str(path))
    lo, hi = shape_bounds(load_shape(path))
    np.testing.assert_allclose(hi - lo, [1, 2, 3], atol=1e-6)


def test_iges_round_trip(make_box, tmp_path: Path) -> None:
    from OCP.IGESControl import IGESControl_Writer

    writer = IGESControl_Writer("MM", 1)  # mode 1: faces as B-rep solids
    writer.AddShape(make_box((1, 2, 3), (4, 5, 6)))
    writer.ComputeModel()
    path = tmp_path / "box.IGS"
    assert writer.Write(str(path))
    lo, hi = shape_bounds(load_shape(path))
    np.testing.assert_allclose(lo, [1, 2, 3], atol=1e-5)
    np.testing.assert_allclose(hi, [5, 7, 9], atol=1e-5)


def test_reads_step_to_the_part_s_dimensions(samples_dir: Path) -> None:
    s = BRACKET
    lo, hi = shape_bounds(load_shape(samples_dir / "bracket.step"))
    np.testing.assert_allclose(np.hstack([lo, hi]), [0, 0, 0, s.length, s.depth, s.height], atol=1e-6)


def test_reads_step(realcad: Path) -> None:
    lo, hi = shape_bounds(load_shape(realcad / "trimesh" / "featuretype.STEP"))
    assert np.all(hi - lo > 0)


def _read_step(path: Path, light: bool) -> tuple[TopoDS_Shape, bool]:
    reader = STEPControl_Reader()
    reader.ReadFile(str(path))
    occt = written_by_occt(reader)
    if light:
        skip_fixes(reader, OCCT_WRITTEN_SKIPPED_FIXES)
    reader.TransferRoots()
    return reader.OneShape(), occt


def _volume(shape: TopoDS_Shape) -> float:
    props = GProp_GProps()
    BRepGProp.VolumeProperties_s(shape, props)
    return props.Mass()


def test_occt_written_step_reads_with_light_healing_to_the_same_valid_solid(tmp_path: Path) -> None:
    for seed in range(4):
        path = tmp_path / f"csg_{seed}.step"
        write_step(random_csg(np.random.default_rng(seed), (3, 8)), path)
        healed, occt = _read_step(path, light=False)
        light = load_shape(path)
        assert occt
        assert BRepCheck_Analyzer(light).IsValid() == BRepCheck_Analyzer(healed).IsValid()
        assert _volume(light) == pytest.approx(_volume(healed), rel=1e-9)


# CSG seed 4 of session 2's generator, as (operation, kind, centre, size, axis) steps.
WIRE_FIX_SOLID = [
    ("base", "sphere", (9, 5, 10), (24.5,), (0, 0, 1)),
    ("cut", "box", (5, 3, 9), (7, 26, 46), (0, 0, 1)),
    ("union", "cylinder", (10, 10, 10), (11, 38), (0, -1, 0)),
    ("cut", "sphere", (5, 6, 3), (18.5,), (0, 0, 1)),
    ("cut", "cone", (5, 6, 0), (8.5, 50), (1, 0, 0)),
    ("union", "cylinder", (1, 5, 4), (7, 42), (-1, 0, 0)),
    ("union", "sphere", (7, 5, 5), (10.5,), (0, 0, 1)),
]


def test_exact_hlr_finishes_on_a_light_healed_solid_that_needs_wire_orientation_fixes(tmp_path: Path) -> None:
    # Without the wire orientation fix, exact HLR of this solid never returns.
    path = tmp_path / "csg_4.step"
    write_step(
        replay([(op, Primitive(kind, c, size, axis)) for op, kind, c, size, axis in WIRE_FIX_SOLID]), path
    )
    lines = call_with_time_limit(render_shape, load_shape(path), ("r",), "exact", None, False, time_limit=20)
    assert lines["r"].visible


def test_only_files_written_by_occt_skip_fixes(samples_dir: Path, tmp_path: Path) -> None:
    path = samples_dir / "shaft.step"
    text = path.read_text()
    foreign = tmp_path / "shaft.step"  # the same file as another CAD system's export
    foreign.write_text(text.replace(OCCT_STEP_PROCESSOR, "EUCLID STEP processor"))
    assert _read_step(path, light=False)[1]
    assert not _read_step(foreign, light=False)[1]
    assert _volume(load_shape(foreign)) == pytest.approx(_volume(load_shape(path)), rel=1e-9)


def test_only_files_written_by_occt_skip_fixes_on_real_parts(realcad: Path) -> None:
    assert _read_step(realcad / "build123d" / "M6-1x12-countersunk-screw.step", light=False)[1]
    assert not _read_step(realcad / "occt" / "screw.step", light=False)[1]  # written by EUCLID


def _empty_brep(path: Path) -> Path:
    compound = TopoDS_Compound()
    BRep_Builder().MakeCompound(compound)
    BRepTools.Write_s(compound, str(path))
    return path


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("missing.step", None, "no such file"),
        ("model.xyz", b"solid", "unknown extension '.xyz'"),
        ("garbage.step", b"ISO-10303-21;\nthis is not a step file\n", "unreadable or corrupt STEP file"),
        ("garbage.igs", b"\x00\x01 not iges at all", "IGES"),
        ("garbage.brep", b"\x00\xff random bytes", "unreadable or corrupt BREP file"),
        ("empty.brep", "empty", "empty shape"),
    ],
)
def test_bad_inputs_raise_one_line_model_error(tmp_path: Path, name: str, content, problem: str) -> None:
    path = tmp_path / name
    if content == "empty":
        _empty_brep(path)
    elif content is not None:
        path.write_bytes(content)
    with pytest.raises(ModelError) as info:
        load_shape(path)
    message = str(info.value)
    assert message.startswith(str(path)) and problem in message
    assert "\n" not in message
