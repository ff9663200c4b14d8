"""Bad input and faults of `spare3d pretrain`, `train`, `eval` and `report`, one row each: the command, its
exit code, a fragment of its one error line, no traceback, and the paths it must not leave behind (rows
marked "(held before)" guard cases handled before issue 13). Also: a non-finite loss stops training
before any weights of that step are written, and killed checkpoint writes leave no temporary file."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from click.testing import CliRunner
from safetensors.torch import load_file, save_file

from spare3d.cli import main
from sslcore.backbones import build_backbone
from sslcore.checkpoint import export_backbone
from sslcore.heads import HeadConfig, ProjectionHead
from sslcore.methods.simclr import SimCLR

TINY = ["--image-size", "16", "--batch-size", "8", "--epochs", "1", "--proj-hidden", "32", "--proj-dim", "16"]
TINY += ["--no-labels", "--knn-every", "0", "--checkpoint-every", "1"]


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("images")
    rng = np.random.default_rng(0)
    for i in range(16):
        img = np.full((20, 20), 255, np.uint8)
        cv2.line(img, tuple(int(v) for v in rng.integers(0, 20, 2)), (10, 10), 0, 1)
        cv2.imwrite(str(root / f"{i}.png"), img)
    return root


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A genuine resnet18 export with its head (1 channel, 16-dimensional embedding)."""
    path = tmp_path_factory.mktemp("export") / "good.safetensors"
    backbone, dim = build_backbone("resnet18", 1, True)
    meta = dict(backbone="resnet18", in_channels=1, small_input=True, method="simclr")
    return export_backbone(path, backbone, meta, head=ProjectionHead(HeadConfig(dim, 32, 16)))


def _crafted(export: Path, w: Path, edit: Callable[[dict], object]) -> Path:
    """The export's tensors with its metadata replaced by edit(metadata) (a string is written as is)."""
    meta = json.loads(export.with_suffix(".json").read_text())
    new = edit(meta)
    path = w / "crafted.safetensors"
    save_file(load_file(export), path, metadata={"sslcore": new if isinstance(new, str) else json.dumps(new)})
    return path


def _pickled(w: Path) -> Path:
    path = w / "evil.pt"
    torch.save({"format": "sslcore-checkpoint-v1", "payload": Path("anything")}, path)
    return path


def _file(path: Path) -> Path:
    path.write_text("a file, not a folder")
    return path


def _teacher(images: Path, w: Path, teacher: Path) -> list[str]:
    return [
        "pretrain",
        "--method",
        "disco",
        "--data",
        str(images),
        "--out",
        str(w / "o"),
        *TINY,
        "--teacher",
        str(teacher),
    ]


def _pretrain(images: Path, w: Path, *extra: str) -> list[str]:
    return ["pretrain", "--method", "simclr", "--data", str(images), "--out", str(w / "o"), *TINY, *extra]


