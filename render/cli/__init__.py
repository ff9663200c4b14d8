"""The `render` command line: `render views MODEL_OR_FOLDER -o OUT ...` (and more commands of the package)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from render.cli import datasets
from render.cli.common import PARTIAL_FAILURE, CommandError, output_folder
from render.datasets.samples import BREP_FORMATS, write_samples
from render.errors import ModelError
from render.lines.cameras import DEFAULT_VIEWS, parse_views
from render.lines.drawing import DEFAULT_MARGIN, HIDDEN_STYLES
from render.lines.views import (
    DEFAULT_TIME_LIMIT,
    FAILURES_FILE,
    FORMATS,
    METHODS,
    render_file,
    render_folder,
    write_views,
)


def _views(ctx: click.Context, param: click.Parameter, value: str) -> tuple[str, ...]:
    try:
        return parse_views(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _formats(ctx: click.Context, param: click.Parameter, value: str) -> tuple[str, ...]:
    formats = tuple(f.strip().lower() for f in value.split(",") if f.strip())
    unknown = [f for f in formats if f not in FORMATS]
    if not formats or unknown:
        raise click.BadParameter(f"expected a comma-separated list of {', '.join(FORMATS)}, got {value!r}")
    return formats


@click.group()
def main() -> None:
    """CAD models and meshes to multi-view line drawings and SPARE3D-style datasets."""


@main.command()
@click.argument("model", metavar="MODEL_OR_FOLDER", type=click.Path(path_type=Path))
@click.option("-o", "--out", "out_dir", required=True, type=click.Path(path_type=Path), help="Output folder.")
@click.option(
    "--views",
    default=",".join(DEFAULT_VIEWS),
    show_default=True,
    callback=_views,
    help="Comma-separated view keys: f, r, t, poses 1-20, or 'all'.",
)
@click.option(
    "--size", default=200, show_default=True, type=click.IntRange(8, 8192), help="Image side in pixels."
)
@click.option(
    "--line-width",
    default=1.5,
    show_default=True,
    type=click.FloatRange(0.25, 64),
    help="Line width in pixels.",
)
@click.option(
    "--hidden", default="off", show_default=True, type=click.Choice(HIDDEN_STYLES), help="Hidden lines."
)
@click.option(
    "--format", "formats", default="png", show_default=True, callback=_formats, help="png, svg or both."
)
@click.option(
    "--method",
    default="auto",
    show_default=True,
    type=click.Choice(METHODS),
    help="auto: mesh route for B-rep (fast, IoU ~0.97 vs exact); exact: exact HLR under --time-limit.",
)
@click.option(
    "--time-limit",
    default=DEFAULT_TIME_LIMIT,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds of exact HLR per model before the polygonal fallback; in a folder, the other routes "
    "must finish each model within it (exact and auto: twice it + 10 s).",
)
@click.option(
    "--workers", default=1, show_default=True, type=click.IntRange(1), help="Processes for a folder."
)
@click.option(
    "--margin",
    default=DEFAULT_MARGIN,
    show_default=True,
    type=click.FloatRange(min=1),
    help="View box side as a multiple of the largest bounding-box edge.",
)
@click.option(
    "--center-each",
    is_flag=True,
    help="Centre each drawing in its image (same scale for all views) instead of on the model's box centre.",
)
def views(
    model: Path,
    out_dir: Path,
    views: Sequence[str],
    size: int,
    line_width: float,
    hidden: str,
    formats: Sequence[str],
    method: str,
    time_limit: float,
    workers: int,
    margin: float,
    center_each: bool,
) -> None:
    """Draw MODEL_OR_FOLDER (STEP, IGES, BREP, STL, OBJ, PLY, OFF, GLB, GLTF) from the SPARE3D cameras.

    Writes OUT/<name>_<view>.png (and/or .svg). All views share one frame centred on the model's box
    centre (as SPARE3D's), unless --center-each. A folder renders every model in it, skips models
    already drawn, and lists failures in OUT/failures.json.
    """
    drawing = dict(size=size, line_width=line_width, hidden=hidden, formats=formats, center_each=center_each)
    if model.is_dir():
        output_folder(out_dir)
        try:
            report = render_folder(
                model, out_dir, views, method, None, margin, time_limit=time_limit, workers=workers, **drawing
            )
        except OSError as exc:
            raise CommandError(f"{exc.filename or out_dir}: cannot write ({exc.strerror})") from None
        fallbacks = sum("fallback" in m for m in report.methods.values())
        click.echo(
            f"rendered {len(report.rendered)} models ({fallbacks} through a fallback route), "
            f"skipped {len(report.skipped)} already done, {len(report.failures)} failed"
            + (f" (see {out_dir / FAILURES_FILE})" if report.failures else "")
        )
        if not report.rendered and not report.skipped:
            raise CommandError(f"{model}: no model could be rendered")
        if report.failures:
            raise SystemExit(PARTIAL_FAILURE)
        return
    try:
        result = render_file(model, views, method, None, margin, time_limit, hidden != "off")
    except ModelError as exc:
        raise CommandError(str(exc)) from None
    try:
        paths = write_views(result, output_folder(out_dir), model.stem, **drawing)
    except OSError as exc:
        raise CommandError(f"{exc.filename or out_dir}: cannot write ({exc.strerror})") from None
    click.echo(f"{model}: {len(paths)} files in {out_dir} ({result.method}, {result.seconds:.2f} s)")


@main.command()
@click.option("-o", "--out", "out_dir", required=True, type=click.Path(path_type=Path), help="Output folder.")
@click.option("--format", "formats", default=",".join(BREP_FORMATS), show_default=True, help="B-rep formats.")
def samples(out_dir: Path, formats: str) -> None:
    """Write the built-in sample parts: B-rep ones as OUT/<name>.step, .brep, .igs; the mesh one as .stl."""
    try:
        paths = write_samples(out_dir, [f.strip().lower() for f in formats.split(",") if f.strip()])
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--format") from None
    except OSError as exc:
        raise CommandError(f"{out_dir}: cannot write samples ({exc})") from None
    click.echo(f"{len(paths)} files in {out_dir}: {', '.join(p.name for p in paths)}")


# Data-making commands (csg, dataset, pack, check) live in their own module, render.cli.datasets.
for _command in (datasets.csg, datasets.dataset, datasets.pack, datasets.check):
    main.add_command(_command)
