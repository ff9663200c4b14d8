"""`render dataset`: SPARE3D question sets and pretext sets, built in parallel, resumable, filtered.

Output folder OUT (layouts in `render.datasets.layout`):
  OUT/train, OUT/valid, OUT/test   split folders: question folders + answer.json (labelled tasks)
  OUT/manifest.json                 seed, versions, parameters, per model and per question records
  OUT/.build/config.json            the parameters that fix the content (a rerun must match them)
  OUT/.build/records/NNNNNN.json    one record per model built (the resume state)
  OUT/.build/tmp/                   question folders being written (renamed into a split when whole)

Models are generated CSG solids or the files of a folder: B-reps (STEP, IGES, BREP) or meshes (STL,
OBJ, PLY, OFF, GLB), which are drawn by the mesh route and, for t2i and pairs, cut by mesh booleans
(`render.models.solid`; a mesh that is not closed is recorded as failed for those two tasks).
Model i (a generated CSG solid or the i-th model file in sorted order) draws all its randomness from
numpy's default_rng([seed, i]): the solid, the subtracted primitives, the poses. Splits are by model
(a seeded permutation cut at the split fractions) and labels are balanced over the 4 positions within
each split (i mod 4 over the split's models, seeded shuffle), so neither depends on which models were
built in which run: a killed-and-resumed build, or the union of `--shard I/N` parts built into one
OUT, equals an uninterrupted build. Each model is built in a forked child under a time limit, here or,
with `--executor ray`, on the node of a Ray cluster that Ray chose (`render.workers.ray_jobs`): the
same jobs, the same output; this process writes every record either way. Line
routes as `render views`: 'auto' (default) is the mesh route with polygonal HLR for shapes it fails on;
'exact' runs exact hidden-line removal under the time limit and falls back to polygonal HLR past it.
Questions failing a filter (`render.datasets.filters`) are not written; their reason goes to the manifest. The
cross-question filter (three views near-identical to an earlier question's) runs once every model has a
record, and removes the later question. Each t2i question's record holds its difficulty (how much each
distractor's drawing differs from the answer's, `render.datasets.difficulty`), each pairs item's the
visible change between its two objects; `--min-visible-change` (default 0, as SPARE3D) redraws
distractors below it.

Generated CSG models are built by one of two kernels (`--kernel`, `render.models.csg`): "mesh" (the
default with the mesh route: manifold3d booleans for the model and every subtraction, drawn by the
mesh route) or "occt" (OpenCASCADE B-reps; the default with --method exact or poly). Both make the
same choices from a seed (the proxy decides every step), so they give the same models and questions
but for rare steps OpenCASCADE refuses; each record names its kernel. Pairs sets with `--variants K`
make K pairwise distinct subtractions of each model and one item per pair of them (K (K - 1) / 2
items `ID_a-b`, hard links to the K drawings, `render.datasets.questions.pairs`).
"""

from __future__ import annotations

import base64
import contextlib
import errno
import importlib
import importlib.metadata
import json
import math
import os
import platform
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from render.datasets.filters import duplicates, is_blank, near_identical_pairs, signature
from render.datasets.layout import (
    ANSWER_FILE,
    BUILD_DIR,
    LABELLED_TASKS,
    MANIFEST_FILE,
    N_CHOICES,
    SPLITS,
    TASKS,
    answer_value,
)
from render.datasets.questions import RECIPES, Drawer, Question, RecipeError
from render.errors import ModelError, StateFileError
from render.files import read_json, write_atomic
from render.lines.drawing import DEFAULT_MARGIN
from render.lines.mesh import is_mesh_file, load_mesh
from render.lines.views import METHODS, find_models, output_stems
from render.models.brep import load_shape
from render.models.csg import KERNELS, CsgError, csg_model, draw_segments
from render.models.solid import NotSubtractableError, Solid
from render.workers.jobs import Outcome, interrupt_flag, run_jobs
from render.workers.ray_jobs import ray_session, run_jobs_ray
from render.workers.timelimit import call_with_time_limit

CSG_INDEX = "csg.json"  # written by `render csg`: {"models": {file name: primitive count}}
DEFAULT_TIME_LIMIT = 60.0
# Parameters whose default changed after builds were made without them: what those builds did.
LEGACY_DEFAULTS = {"kernel": "occt"}
FORMAT = "linedraw3d-dataset/1"
EXECUTORS = ("local", "ray")  # where jobs run: forked processes here, or Ray tasks (render.workers.ray_jobs)
# modules a Ray task imports before forking a job's child (those loaded here, as the local pool inherits)
PRELOAD_PACKAGES = frozenset({"render", "numpy", "cv2", "OCP", "trimesh", "embreex", "manifold3d", "scipy"})


