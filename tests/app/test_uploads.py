"""Uploads: refused types and sizes, storage only inside the work folder, 11 drawings, the zip."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest
import trimesh

from app import uploads
from render.lines.views import render_file

MB = 2**20


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("../../etc/passwd.step", "passwd"),
        ("C:\\Users\\x\\part 1.STEP", "part_1"),
        (".hidden.stl", "hidden"),
        ("<script>.obj", "script_"),
        ("..", "model"),
        ("a" * 200 + ".ply", "a" * 60),
    ],
)
def test_safe_stem(name: str, safe: str) -> None:
    assert uploads.safe_stem(name) == safe


def test_check_upload() -> None:
    assert uploads.check_upload("Part.STEP", 10, MB) == ".step"
    assert uploads.check_upload("mesh.glb", MB, MB) == ".glb"
    with pytest.raises(uploads.UploadError, match=r"file type \.exe not accepted"):
        uploads.check_upload("x.exe", 10, MB)
    with pytest.raises(uploads.UploadError, match="no extension"):
        uploads.check_upload("step", 10, MB)
    with pytest.raises(uploads.UploadError, match="empty"):
        uploads.check_upload("a.stl", 0, MB)
    with pytest.raises(uploads.UploadError, match=r"2\.0 MB is over the upload limit of 1 MB"):
        uploads.check_upload("a.stl", 2 * MB, MB)


def test_stored_upload_stays_in_work_dir_and_is_removed(tmp_path: Path) -> None:
    work = tmp_path / "work"
    with uploads.stored_upload(b"solid x\nendsolid x\n", "../../escape.stl", work, MB) as path:
        assert path.read_bytes().startswith(b"solid") and path.name == "model.stl"
        assert work.resolve() in path.resolve().parents
        assert not (tmp_path / "escape.stl").exists()
    assert list(work.iterdir()) == []
    with pytest.raises(uploads.UploadError), uploads.stored_upload(b"x", "a.exe", work, MB):
        pass
    assert list(work.iterdir()) == []


def test_render_upload_draw_and_zip(tmp_path: Path) -> None:
    data = trimesh.creation.box((2.0, 1.0, 1.0)).export(file_type="stl")
    result = uploads.render_upload(data, "my box.stl", tmp_path / "work", MB)
    assert list(result.lines) == ["f", "r", "t", "1", "2", "3", "4", "5", "6", "7", "8"]
    assert list((tmp_path / "work").iterdir()) == []
    drawings = uploads.draw(result, size=64, line_width=1.0, hidden="red")
    assert all(img.shape == (64, 64, 3) for img in drawings.images.values())
    # the front view of a 2 x 1 x 1 box is a rectangle twice as wide as high: ink spans 2:1
    ink = np.argwhere(drawings.images["f"].min(axis=2) < 128)
    width, height = np.ptp(ink[:, 1]), np.ptp(ink[:, 0])
    assert width / height == pytest.approx(2.0, rel=0.1)
    # same as drawing the render result of the file directly
    path = tmp_path / "box.stl"
    path.write_bytes(data)
    direct = uploads.draw(render_file(path), size=64, line_width=1.0, hidden="red")
    assert all(np.array_equal(direct.images[k], drawings.images[k]) for k in direct.images)
    archive = zipfile.ZipFile(io.BytesIO(uploads.drawings_zip(drawings, "my_box")))
    names = sorted(archive.namelist())
    assert len(names) == 22 and "my_box_f.png" in names and "my_box_8.svg" in names
    png = cv2.imdecode(np.frombuffer(archive.read("my_box_2.png"), np.uint8), cv2.IMREAD_COLOR)
    assert np.array_equal(cv2.cvtColor(png, cv2.COLOR_BGR2RGB), drawings.images["2"])
    assert archive.read("my_box_t.svg").decode().startswith("<svg")


def test_unreadable_model_is_a_model_error(tmp_path: Path) -> None:
    from render.errors import ModelError

    with pytest.raises(ModelError):
        uploads.render_upload(b"this is not a STEP file", "part.step", tmp_path / "work", MB)
    assert list((tmp_path / "work").iterdir()) == []


def _sleep_then_answer(seconds: float) -> str:
    import time

    time.sleep(seconds)
    return "late"


def _allocate(megabytes: int) -> int:
    return len(bytearray(megabytes * MB))


def test_call_limited_stops_a_render_past_the_time_limit() -> None:
    import multiprocessing
    import time

    start = time.monotonic()
    with pytest.raises(uploads.UploadError, match=r"^big\.stl: not drawn within 1 s") as info:
        uploads.call_limited(_sleep_then_answer, (30.0,), {}, "big.stl", wall_limit=1.0)
    assert time.monotonic() - start < 10 and "\n" not in str(info.value)
    assert multiprocessing.active_children() == []


def test_call_limited_refuses_a_render_past_the_memory_limit() -> None:
    import multiprocessing

    assert uploads.call_limited(_allocate, (8,), {}, "a.stl", wall_limit=30.0, memory_mb=256) == 8 * MB
    with pytest.raises(uploads.UploadError, match=r"^big\.stl: needs more than 64 MB of memory") as info:
        uploads.call_limited(_allocate, (1024,), {}, "big.stl", wall_limit=30.0, memory_mb=64)
    assert "\n" not in str(info.value)
    assert multiprocessing.active_children() == []


def test_render_upload_runs_under_the_limits(tmp_path: Path) -> None:
    data = trimesh.creation.icosphere(subdivisions=4).export(file_type="stl")
    with pytest.raises(uploads.UploadError, match=r"^ball\.stl: not drawn within 0\.01 s"):
        uploads.render_upload(data, "ball.stl", tmp_path / "work", MB, wall_limit=0.01)
    assert list((tmp_path / "work").iterdir()) == []
    with pytest.raises(uploads.UploadError, match=r"^ball\.stl: (needs more than 1 MB|the renderer stopped)"):
        uploads.render_upload(data, "ball.stl", tmp_path / "work", MB, memory_mb=1)
    assert list((tmp_path / "work").iterdir()) == []


def test_render_upload_exact_route_runs_its_own_worker(tmp_path: Path, holed_box) -> None:
    from render.models.csg import write_step

    path = tmp_path / "part.step"
    write_step(holed_box, path)
    result = uploads.render_upload(path.read_bytes(), "part.step", tmp_path / "work", MB, "exact")
    assert result.method == "exact" and len(result.lines) == 11
