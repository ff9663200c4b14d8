from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from OCP.BRep import BRep_Builder
from OCP.BRepTools import BRepTools
from OCP.TopoDS import TopoDS_Compound

from render.brep import load_shape, model_frame, shape_bounds
from render.errors import ModelError


def test_bounds_are_tight_and_frame_is_margin_times_largest_edge(make_box) -> None:
    box = make_box((1, -2, 3), (2, 4, 8))
    lo, hi = shape_bounds(box)
    np.testing.assert_allclose(lo, [1, -2, 3], atol=1e-6)
    np.testing.assert_allclose(hi, [3, 2, 11], atol=1e-6)
    frame = model_frame(box, margin=1.5)
    assert frame.side == pytest.approx(12.0)
    np.testing.assert_allclose(frame.center, [2, 0, 7], atol=1e-6)


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


def test_reads_step(realcad: Path) -> None:
    lo, hi = shape_bounds(load_shape(realcad / "trimesh" / "featuretype.STEP"))
    assert np.all(hi - lo > 0)


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
