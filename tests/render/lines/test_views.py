from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import warnings
from pathlib import Path

import cv2
import numpy as np
import pytest
from OCP.BRepTools import BRepTools

import render.lines.views
from render.errors import ModelError
from render.lines.cameras import DEFAULT_VIEWS, camera
from render.lines.drawing import DEFAULT_MARGIN, Frame, rasterize
from render.lines.hlr import MESH_RATIO, model_frame
from render.lines.views import (
    FAILURES_FILE,
    model_budget,
    output_stems,
    render_file,
    render_folder,
    render_shape,
    write_views,
)
from render.models.brep import BREP_FILE_SUFFIXES, load_shape

SCREW = Path("build123d") / "M6-1x12-countersunk-screw.step"


def _brep_parts(root: Path) -> list[Path]:
    return sorted(
        p for p in root.rglob("*") if p.suffix.lower() in BREP_FILE_SUFFIXES and p.name != SCREW.name
    )


def _assert_all_views_drawn(parts: list[Path], method: str) -> None:
    for part in parts:
        # A short limit keeps the test fast: slow parts (bottle.brep) take the polygonal fallback.
        result = render_file(part, DEFAULT_VIEWS, method, time_limit=1.0, hidden=False)
        assert list(result.lines) == list(DEFAULT_VIEWS)
        for key, lines in result.lines.items():
            image = rasterize(lines, camera(key), result.frame, 64, line_width=1.0)
            assert (image.min(axis=2) < 128).sum() >= 20, f"{part.name} view {key} is blank"


def test_every_sample_part_renders_all_views_non_blank(samples_dir: Path) -> None:
    breps = _brep_parts(samples_dir)
    assert len(breps) == 12
    _assert_all_views_drawn(breps, "exact")
    _assert_all_views_drawn(sorted(samples_dir.glob("*.stl")), "auto")


def test_every_real_brep_part_renders_all_views_non_blank(realcad: Path) -> None:
    parts = _brep_parts(realcad)
    assert len(parts) >= 15
    _assert_all_views_drawn(parts, "exact")


def test_exact_hlr_over_its_time_limit_falls_back_to_polygonal_hlr(samples_dir: Path) -> None:
    # Exact HLR of the pulley's 11 views takes about 0.3 s: a 0.05 s limit runs out.
    start = time.perf_counter()
    result = render_file(samples_dir / "pulley.step", DEFAULT_VIEWS, "exact", time_limit=0.05)
    elapsed = time.perf_counter() - start
    assert result.method == "poly (fallback after 0.05s)"
    assert elapsed < 0.05 + 3.0  # limit + loading and the polygonal views
    assert all(len(v.visible) > 0 for v in result.lines.values())


def test_threaded_screw_finishes_under_its_time_limit_through_the_fallback(realcad: Path) -> None:
    start = time.perf_counter()
    result = render_file(realcad / SCREW, DEFAULT_VIEWS, "exact", time_limit=2.0)
    elapsed = time.perf_counter() - start
    assert result.method == "poly (fallback after 2s)"
    assert elapsed < 2.0 + 3.0  # limit + loading and the polygonal views
    assert all(len(v.visible) > 0 for v in result.lines.values())


