from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from OCP.BRepTools import BRepTools

import render.lines.views
from render.lines.cameras import DEFAULT_VIEWS, camera
from render.lines.drawing import DEFAULT_MARGIN, Frame, rasterize
from render.lines.hlr import MESH_RATIO, model_frame
from render.lines.views import (
    FAILURES_FILE,
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
