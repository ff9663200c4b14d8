"""Uploaded CAD models and meshes: checked, stored only inside the work folder, drawn in 11 views, zipped.

The uploaded file name is never used as a path: it is checked for an allowed extension and the bytes
are written to `model<ext>` in a fresh temporary folder under the work folder, which is removed once
the drawings are made. The name is only shown (and used for the zip's name) after sanitizing.
"""

from __future__ import annotations

import io
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePath

import cv2
import numpy as np

from render.cameras import DEFAULT_VIEWS, camera
from render.drawing import HiddenStyle, rasterize, to_svg
from render.views import MODEL_SUFFIXES, RenderResult, render_file

ALLOWED_EXTENSIONS: tuple[str, ...] = tuple(sorted({s.lower() for s in MODEL_SUFFIXES}))
VIEW_TITLES: dict[str, str] = {"f": "front", "r": "right", "t": "top"} | {
    str(k): f"pose {k}" for k in range(1, 9)
}


class UploadError(ValueError):
    """An upload that is refused (type, size, empty); str() is one line for the page."""


def safe_stem(name: str, max_len: int = 60) -> str:
    """A display / download name from an uploaded file name: its last path part, without extension,
    reduced to letters, digits, '-', '_' and '.', no leading dots, at most `max_len` characters."""
    stem = PurePath(name.replace("\\", "/")).stem
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", stem).lstrip("._")[:max_len]
    return stem or "model"


def display_name(name: str) -> str:
    """The sanitized stem of an uploaded name plus its lower-case extension (for messages)."""
    return safe_stem(name) + PurePath(name.replace("\\", "/")).suffix.lower()


def check_upload(name: str, size: int, max_bytes: int) -> str:
    """The lower-case extension of an acceptable upload; UploadError saying why it is refused."""
    suffix = PurePath(name.replace("\\", "/")).suffix.lower()
    if suffix not in ALLOWED_EXTENSIONS:
        shown = suffix or "no extension"
        raise UploadError(
            f"{safe_stem(name)}: file type {shown} not accepted; allowed: {' '.join(ALLOWED_EXTENSIONS)}"
        )
    if size <= 0:
        raise UploadError(f"{safe_stem(name)}{suffix}: the file is empty")
    if size > max_bytes:
        raise UploadError(
            f"{safe_stem(name)}{suffix}: {size / 2**20:.1f} MB is over the upload limit"
            f" of {max_bytes / 2**20:g} MB"
        )
    return suffix


@contextmanager
def stored_upload(data: bytes, name: str, work_dir: Path, max_bytes: int) -> Iterator[Path]:
    """Write an upload to <work_dir>/<fresh temp folder>/model<ext>; yields the path, removes the folder."""
    suffix = check_upload(name, len(data), max_bytes)
    work_dir = Path(work_dir).resolve()
    work_dir.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="upload-", dir=work_dir))
    try:
        path = folder / f"model{suffix}"
        if work_dir not in path.resolve().parents:
            raise UploadError(f"refusing to write outside the work folder {work_dir}")
        path.write_bytes(data)
        yield path
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@dataclass
class Drawings:
    """The drawings of one upload: RGB images and SVG text per view, and how they were made."""

    images: dict[str, np.ndarray]
    svgs: dict[str, str]
    method: str
    seconds: float


def draw(
    result: RenderResult, size: int = 200, line_width: float = 1.5, hidden: HiddenStyle = "off"
) -> Drawings:
    """Rasterize (and write as SVG) every view of a render result in one hidden-line style."""
    images, svgs = {}, {}
    for view, lines in result.lines.items():
        cam = camera(view)
        images[view] = rasterize(lines, cam, result.frame, size, line_width, hidden)
        svgs[view] = to_svg(lines, cam, result.frame, size, line_width, hidden)
    return Drawings(images, svgs, result.method, result.seconds)


def render_upload(
    data: bytes,
    name: str,
    work_dir: Path,
    max_bytes: int,
    method: str = "auto",
    time_limit: float = 20.0,
    views: Sequence[str] = DEFAULT_VIEWS,
) -> RenderResult:
    """Store an upload in the work folder, render its views (render.views.render_file), clean up.

    Raises UploadError for refused uploads and render.errors.ModelError for models that cannot be drawn.
    """
    with stored_upload(data, name, work_dir, max_bytes) as path:
        return render_file(path, views, method=method, time_limit=time_limit)


def drawings_zip(drawings: Drawings, stem: str) -> bytes:
    """A zip of <stem>_<view>.png and .svg for every view (PNG encoded from the RGB images)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for view, image in drawings.images.items():
            ok, png = cv2.imencode(".png", cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
            if not ok:
                raise RuntimeError(f"PNG encoding of view {view} failed")
            archive.writestr(f"{stem}_{view}.png", png.tobytes())
            archive.writestr(f"{stem}_{view}.svg", drawings.svgs[view])
    return buffer.getvalue()