def _stroke_widths(image: np.ndarray) -> np.ndarray:
    """Ink across each row through the middle half of the drawing, left half only (one vertical edge)."""
    ink = (255 - image.min(axis=2).astype(float)) / 255
    n = len(ink)
    return ink[n // 4 : 3 * n // 4, : n // 2].sum(axis=1)


@pytest.mark.parametrize("method", ["exact", "poly"])
def test_line_width_in_pixels_is_the_same_for_a_model_and_the_model_scaled_10x(make_box, method: str) -> None:
    widths = []
    for scale in (1.0, 10.0):
        box = make_box((0, 0, 0), (scale, scale, scale))
        lines = render_shape(box, ["f"], method)["f"]
        widths.append(_stroke_widths(rasterize(lines, camera("f"), model_frame(box), 200, line_width=3.0)))
    np.testing.assert_allclose(widths[0], 3.0, atol=0.15)
    np.testing.assert_allclose(widths[1], widths[0], atol=0.05)


def test_given_frame_is_shared(make_box, tmp_path: Path) -> None:
    path = tmp_path / "box.brep"
    BRepTools.Write_s(make_box((0, 0, 0), (1, 1, 1)), str(path))
    frame = Frame((0.5, 0.5, 0.5), 10.0)  # 5.9 x the default side: the box is drawn 20 px wide
    result = render_file(path, ["f"], "poly", frame=frame)
    assert result.frame == frame
    cols = np.nonzero(rasterize(result.lines["f"], camera("f"), frame, 200).min(axis=(0, 2)) < 128)[0]
    assert cols.max() - cols.min() == pytest.approx(20, abs=2)


def test_write_views_writes_png_and_svg_per_view_atomically(make_box, tmp_path: Path) -> None:
    path = tmp_path / "box.brep"
    BRepTools.Write_s(make_box((0, 0, 0), (1, 2, 3)), str(path))
    result = render_file(path, ["f", "2"], "exact")
    written = write_views(result, tmp_path / "out", "box", size=64, formats=("png", "svg"))
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["box_2.png", "box_2.svg", "box_f.png", "box_f.svg"]
    assert sorted(p.name for p in written) == names  # and no temp files left
    umask = os.umask(0)
    os.umask(umask)
    assert all(p.stat().st_mode & 0o777 == 0o666 & ~umask for p in written)  # usual permissions
    image = cv2.imread(str(tmp_path / "out" / "box_f.png"))
    assert image.shape == (64, 64, 3) and (image < 128).any()
    assert cv2.imread(str(tmp_path / "out" / "box_f.png"), cv2.IMREAD_UNCHANGED).ndim == 2  # black on white
    write_views(result, tmp_path / "red", "box", size=64, hidden="red")
    red = cv2.imread(str(tmp_path / "red" / "box_2.png"), cv2.IMREAD_UNCHANGED)
    assert red.shape == (64, 64, 3) and ((red[..., 2].astype(int) - red[..., 1]) > 100).any()  # BGR
    assert (tmp_path / "out" / "box_2.svg").read_text().startswith("<svg")


def test_folder_batch_records_failures_carries_on_and_resumes(make_box, tmp_path: Path) -> None:
    models = tmp_path / "models"
    (models / "sub").mkdir(parents=True)
    BRepTools.Write_s(make_box((0, 0, 0), (1, 2, 3)), str(models / "box.brep"))
    BRepTools.Write_s(make_box((0, 0, 0), (3, 2, 1)), str(models / "sub" / "flat.BREP"))
    (models / "broken.step").write_text("ISO-10303-21;\nnot a step file\n")
    (models / "notes.txt").write_text("not a model")
    out = tmp_path / "out"
    report = render_folder(models, out, ["f", "t"], "auto", workers=2, progress=False)
    assert sorted(Path(p).name for p in report.rendered) == ["box.brep", "flat.BREP"]
    assert report.methods == {str(models / "box.brep"): "mesh", str(models / "sub" / "flat.BREP"): "mesh"}
    failures = json.loads((out / FAILURES_FILE).read_text())
    assert failures == [{"file": str(models / "broken.step"), "reason": "unreadable or corrupt STEP file"}]
    assert (out / "box_t.png").is_file() and (out / "sub" / "flat_f.png").is_file()
    again = render_folder(models, out, ["f", "t"], "auto", workers=1, progress=False)
    assert again.rendered == [] and len(again.skipped) == 2 and len(again.failures) == 1


def test_output_stems_disambiguate_models_with_the_same_name(tmp_path: Path) -> None:
    models = [tmp_path / "part.STEP", tmp_path / "part.STL", tmp_path / "a" / "part.step"]
    assert output_stems(models, tmp_path) == {
        models[0]: "part_step",
        models[1]: "part_stl",
        models[2]: str(Path("a") / "part"),
    }


def test_line_routes_load_with_render_views_and_trimesh_only_for_mesh_files() -> None:
    # Batch workers are forked from the process that imported render.lines.views: they must inherit the
    # mesh route's modules instead of importing them per model; trimesh costs ~0.5 s and only
    # mesh files need it.
    code = (
        "import sys, render.lines.views; "
        "print('render.lines.tessellate' in sys.modules, 'trimesh' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["True", "False"]


def test_meshes_take_the_mesh_route(samples_dir: Path) -> None:
    result = render_file(samples_dir / "hex_nut.stl", ["f", "1"], "auto")
    assert result.method == "mesh" and all(v.visible for v in result.lines.values())


@pytest.mark.parametrize("name", ["pulley.step", "shaft.step"])
def test_mesh_route_frames_the_model_by_its_triangulation_within_the_chord_error(
    samples_dir: Path, name: str
) -> None:
    path = samples_dir / name
    tight = model_frame(load_shape(path))
    frame = render_file(path, ["f"], "mesh").frame
    chord = MESH_RATIO * tight.side * 1.5  # the route sizes the chord error on the loose box
    assert tight.side - 2 * DEFAULT_MARGIN * chord <= frame.side <= tight.side
    np.testing.assert_allclose(frame.center, tight.center, atol=chord)


def test_auto_draws_breps_through_the_mesh_route_and_falls_back_to_poly(
    make_box, tmp_path, monkeypatch
) -> None:
    path = tmp_path / "box.brep"
    BRepTools.Write_s(make_box((0, 0, 0), (1, 2, 3)), str(path))
    assert render_file(path, ["f"], "auto").method == "mesh"

    def broken(*args, **kwargs):
        raise RuntimeError("no triangulation")

    monkeypatch.setattr(render.lines.views, "tessellate", broken)
    result = render_file(path, ["f"], "auto")
    assert result.method == "poly (fallback: mesh failed: no triangulation)"
    assert len(result.lines["f"].visible) > 0


def test_folder_batch_survives_a_model_that_crashes_its_worker(make_box, tmp_path, monkeypatch) -> None:

    models = tmp_path / "models"
    models.mkdir()
    for name in ("a.brep", "crash.brep", "c.brep"):
        BRepTools.Write_s(make_box((0, 0, 0), (1, 2, 3)), str(models / name))
    render_one = render.lines.views.render_file

    def crash_on_one(path, *args, **kwargs):
        if Path(path).name == "crash.brep":
            os._exit(11)  # what a segfault in native code looks like from outside
        return render_one(path, *args, **kwargs)

    monkeypatch.setattr(render.lines.views, "render_file", crash_on_one)  # forked workers inherit it
    report = render_folder(models, tmp_path / "out", ["f"], "poly", workers=2, progress=False)
    assert sorted(Path(p).name for p in report.rendered) == ["a.brep", "c.brep"]
    assert report.failures == [
        {
            "file": str(models / "crash.brep"),
            "reason": "crashed while rendering: worker process died (exit code 11)",
        }
    ]


def test_folder_batch_stops_a_model_that_overruns_its_time_limit(make_box, tmp_path, monkeypatch) -> None:

    models = tmp_path / "models"
    models.mkdir()
    for name in ("a.brep", "hang.brep"):
        BRepTools.Write_s(make_box((0, 0, 0), (1, 2, 3)), str(models / name))
    render_one = render.lines.views.render_file

    def hang_on_one(path, *args, **kwargs):
        if Path(path).name == "hang.brep":
            time.sleep(60)  # stands for native code that never returns
        return render_one(path, *args, **kwargs)

    monkeypatch.setattr(render.lines.views, "render_file", hang_on_one)
    start = time.perf_counter()
    report = render_folder(models, tmp_path / "out", ["f"], "poly", time_limit=1.0, workers=1, progress=False)
    assert time.perf_counter() - start < 10
    assert [Path(p).name for p in report.rendered] == ["a.brep"]
    assert report.failures == [
        {"file": str(models / "hang.brep"), "reason": "took longer than its time limit (1 s)"}
    ]


def _pocketed_box_file(tmp_path: Path) -> Path:
    """A 4 x 4 x 4 box with a pocket cut from the back (y = 4) down to y = 1, as a BREP file: from the
    front the pocket's floor edges x = 1, 3 (z from 1 to 3) are hidden behind the face y = 0."""
    from OCP.BRepAlgoAPI import BRepAlgoAPI_Cut
    from OCP.BRepPrimAPI import BRepPrimAPI_MakeBox
    from OCP.gp import gp_Pnt

    box = BRepPrimAPI_MakeBox(gp_Pnt(0, 0, 0), 4, 4, 4).Shape()
    shape = BRepAlgoAPI_Cut(box, BRepPrimAPI_MakeBox(gp_Pnt(1, 1, 1), 2, 4, 2).Shape()).Shape()
    path = tmp_path / "pocketed.brep"
    BRepTools.Write_s(shape, str(path))
    return path


def _pocket_floor_drawn(lines) -> bool:
    return any(
        np.sum((np.abs(p[:, 0] - x) < 1e-6) & (p[:, 1] > 1 - 1e-6) & (p[:, 1] < 3 + 1e-6)) >= 2
        for p in lines.visible
        for x in (1.0, 3.0)
    )


@pytest.fixture
def mesher_skips_the_front_face(monkeypatch):
    """BRepMesh, through the mesh route (either kernel), leaves the face at y = 0 without triangles."""
    from OCP.Bnd import Bnd_Box
    from OCP.BRep import BRep_Builder
    from OCP.BRepBndLib import BRepBndLib
    from OCP.TopAbs import TopAbs_FACE
    from OCP.TopExp import TopExp_Explorer
    from OCP.TopoDS import TopoDS

    import render.lines.tessellate

    real = render.lines.tessellate.triangulate

    def triangulate(shape, deflection, *args):
        real(shape, deflection, *args)
        explorer = TopExp_Explorer(shape, TopAbs_FACE)
        while explorer.More():
            box = Bnd_Box()
            BRepBndLib.Add_s(explorer.Current(), box)
            if box.CornerMax().Y() < 1e-6:
                BRep_Builder().UpdateFace(TopoDS.Face(explorer.Current()), None)
            explorer.Next()

    monkeypatch.setattr(render.lines.tessellate, "triangulate", triangulate)


def test_auto_sends_a_model_with_untriangulated_faces_to_exact_hlr_and_says_so(
    tmp_path, mesher_skips_the_front_face
) -> None:
    path = _pocketed_box_file(tmp_path)
    result = render_file(path, ["f", "1"], "auto")
    assert re.fullmatch(
        r"exact \(fallback: BRepMesh left 1 of \d+ faces untriangulated, open mesh edges \d+ px long\)",
        result.method,
    )
    assert not _pocket_floor_drawn(result.lines["f"]) and result.lines["f"].hidden
    # Past the time limit of exact HLR, polygonal HLR (which meshes the shape afresh) draws it.
    late = render_file(path, ["f"], "auto", time_limit=1e-3)
    assert re.fullmatch(
        r"poly \(fallback: BRepMesh left 1 of \d+ faces .*; exact after 0.001s\)", late.method
    )
    assert not _pocket_floor_drawn(late.lines["f"])
    with pytest.raises(ModelError, match=r"mesh route: BRepMesh left 1 of \d+ faces untriangulated"):
        render_file(path, ["f"], "mesh")


def test_folder_batch_counts_the_exact_fallback(tmp_path, mesher_skips_the_front_face) -> None:
    models = tmp_path / "models"
    models.mkdir()
    _pocketed_box_file(models)
    report = render_folder(models, tmp_path / "out", ["f"], "auto", workers=1, progress=False)
    assert report.failures == []
    assert [m.split(" (")[0] for m in report.methods.values()] == ["exact"]
    assert model_budget("auto", 20.0) == model_budget("exact", 20.0) == 50.0


def test_auto_draws_a_complete_mesh_through_the_mesh_route(tmp_path) -> None:
    result = render_file(_pocketed_box_file(tmp_path), ["f"], "auto")
    assert result.method == "mesh" and not _pocket_floor_drawn(result.lines["f"])


def write_wire_iges(path: Path) -> Path:
    """An IGES file of edges only, no faces: a 4 x 3 rectangle in the plane y = 0 and a radius-1 circle."""
    from OCP.BRep import BRep_Builder
    from OCP.BRepBuilderAPI import BRepBuilderAPI_MakeEdge, BRepBuilderAPI_MakePolygon
    from OCP.gp import gp_Ax2, gp_Circ, gp_Dir, gp_Pnt
    from OCP.IGESControl import IGESControl_Writer
    from OCP.TopoDS import TopoDS_Compound

    builder, compound = BRep_Builder(), TopoDS_Compound()
    builder.MakeCompound(compound)
    corners = [gp_Pnt(0, 0, 0), gp_Pnt(4, 0, 0), gp_Pnt(4, 0, 3), gp_Pnt(0, 0, 3)]
    builder.Add(compound, BRepBuilderAPI_MakePolygon(*corners, True).Wire())
    circle = gp_Circ(gp_Ax2(gp_Pnt(2, 1, 1.5), gp_Dir(0, 1, 0)), 1.0)
    builder.Add(compound, BRepBuilderAPI_MakeEdge(circle).Edge())
    writer = IGESControl_Writer("MM", 0)
    writer.AddShape(compound)
    writer.ComputeModel()
    assert writer.Write(str(path))
    return path


@pytest.mark.parametrize("method", ["auto", "mesh", "exact", "poly"])
def test_wire_only_iges_is_drawn_as_its_wires_without_warnings(tmp_path, method: str) -> None:
    path = write_wire_iges(tmp_path / "wires.igs")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = render_file(path, ["f", "1"], method)
    assert result.method == ("mesh" if method == "auto" else method)
    points = np.vstack(result.lines["f"].visible)
    assert not result.lines["f"].hidden  # nothing hides a wire
    np.testing.assert_allclose(points.min(axis=0), [0, 0], atol=1e-3)
    np.testing.assert_allclose(points.max(axis=0), [4, 3], atol=1e-3)
    circle = np.abs(np.hypot(points[:, 0] - 2, points[:, 1] - 1.5) - 1) < 1e-2
    assert circle.sum() >= 8


def test_render_views_on_a_wire_only_iges_prints_no_warning(tmp_path) -> None:
    path = write_wire_iges(tmp_path / "wires.igs")
    argv = ["render", "views", str(path), "-o", str(tmp_path / "out"), "--views", "f,1"]
    code = f"import sys; from render.cli import main; sys.argv = {argv!r}; main()"
    run = subprocess.run([sys.executable, "-W", "default", "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stderr == "" and "Warning" not in run.stdout
    assert run.stdout.count("\n") == 1 and ": 2 files in " in run.stdout and "(mesh, " in run.stdout
    assert (tmp_path / "out" / "wires_f.png").is_file()


def _ink_box(path: Path) -> np.ndarray:
    """(column min, row min, column max, row max) of the drawn pixels of a PNG."""
    rows, cols = np.nonzero(cv2.imread(str(path), cv2.IMREAD_GRAYSCALE) < 128)
    return np.array([cols.min(), rows.min(), cols.max(), rows.max()], float)


def test_center_each_centres_every_drawing_at_the_same_scale(make_box, tmp_path: Path) -> None:
    from OCP.BRepAlgoAPI import BRepAlgoAPI_Fuse

    # An L of two boxes: its isometric drawings sit off the middle when framed on the box centre.
    shape = BRepAlgoAPI_Fuse(make_box((0, 0, 0), (4, 1, 1)), make_box((0, 0, 0), (1, 1, 4))).Shape()
    path = tmp_path / "ell.brep"
    BRepTools.Write_s(shape, str(path))
    result = render_file(path, ["f", "1", "3"], "auto")
    shared = write_views(result, tmp_path / "shared", "ell")
    centred = write_views(result, tmp_path / "centred", "ell", center_each=True)
    offsets = []
    for a, b in zip(shared, centred, strict=True):
        box_a, box_b = _ink_box(a), _ink_box(b)
        np.testing.assert_allclose(box_b[2:] - box_b[:2], box_a[2:] - box_a[:2], atol=1)  # same scale
        assert np.abs((box_b[:2] + box_b[2:]) / 2 - 99.5).max() <= 1.0  # centred
        offsets.append(np.abs((box_a[:2] + box_a[2:]) / 2 - 99.5).max())
    assert max(offsets) > 10  # framed on the box centre, the isometric drawings were off the middle
    svg = write_views(result, tmp_path / "svg", "ell", formats=["svg"], center_each=True)
    assert len(svg) == 3


def test_render_views_center_each_option(make_box, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from render.cli import main

    path = tmp_path / "box.brep"
    BRepTools.Write_s(make_box((0, 0, 0), (4, 1, 1)), str(path))
    out = tmp_path / "out"
    run = CliRunner().invoke(main, ["views", str(path), "-o", str(out), "--views", "1", "--center-each"])
    assert run.exit_code == 0, run.output
    box = _ink_box(out / "box_1.png")
    assert np.abs((box[:2] + box[2:]) / 2 - 99.5).max() <= 1.0
