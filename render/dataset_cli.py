"""The data-making commands of `render`: `csg` (procedural STEP models)."""

from __future__ import annotations

import json
from pathlib import Path

import click
import numpy as np
from tqdm import tqdm

from render.cli import CommandError
from render.csg import CsgError, csg_model, parse_primitive_range, write_step
from render.views import write_atomic

CSG_INDEX = "csg.json"


def _primitives(ctx: click.Context, param: click.Parameter, value: str) -> tuple[int, int]:
    try:
        return parse_primitive_range(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def csg_file_name(index: int) -> str:
    return f"csg_{index:05d}.step"


@click.command()
@click.option("-n", "count", required=True, type=click.IntRange(1), help="Number of models.")
@click.option("-o", "--out", "out_dir", required=True, type=click.Path(path_type=Path), help="Output folder.")
@click.option("--seed", default=0, show_default=True, type=int, help="Random seed.")
@click.option("--primitives", default="3-8", show_default=True, callback=_primitives, help="Range A-B.")
def csg(count: int, out_dir: Path, seed: int, primitives: tuple[int, int]) -> None:
    """Write N procedural CSG solids as OUT/csg_NNNNN.step, model i drawn from seed (S, i).

    Existing files are kept (a rerun resumes); OUT/csg.json lists each model's primitive count.
    """
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CommandError(f"{out_dir}: cannot create output folder ({exc.strerror})") from None
    index_path = out_dir / CSG_INDEX
    index = json.loads(index_path.read_text()) if index_path.is_file() else None
    if index is not None and (index["seed"], tuple(index["primitives"])) != (seed, primitives):
        raise CommandError(
            f"{out_dir}: holds models of seed {index['seed']}, primitives {index['primitives']}; "
            "use another folder"
        )
    counts: dict[str, int] = dict(index["models"]) if index else {}
    failures = []
    try:
        for i in tqdm(range(count), unit="model", desc="csg"):
            name = csg_file_name(i)
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
            write_step(model.shape, out_dir / name)
            counts[name] = model.n_primitives
    except OSError as exc:
        raise CommandError(f"{out_dir}: cannot write ({exc.strerror})") from None
    finally:
        record = {"seed": seed, "primitives": list(primitives), "models": dict(sorted(counts.items()))}
        write_atomic(index_path, (json.dumps(record, indent=1) + "\n").encode())
    for line in failures:
        click.echo(f"failed: {line}", err=True)
    click.echo(f"{len(counts)} models in {out_dir}, {len(failures)} failed")
    if failures:
        raise SystemExit(1)
