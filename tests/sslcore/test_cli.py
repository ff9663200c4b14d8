"""Bad input to ``spare3d pretrain`` ends with a non-zero exit and one clear line naming the problem."""

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from spare3d.cli import main

TINY = [
    "--image-size",
    "16",
    "--large-input",
    "--batch-size",
    "8",
    "--epochs",
    "1",
    "--proj-hidden",
    "16",
    "--proj-dim",
    "8",
    "--queue-size",
    "16",
    "--knn-every",
    "0",
]


def run(*args: str):
    return CliRunner().invoke(main, ["pretrain", *args])


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def one_line_error(result, *fragments: str) -> None:
    assert result.exit_code != 0
    assert result.exception is None or isinstance(result.exception, SystemExit)
    # a progress bar that was drawn (its first refresh is time-dependent) is erased with spaces and a
    # cursor-up escape before the error: what a terminal shows is the one error line
    visible = [_ANSI.sub("", ln).strip() for ln in result.output.splitlines()]
    lines = [ln for ln in visible if ln and "%|" not in ln]
    assert len(lines) == 1, result.output
    assert lines[0].startswith("Error: ")
    for f in fragments:
        assert f in lines[0], lines[0]


@pytest.fixture
def trained(line_folder: Path, tmp_path: Path) -> Path:
    result = run("--method", "simclr", "--data", str(line_folder), "--out", str(tmp_path / "teacher"), *TINY)
    assert result.exit_code == 0, result.output
    return tmp_path / "teacher"


def test_empty_folder(tmp_path: Path):
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    one_line_error(run("--method", "simclr", "--data", str(tmp_path / "empty"), *TINY), "empty", "no images")


def test_missing_folder(tmp_path: Path):
    one_line_error(run("--method", "simclr", "--data", str(tmp_path / "nope"), *TINY), "nope", "not a folder")


def test_unreadable_image(line_folder: Path, tmp_path: Path):
    bad = line_folder / "box" / "broken.png"
    bad.write_bytes(b"not a png at all")
    one_line_error(
        run("--method", "simclr", "--data", str(line_folder), "--out", str(tmp_path / "o"), *TINY), str(bad)
    )


def test_too_few_images_for_a_batch(line_folder: Path, tmp_path: Path):
    args = [
        "--method",
        "simclr",
        "--data",
        str(line_folder),
        "--out",
        str(tmp_path / "o"),
        *TINY,
        "--batch-size",
        "64",
    ]
    one_line_error(run(*args), "fewer than one batch")


def test_disco_without_teacher(line_folder: Path):
    one_line_error(run("--method", "disco", "--data", str(line_folder), *TINY), "--teacher")


def test_teacher_not_a_checkpoint(line_folder: Path, tmp_path: Path):
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"\x00garbage" * 10)
    args = [
        "--method",
        "disco",
        "--teacher",
        str(junk),
        "--data",
        str(line_folder),
        "--out",
        str(tmp_path / "o"),
    ]
    one_line_error(run(*args, *TINY), str(junk), "not a readable")
    missing = ["--method", "disco", "--teacher", str(tmp_path / "none.pt"), "--data", str(line_folder)]
    one_line_error(run(*missing, *TINY), "none.pt", "not found")
    fake = tmp_path / "fake.safetensors"
    fake.write_bytes(b"12345678")
    one_line_error(
        run("--method", "disco", "--teacher", str(fake), "--data", str(line_folder), *TINY), "fake"
    )


def test_teacher_student_mismatch(trained: Path, line_folder: Path, tmp_path: Path):
    base = ["--method", "disco", "--data", str(line_folder), "--out", str(tmp_path / "s")]
    dims = [*TINY, "--proj-dim", "32"]
    one_line_error(run(*base, "--teacher", str(trained / "last.pt"), *dims), "embeds to 8", "--proj-dim 8")
    color = [*TINY, "--channels", "3"]
    one_line_error(
        run(*base, "--teacher", str(trained / "backbone.safetensors"), *color), "1-channel", "3-channel"
    )


def test_disco_with_teacher_runs(trained: Path, line_folder: Path, tmp_path: Path):
    args = ["--method", "disco", "--teacher", str(trained / "last.pt"), "--backbone", "mobilenet_v3_small"]
    result = run(*args, "--data", str(line_folder), "--out", str(tmp_path / "s"), *TINY)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "s" / "backbone.safetensors").is_file()


def test_out_in_use_and_nothing_to_resume(trained: Path, line_folder: Path, tmp_path: Path):
    args = ["--method", "simclr", "--data", str(line_folder), *TINY]
    one_line_error(run(*args, "--out", str(trained)), "--resume")
    one_line_error(run(*args, "--out", str(tmp_path / "fresh"), "--resume"), "nothing to resume")
    one_line_error(run(*args, "--out", str(trained), "--resume", "--method", "clsa"), "method=simclr")


def test_bn_splits_that_do_not_divide_the_batch(line_folder: Path, tmp_path: Path):
    args = ["--method", "clsa", "--data", str(line_folder), "--out", str(tmp_path / "o"), *TINY]
    one_line_error(run(*args, "--bn-splits", "3"), "batch size 8", "3 BatchNorm sub-batches")


def test_moco_options_reach_the_run_config(line_folder: Path, tmp_path: Path):
    out = tmp_path / "clsa"
    args = ["--method", "clsa", "--data", str(line_folder), "--out", str(out), *TINY, "--max-steps", "1"]
    result = run(*args, "--asymmetric", "--bn-splits", "2", "--no-shuffle-bn")
    assert result.exit_code == 0, result.output
    config = json.loads((out / "config.json").read_text())
    assert (config["symmetric"], config["bn_splits"], config["shuffle_bn"]) == (False, 2, False)
