"""Benchmark `render views`: views per second per method and worker count against a SPARE3D-style pipeline.

Datasets: N generated CSG solids (render.models.csg.random_csg, written as STEP) and the B-rep parts of
../shared/realcad (the threaded screw excluded: exact HLR takes minutes per view on it).
Pipelines, each reading the STEP/BREP files and writing one 200 px PNG per view, timed end to end:
- reference: in the style of the original SPARE3D generator: per view exact HLR (tangential deflection
  0.04 model units) -> one SVG file (a polyline per edge, model units) written to disk -> CairoSVG
  rasterizes it to a PNG;
- exact / poly / mesh / auto: this project's `render_folder` with that method (exact runs under the per-model
  time limit with the polygonal fallback).
Each pipeline runs over the same files with a process pool of 1, 2, ... workers. Reported: views per
wall-clock second and per CPU second (this process and its children; steadier than wall time on a shared
machine), each also as a multiple of the reference; visible-line pixel IoU (1-px dilation) of each
method's PNGs against the exact method's PNGs, mean and minimum over views, and the line F1 (harmonic
mean of the share of each drawing's line pixels within 1 px of the other's; `line_f1`), mean and
minimum; the slowest model's render time and the number of models that took a fallback (exact HLR past
its time limit, or the mesh route's fallbacks). --no-reference skips the reference pipeline (which needs
CairoSVG); --list-below F lists every view whose F1 against exact HLR is below F.

    python bench/render_views.py --models 20 --no-realcad   # quick run (about 1 minute on 2 cores)
    python bench/render_views.py --models 50                # + real parts (about 5 minutes)
    python bench/render_views.py --models 200 --repeat 3    # the issue's scale
    python bench/render_views.py --models 200 --workers 1 --methods exact,mesh,auto --no-reference
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import click
import cv2
import numpy as np

from render.lines.cameras import DEFAULT_VIEWS, Camera, camera
from render.lines.drawing import Frame, ViewLines, line_iou, line_mask
from render.lines.hlr import exact_hlr, model_frame
from render.lines.views import DEFAULT_TIME_LIMIT, find_models, output_stems, render_folder
from render.models.brep import BREP_FILE_SUFFIXES, load_shape
from render.workers.timelimit import process_context

REALCAD = Path(__file__).resolve().parents[1].parent / "shared" / "realcad"
SCREW = "M6-1x12-countersunk-screw.step"
REFERENCE_DEFLECTION = 0.04
SIZE = 200
LINE_WIDTH = 1.5


def make_csg(folder: Path, n: int, seed: int, primitives: tuple[int, int]) -> None:
    """Write n CSG solids as STEP files csg_0000.step ... (model i from seed + i)."""
    from render.models.csg import random_csg, write_step

    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        write_step(random_csg(np.random.default_rng(seed + i), primitives), folder / f"csg_{i:04d}.step")


def link_realcad(folder: Path) -> None:
    """Symbolic links to the B-rep parts of ../shared/realcad, the threaded screw excluded."""
    folder.mkdir(parents=True, exist_ok=True)
    for part in sorted(REALCAD.rglob("*")):
        if part.suffix.lower() in BREP_FILE_SUFFIXES and part.name != SCREW:
            (folder / f"{part.parent.name}_{part.name}").symlink_to(part)


def reference_svg(lines: ViewLines, cam: Camera, frame: Frame) -> str:
    """An SVG in the style of pythonocc's export_shape_to_svg, as the SPARE3D generator wrote them: one
    <polyline> per edge in model units (y flipped) inside a viewBox on the frame; stroke width in model
    units, here set to LINE_WIDTH pixels at SIZE."""
    cx, cy = cam.project(np.asarray(frame.center))
    x0, y0, side = cx - frame.side / 2, -cy - frame.side / 2, frame.side
    stroke = LINE_WIDTH * side / SIZE
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{SIZE}" height="{SIZE}" '
        f'viewBox="{x0:f} {y0:f} {side:f} {side:f}">',
        f'<rect x="{x0:f}" y="{y0:f}" width="{side:f}" height="{side:f}" fill="white"/>',
    ]
    for p in lines.visible:
        points = " ".join(f"{x:f},{-y:f}" for x, y in p)
        parts.append(f'<polyline points="{points}" fill="none" stroke="black" stroke-width="{stroke:f}"/>')
    return "\n".join([*parts, "</svg>\n"])


def reference_model(path: Path, out_dir: Path, stem: str) -> None:
    """The SPARE3D generator's route for one model: exact HLR, an SVG file per view, CairoSVG to PNG."""
    import cairosvg

    shape = load_shape(path)
    frame = model_frame(shape)
    for key in DEFAULT_VIEWS:
        cam = camera(key)
        lines = exact_hlr(shape, cam, REFERENCE_DEFLECTION, hidden=False)
        svg = out_dir / f"{stem}_{key}.svg"
        svg.write_text(reference_svg(lines, cam, frame))
        cairosvg.svg2png(url=str(svg), write_to=str(out_dir / f"{stem}_{key}.png"), output_width=SIZE)


