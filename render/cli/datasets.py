"""The data-making commands of `render`: `csg` (procedural STEP models), `dataset`, `pack`, `check`."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import click
import numpy as np
from tqdm import tqdm

from render.cli.common import PARTIAL_FAILURE, CommandError, output_folder
from render.datasets.check import check_dataset
from render.datasets.dataset import (
    CSG_INDEX,
    DEFAULT_TIME_LIMIT,
    EXECUTORS,
    MANIFEST_FILE,
    METHODS,
    DatasetConfig,
    DatasetError,
    build_dataset,
    parse_shard,
    parse_split,
)
from render.datasets.layout import TASKS
from render.datasets.pack import PACKED_DIR, PackError, pack_dataset
from render.errors import StateFileError
from render.files import read_json, write_atomic
from render.lines.drawing import HIDDEN_STYLES
from render.models.csg import KERNELS, CsgError, csg_model, parse_primitive_range, write_brep, write_step
from render.workers.ray_jobs import RayUnavailable


def _primitives(ctx: click.Context, param: click.Parameter, value: str) -> tuple[int, int]:
    try:
        return parse_primitive_range(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


CSG_WRITERS = {"step": write_step, "brep": write_brep}


def csg_file_name(index: int, file_format: str) -> str:
    return f"csg_{index:05d}.{file_format}"


@click.command()
@click.option("-n", "count", required=True, type=click.IntRange(1), help="Number of models.")
@click.option("-o", "--out", "out_dir", required=True, type=click.Path(path_type=Path), help="Output folder.")
@click.option("--seed", default=0, show_default=True, type=int, help="Random seed.")
@click.option("--primitives", default="3-8", show_default=True, callback=_primitives, help="Range A-B.")
@click.option(
    "--format",
    "file_format",
    type=click.Choice(sorted(CSG_WRITERS)),
    default="step",
    show_default=True,
    help="STEP for exchange; BREP is lossless (OpenCASCADE's STEP round trip can move a sphere face's "
    "boundary).",
)
def csg(count: int, out_dir: Path, seed: int, primitives: tuple[int, int], file_format: str) -> None:
    """Write N procedural CSG solids as OUT/csg_NNNNN.step (or .brep), model i drawn from seed (S, i).

    Existing files are kept (a rerun resumes); OUT/csg.json lists each model's primitive count.
    """
    output_folder(out_dir)
    index_path = out_dir / CSG_INDEX
    index = _csg_index(index_path) if index_path.is_file() else None
    if index is not None:
        held = (index["seed"], tuple(index["primitives"]), index.get("format", "step"))
        if held != (seed, primitives, file_format):
            raise CommandError(
                f"{out_dir}: holds {held[2].upper()} models of seed {held[0]}, primitives {list(held[1])}; "
                "use another folder"
            )
    counts: dict[str, int] = dict(index["models"]) if index else {}
    failures = []
    try:
        for i in tqdm(range(count), unit="model", desc="csg"):
            name = csg_file_name(i, file_format)
            rng = np.random.default_rng([seed, i])
            if (out_dir / name).is_file():
                # the primitive count is the generator's first draw, so it is known without rebuilding
                counts.setdefault(name, int(rng.integers(primitives[0], primitives[1] + 1)))
                continue
            try:
                model = csg_model(rng, primitives)
            except CsgError as exc:
                failures.append(f"{name}: {exc}")
                continue
            CSG_WRITERS[file_format](model.shape, out_dir / name)
            counts[name] = model.n_primitives
    except OSError as exc:
        raise CommandError(f"{out_dir}: cannot write ({exc.strerror})") from None
    finally:
        record = {
            "seed": seed,
            "primitives": list(primitives),
            "format": file_format,
            "models": dict(sorted(counts.items())),
        }
        write_atomic(index_path, (json.dumps(record, indent=1) + "\n").encode())
    for line in failures:
        click.echo(f"failed: {line}", err=True)
    click.echo(f"{len(counts)} models in {out_dir}, {len(failures)} failed")
    if failures:
        raise SystemExit(PARTIAL_FAILURE)


def _csg_index(path: Path) -> dict:
    """The csg.json of a model folder; CommandError naming it when it is corrupt."""
    recovery = "delete it and rerun the same command to rebuild it"
    try:
        index = read_json(path, recovery)
        if not isinstance(index, dict) or not {"seed", "primitives", "models"} <= index.keys():
            raise StateFileError(f"{path}: not a csg.json index (seed, primitives, models); {recovery}")
    except StateFileError as exc:
        raise CommandError(str(exc)) from None
    return index


def _parsed(parse):
    def callback(ctx: click.Context, param: click.Parameter, value: str | None):
        if value is None:
            return None
        try:
            return parse(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None

    return callback


@click.command()
@click.option("--task", required=True, type=click.Choice(TASKS), help="Question set or pretext set.")
@click.option(
    "--models",
    "models_dir",
    type=click.Path(path_type=Path),
    help="Folder of model files: B-reps (STEP, IGES, BREP) or meshes (STL, OBJ, PLY, OFF, GLB; t2i and "
    "pairs subtract primitives, which needs closed meshes).",
)
@click.option("--csg", "csg_count", type=click.IntRange(1), help="Generate N CSG models instead.")
@click.option("--primitives", default="3-8", show_default=True, callback=_primitives, help="CSG range A-B.")
@click.option("-o", "--out", "out_dir", required=True, type=click.Path(path_type=Path), help="Output folder.")
@click.option(
    "--size", default=200, show_default=True, type=click.IntRange(16, 4096), help="Image side (px)."
)
@click.option("--line-width", default=1.5, show_default=True, type=click.FloatRange(0.25, 64), help="Pixels.")
@click.option(
    "--hidden",
    default="red",
    show_default=True,
    type=click.Choice(HIDDEN_STYLES),
    help="Hidden lines (SPARE3D: red).",
)
@click.option(
    "--split", default="0.8,0.1,0.1", show_default=True, callback=_parsed(parse_split), help="Fractions."
)
@click.option("--seed", default=0, show_default=True, type=int, help="Random seed.")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1),
    help="Worker processes (--executor ray: the CPUs of the local Ray instance).",
)
@click.option("--shard", default="0/1", show_default=True, callback=_parsed(parse_shard), help="Part I/N.")
@click.option(
    "--executor",
    default="local",
    show_default=True,
    type=click.Choice(EXECUTORS),
    help="Where jobs run: forked processes here, or Ray tasks (pip install 'linedraw3d[ray]').",
)
@click.option(
    "--address",
    help="--executor ray: the Ray cluster to use (HEAD:6379; 'auto': the one this machine runs, or "
    "RAY_ADDRESS; default: a new local instance started and stopped by this command). Every node must "
    "see OUT (and --models) at the same path.",
)
@click.option(
    "--time-limit",
    default=DEFAULT_TIME_LIMIT,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds per model (with --method exact: per attempt, exact then the polygonal fallback).",
)
@click.option("--method", default="auto", show_default=True, type=click.Choice(METHODS), help="Line route.")
@click.option(
    "--kernel",
    type=click.Choice(KERNELS),
    help="--csg: build and cut models with manifold3d meshes drawn by the mesh route (mesh; the "
    "default with --method auto or mesh) or with OpenCASCADE B-reps (occt; the default with exact, poly).",
)
@click.option(
    "--variants",
    default=2,
    show_default=True,
    type=click.IntRange(2),
    help="pairs: K subtractions of each model, drawn once, and an item for each of their K(K-1)/2 pairs.",
)
@click.option("--extra-poses", is_flag=True, help="poses task: also poses 9-20.")
@click.option(
    "--min-visible-change",
    default=0,
    show_default=True,
    type=click.IntRange(0),
    help="t2i/pairs: redraw a distractor (the pair's other object) that changes fewer visible-line "
    "pixels than this against the answer (0: SPARE3D, hidden-only distractors allowed; easier above 0).",
)
@click.option(
    "--max-models", type=click.IntRange(1), help="Stop after building this many models (rerun resumes)."
)
def dataset(
    task: str,
    models_dir: Path | None,
    csg_count: int | None,
    primitives: tuple[int, int],
    out_dir: Path,
    size: int,
    line_width: float,
    hidden: str,
    split: tuple[float, float, float],
    seed: int,
    workers: int,
    shard: tuple[int, int],
    executor: str,
    address: str | None,
    time_limit: float,
    method: str,
    kernel: str | None,
    variants: int,
    extra_poses: bool,
    min_visible_change: int,
    max_models: int | None,
) -> None:
    """Build a SPARE3D-layout question set (t2i, i2p, p2i) or pretext set (pairs, poses) in OUT.

    Resumable: rerun the same command to continue after a kill or Ctrl-C. Shards built into the same
    OUT make up the full set. `--executor ray` runs the same jobs on a Ray cluster: the same output.
    """
    if address is not None and executor != "ray":
        raise click.BadParameter("only with --executor ray", param_hint="--address")
    try:
        config = DatasetConfig(
            task=task,
            seed=seed,
            csg=csg_count,
            primitives=primitives,
            models=str(models_dir) if models_dir is not None else None,
            size=size,
            line_width=line_width,
            hidden=hidden,
            split=split,
            method=method,
            extra_poses=extra_poses,
            min_visible_change=min_visible_change,
            kernel=kernel,
            variants=variants,
        )
        report = build_dataset(
            config, out_dir, workers, shard, time_limit, max_models, executor=executor, address=address
        )
    except (DatasetError, StateFileError, RayUnavailable) as exc:
        raise CommandError(str(exc)) from None
    except OSError as exc:
        raise CommandError(
            f"{exc.filename or out_dir}: cannot write ({exc.strerror}); rerun the same command to resume"
        ) from None
    except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM (render.workers.jobs.Stopped): exit 128 + signal
        click.echo(f"interrupted; rerun the same command to resume ({out_dir})", err=True)
        raise SystemExit(128 + getattr(exc, "signum", signal.SIGINT)) from None
    click.echo(
        f"{task}: built {report.built}, filtered {report.filtered}, failed {report.failed}, "
        f"already done {report.skipped}; see {out_dir / MANIFEST_FILE}"
    )


@click.command()
@click.argument("data", type=click.Path(path_type=Path))
def pack(data: Path) -> None:
    """Pack each split of DATA into DATA/packed/<split>/images.npy (uint8, N x H x W) + index.json."""
    try:
        counts = pack_dataset(data)
    except (PackError, ValueError) as exc:
        raise CommandError(str(exc)) from None
    except OSError as exc:
        raise CommandError(f"{exc.filename or data}: {exc.strerror}") from None
    click.echo(", ".join(f"{split}: {n} images" for split, n in counts.items()) + f" in {data / PACKED_DIR}")


@click.command()
@click.argument("data", type=click.Path(path_type=Path))
@click.option("--task", type=click.Choice(TASKS), help="Layout to expect (default: recognised per split).")
@click.option("--size", type=click.IntRange(1), help="Expected image side in pixels.")
def check(data: Path, task: str | None, size: int | None) -> None:
    """Validate DATA (a dataset root or a split folder) against the SPARE3D layouts; exit 1 on problems."""
    problems = check_dataset(data, task, size)
    for line in problems:
        click.echo(line)
    click.echo(f"{data}: {len(problems)} problem(s)" if problems else f"{data}: ok")
    if problems:
        raise SystemExit(1)
