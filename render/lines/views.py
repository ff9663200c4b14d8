"""Models to multi-view line drawings: one model (`render_file`), writing drawings, a folder batch.

Methods for B-rep models (STEP, IGES, BREP):
- exact: OpenCASCADE exact hidden-line removal of every view in a worker process under a wall-clock
  limit; when the limit is hit the whole model falls back to polygonal HLR, and the result says so.
- poly: polygonal HLR on one triangulation shared by all views (fast on any shape).
- mesh: the B-rep's triangulation drawn by the mesh route (feature edges, ray-cast visibility).
- auto: the mesh route; when BRepMesh leaves faces untriangulated or partly triangulated even with its
  second kernel (`render.lines.tessellate.IncompleteMesh`), exact HLR under the time limit (then
  polygonal HLR), and polygonal HLR if the mesh route fails otherwise. In bench/render_views.py it drew
  CSG solids at about 3x the views per CPU second of a SPARE3D-style exact-HLR pipeline (real parts:
  about 10x) with visible-line IoU 0.97 against exact HLR, while exact HLR itself runs at about 1x;
  so it is the default. Use exact for exact HLR.
Meshes (STL, OBJ, PLY, OFF, GLB, glTF) only have the mesh route; every method renders them with it.
All views of a model share one frame (scale), given or 1.7 x its largest bounding-box edge, centred on
the projection of the bounding box's centre as in SPARE3D; `write_views(center_each=True)` (`render views
--center-each`) moves each view's drawing to the middle of its image instead, at the same scale.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from OCP.TopoDS import TopoDS_Shape
from tqdm import tqdm

from render.errors import ModelError, first_line
from render.files import write_atomic
from render.lines.cameras import DEFAULT_VIEWS, Camera, camera
from render.lines.drawing import DEFAULT_MARGIN, Frame, HiddenStyle, ViewLines, rasterize, to_svg
from render.lines.hlr import DEFLECTION_RATIO, MESH_RATIO, exact_hlr_views, model_frame, poly_hlr_views
from render.lines.mesh import MESH_SUFFIXES, load_mesh, mesh_views
from render.lines.tessellate import IncompleteMesh, brep_mesh_lines, tessellate, tessellation_lines
from render.models.brep import BREP_FILE_SUFFIXES, is_brep_file, load_shape
from render.workers.timelimit import call_with_time_limit, process_context, set_alarm

METHODS: tuple[str, ...] = ("auto", "exact", "poly", "mesh")
FORMATS: tuple[str, ...] = ("png", "svg")
MODEL_SUFFIXES: tuple[str, ...] = BREP_FILE_SUFFIXES + MESH_SUFFIXES
DEFAULT_TIME_LIMIT = 20.0
FAILURES_FILE = "failures.json"


@dataclass
class RenderResult:
    """The drawings of one model: polylines per view, the shared frame, the method used, wall time."""

    path: str
    lines: dict[str, ViewLines]
    frame: Frame
    method: str
    seconds: float


def render_shape(
    shape: TopoDS_Shape,
    views: Sequence[str] = DEFAULT_VIEWS,
    method: str = "exact",
    frame: Frame | None = None,
    hidden: bool = True,
) -> dict[str, ViewLines]:
    """Polylines of each view of a B-rep shape in this process ('exact', 'poly' or 'mesh'; no time limit).

    Discretization tolerances are relative to the frame side, i.e. fixed in pixels at a given size.
    hidden=False may leave the hidden lines out (the HLR routes skip them, which saves time). 'mesh'
    raises IncompleteMesh where BRepMesh leaves faces uncovered (its triangulation is then removed).
    """
    frame = frame or model_frame(shape)
    cams = [camera(key) for key in views]
    if method == "exact":
        return exact_hlr_views(shape, cams, DEFLECTION_RATIO * frame.side, hidden)
    if method == "poly":
        return poly_hlr_views(shape, cams, MESH_RATIO * frame.side, hidden)
    if method == "mesh":
        return brep_mesh_lines(shape, cams, MESH_RATIO * frame.side)
    raise ValueError(f"unknown method {method!r} for a B-rep shape; expected exact, poly or mesh")


def _render_mesh_file(path: Path, views: Sequence[str], frame: Frame | None, margin: float) -> tuple:
    mesh = load_mesh(path)
    frame = frame or Frame.around(*mesh.bounds, margin=margin)
    return mesh_views(mesh, [camera(key) for key in views]), frame


def _exact_with_fallback(
    shape: TopoDS_Shape, views: Sequence[str], frame: Frame, time_limit: float | None, hidden: bool
) -> tuple[dict[str, ViewLines], str]:
    """Exact HLR in a worker under the time limit; polygonal HLR when it runs out or fails."""
    try:
        return call_with_time_limit(
            render_shape, shape, views, "exact", frame, hidden, time_limit=time_limit
        ), "exact"
    except TimeoutError:
        reason = f" after {time_limit:g}s"
    except Exception as exc:  # exact HLR failed or crashed in native code: polygonal HLR still works
        reason = f": exact failed: {first_line(exc)}"
    return render_shape(shape, views, "poly", frame, hidden), f"poly (fallback{reason})"


def _mesh_route(
    shape: TopoDS_Shape, views: Sequence[str], frame: Frame | None, margin: float
) -> tuple[dict[str, ViewLines], Frame, str]:
    """The mesh route's lines, frame and method ('mesh', or 'mesh (Watson kernel: ...)' when the shape
    had to be meshed twice). Without a given frame, the shape is triangulated with a chord error sized
    on its loose box and framed by its triangulation (the tight box costs as much as the triangulation
    itself on small parts; the two frames differ by under the chord error). Raises IncompleteMesh."""
    side = frame.side if frame is not None else model_frame(shape, margin, precise=False).side
    tess = tessellate(shape, MESH_RATIO * side)
    frame = frame or Frame.around(*tess.bounds(), margin=margin)
    used = f"mesh ({tess.note})" if tess.note else "mesh"
    return tessellation_lines(tess, [camera(key) for key in views]), frame, used


def _mesh_with_fallback(
    shape: TopoDS_Shape,
    views: Sequence[str],
    frame: Frame | None,
    margin: float,
    hidden: bool,
    time_limit: float | None,
) -> tuple[dict[str, ViewLines], str, Frame]:
    """The mesh route; exact HLR (under the time limit, then polygonal HLR) where BRepMesh leaves gaps,
    since polygonal HLR draws the same triangulation; polygonal HLR if the mesh route fails otherwise."""
    try:
        lines, frame, used = _mesh_route(shape, views, frame, margin)
        return lines, used, frame
    except IncompleteMesh as exc:
        frame = frame or model_frame(shape, margin)
        lines, used = _exact_with_fallback(shape, views, frame, time_limit, hidden)
        detail = used.removeprefix("poly (fallback").removesuffix(")").lstrip(": ")
        detail = f"exact {detail}" if detail.startswith("after") else detail
        used = f"exact (fallback: {exc})" if used == "exact" else f"poly (fallback: {exc}; {detail})"
        return lines, used, frame
    except Exception as exc:  # the polygonal route needs nothing beyond OpenCASCADE
        frame = frame or model_frame(shape, margin)
        return (
            render_shape(shape, views, "poly", frame, hidden),
            f"poly (fallback: mesh failed: {first_line(exc)})",
            frame,
        )


def render_file(
    path: str | Path,
    views: Sequence[str] = DEFAULT_VIEWS,
    method: str = "auto",
    frame: Frame | None = None,
    margin: float = DEFAULT_MARGIN,
    time_limit: float | None = DEFAULT_TIME_LIMIT,
    hidden: bool = True,
) -> RenderResult:
    """Render one model file; raises ModelError (one line: file and problem) when it cannot be drawn.

    `time_limit` bounds exact HLR (method exact, and auto where it falls back to exact) in seconds;
    past it, or when exact HLR fails, the model is drawn with polygonal HLR and `method` reads e.g.
    'poly (fallback after 20s)'. Fallbacks of auto are recorded the same way, e.g. 'exact (fallback:
    BRepMesh left 26 of 305 faces untriangulated)'. Method mesh refuses such a model (ModelError).
    hidden=False lets the B-rep routes skip hidden lines.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; expected one of {', '.join(METHODS)}")
    path = Path(path)
    start = time.perf_counter()
    suffix = path.suffix.lower()
    if suffix in MESH_SUFFIXES:
        lines, frame = _render_mesh_file(path, views, frame, margin)
        used = "mesh"
    elif is_brep_file(path):
        shape = load_shape(path)
        if method == "auto":
            lines, used, frame = _mesh_with_fallback(shape, views, frame, margin, hidden, time_limit)
        elif method == "mesh":
            try:
                lines, frame, used = _mesh_route(shape, views, frame, margin)
            except IncompleteMesh as exc:
                raise ModelError(path, f"mesh route: {exc} (--method auto or exact draws it)") from None
        else:
            frame = frame or model_frame(shape, margin)
            if method == "exact":
                lines, used = _exact_with_fallback(shape, views, frame, time_limit, hidden)
            else:
                lines, used = render_shape(shape, views, method, frame, hidden), method
    else:
        expected = ", ".join(MODEL_SUFFIXES)
        raise ModelError(path, f"unknown extension {path.suffix!r}; expected one of {expected}")
    if all(v.is_empty() for v in lines.values()):
        raise ModelError(path, "no lines in any view")
    return RenderResult(str(path), lines, frame, used, time.perf_counter() - start)