# (id, setup(w, images, export, data_root) -> (argv, absent paths), exit code, message fragment)
ROWS: list[tuple[str, Callable, int, str]] = [
    (
        "pretrain: --out is an existing file",
        lambda w, i, e, d: (
            ["pretrain", "--method", "simclr", "--data", str(i), "--out", str(_file(w / "f"))],
            [],
        ),
        1,
        "cannot create the folder (File exists)",
    ),
    (
        "pretrain: --out under /proc",
        lambda w, i, e, d: (["pretrain", "--method", "simclr", "--data", str(i), "--out", "/proc/x/y"], []),
        1,
        "--out /proc/x/y: cannot create the folder",
    ),
    (
        "pretrain: --lr -1",
        lambda w, i, e, d: (_pretrain(i, w, "--lr", "-1"), [w / "o"]),
        1,
        "--lr must be > 0",
    ),
    (
        "pretrain: --temperature 0 (was silently 0.5)",
        lambda w, i, e, d: (_pretrain(i, w, "--temperature", "0"), [w / "o"]),
        1,
        "--temperature must be > 0",
    ),
    (
        "pretrain: --image-size 100000",
        lambda w, i, e, d: (_pretrain(i, w, "--image-size", "100000"), [w / "o"]),
        1,
        "--image-size must be in 8..2048",
    ),
    (
        "pretrain: missing data (held before)",
        lambda w, i, e, d: (_pretrain(w / "none", w), [w / "o"]),
        1,
        "not a folder",
    ),
    (
        "pretrain: teacher metadata not JSON",
        lambda w, i, e, d: (_teacher(i, w, _crafted(e, w, lambda m: "{bad")), [w / "o"]),
        1,
        "sslcore metadata is not JSON",
    ),
    (
        "pretrain: teacher metadata without its keys",
        lambda w, i, e, d: (_teacher(i, w, _crafted(e, w, lambda m: {"format": m["format"]})), [w / "o"]),
        1,
        "lacks or mistypes backbone, in_channels, small_input, method",
    ),
    (
        "pretrain: teacher head that does not fit its tensors",
        lambda w, i, e, d: (
            _teacher(i, w, _crafted(e, w, lambda m: m | {"head": m["head"] | {"hidden_dim": 48}})),
            [w / "o"],
        ),
        1,
        "tensors do not fit the ProjectionHead",
    ),
    (
        "pretrain: teacher checkpoint that would run code",
        lambda w, i, e, d: (_teacher(i, w, _pickled(w)), [w / "o"]),
        1,
        "refused: it holds pickled Python objects, and loading them could run code",
    ),
    (
        "train: --init metadata not JSON",
        lambda w, i, e, d: (
            ["train", "--task", "t2i", "--data", str(d), "--out", str(w / "o"), "--route", "supervised"]
            + ["--init", str(_crafted(e, w, lambda m: "{bad"))],
            [w / "o"],
        ),
        1,
        "sslcore metadata is not JSON",
    ),
    (
        "train: --out is an existing file",
        lambda w, i, e, d: (["train", "--task", "t2i", "--data", str(w), "--out", str(_file(w / "f"))], []),
        1,
        "cannot create the folder",
    ),
    (
        "report: --out is an existing file",
        lambda w, i, e, d: (["report", str(w), "--out", str(_file(w / "f"))], []),
        1,
        "cannot create the folder",
    ),
    (
        "report: no results in the runs (held before)",
        lambda w, i, e, d: (["report", str(w / "none"), "--out", str(w / "r")], [w / "r"]),
        1,
        "",
    ),
    (
        "eval: missing checkpoint (held before)",
        lambda w, i, e, d: (
            ["eval", "--task", "t2i", "--checkpoint", str(w / "none.pt"), "--data", str(w)]
            + ["--predictions", str(_file(w / "f") / "p.jsonl")],
            [],
        ),
        1,
        "file not found",
    ),
]


@pytest.mark.parametrize(("setup", "code", "fragment"), [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_bad_input(
    setup, code: int, fragment: str, images, export, data_root, tmp_path, clean_failure
) -> None:
    argv, absent = setup(tmp_path, images, export, data_root)
    clean_failure(CliRunner().invoke(main, argv), code, fragment, *absent)


def test_non_finite_loss_stops_before_writing_weights(images, tmp_path, monkeypatch, clean_failure) -> None:
    forward = SimCLR.forward

    def nan_at_step_2(self, views):
        out = forward(self, views)
        nan_at_step_2.calls += 1
        return out | {"loss": out["loss"] * float("nan")} if nan_at_step_2.calls == 2 else out

    nan_at_step_2.calls = 0
    monkeypatch.setattr(SimCLR, "forward", nan_at_step_2)
    result = CliRunner().invoke(main, _pretrain(images, tmp_path))
    clean_failure(result, 1, "step 2: the loss is nan (not finite)", tmp_path / "o" / "backbone.safetensors")
    state = torch.load(tmp_path / "o" / "last.pt", weights_only=True)
    assert json.loads(state["meta"])["step"] == 1  # the last finite step's checkpoint, not NaN weights
    assert all(torch.isfinite(v).all() for v in state["model"].values() if v.is_floating_point())


def test_orphan_checkpoint_temporaries_are_removed_on_start(images, tmp_path) -> None:
    out = tmp_path / "o"
    out.mkdir()
    (out / ".last.pt.abc123.tmp").write_bytes(b"half a checkpoint")
    result = CliRunner().invoke(main, _pretrain(images, tmp_path, "--max-steps", "1"))
    assert result.exit_code == 0, result.output
    assert not list(out.glob(".*.tmp")) and (out / "last.pt").is_file()