class DatasetError(Exception):
    """A dataset that cannot be built as asked; str() is one line naming the folder and the problem."""


class OutputNotShared(DatasetError):
    """A worker (a Ray node) that does not see the output folder: the build stops, nothing recorded."""


@dataclass(frozen=True)
class DatasetConfig:
    """Everything that fixes the content of a dataset (a rerun into the same folder must match it)."""

    task: str
    seed: int = 0
    csg: int | None = None
    primitives: tuple[int, int] = (3, 8)
    models: str | None = None
    size: int = 200
    line_width: float = 1.5
    hidden: str = "red"
    margin: float = DEFAULT_MARGIN
    split: tuple[float, float, float] = (0.8, 0.1, 0.1)
    method: str = "auto"
    extra_poses: bool = False
    min_visible_change: int = 0
    kernel: str | None = None  # None: "mesh" for methods auto and mesh, "occt" for exact and poly
    variants: int = 2

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise DatasetError(f"unknown task {self.task!r}; expected one of {', '.join(TASKS)}")
        if (self.csg is None) == (self.models is None):
            raise DatasetError("give exactly one model source: --models DIR or --csg N")
        if len(self.split) != 3 or min(self.split) < 0 or abs(sum(self.split) - 1) > 1e-6:
            raise DatasetError(f"split {self.split} is not three fractions >= 0 summing to 1")
        if self.method not in METHODS:
            raise DatasetError(f"unknown method {self.method!r}; expected one of {', '.join(METHODS)}")
        if self.kernel is None:
            object.__setattr__(self, "kernel", "occt" if self.method in ("exact", "poly") else "mesh")
        if self.kernel not in KERNELS:
            raise DatasetError(f"unknown kernel {self.kernel!r}; expected one of {', '.join(KERNELS)}")
        if self.kernel == "mesh" and self.method in ("exact", "poly") and self.csg is not None:
            raise DatasetError(f"--method {self.method} draws B-reps: use it with --kernel occt")
        if self.variants < 2 or (self.variants > 2 and self.task != "pairs"):
            raise DatasetError(f"--variants {self.variants}: need K >= 2, and K > 2 only with --task pairs")

    def to_json(self) -> dict:
        return json.loads(json.dumps(asdict(self)))


@dataclass(frozen=True)
class ModelSpec:
    """Model `index` of the dataset, its question id, source file (None: generated CSG) and, for files
    written by `render csg`, their primitive count (from the folder's csg.json)."""

    index: int
    qid: str
    path: str | None
    n_primitives: int | None = None


@dataclass(frozen=True)
class Job:
    spec: ModelSpec
    split: str
    label: int | None
    config: DatasetConfig
    out: str
    time_limit: float


@dataclass
class BuildReport:
    built: int = 0
    skipped: int = 0
    failed: int = 0
    filtered: int = 0
    interrupted: bool = False
    records: dict[int, dict] = field(default_factory=dict)


def model_specs(config: DatasetConfig) -> list[ModelSpec]:
    """The dataset's models in index order: csg_NNNNN, or the B-rep/mesh files of --models sorted."""
    if config.csg is not None:
        return [ModelSpec(i, f"csg_{i:05d}", None) for i in range(config.csg)]
    folder = Path(config.models)
    if not folder.is_dir():
        raise DatasetError(f"{folder}: no such folder of models")
    stems = output_stems(find_models(folder), folder)
    if not stems:
        raise DatasetError(f"{folder}: holds no model files")
    index = folder / CSG_INDEX
    counts = _csg_counts(index) if index.is_file() else {}
    return [
        ModelSpec(i, stem.replace(os.sep, "__"), str(p), counts.get(str(p.relative_to(folder))))
        for i, (p, stem) in enumerate(stems.items())
    ]


def _csg_counts(index: Path) -> dict[str, int]:
    """Primitive counts per model file from a model folder's csg.json (StateFileError if corrupt)."""
    recovery = "delete it (it only adds primitive counts to the manifest) and rerun"
    counts = read_json(index, recovery)
    if not isinstance(counts, dict) or not isinstance(counts.get("models", {}), dict):
        raise StateFileError(f"{index}: not a csg.json index; {recovery}")
    return counts.get("models", {})


