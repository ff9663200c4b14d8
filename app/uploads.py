"""Uploaded CAD models and meshes: checked, stored only inside the work folder, drawn in 11 views, zipped.

The uploaded file name is never used as a path: it is checked for an allowed extension and the bytes
are written to `model<ext>` in a fresh temporary folder under the work folder, which is removed once
the drawings are made. The name is only shown (and used for the zip's name) after sanitizing.

An upload is rendered in a child process (render.workers.timelimit.call_with_time_limit) under a wall-clock
limit and an address-space limit (RLIMIT_AS, set in the child only): a model that takes too long or
needs too much memory is refused with one line (UploadError) and its process is killed.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any, TypeVar

import cv2
import numpy as np

from render.lines.cameras import DEFAULT_VIEWS, camera
from render.lines.drawing import HiddenStyle, rasterize, to_svg
from render.lines.views import MODEL_SUFFIXES, RenderResult, render_file
from render.workers.timelimit import call_with_time_limit

T = TypeVar("T")
DEFAULT_MEMORY_MB = 2048  # address space an upload's render may add to what its process starts with
EXTRA_WALL_S = 60.0  # wall-clock allowance beyond the exact-HLR limit (loading, meshing, fallback)

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


def _address_space() -> int:
    """Bytes of address space this process has mapped now (Linux /proc/self/statm; 0 where unknown)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE")


def _with_memory_limit(memory_bytes: int, fn: Callable[..., T], args: tuple, kwargs: dict) -> T:
    """In the worker: cap its address space at what it has mapped now plus `memory_bytes`, run fn."""
    import resource

    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = _address_space() + memory_bytes
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    try:
        return fn(*args, **kwargs)
    except Exception as exc:  # a reader may wrap MemoryError (e.g. "corrupt file"): say it was memory
        if _caused_by_memory(exc):  # numpy's subclass may not unpickle in the parent: send a plain one
            raise MemoryError(str(exc)) from None
        raise


def _caused_by_memory(exc: BaseException | None) -> bool:
    """Whether `exc` or an exception it was raised from (cause or context) is a MemoryError."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, MemoryError):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def call_limited(
    fn: Callable[..., T],
    args: tuple,
    kwargs: dict[str, Any],
    label: str,
    wall_limit: float,
    memory_mb: int = DEFAULT_MEMORY_MB,
) -> T:
    """fn(*args, **kwargs) in a child process with at most `wall_limit` s and `memory_mb` MB more memory.

    Raises UploadError (one line starting with `label`) when the time or memory runs out or the child
    dies; the child is killed before this returns. Other exceptions of fn are re-raised.
    """
    try:
        return call_with_time_limit(
            _with_memory_limit, memory_mb * 2**20, fn, args, kwargs, time_limit=wall_limit, daemon=False
        )
    except TimeoutError:
        raise UploadError(f"{label}: not drawn within {wall_limit:g} s, the time limit for uploads") from None
    except MemoryError:
        limit = f"needs more than {memory_mb} MB of memory, the limit for uploads"
        raise UploadError(f"{label}: {limit}") from None
    except RuntimeError as exc:
        if "worker process died" not in str(exc):
            raise
        raise UploadError(
            f"{label}: the renderer stopped ({exc}), most likely over the memory limit of {memory_mb} MB"
        ) from None


def render_upload(
    data: bytes,
    name: str,
    work_dir: Path,
    max_bytes: int,
    method: str = "auto",
    time_limit: float = 20.0,
    views: Sequence[str] = DEFAULT_VIEWS,
    wall_limit: float | None = None,
    memory_mb: int = DEFAULT_MEMORY_MB,
) -> RenderResult:
    """Store an upload in the work folder, render its views (render.lines.views.render_file), clean up.

    The render runs in a child process (call_limited) under `wall_limit` seconds (default: the exact-HLR
    `time_limit` plus EXTRA_WALL_S) and `memory_mb` MB of extra address space.
    Raises UploadError for refused uploads and for renders past a limit, and render.errors.ModelError
    for models that cannot be drawn.
    """
    wall = time_limit + EXTRA_WALL_S if wall_limit is None else wall_limit
    with stored_upload(data, name, work_dir, max_bytes) as path:
        kwargs = {"method": method, "time_limit": time_limit}
        return call_limited(render_file, (path, views), kwargs, display_name(name), wall, memory_mb)


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