def view_paths(out_dir: Path, stem: str, views: Sequence[str], formats: Sequence[str]) -> list[Path]:
    """The files `write_views` produces: <out_dir>/<stem>_<view>.<format>."""
    return [Path(out_dir) / f"{stem}_{view}.{fmt}" for view in views for fmt in formats]


def centered_frame(frame: Frame, lines: ViewLines, cam: Camera) -> Frame:
    """The frame moved in the camera's image plane so that the view's drawing (the box of all its lines,
    i.e. of the model's projection) sits in the middle of the image; same side, so the same scale."""
    polylines = [*lines.visible, *lines.hidden]
    if not polylines:
        return frame
    points = np.vstack(polylines)
    center = np.asarray(frame.center, float)
    dx, dy = (points.min(axis=0) + points.max(axis=0)) / 2 - cam.project(center)
    return Frame(tuple(float(c) for c in center + dx * cam.x_axis + dy * cam.up), frame.side)


def write_views(
    result: RenderResult,
    out_dir: str | Path,
    stem: str,
    size: int = 200,
    line_width: float = 1.5,
    hidden: HiddenStyle = "off",
    formats: Sequence[str] = ("png",),
    center_each: bool = False,
) -> list[Path]:
    """Write <stem>_<view>.png / .svg for every view of a result (atomically); returns the paths.

    PNGs are 8-bit greyscale when the drawing is black on white (hidden 'off' or 'dashed'), RGB when
    hidden lines are red. center_each centres every drawing in its image (`centered_frame`) instead of
    drawing all views in the result's one frame; the scale stays the same.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for view, lines in result.lines.items():
        cam = camera(view)
        frame = centered_frame(result.frame, lines, cam) if center_each else result.frame
        for fmt in formats:
            path = out_dir / f"{stem}_{view}.{fmt}"
            if fmt == "png":
                image = rasterize(lines, cam, frame, size, line_width, hidden)
                # Black on white is written as 8-bit grey (cv2.imread still gives 3 channels), red as RGB.
                pixels = image[..., 0] if hidden != "red" else cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
                ok, data = cv2.imencode(".png", pixels)
                assert ok, "PNG encoding failed"
                write_atomic(path, data.tobytes())
            elif fmt == "svg":
                write_atomic(path, to_svg(lines, cam, frame, size, line_width, hidden).encode())
            else:
                raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
            written.append(path)
    return written


@dataclass
class FolderReport:
    """Outcome of a folder batch: models rendered now, skipped (already done), failed; per rendered
    model the method used (fallbacks say so) and the seconds it took to render (not to write)."""

    rendered: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failures: list[dict[str, str]] = field(default_factory=list)
    methods: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def find_models(folder: Path) -> list[Path]:
    """Model files under a folder (recursively), by extension, in sorted order."""
    return sorted(p for p in Path(folder).rglob("*") if p.is_file() and p.suffix.lower() in MODEL_SUFFIXES)


def output_stems(models: Sequence[Path], folder: Path) -> dict[Path, str]:
    """<relative folder>/<name> per model; models sharing a name (part.STEP, part.STL) get the extension."""
    stems = {m: str(m.relative_to(folder).with_suffix("")) for m in models}
    counts: dict[str, int] = {}
    for stem in stems.values():
        counts[stem] = counts.get(stem, 0) + 1
    return {m: s if counts[s] == 1 else f"{s}_{m.suffix.lstrip('.').lower()}" for m, s in stems.items()}


def _render_and_write(
    path: Path, out_dir: Path, stem: str, options: dict[str, Any]
) -> tuple[str, float, str | None]:
    """Render one model of a batch: (method used, seconds, None) or ('', 0, one-line failure reason).

    Runs in a worker process, which the kernel kills when the model overruns its budget (see `_run`).
    """
    set_alarm(model_budget(options["method"], options["time_limit"]))
    try:
        result = render_file(
            path,
            options["views"],
            options["method"],
            options["frame"],
            options["margin"],
            options["time_limit"],
            options["hidden"] != "off",
        )
        target = out_dir / stem
        write_views(
            result,
            target.parent,
            target.name,
            options["size"],
            options["line_width"],
            options["hidden"],
            options["formats"],
            options["center_each"],
        )
        return result.method, result.seconds, None
    except ModelError as exc:
        return "", 0.0, exc.problem
    except Exception as exc:  # a batch records every failure and carries on
        return "", 0.0, f"{type(exc).__name__}: {first_line(exc)}"
    finally:
        set_alarm(None)


def model_budget(method: str, time_limit: float | None) -> float | None:
    """Wall-clock seconds one model may take in a batch: `time_limit` for the mesh and polygonal routes;
    for exact and auto (which falls back to exact where BRepMesh leaves gaps), the exact phase
    (time_limit) plus as much again and 10 s for the polygonal fallback."""
    if time_limit is None:
        return None
    return 2 * time_limit + 10 if method in ("exact", "auto") else time_limit


def render_folder(
    folder: str | Path,
    out_dir: str | Path,
    views: Sequence[str] = DEFAULT_VIEWS,
    method: str = "auto",
    frame: Frame | None = None,
    margin: float = DEFAULT_MARGIN,
    size: int = 200,
    line_width: float = 1.5,
    hidden: HiddenStyle = "off",
    formats: Sequence[str] = ("png",),
    time_limit: float | None = DEFAULT_TIME_LIMIT,
    workers: int = 1,
    progress: bool = True,
    center_each: bool = False,
) -> FolderReport:
    """Render every model under `folder` into `out_dir` (same sub-folders), `workers` processes at once.

    Models whose drawings all exist already are skipped (the batch resumes). Failures are recorded
    with a one-line reason in <out_dir>/failures.json and the batch carries on.
    """
    folder, out_dir = Path(folder), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stems = output_stems(find_models(folder), folder)
    report = FolderReport()
    todo = []
    for model, stem in stems.items():
        target = out_dir / stem
        if all(p.is_file() for p in view_paths(target.parent, target.name, views, formats)):
            report.skipped.append(str(model))
        else:
            todo.append(model)
    options = dict(
        views=tuple(views),
        method=method,
        frame=frame,
        margin=margin,
        time_limit=time_limit,
        size=size,
        line_width=line_width,
        hidden=hidden,
        formats=tuple(formats),
        center_each=center_each,
    )
    bar = tqdm(total=len(todo), unit="model", desc="render", disable=not progress)
    for model, (used, seconds, problem) in _run(todo, out_dir, stems, options, workers):
        if problem is None:
            report.rendered.append(str(model))
            report.methods[str(model)] = used
            report.seconds[str(model)] = seconds
        else:
            report.failures.append({"file": str(model), "reason": problem})
        bar.update()
    bar.close()
    write_atomic(out_dir / FAILURES_FILE, (json.dumps(report.failures, indent=1) + "\n").encode())
    return report


def _run(
    models: Sequence[Path], out_dir: Path, stems: dict[Path, str], options: dict[str, Any], workers: int
) -> Iterator[tuple[Path, tuple[str, float, str | None]]]:
    """Render models in a pool of worker processes (also for one worker: a crash in native code then
    takes down a worker, not the batch). A model that overruns its budget (`model_budget`) has its
    worker killed by the kernel (SIGALRM). When a worker dies the pool is broken: the models it left
    unfinished are redone one by one, each in its own process, so only the culprit fails."""
    unfinished = []
    if models:
        with ProcessPoolExecutor(max_workers=workers, mp_context=process_context()) as pool:
            futures = {pool.submit(_render_and_write, m, out_dir, stems[m], options): m for m in models}
            for future in as_completed(futures):
                try:
                    yield futures[future], future.result()
                except BrokenProcessPool:
                    unfinished.append(futures[future])
    for model in sorted(unfinished):
        try:
            outcome = call_with_time_limit(
                _render_and_write, model, out_dir, stems[model], options, time_limit=None
            )
        except TimeoutError:
            budget = model_budget(options["method"], options["time_limit"])
            outcome = ("", 0.0, f"took longer than its time limit ({budget:g} s)")
        except RuntimeError as exc:
            outcome = ("", 0.0, f"crashed while rendering: {exc}")
        yield model, outcome