def assign(n: int, config: DatasetConfig) -> tuple[list[str], list[int | None]]:
    """Split and label of each of n models: splits by a seeded permutation, labels balanced per split."""
    order = np.random.default_rng([config.seed, 1 << 20]).permutation(n)
    cuts = np.round(np.cumsum(config.split) * n).astype(int)
    splits = [""] * n
    labels: list[int | None] = [None] * n
    for s, (name, members) in enumerate(zip(SPLITS, np.split(order, cuts[:2]), strict=True)):
        members = np.sort(members)
        balanced = np.random.default_rng([config.seed, 1 << 21, s]).permutation(
            np.arange(len(members)) % N_CHOICES
        )
        for m, label in zip(members, balanced, strict=True):
            splits[m] = name
            labels[m] = int(label) if config.task in LABELLED_TASKS else None
    return splits, labels


def _make_question(job: Job, method: str) -> tuple[Question, int | None, str]:
    """The question of one model, its primitive count (CSG) and the line route that drew it."""
    config, spec = job.config, job.spec
    rng = np.random.default_rng([config.seed, spec.index])
    if spec.path is None:
        csg = csg_model(rng, config.primitives, config.kernel, draw_segments(config.size))
        model, n_primitives = Solid.of_csg(csg), csg.n_primitives
        if config.kernel == "mesh":
            method = "mesh"
    elif is_mesh_file(spec.path):
        model, n_primitives, method = Solid(mesh=load_mesh(spec.path)), None, "mesh"
    else:
        model, n_primitives = Solid(load_shape(spec.path)), spec.n_primitives
    draw = Drawer(method, config.size, config.line_width, config.hidden)
    extra = {"extra_poses": config.extra_poses} if config.task == "poses" else {}
    if config.task in ("t2i", "pairs"):
        extra = {"min_visible_change": config.min_visible_change}
    if config.variants > 2:
        extra["variants"] = config.variants
    question = RECIPES[config.task](spec.qid, model, rng, job.label, draw, config.margin, **extra)
    used = "mesh" if method == "auto" else method
    if draw.fallbacks:
        used = f"mesh + poly (fallback for {len(draw.fallbacks)} shapes: {draw.fallbacks[0]})"
    return question, n_primitives, used


def problems(question: Question) -> list[str]:
    """The reasons a question fails the per-question filters (blank drawings, near-identical items)."""
    found = [f"blank drawing {name}" for name, image in question.images.items() if is_blank(image)]
    for problem, items in question.distinct:
        found += [f"{problem}: {a} ~ {b}" for a, b in near_identical_pairs(items)]
    return found


def _kernel(job: Job) -> str:
    """What built and cut the model: the config's kernel for generated CSG, else by its file."""
    if job.spec.path is None:
        return job.config.kernel
    return "mesh" if is_mesh_file(job.spec.path) else "occt"


