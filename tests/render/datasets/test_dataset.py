"""`render dataset`: layouts, labels, splits, the t2i recipe's geometry, filters, resume, shards, errors."""

from __future__ import annotations

import filecmp
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
import trimesh
from click.testing import CliRunner

from render.cli import main
from render.datasets.dataset import (
    BUILD_DIR,
    MANIFEST_FILE,
    DatasetConfig,
    DatasetError,
    assign,
    build_dataset,
)
from render.datasets.filters import near_identical
from render.datasets.layout import ANSWER_FILE, SPLITS, image_names, pose_marker
from render.datasets.questions import Drawer, t2i
from render.lines.cameras import camera
from render.lines.drawing import rasterize
from render.lines.views import render_shape
from render.models.csg import csg_model, volume, write_step
from render.models.solid import Solid

SMALL = dict(size=64, primitives=(1, 3))


def build(out: Path, task: str, n: int = 4, **kw) -> dict:
    options = dict(
        workers=kw.pop("workers", 2), shard=kw.pop("shard", (0, 1)), max_models=kw.pop("max_models", None)
    )
    config = DatasetConfig(task=task, csg=n, seed=kw.pop("seed", 3), **(SMALL | kw))
    build_dataset(config, out, progress=False, **options)
    return json.loads((out / MANIFEST_FILE).read_text())


