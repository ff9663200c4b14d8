import json
import shutil

import cv2
import pytest
from click.testing import CliRunner

from spare3d.cli import main

TINY = ["--image-size", "32", "--width", "8", "--hidden", "16", "--batch-size", "16", "--precision", "fp32"]


def _invoke(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def trained_run(data_root, tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    args = ["train", "--task", "pose-to-isometric", "--route", "supervised", "--model", "metric"]
    result = _invoke(*args, "--data", data_root, "--out", out, "--epochs", "2", *TINY)
    assert result.exit_code == 0, result.output
    return out


def test_train_writes_results_and_eval_round_trip(trained_run, data_root, tmp_path):
    (record,) = json.loads((trained_run / "results.json").read_text())
    assert record["task"] == "p2i" and record["route"] == "supervised" and record["n"] == 12
    assert record["n_train"] == 24
    checkpoint = trained_run / "supervised" / "best.pt"
    result = _invoke(
        "eval",
        "--task",
        "p2i",
        "--checkpoint",
        checkpoint,
        "--data",
        data_root,
        "--predictions",
        tmp_path / "again.jsonl",
    )
    assert result.exit_code == 0, result.output
    assert f"accuracy {record['accuracy']:.4f} ({record['correct']}/12)" in result.output
    trained = (trained_run / "supervised" / "predictions_p2i_test.jsonl").read_text().splitlines()
    again = (tmp_path / "again.jsonl").read_text().splitlines()
    assert [json.loads(line)["pred"] for line in again] == [json.loads(line)["pred"] for line in trained]
    assert [json.loads(line)["scores"] for line in again] == [json.loads(line)["scores"] for line in trained]
    assert {json.loads(line)["id"] for line in again} == {f"test{i:03d}" for i in range(12)}


def test_self_supervised_t2i_stages(data_root, tmp_path):
    base = [
        "train",
        "--task",
        "view-consistency",
        "--data",
        data_root,
        "--out",
        tmp_path,
        "--epochs",
        "1",
        *TINY,
    ]
    result = _invoke(*base, "--stage", "finetune")
    assert result.exit_code != 0
    assert "pretext/best.pt: no pretext checkpoint: run --stage pretext first" in result.output
    assert _invoke(*base, "--stage", "pretext").exit_code == 0
    result = _invoke(*base, "--stage", "finetune")
    assert result.exit_code == 0, result.output
    records = json.loads((tmp_path / "results.json").read_text())
    assert [r["route"] for r in records] == ["self-supervised (direct)", "self-supervised (fine-tuned)"]
    assert records[1]["init"].endswith("pretext/best.pt")
    result = _invoke(*base, "--stage", "direct")  # evaluates OUT/pretext/best.pt again, no training
    assert result.exit_code == 0, result.output
    direct = json.loads((tmp_path / "results.json").read_text())[-1]
    assert direct["stage"] == "direct" and direct["n_train"] == records[0]["n_train"] == 24
    assert (direct["correct"], direct["checkpoint"]) == (records[0]["correct"], records[0]["checkpoint"])
    assert (tmp_path / "direct" / "predictions_t2i_test.jsonl").is_file()


def test_wrong_task_and_data_pairing(trained_run, data_root):
    result = _invoke(
        "train",
        "--task",
        "i2p",
        "--route",
        "supervised",
        "--data",
        data_root / "t2i",
        "--out",
        trained_run / "x",
        *TINY,
    )
    assert result.exit_code != 0
    assert "holds t2i data, but this needs i2p data" in result.output
    assert "Traceback" not in result.output
    result = _invoke(
        "eval", "--task", "i2p", "--checkpoint", trained_run / "supervised" / "best.pt", "--data", data_root
    )
    assert result.exit_code != 0 and "a metric network answers p2i, not i2p" in result.output
    result = _invoke(
        "train", "--task", "t2i", "--model", "pose", "--data", data_root, "--out", trained_run / "y"
    )
    assert result.exit_code != 0 and "model pose answers i2p/p2i, not t2i" in result.output
    result = _invoke(
        "train",
        "--task",
        "t2i",
        "--route",
        "supervised",
        "--stage",
        "pretext",
        "--data",
        data_root,
        "--out",
        "z",
    )
    assert result.exit_code != 0 and "--stage pretext applies to the self-supervised route" in result.output


def test_missing_data_and_files(data_root, tmp_path):
    root = tmp_path / "root"
    shutil.copytree(data_root / "t2i", root / "t2i")
    result = _invoke("train", "--task", "t2i", "--data", root, "--out", tmp_path / "o", *TINY)
    assert result.exit_code != 0 and "no pairs train split" in result.output
    (root / "t2i" / "test" / "test004" / "test004_t.png").unlink()
    result = _invoke(
        "train",
        "--task",
        "t2i",
        "--route",
        "supervised",
        "--data",
        root,
        "--out",
        tmp_path / "o",
        "--epochs",
        "1",
        *TINY,
    )
    assert result.exit_code != 0 and "test004: missing view *t.png" in result.output
    result = _invoke("eval", "--task", "t2i", "--checkpoint", tmp_path / "none.pt", "--data", root)
    assert result.exit_code != 0 and "none.pt: file not found" in result.output
    cv2.imwrite(
        str(root / "t2i" / "test" / "test004" / "test004_t.png"),
        cv2.imread(str(root / "t2i" / "test" / "test005" / "0.png")),
    )
    (root / "t2i" / "test" / "test005" / "0.png").write_bytes(b"not a png")
    result = _invoke(
        "train", "--task", "t2i", "--route", "supervised", "--data", root, "--out", tmp_path / "o",
        "--epochs", "1", *TINY,
    )  # fmt: skip
    assert result.exit_code != 0 and "test005/0.png: cannot read image" in result.output


def test_report(trained_run, tmp_path):
    result = _invoke("report", trained_run, trained_run / "results.json", "--out", tmp_path / "rep")
    assert result.exit_code == 0, result.output
    assert result.output.count("| P2I | supervised | metric | 24 |") == 1
    (record,) = json.loads((trained_run / "results.json").read_text())
    assert record["seconds"] > 0  # the stage's wall time, shown in minutes as the last column
    assert f"| {record['n']} | {record['seconds'] / 60:.1f} |" in result.output
    for name in ("report.md", "accuracy_by_route.png", "accuracy_vs_size.png"):
        assert (tmp_path / "rep" / name).stat().st_size > 0
    assert cv2.imread(str(tmp_path / "rep" / "accuracy_by_route.png")) is not None
    result = _invoke("report", tmp_path / "nothing")
    assert result.exit_code != 0 and "no results.json" in result.output
