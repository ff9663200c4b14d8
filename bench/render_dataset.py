"""Benchmark `render dataset --task t2i` against a generator in the style of the original SPARE3D one.

Both build the same N T2I questions from generated CSG models with the same worker count, image size
and hidden-line style, in one run:
- ours: `render.datasets.dataset.build_dataset` (forked workers that serve many questions, the views of a
  shape in one call, PNG in memory; besides the answer's four drawings it draws each distractor's
  pose-2 and front views, and its right and top views when those still decide whether it looks the
  same as another candidate), per --method;
- reference: per question the same model and 4 subtractions, then per view exact HLR -> one SVG file
  -> CairoSVG -> PNG file (the original pipeline), in a process pool.
Then the packed-read rate: `render pack` on our set and random-order reads through `open_packed`
(copied out of the memory map), against cv2.imread of the PNG files.

    .venv/bin/python bench/render_dataset.py -n 60 --workers 2

Ours runs per --kernels (mesh: the mesh kernel, drawn by the mesh route; occt: per --methods);
--pairs 2,4 also builds N-model pairs sets with each --variants and prints pairs per model and per
second.

--profile N instead prints where one process's time goes building N of our questions in-process
(cProfile, cumulative), grouped into OpenCASCADE booleans, mesh proxy steps, validity checks, drawing,
filters and writing.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import resource
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from render.datasets.dataset import (
    DEFAULT_TIME_LIMIT,
    MANIFEST_FILE,
    DatasetConfig,
    Job,
    ModelSpec,
    assign,
    build_dataset,
    build_model,
    prepare_output,
    write_question,
)
from render.datasets.pack import open_packed, pack_dataset
from render.datasets.questions import Drawer
from render.lines.cameras import camera
from render.lines.drawing import Frame, to_svg
from render.lines.views import render_shape
from render.models.brep import shape_bounds
from render.models.csg import (
    _main_solid,
    boolean,
    csg_model,
    fine_step,
    mesh_step,
    recipe_primitive,
    subtract,
)
from render.workers.jobs import run_jobs


def reference_question(args: tuple[int, int, tuple[int, int], int, str, Path]) -> int:
    """One T2I question the original way; returns the number of PNG files written."""
    seed, index, primitives, size, hidden, out = args
    rng = np.random.default_rng([seed, index])
    model = csg_model(rng, primitives).shape
    lo, hi = shape_bounds(model)
    frame = Frame.around(lo, hi)
    objects = []
    while len(objects) < 4:
        obj = subtract(model, recipe_primitive(rng, lo, hi))
        if obj is not None:
            objects.append(obj)
    folder = out / f"q{index:05d}"
    folder.mkdir(parents=True, exist_ok=True)
    jobs = [(objects[0], v, f"q_{v}") for v in ("f", "r", "t")] + [
        (o, "2", str(j)) for j, o in enumerate(objects)
    ]
    import cairosvg

    for shape, view, name in jobs:
        lines = render_shape(shape, (view,), "exact", frame)[view]
        svg = folder / f"{name}.svg"
        svg.write_text(to_svg(lines, camera(view), frame, size, 1.5, hidden))
        cairosvg.svg2png(
            url=str(svg), write_to=str(folder / f"{name}.png"), output_width=size, output_height=size
        )
    return len(jobs)


def times(ratio: float) -> str:
    """'2.35x', or '-x' when there is no reference to compare with (--skip-reference)."""
    return "-x" if np.isnan(ratio) else f"{ratio:.2f}x"


def cpu_seconds() -> float:
    """CPU time of this process and of its finished (waited-for) descendants."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run_reference(
    n: int, workers: int, primitives: tuple[int, int], size: int, hidden: str, out: Path
) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, questions built) of the reference pipeline on n questions.

    The original pipeline has no time limit; here each question gets ours (`DEFAULT_TIME_LIMIT`), in
    the same forked pool, because exact HLR hangs or crashes on a few generated models and a plain
    process pool then waits forever or breaks. The time of a lost question (wall time of its job, about
    its CPU time when it hangs in exact HLR) is taken out of both figures: its CPU seconds, and its
    wall seconds divided among the workers, so that the rates are those of the questions built.
    """
    try:
        import cairosvg  # noqa: F401
    except ImportError:
        sys.exit("error: the reference pipeline needs CairoSVG: pip install -e '.[bench]'")
    start, cpu = time.perf_counter(), cpu_seconds()
    jobs = [(0, i, primitives, size, hidden, out) for i in range(n)]
    lost, lost_seconds = 0, 0.0
    for done, (job, outcome) in enumerate(run_jobs(reference_question, jobs, workers, DEFAULT_TIME_LIMIT), 1):
        if outcome.status != "ok":
            lost, lost_seconds = lost + 1, lost_seconds + outcome.seconds
            print(
                f"  reference: question {job[1]} lost after {outcome.seconds:.0f} s: {outcome.status} "
                f"{outcome.value or ''}"
            )
        if done % 50 == 0 or done == n:
            print(f"  reference: {done}/{n} questions, {lost} lost, {time.perf_counter() - start:.0f} s")
    wall = time.perf_counter() - start - lost_seconds / workers
    return wall, cpu_seconds() - cpu - lost_seconds, n - lost


def run_ours(
    n: int,
    workers: int,
    primitives: tuple[int, int],
    size: int,
    method: str,
    out: Path,
    kernel: str = "occt",
    task: str = "t2i",
    variants: int = 2,
) -> tuple[float, float, dict]:
    """(wall seconds, CPU seconds, manifest counts) of `build_dataset` on n models."""
    config = DatasetConfig(
        task=task,
        csg=n,
        seed=0,
        primitives=primitives,
        size=size,
        method=method,
        kernel=kernel,
        variants=variants,
    )
    start, cpu = time.perf_counter(), cpu_seconds()
    build_dataset(config, out, workers=workers, progress=False)
    seconds = time.perf_counter() - start
    return seconds, cpu_seconds() - cpu, json.loads((out / MANIFEST_FILE).read_text())["counts"]


def packed_reads(root: Path, repeats: int = 5) -> tuple[float, float]:
    """Images/s reading the packed train split in random order, and reading its PNG files."""
    pack_dataset(root)
    split = open_packed(root, "train")
    rng = np.random.default_rng(0)
    order = np.concatenate([rng.permutation(len(split.images)) for _ in range(repeats)])
    start = time.perf_counter()
    total = 0
    for row in order:
        total += int(np.array(split.images[row])[0, 0])
    packed = len(order) / (time.perf_counter() - start)
    files = sorted((root / "train").rglob("*.png"))
    start = time.perf_counter()
    for path in files:
        total += int(cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)[0, 0])
    png = len(files) / (time.perf_counter() - start)
    return packed, png


def profile(n: int, primitives: tuple[int, int], size: int, method: str, kernel: str) -> dict[str, float]:
    """Seconds per question, by part, of building n of our T2I questions in this process (cProfile)."""
    config = DatasetConfig(
        task="t2i", csg=n, seed=0, primitives=primitives, size=size, method=method, kernel=kernel
    )
    splits, labels = assign(n, config)
    with tempfile.TemporaryDirectory() as out:
        prepare_output(Path(out), config)  # workers check that the build's folder is there
        jobs = [
            Job(ModelSpec(i, f"csg_{i:05d}", None), splits[i], labels[i], config, out, DEFAULT_TIME_LIMIT)
            for i in range(n)
        ]
        profiler = cProfile.Profile()
        profiler.runcall(lambda: [build_model(job) for job in jobs])
    stats = pstats.Stats(profiler).stats

    def key(fn) -> tuple:
        code = fn.__code__
        return code.co_filename, code.co_firstlineno, code.co_name

    def cumulative(fn, caller=None) -> float:  # the time in fn and everything it calls, C++ included
        entry = stats.get(key(fn), (0, 0, 0, 0.0, {}))
        return (entry[3] if caller is None else entry[4].get(key(caller), (0, 0, 0, 0.0))[3]) / n

    parts = {
        "booleans (OCCT fuse/cut + merging coplanar faces)": cumulative(boolean),
        "mesh steps (manifold3d booleans, pieces, volumes; the proxy)": (
            cumulative(mesh_step) - cumulative(mesh_step, caller=fine_step)
        ),
        "mesh kernel steps (the proxy's, then the booleans of the meshes drawn)": cumulative(fine_step),
        "validity of boolean results (BRepCheck)": cumulative(_main_solid),
        "drawing (tessellation, lines, rasterizing)": cumulative(Drawer.__call__),
        "writing question folders (PNG encoding, files)": cumulative(write_question),
    }
    rest = cumulative(build_model) - sum(parts.values())
    return parts | {"filters, model volume and bounds, the rest": rest}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=60, help="T2I questions per pipeline")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--size", type=int, default=200)
    parser.add_argument("--primitives", default="3-8")
    parser.add_argument(
        "--methods", default="auto,poly", help="our methods to time (auto, exact, poly, mesh)"
    )
    parser.add_argument(
        "--kernels", default="mesh,occt", help="CSG kernels to time ours with (mesh: method mesh only)"
    )
    parser.add_argument(
        "--pairs", default="", metavar="K,K", help="also time pairs sets with these --variants (e.g. 2,4)"
    )
    parser.add_argument("--skip-reference", action="store_true", help="time only ours")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="profile N questions in-process")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # progress shows when the output goes to a file
    primitives = tuple(int(v) for v in args.primitives.split("-"))
    if args.profile:
        method, kernel = args.methods.split(",")[0], args.kernels.split(",")[0]
        parts = profile(args.profile, primitives, args.size, method, kernel)
        total = sum(parts.values())
        print(
            f"{args.profile} T2I questions ({args.primitives} primitives, --method {method} "
            f"--kernel {kernel}), one process:"
        )
        for name, seconds in parts.items():
            print(f"  {name:66s} {seconds * 1000:6.0f} ms/question  {seconds / total:6.1%}")
        print(f"  {'total (cProfile slows the Python parts)':66s} {total * 1000:6.0f} ms/question")
        return
    print(
        f"T2I, {args.n} CSG questions ({args.primitives} primitives), {args.size} px, {args.workers} workers"
    )
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        ref_rate, ref_cpu = (float("nan"),) * 2  # questions/s wall, CPU s/question
        if not args.skip_reference:
            wall, cpu, built = run_reference(
                args.n, args.workers, primitives, args.size, "red", tmp / "reference"
            )
            ref_rate, ref_cpu = built / wall, cpu / built
            # On a shared machine wall time depends on other load; CPU time per question does not, and
            # workers / (CPU s per question) is the rate the same cores reach when they are free.
            print(
                f"reference (exact HLR, SVG files, CairoSVG; 7 views/question): {ref_rate:6.2f} q/s wall, "
                f"{ref_cpu:.3f} CPU s/question -> {args.workers / ref_cpu:.2f} q/s on {args.workers} free "
                f"cores; {args.n - built} lost (crash or past {DEFAULT_TIME_LIMIT:g} s; their time left out)"
            )
        first = None
        for kernel in args.kernels.split(","):
            for method in ["mesh"] if kernel == "mesh" else args.methods.split(","):
                name = f"{kernel}-{method}"
                first = first or name
                seconds, cpu, counts = run_ours(
                    args.n, args.workers, primitives, args.size, method, tmp / name, kernel
                )
                rate, cpu = args.workers * args.n / cpu, cpu / args.n  # free-core rate, CPU s/question
                print(
                    f"ours --kernel {kernel} --method {method:5s} (10+ views/question, ambiguity checks): "
                    f"{args.n / seconds:6.2f} q/s wall ({times(args.n / seconds / ref_rate)} reference), "
                    f"{cpu:.3f} CPU s/question -> {rate:.2f} q/s on {args.workers} free cores "
                    f"({times(ref_cpu / cpu)} reference), 5,000 questions in {5000 / rate / 60:.1f} min, "
                    f"40,000 in {40000 / (args.n / seconds) / 60:.0f} min at the wall rate; "
                    f"ok {counts['ok']}, filtered {counts['filtered']}, "
                    f"failed {counts['failed'] + counts['timeout']}"
                )
        for variants in [int(k) for k in args.pairs.split(",") if k]:
            for kernel in args.kernels.split(","):
                method = "mesh" if kernel == "mesh" else args.methods.split(",")[0]
                name = f"pairs-{variants}-{kernel}"
                seconds, cpu, counts = run_ours(
                    args.n, args.workers, primitives, args.size, method, tmp / name, kernel, "pairs", variants
                )
                items = counts["train"] + counts["valid"] + counts["test"]
                print(
                    f"pairs --variants {variants} --kernel {kernel}: {args.n} models, {items} pairs "
                    f"({items / max(counts['ok'], 1):.2f} per built model), {items / seconds:.2f} pairs/s "
                    f"wall, {cpu / max(items, 1):.3f} CPU s/pair; ok {counts['ok']}, filtered "
                    f"{counts['filtered']}, failed {counts['failed'] + counts['timeout']}"
                )
        packed, png = packed_reads(tmp / first)
        print(
            f"packed reads: {packed:,.0f} images/s (random order); PNG files, cv2.imread: {png:,.0f} images/s"
        )


if __name__ == "__main__":
    main()