def read_png(path: Path) -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(path), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def split_trees(out: Path) -> dict[str, bytes]:
    """Every file under the split folders, by relative path."""
    return {
        str(p.relative_to(out)): p.read_bytes()
        for s in SPLITS
        for p in sorted((out / s).rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def t2i_set(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("t2i") / "data"
    build(out, "t2i", n=6, method="exact")
    return out


@pytest.mark.parametrize("task", ["i2p", "p2i", "pairs", "poses"])
def test_layout_is_exact_per_task(tmp_path, task: str) -> None:
    manifest = build(tmp_path, task, n=3, method="poly", split=(1.0, 0.0, 0.0), primitives=(2, 3))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([BUILD_DIR, MANIFEST_FILE, *SPLITS])
    assert manifest["task"] == task and manifest["counts"]["models"] == 3
    train = tmp_path / "train"
    folders = sorted(p.name for p in train.iterdir() if p.is_dir())
    assert folders == sorted(manifest["questions"]) and folders
    for qid in folders:
        names = {p.name for p in (train / qid).iterdir()}
        expected = set(image_names(task, qid))
        if task == "p2i":
            markers = {n for n in names if n.startswith("pose_")}
            assert len(markers) == 1 and markers <= {pose_marker(k) for k in range(1, 9)}
            assert (train / qid / markers.pop()).stat().st_size == 0
            expected |= {n for n in names if n.startswith("pose_")}
        assert names == expected
        for name in expected - {n for n in names if n.endswith(".txt")}:
            assert read_png(train / qid / name).shape == (64, 64, 3)
    has_answers = (train / ANSWER_FILE).is_file()
    assert has_answers == (task in ("i2p", "p2i"))
    if has_answers:
        answers = json.loads((train / ANSWER_FILE).read_text())
        assert sorted(answers) == folders and all(int(a) in range(4) for a in answers.values())
        # as the released data writes them: strings for i2p, integers for t2i and p2i
        assert {type(a) for a in answers.values()} == {str if task == "i2p" else int}


def test_t2i_layout_answer_and_manifest(t2i_set: Path) -> None:
    manifest = json.loads((t2i_set / MANIFEST_FILE).read_text())
    assert manifest["seed"] == 3 and manifest["complete"] and "numpy" in manifest["versions"]
    assert manifest["parameters"]["size"] == 64 and manifest["parameters"]["method"] == "exact"
    for model in manifest["models"]:
        assert model["status"] in ("ok", "filtered", "failed", "timeout") and model["time_s"] > 0
        assert (model["reason"] is None) == (model["status"] == "ok")
    for qid, q in manifest["questions"].items():
        folder = t2i_set / q["split"] / qid
        assert {p.name for p in folder.iterdir()} == set(image_names("t2i", qid))
        assert 1 <= q["n_primitives"] <= 3
        assert json.loads((t2i_set / q["split"] / ANSWER_FILE).read_text())[qid] == q["label"]


def test_splits_are_by_model_and_labels_balanced() -> None:
    config = DatasetConfig(task="t2i", csg=103, seed=5)
    splits, labels = assign(103, config)
    assert (splits, labels) == assign(103, config)
    assert [splits.count(s) for s in SPLITS] == [82, 93 - 82, 103 - 93]  # cuts at round(cumulative * n)
    for s in SPLITS:
        counts = np.bincount(
            [label for sp, label in zip(splits, labels, strict=True) if sp == s], minlength=4
        )
        assert counts.max() - counts.min() <= 1
    other, _ = assign(103, DatasetConfig(task="t2i", csg=103, seed=6))
    assert other != splits
    assert assign(8, DatasetConfig(task="poses", csg=8))[1] == [None] * 8


def test_built_splits_are_disjoint(t2i_set: Path) -> None:
    seen = [p.name for s in SPLITS for p in (t2i_set / s).iterdir() if p.is_dir()]
    assert len(seen) == len(set(seen))
    manifest = json.loads((t2i_set / MANIFEST_FILE).read_text())
    for qid, q in manifest["questions"].items():
        assert [s for s in SPLITS if (t2i_set / s / qid).is_dir()] == [q["split"]]


class RecordingDrawer(Drawer):
    """A drawer that remembers every shape it drew, with its drawings."""

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.drawn: list[tuple] = []

    def __call__(self, shape, views, frame):
        images = super().__call__(shape, views, frame)
        self.drawn.append((shape, images, frame))
        return images


def test_t2i_correct_candidate_is_the_drawn_geometry(t2i_set: Path) -> None:
    manifest = json.loads((t2i_set / MANIFEST_FILE).read_text())
    qid, q = next(iter(manifest["questions"].items()))
    index, label = q["index"], q["label"]
    rng = np.random.default_rng([3, index])  # the model's randomness, as the build drew it
    csg = csg_model(rng, (1, 3))
    model = csg.shape
    drawer = RecordingDrawer(method="exact", size=64, hidden="red")
    question = t2i(qid, Solid(model, csg.mesh), rng, label, drawer)
    folder = t2i_set / q["split"] / qid
    for name, image in question.images.items():  # the build wrote exactly these drawings
        np.testing.assert_array_equal(read_png(folder / name), image)
    by_candidate = {}
    for solid, images, frame in drawer.drawn:
        for j in range(4):
            if np.array_equal(images["2"], read_png(folder / f"{j}.png")):
                by_candidate[j] = (solid.shape, frame)
    assert sorted(by_candidate) == [0, 1, 2, 3]
    correct, frame = by_candidate[label]
    fresh = render_shape(correct, ("f", "r", "t"), "exact", frame)  # re-render the answer's geometry
    for v in ("f", "r", "t"):
        redrawn = rasterize(fresh[v], camera(v), frame, 64, 1.5, "red")
        np.testing.assert_array_equal(redrawn, read_png(folder / f"{qid}_{v}.png"))
    assert volume(correct) < volume(model)
    for j, (shape, _) in by_candidate.items():
        if j == label:
            continue
        assert abs(volume(shape) - volume(correct)) > 1e-6 * volume(model)
        other = render_shape(shape, ("f", "r", "t"), "exact", frame)
        views_same = all(
            near_identical(
                rasterize(other[v], camera(v), frame, 64, 1.5, "red"), read_png(folder / f"{qid}_{v}.png")
            )
            for v in ("f", "r", "t")
        )
        assert not views_same, f"distractor {j} has the answer's three views"
        assert not near_identical(read_png(folder / f"{j}.png"), read_png(folder / f"{label}.png"))


def test_planted_duplicate_model_is_filtered(tmp_path) -> None:
    models = tmp_path / "models"
    models.mkdir()
    write_step(csg_model(np.random.default_rng(11), (2, 2)).shape, models / "a.step")
    shutil.copy(models / "a.step", models / "b.step")
    write_step(csg_model(np.random.default_rng(12), (2, 2)).shape, models / "c.step")
    config = DatasetConfig(task="i2p", models=str(models), size=64, method="poly", split=(1.0, 0.0, 0.0))
    build_dataset(config, tmp_path / "out", workers=1, progress=False)
    manifest = json.loads((tmp_path / "out" / MANIFEST_FILE).read_text())
    status = {m["id"]: (m["status"], m["reason"]) for m in manifest["models"]}
    assert status["b"] == ("filtered", "three views near-identical to question a")
    assert status["a"][0] == "ok" and status["c"][0] == "ok"
    assert not (tmp_path / "out" / "train" / "b").exists()
    assert sorted(json.loads((tmp_path / "out" / "train" / ANSWER_FILE).read_text())) == ["a", "c"]


def test_models_from_render_csg_keep_their_primitive_counts(tmp_path) -> None:
    runner = CliRunner()
    made = runner.invoke(
        main, ["csg", "-n", "2", "-o", str(tmp_path / "m"), "--primitives", "2-3", "--seed", "1"]
    )
    assert made.exit_code == 0, made.output
    counts = json.loads((tmp_path / "m" / "csg.json").read_text())["models"]
    config = DatasetConfig(
        task="poses", models=str(tmp_path / "m"), size=32, method="poly", split=(1.0, 0, 0)
    )
    build_dataset(config, tmp_path / "out", workers=1, progress=False)
    models = json.loads((tmp_path / "out" / MANIFEST_FILE).read_text())["models"]
    assert {m["id"]: m["n_primitives"] for m in models} == {
        k.removesuffix(".step"): v for k, v in counts.items()
    }


def test_symmetric_model_is_filtered_for_i2p(tmp_path) -> None:
    models = tmp_path / "models"
    models.mkdir()
    from render.models.csg import make_primitive

    write_step(make_primitive("box", (0, 0, 0), (10, 10, 10)), models / "cube.step")
    config = DatasetConfig(task="i2p", models=str(models), size=64, method="poly", split=(1.0, 0.0, 0.0))
    build_dataset(config, tmp_path / "out", workers=1, progress=False)
    (model,) = json.loads((tmp_path / "out" / MANIFEST_FILE).read_text())["models"]
    assert model["status"] == "filtered" and model["reason"].startswith(
        "pose ambiguous by symmetry: pose 1 ~ pose 2"
    )
    assert not (tmp_path / "out" / "train" / "cube").exists()


def test_killed_and_resumed_build_equals_uninterrupted(tmp_path) -> None:
    build(tmp_path / "full", "p2i", n=5, method="poly")
    build(tmp_path / "resumed", "p2i", n=5, method="poly", max_models=2)
    partial = json.loads((tmp_path / "resumed" / MANIFEST_FILE).read_text())
    assert not partial["complete"] and partial["counts"]["recorded"] == 2
    (tmp_path / "resumed" / BUILD_DIR / "tmp" / "stale.123").mkdir(
        parents=True
    )  # a killed worker's leftovers
    build(tmp_path / "resumed", "p2i", n=5, method="poly", workers=1)
    assert split_trees(tmp_path / "resumed") == split_trees(tmp_path / "full")
    full = json.loads((tmp_path / "full" / MANIFEST_FILE).read_text())
    resumed = json.loads((tmp_path / "resumed" / MANIFEST_FILE).read_text())
    assert resumed["questions"] == full["questions"] and resumed["complete"]
    assert not any((tmp_path / "resumed" / BUILD_DIR / "tmp").glob("*"))


def test_shards_union_to_the_full_set(tmp_path) -> None:
    build(tmp_path / "full", "poses", n=5, method="poly")
    for i in range(3):
        build(tmp_path / "sharded", "poses", n=5, method="poly", shard=(i, 3), workers=1)
        build(tmp_path / f"part{i}", "poses", n=5, method="poly", shard=(i, 3), workers=1)
    assert split_trees(tmp_path / "sharded") == split_trees(tmp_path / "full")
    parts = [split_trees(tmp_path / f"part{i}") for i in range(3)]
    assert sum(len(p) for p in parts) == len(split_trees(tmp_path / "full"))
    merged = {k: v for p in parts for k, v in p.items()}
    assert merged == split_trees(tmp_path / "full")


def test_cli_errors_are_one_clear_line(tmp_path) -> None:
    runner = CliRunner()
    base = ["dataset", "--task", "i2p", "--size", "32", "--method", "poly"]
    cases = [
        ([*base, "--csg", "2", "-o", str(tmp_path / "a"), "--split", "0.5,0.5"], 2, "--split"),
        ([*base, "--csg", "2", "-o", str(tmp_path / "a"), "--shard", "3/3"], 2, "--shard"),
        (
            [*base, "--csg", "2", "--models", str(tmp_path), "-o", str(tmp_path / "a")],
            1,
            "exactly one model source",
        ),
        (
            [*base, "--models", str(tmp_path / "none"), "-o", str(tmp_path / "a")],
            1,
            "no such folder of models",
        ),
        (["dataset", "--task", "x2y", "--csg", "1", "-o", str(tmp_path / "a")], 2, "--task"),
    ]
    for args, code, text in cases:
        result = runner.invoke(main, args)
        assert result.exit_code == code and text in result.output and "Traceback" not in result.output, args
    (tmp_path / "file").write_text("x")
    result = runner.invoke(main, [*base, "--csg", "1", "-o", str(tmp_path / "file")])
    assert result.exit_code == 1 and "is not a folder" in result.output
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("x")
    result = runner.invoke(main, [*base, "--csg", "1", "-o", str(tmp_path / "busy")])
    assert result.exit_code == 1 and "holds no dataset" in result.output
    ok = runner.invoke(main, [*base, "--csg", "1", "-o", str(tmp_path / "d")])
    assert ok.exit_code == 0, ok.output
    for other in (["--seed", "4"], ["--task", "p2i"]):
        args = [*base, "--csg", "1", "-o", str(tmp_path / "d"), *other]
        result = runner.invoke(main, args)
        assert result.exit_code == 1 and "holds a i2p dataset with seed 0" in result.output, result.output
    with pytest.raises(DatasetError, match="split"):
        DatasetConfig(task="t2i", csg=1, split=(0.5, 0.6, 0.1))


def test_rerun_of_a_finished_build_changes_nothing(t2i_set: Path, tmp_path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(t2i_set, copy)
    build(copy, "t2i", n=6, method="exact")
    assert split_trees(copy) == split_trees(t2i_set)
    assert not filecmp.dircmp(copy / "train", t2i_set / "train").diff_files


def test_ctrl_c_leaves_a_resumable_state(tmp_path) -> None:
    out, n = tmp_path / "interrupted", 24
    args = [str(Path(sys.executable).parent / "render"), "dataset", "--task", "i2p", "--csg", str(n)]
    args += ["--size", "48", "--primitives", "1-2", "--method", "poly", "--seed", "3", "--workers", "2"]
    process = subprocess.Popen(
        [*args, "-o", str(out)], stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    records = out / BUILD_DIR / "records"
    deadline = time.monotonic() + 60
    while not (records.is_dir() and any(records.iterdir())) and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole process group
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130 and "interrupted; rerun the same command to resume" in err
    partial = json.loads((out / MANIFEST_FILE).read_text())
    assert 0 < partial["counts"]["recorded"] < n and not partial["complete"]
    build(out, "i2p", n=n, method="poly", size=48, primitives=(1, 2))
    build(tmp_path / "full", "i2p", n=n, method="poly", size=48, primitives=(1, 2))
    assert split_trees(out) == split_trees(tmp_path / "full")


def test_models_over_the_time_limit_are_recorded_and_skipped(tmp_path) -> None:
    # 4-6 primitives: generating a model alone takes several boolean operations, far over 1 ms
    config = DatasetConfig(task="poses", csg=3, size=32, primitives=(4, 6), method="poly")
    start = time.monotonic()
    report = build_dataset(config, tmp_path, workers=2, time_limit=0.001, progress=False)
    assert time.monotonic() - start < 20 and report.failed == 3
    models = json.loads((tmp_path / MANIFEST_FILE).read_text())["models"]
    assert [m["status"] for m in models] == ["timeout"] * 3
    assert all(m["reason"] == "no result after 0.001s" for m in models)
    assert not [p for s in SPLITS for p in (tmp_path / s).iterdir()]


def test_mesh_models_make_questions_and_open_meshes_fail_with_their_reason(tmp_path) -> None:
    models = tmp_path / "models"
    models.mkdir()
    block = trimesh.creation.box((30, 20, 10)).difference(trimesh.creation.cylinder(4, 40, sections=48))
    block.export(models / "block.stl")
    open_box = trimesh.creation.box((30, 20, 10))
    open_box.update_faces(np.arange(10))  # two of the 12 triangles missing
    open_box.export(models / "open.stl")
    for task in ("t2i", "i2p"):
        config = DatasetConfig(task=task, models=str(models), size=64, split=(1.0, 0.0, 0.0))
        records = build_dataset(config, tmp_path / task, workers=1, progress=False).records
        by_id = {r["id"]: r for r in records.values()}
        assert by_id["block"]["status"] == "ok" and by_id["block"]["method"] == "mesh"
        written = sorted(p.name for p in (tmp_path / task / "train" / "block").iterdir())
        assert written == sorted(image_names(task, "block"))
    # drawing needs no closed mesh (i2p), subtracting primitives does (t2i)
    assert by_id["open"]["status"] == "ok"
    t2i_open = json.loads((tmp_path / "t2i" / MANIFEST_FILE).read_text())["models"][1]
    assert t2i_open["id"] == "open" and t2i_open["status"] == "failed"
    assert "not a closed manifold mesh" in t2i_open["reason"]