def _reference_task(args: tuple[Path, Path, str]) -> None:
    reference_model(*args)


def run_reference(folder: Path, out_dir: Path, workers: int) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    models = find_models(folder)
    stems = output_stems(models, folder)
    tasks = [(m, out_dir, stems[m]) for m in models]
    if workers == 1:
        for task in tasks:
            _reference_task(task)
        return
    with ProcessPoolExecutor(workers, mp_context=process_context()) as pool:
        list(pool.map(_reference_task, tasks))


def measure(fn: Callable[[], object]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process and its finished children) of one call."""
    t0, c0 = time.perf_counter(), os.times()
    fn()
    t1, c1 = time.perf_counter(), os.times()
    cpu = (c1.user + c1.system + c1.children_user + c1.children_system) - (
        c0.user + c0.system + c0.children_user + c0.children_system
    )
    return t1 - t0, cpu


def line_f1(reference: np.ndarray, drawing: np.ndarray, tolerance: int = 1) -> float:
    """F1 of a drawing's line pixels against a reference drawing's: precision = share of the drawing's
    line pixels within `tolerance` px (square neighbourhood) of a reference line pixel, recall the same
    the other way round. Two blank drawings score 1, one blank drawing 0."""
    kernel = np.ones((2 * tolerance + 1, 2 * tolerance + 1), np.uint8)
    a, b = line_mask(reference), line_mask(drawing)
    if not a.any() and not b.any():
        return 1.0
    near_a, near_b = (cv2.dilate(m.astype(np.uint8), kernel) > 0 for m in (a, b))
    precision = np.count_nonzero(b & near_a) / max(np.count_nonzero(b), 1)
    recall = np.count_nonzero(a & near_b) / max(np.count_nonzero(a), 1)
    return float(2 * precision * recall / (precision + recall)) if precision + recall > 0 else 0.0


def view_scores(out_dir: Path, exact_dir: Path) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Visible-line IoU (1-px dilation) and line F1 of every PNG in out_dir against the same file in
    exact_dir (0 for a missing file), and the file names."""
    ious, f1s, names = [], [], []
    for png in sorted(exact_dir.glob("*.png")):
        other = out_dir / png.name
        reference = cv2.imread(str(png))
        drawing = cv2.imread(str(other)) if other.is_file() else None
        ious.append(line_iou(reference, drawing) if drawing is not None else 0.0)
        f1s.append(line_f1(reference, drawing) if drawing is not None else 0.0)
        names.append(png.name)
    return np.array(ious), np.array(f1s), names


def bench_dataset(
    name: str,
    folder: Path,
    work: Path,
    methods: Sequence[str],
    workers: Sequence[int],
    time_limit: float,
    repeat: int,
    reference: bool = True,
) -> list[dict]:
    """Time every pipeline `repeat` times (interleaved, fresh output folders; best wall time kept)."""
    n_views = len(find_models(folder)) * len(DEFAULT_VIEWS)
    rows = []
    for w in workers:
        best: dict[str, dict] = {}
        for i in range(repeat):
            for pipeline in ("reference", *methods) if reference else methods:
                out = work / f"{name}_{pipeline}_w{w}_{i}"
                report: dict = {}

                def run(pipeline: str = pipeline, out: Path = out, w: int = w, report: dict = report) -> None:
                    if pipeline == "reference":
                        run_reference(folder, out, w)
                    else:
                        report["r"] = render_folder(
                            folder, out, DEFAULT_VIEWS, pipeline, size=SIZE, line_width=LINE_WIDTH,
                            time_limit=time_limit, workers=w, progress=False,
                        )  # fmt: skip

                wall, cpu = measure(run)
                row = dict(
                    dataset=name, pipeline=pipeline, workers=w, wall=wall, cpu=cpu, views=n_views, out=out
                )
                if "r" in report:
                    r = report["r"]
                    row.update(
                        fallbacks=sum("fallback" in m for m in r.methods.values()),
                        fallback_methods=sorted({m for m in r.methods.values() if "fallback" in m}),
                        failed=len(r.failures),
                        slowest=max(r.seconds.values(), default=0.0),
                    )
                if pipeline not in best or wall < best[pipeline]["wall"]:
                    best[pipeline] = row
        for row in best.values():
            if reference:
                row["ref_wall"], row["ref_cpu"] = best["reference"]["wall"], best["reference"]["cpu"]
            if row["pipeline"] != "reference":
                row["iou"], row["f1"], row["names"] = view_scores(row["out"], best["exact"]["out"])
        rows += best.values()
    return rows


