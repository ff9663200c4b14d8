from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from OCP.BRep import BRep_Builder
from OCP.BRepTools import BRepTools
from OCP.TopoDS import TopoDS_Compound

from render.cli import main


def _empty_brep(path: Path) -> None:
    compound = TopoDS_Compound()
    BRep_Builder().MakeCompound(compound)
    BRepTools.Write_s(compound, str(path))


def _flat_stl(path: Path) -> None:
    path.write_text(
        "solid flat\n facet normal 0 0 1\n  outer loop\n   vertex 0 0 0\n   vertex 1 0 0\n   vertex 0 1 0\n"
        "  endloop\n endfacet\n facet normal 0 0 1\n  outer loop\n   vertex 1 0 0\n   vertex 1 1 0\n"
        "   vertex 0 1 0\n  endloop\n endfacet\nendsolid flat\n"
    )


@pytest.mark.parametrize(
    ("name", "make", "problem"),
    [
        ("missing.step", None, "no such file"),
        ("model.dwg", lambda p: p.write_bytes(b"AC1032"), "unknown extension '.dwg'"),
        (
            "corrupt.step",
            lambda p: p.write_bytes(b"ISO-10303-21;\n\x00garbage\xff\n"),
            "unreadable or corrupt STEP",
        ),
        ("empty.brep", _empty_brep, "empty shape"),
        ("flat.stl", _flat_stl, "zero volume"),
    ],
)
def test_bad_model_gives_one_error_line_and_exit_code_1(
    tmp_path: Path, name: str, make, problem: str
) -> None:
    path = tmp_path / name
    if make:
        make(path)
    result = CliRunner().invoke(main, ["views", str(path), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {path}: ") and problem in lines[0]
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_bad_flag_is_a_usage_error(make_box, tmp_path: Path) -> None:
    path = tmp_path / "box.brep"
    BRepTools.Write_s(make_box((0, 0, 0), (1, 1, 1)), str(path))
    result = CliRunner().invoke(main, ["views", str(path), "-o", str(tmp_path), "--views", "f,x"])
    assert result.exit_code == 2 and "unknown view 'x'" in result.stderr


def test_single_model_writes_every_view_and_format(make_box, tmp_path: Path) -> None:
    path = tmp_path / "box.brep"
    BRepTools.Write_s(make_box((0, 0, 0), (1, 2, 3)), str(path))
    out = tmp_path / "out"
    args = ["views", str(path), "-o", str(out), "--views", "f,r,t,1", "--format", "png,svg", "--size", "50"]
    result = CliRunner().invoke(main, [*args, "--hidden", "dashed", "--line-width", "2"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"box_{v}.{f}" for v in "frt1" for f in ("png", "svg")
    )
    assert "8 files" in result.stdout and "(mesh, " in result.stdout


def test_folder_reports_failures_and_exits_3_when_something_rendered(make_box, tmp_path: Path) -> None:
    models = tmp_path / "models"
    models.mkdir()
    BRepTools.Write_s(make_box((0, 0, 0), (1, 2, 3)), str(models / "box.brep"))
    (models / "corrupt.stp").write_bytes(b"garbage")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["views", str(models), "-o", str(out), "--views", "f", "--method", "poly"]
    )
    assert result.exit_code == 3, result.output
    assert "rendered 1 models" in result.stdout and "1 failed" in result.stdout
    assert [f["file"] for f in json.loads((out / "failures.json").read_text())] == [
        str(models / "corrupt.stp")
    ]
    assert (out / "box_f.png").is_file()


def test_folder_where_nothing_renders_exits_1(tmp_path: Path) -> None:
    models = tmp_path / "models"
    models.mkdir()
    (models / "corrupt.step").write_bytes(b"garbage")
    result = CliRunner().invoke(main, ["views", str(models), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1 and "error:" in result.stderr and "1 failed" in result.stdout