def write_question(question: Question, out: Path, split: str, qid: str) -> None:
    """Write a question folder whole or not at all: into .build/tmp, then renamed into the split.

    A question of several items (`Question.items`) is one folder per item, each renamed whole; an
    image is encoded and written once, into the first item holding it, and the other items' files are
    hard links to that file (copies where the file system has no links)."""
    if question.items is not None:
        _write_items(question, out, split)
        return
    tmp = out / BUILD_DIR / "tmp" / f"{qid}.{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for name, image in question.images.items():
        ok, data = cv2.imencode(".png", cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
        if not ok:
            raise RuntimeError(f"PNG encoding failed for {name}")
        (tmp / name).write_bytes(data.tobytes())
    for name in question.markers:
        (tmp / name).write_bytes(b"")
    target = out / split / qid
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(target, ignore_errors=True)  # left by a run killed before it recorded this model
    os.rename(tmp, target)


def _png(image: np.ndarray, name: str) -> bytes:
    ok, data = cv2.imencode(".png", cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    if not ok:
        raise RuntimeError(f"PNG encoding failed for {name}")
    return data.tobytes()


def _write_items(question: Question, out: Path, split: str) -> None:
    tmp_root = out / BUILD_DIR / "tmp"
    written: dict[str, Path] = {}
    folders = []
    for item, files in question.items.items():
        tmp = tmp_root / f"{item}.{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        for name, key in files.items():
            if key in written:
                try:
                    os.link(written[key], tmp / name)
                except OSError:
                    shutil.copyfile(written[key], tmp / name)
            else:
                (tmp / name).write_bytes(_png(question.images[key], name))
                written[key] = tmp / name
        folders.append((tmp, out / split / item))
    for tmp, target in folders:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(target, ignore_errors=True)
        os.rename(tmp, target)


def build_model(job: Job) -> dict:
    """Build, filter and write one model's question; returns its record (runs in a worker process)."""
    start = time.perf_counter()
    if not (Path(job.out) / BUILD_DIR / "config.json").is_file():  # a cluster node without the folder
        raise OutputNotShared(
            f"{job.out}: not found on worker host {platform.node()}; with --executor ray the output "
            "folder (and --models) must be on a file system every node mounts at the same path"
        )
    if job.config.method == "exact":
        try:
            question, n_primitives, method = call_with_time_limit(
                _make_question, job, "exact", time_limit=job.time_limit
            )
        except (RecipeError, ModelError, CsgError, NotSubtractableError):
            raise
        except Exception as exc:  # timeout or a crash of exact HLR: polygonal HLR still draws it
            question, n_primitives, _ = _make_question(job, "poly")
            why = f"after {job.time_limit:g}s" if isinstance(exc, TimeoutError) else f"exact failed: {exc}"
            method = f"poly (fallback {why})"
    else:
        question, n_primitives, method = _make_question(job, job.config.method)
    record = {
        "index": job.spec.index,
        "id": job.spec.qid,
        "source": job.spec.path or job.spec.qid,
        "split": job.split,
        "label": job.label,
        "n_primitives": n_primitives,
        "method": method,
        "kernel": _kernel(job),
        **question.info,
    }
    if question.items is not None:
        record["items"] = list(question.items)
    found = problems(question)
    if found:
        return record | {
            "status": "filtered",
            "reason": "; ".join(found),
            "time_s": time.perf_counter() - start,
        }
    write_question(question, Path(job.out), job.split, job.spec.qid)
    sig = signature([question.images[n] for n in question.three_views])
    return record | {
        "status": "ok",
        "reason": None,
        "signature": base64.b64encode(sig.tobytes()).decode(),
        "time_s": time.perf_counter() - start,
    }


def _records_dir(out: Path) -> Path:
    return out / BUILD_DIR / "records"


def _record_path(out: Path, index: int) -> Path:
    return _records_dir(out) / f"{index:06d}.json"


def prepare_output(out: Path, config: DatasetConfig) -> None:
    """Create OUT or check that it holds a dataset with the same parameters (one-line DatasetError)."""
    config_path = out / BUILD_DIR / "config.json"
    if out.exists() and not out.is_dir():
        raise DatasetError(f"{out}: exists and is not a folder")
    if config_path.is_file():
        new = config.to_json()
        # a parameter added after the build was made reads as its default (the build's behaviour)
        added = {f.name: f.default for f in fields(DatasetConfig) if f.default is not MISSING}
        added |= LEGACY_DEFAULTS
        held = read_json(
            config_path, "the build's parameters are lost: use a new folder (or delete this one)"
        )
        if not isinstance(held, dict):
            raise StateFileError(f"{config_path}: not a build config; use a new folder (or delete this one)")
        old = json.loads(json.dumps(added)) | held
        if old != new:
            changed = ", ".join(k for k in new if old.get(k) != new[k])
            raise DatasetError(
                f"{out}: holds a {old.get('task')} dataset with seed {old.get('seed')} built with other "
                f"parameters ({changed}); use another folder or the same flags"
            )
    elif out.is_dir() and any(out.iterdir()):
        raise DatasetError(f"{out}: folder is not empty and holds no dataset; use an empty or new folder")
    try:
        _records_dir(out).mkdir(parents=True, exist_ok=True)
        shutil.rmtree(out / BUILD_DIR / "tmp", ignore_errors=True)
        write_atomic(config_path, (json.dumps(config.to_json(), indent=1) + "\n").encode())
    except OSError as exc:
        if not config_path.is_file():  # nothing recorded yet: leave no half-made state that blocks a rerun
            shutil.rmtree(out / BUILD_DIR, ignore_errors=True)
        raise DatasetError(f"{out}: cannot write there ({exc.strerror})") from None


def parse_shard(spec: str) -> tuple[int, int]:
    """'I/N' -> (I, N) with 0 <= I < N."""
    try:
        i, n = (int(v) for v in spec.split("/"))
    except ValueError:
        raise ValueError(f"{spec!r} is not a shard I/N") from None
    if not 0 <= i < n:
        raise ValueError(f"shard {spec!r} needs 0 <= I < N")
    return i, n


def parse_split(spec: str) -> tuple[float, float, float]:
    """'0.8,0.1,0.1' -> fractions of train, valid, test (>= 0, summing to 1)."""
    try:
        parts = tuple(float(v) for v in spec.split(","))
    except ValueError:
        raise ValueError(f"{spec!r} is not three comma-separated fractions") from None
    if len(parts) != 3 or not all(map(math.isfinite, parts)) or min(parts) < 0 or abs(sum(parts) - 1) > 1e-6:
        raise ValueError(f"{spec!r} is not three fractions >= 0 summing to 1")
    return parts  # type: ignore[return-value]


def _record(job: Job, outcome: Outcome, limit: float) -> dict:
    """The record of a finished job: the worker's own, or one for a failure or a timeout."""
    if outcome.status == "ok":
        return outcome.value
    reason = (
        f"no result after {limit:g}s"
        if outcome.status == "timeout"
        else f"{type(outcome.value).__name__}: {outcome.value}".splitlines()[0]
    )
    return {
        "index": job.spec.index,
        "id": job.spec.qid,
        "source": job.spec.path or job.spec.qid,
        "split": job.split,
        "label": job.label,
        "n_primitives": None,
        "method": None,
        "status": "timeout" if outcome.status == "timeout" else "failed",
        "reason": reason,
        "time_s": outcome.seconds,
    }


def build_dataset(
    config: DatasetConfig,
    out: str | Path,
    workers: int = 1,
    shard: tuple[int, int] = (0, 1),
    time_limit: float = DEFAULT_TIME_LIMIT,
    max_models: int | None = None,
    progress: bool = True,
    executor: str = "local",
    address: str | None = None,
) -> BuildReport:
    """Build (or resume) the dataset in `out`; models already recorded are skipped.

    `shard` (I, N) builds only models with index % N == I; `max_models` stops after that many models
    (a time-boxed run; rerun to continue). The manifest and answer files are rewritten at the end,
    also after Ctrl-C or SIGTERM, which leave a resumable state (the KeyboardInterrupt is re-raised).
    `executor` says where the jobs run: "local", `workers` forked processes; "ray", Ray tasks on the
    cluster at `address` (or on a local Ray instance with `workers` CPUs), the same jobs under the same
    limits (`render.workers.ray_jobs`); the output does not depend on it.
    """
    if executor not in EXECUTORS:
        raise DatasetError(f"unknown executor {executor!r}; expected one of {', '.join(EXECUTORS)}")
    out = Path(out)
    specs = model_specs(config)
    prepare_output(out, config)
    _load_records(out, len(specs))  # a corrupt record stops the build before any work, naming the file
    splits, labels = assign(len(specs), config)
    mine = [s for s in specs if s.index % shard[1] == shard[0]]
    todo = [s for s in mine if not _record_path(out, s.index).is_file()]
    report = BuildReport(skipped=len(mine) - len(todo))
    todo = todo[:max_models] if max_models is not None else todo
    # exact HLR and its polygonal fallback each get the limit
    limit = time_limit * (2 if config.method == "exact" else 1)
    jobs = [Job(s, splits[s.index], labels[s.index], config, str(out), time_limit) for s in todo]
    if config.method in ("auto", "mesh"):
        # imported once here, so that each forked worker inherits it instead of importing it again
        importlib.import_module("render.lines.tessellate")
        for name in ("trimesh", "trimesh.grouping", "embreex.rtcore_scene", "embreex.mesh_construction"):
            with contextlib.suppress(ImportError):
                importlib.import_module(name)
    bar = tqdm(total=len(jobs), unit="question", desc=f"{config.task}", disable=not progress, smoothing=0.05)
    try:
        on_ray = executor == "ray" and bool(jobs)  # nothing to build: no Ray start-up
        with (
            ray_session(address, workers) if on_ray else contextlib.nullcontext(),
            interrupt_flag() as interrupted,  # after Ray's start: its SIGTERM handler exits at once
            contextlib.closing(
                run_jobs_ray(build_model, jobs, limit, interrupted, _preload())
                if on_ray
                else run_jobs(build_model, jobs, workers, limit, interrupted)
            ) as outcomes,
        ):
            for job, outcome in outcomes:
                if outcome.status == "error" and (
                    _is_disk_full(outcome.value) or isinstance(outcome.value, OutputNotShared)
                ):
                    raise outcome.value  # not the model's fault: stop; a rerun builds it
                record = _record(job, outcome, limit)
                write_atomic(_record_path(out, job.spec.index), (json.dumps(record) + "\n").encode())
                report.built += record["status"] == "ok"
                report.filtered += record["status"] == "filtered"
                report.failed += record["status"] in ("failed", "timeout")
                bar.update()
    except KeyboardInterrupt:
        report.interrupted = True
        raise
    finally:
        bar.close()
        report.records = finalize(out, config, specs, shard, time_limit)
    return report


def _preload() -> list[str]:
    """The modules loaded here that a Ray task imports before forking the job's child."""
    return sorted(m for m in sys.modules if m.partition(".")[0] in PRELOAD_PACKAGES)


def _is_disk_full(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)


RECORD_KEYS = frozenset({"id", "source", "split", "label", "n_primitives", "status"})


def _load_records(out: Path, n: int) -> dict[int, dict]:
    """The build records of models 0..n-1 that exist; StateFileError naming a corrupt one."""
    records = {}
    for i in range(n):
        path = _record_path(out, i)
        if path.is_file():
            recovery = "delete it and rerun the same command to rebuild that model"
            record = read_json(path, recovery)
            if not isinstance(record, dict) or not RECORD_KEYS <= record.keys():
                raise StateFileError(f"{path}: not a build record; {recovery}")
            if record["status"] == "ok" and not isinstance(record.get("signature"), str):
                raise StateFileError(f"{path}: a built model's record without its signature; {recovery}")
            records[i] = record
    return records


def cross_question_duplicates(records: dict[int, dict]) -> dict[int, int]:
    """Built questions whose three views are near-identical to an earlier question's: index -> earlier."""
    ok = sorted(i for i, r in records.items() if r["status"] == "ok")
    if len(ok) < 2:
        return {}
    sigs = np.stack([np.frombuffer(base64.b64decode(records[i]["signature"]), np.uint8) for i in ok])
    return {ok[row]: ok[first] for row, first in duplicates(sigs).items()}


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in ("linedraw3d", "cadquery-ocp-novtk", "numpy", "opencv-python-headless", "trimesh", "embreex"):
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def finalize(
    out: Path, config: DatasetConfig, specs: Sequence[ModelSpec], shard: tuple[int, int], time_limit: float
) -> dict[int, dict]:
    """Apply the cross-question filter (once complete), write answer.json per split and manifest.json."""
    records = _load_records(out, len(specs))
    complete = len(records) == len(specs)
    final = {i: {k: v for k, v in r.items() if k != "signature"} for i, r in records.items()}
    if complete:
        for i, first in cross_question_duplicates(records).items():
            final[i] |= {
                "status": "filtered",
                "reason": f"three views near-identical to question {records[first]['id']}",
            }
            for item in final[i].get("items", [final[i]["id"]]):
                shutil.rmtree(out / final[i]["split"] / item, ignore_errors=True)
    for split in SPLITS:
        (out / split).mkdir(exist_ok=True)
        if config.task in LABELLED_TASKS:
            answers = {
                r["id"]: answer_value(config.task, r["label"])
                for r in final.values()
                if r["status"] == "ok" and r["split"] == split and (out / split / r["id"]).is_dir()
            }
            write_atomic(
                out / split / ANSWER_FILE, (json.dumps(answers, indent=1, sort_keys=True) + "\n").encode()
            )
    questions = {
        item: {
            "split": r["split"],
            "model": r["source"],
            "index": i,
            "n_primitives": r["n_primitives"],
            "label": r["label"],
            **{k: r[k] for k in ("difficulty",) if k in r},
            **(
                {"visible_change": r["visible_change"][item] if "items" in r else r["visible_change"]}
                if "visible_change" in r
                else {}
            ),
        }
        for i, r in sorted(final.items())
        if r["status"] == "ok"
        for item in r.get("items", [r["id"]])
    }
    statuses = [r["status"] for r in final.values()]
    manifest = {
        "format": FORMAT,
        "task": config.task,
        "seed": config.seed,
        "parameters": config.to_json() | {"time_limit": time_limit, "shard": list(shard)},
        "versions": package_versions(),
        "complete": complete,
        "counts": {
            "models": len(specs),
            "recorded": len(records),
            **{s: statuses.count(s) for s in ("ok", "filtered", "failed", "timeout")},
            **{split: sum(q["split"] == split for q in questions.values()) for split in SPLITS},
        },
        "models": [final[i] for i in sorted(final)],
        "questions": questions,
    }
    write_atomic(out / MANIFEST_FILE, (json.dumps(manifest, indent=1) + "\n").encode())
    return final