def print_table(rows: list[dict]) -> None:
    cols = [
        "dataset",
        "pipeline",
        "workers",
        "views/s",
        "x ref",
        "views/CPU-s",
        "x ref (CPU)",
        "IoU vs exact",
        "F1 vs exact",
    ]
    cols += ["slowest model s", "notes"]
    print("| " + " | ".join(cols) + " |")
    print("|" + "|".join("-" * (len(c) + 2) for c in cols) + "|")
    for r in rows:
        notes = []
        if r.get("fallbacks"):
            notes.append(f"{r['fallbacks']} polygonal fallbacks")
        if r.get("failed"):
            notes.append(f"{r['failed']} failed")
        cells = [
            r["dataset"],
            r["pipeline"],
            str(r["workers"]),
            f"{r['views'] / r['wall']:.1f}",
            f"{r['ref_wall'] / r['wall']:.2f}" if "ref_wall" in r else "-",
            f"{r['views'] / r['cpu']:.1f}",
            f"{r['ref_cpu'] / r['cpu']:.2f}" if "ref_cpu" in r else "-",
            f"{r['iou'].mean():.4f} (min {r['iou'].min():.3f})" if "iou" in r else "-",
            f"{r['f1'].mean():.4f} (min {r['f1'].min():.3f})" if "f1" in r else "-",
            f"{r['slowest']:.2f}" if "slowest" in r else "-",
            ", ".join(notes),
        ]
        print("| " + " | ".join(cells) + " |")


def print_details(rows: list[dict], below: float | None) -> None:
    """The fallbacks each pipeline took and, with `below`, every view whose F1 vs exact is below it."""
    for r in rows:
        for method in r.get("fallback_methods", []):
            print(f"{r['dataset']} {r['pipeline']}: fallback {method}")
        if below is None or "f1" not in r:
            continue
        for name, iou, f1 in zip(r["names"], r["iou"], r["f1"], strict=True):
            if f1 < below:
                print(f"{r['dataset']} {r['pipeline']}: {name} F1 {f1:.3f} IoU {iou:.3f}")


@click.command()
@click.option(
    "--models", default=20, show_default=True, type=click.IntRange(1), help="CSG models to generate."
)
@click.option("--primitives", default="3-8", show_default=True, help="Primitives per CSG model, A-B.")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--workers", default="1,2", show_default=True, help="Comma-separated worker counts.")
@click.option("--methods", default="exact,poly,mesh", show_default=True, help="Comma-separated methods.")
@click.option("--realcad/--no-realcad", default=True, show_default=True, help="Also time ../shared/realcad.")
@click.option("--time-limit", default=DEFAULT_TIME_LIMIT, show_default=True, type=float)
@click.option("--repeat", default=1, show_default=True, type=click.IntRange(1), help="Best of N timings.")
@click.option(
    "--reference/--no-reference", default=True, show_default=True, help="Time the CairoSVG reference."
)
@click.option("--list-below", type=float, default=None, help="List views whose F1 vs exact is below this.")
def main(
    models: int,
    primitives: str,
    seed: int,
    workers: str,
    methods: str,
    realcad: bool,
    time_limit: float,
    repeat: int,
    reference: bool,
    list_below: float | None,
) -> None:
    from render.models.csg import parse_primitive_range

    worker_counts = [int(w) for w in workers.split(",")]
    method_list = [m.strip() for m in methods.split(",")]
    if "exact" not in method_list:
        method_list.insert(0, "exact")  # the IoU reference
    if reference:
        import cairosvg  # noqa: F401  (imported once here, not inside the timed runs or their workers)

    if "mesh" in method_list or "auto" in method_list:
        import render.lines.mesh  # noqa: F401
        import render.lines.tessellate  # noqa: F401
    with tempfile.TemporaryDirectory(prefix="bench_render_") as tmp:
        work = Path(tmp)
        start = time.perf_counter()
        make_csg(work / "csg", models, seed, parse_primitive_range(primitives))
        print(
            f"generated {models} CSG models ({primitives} primitives) in {time.perf_counter() - start:.1f} s"
        )
        rows = bench_dataset(
            "csg", work / "csg", work, method_list, worker_counts, time_limit, repeat, reference
        )
        if realcad and REALCAD.is_dir():
            link_realcad(work / "realcad")
            rows += bench_dataset(
                "realcad", work / "realcad", work, method_list, worker_counts, time_limit, repeat, reference
            )
        print_table(rows)
        print_details(rows, list_below)
    print(f"total bench time {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
