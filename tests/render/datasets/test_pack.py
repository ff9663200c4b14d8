"""`render pack`: packed splits round-trip every drawing exactly; labels and poses come along."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

from render.cli import main
from render.datasets.dataset import DatasetConfig, build_dataset
from render.datasets.pack import PACKED_DIR, PackError, open_packed


@pytest.fixture(scope="module")
def p2i_set(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("p2i") / "data"
    config = DatasetConfig(
        task="p2i", csg=4, seed=1, size=48, primitives=(1, 2), method="poly", split=(0.5, 0.5, 0)
    )
    build_dataset(config, out, workers=2, progress=False)
    return out


def test_pack_round_trips_images_labels_and_poses(p2i_set: Path) -> None:
    result = CliRunner().invoke(main, ["pack", str(p2i_set)])
    assert result.exit_code == 0, result.output
    assert not (p2i_set / "train" / PACKED_DIR).exists()  # packed data stays out of the split folders
    for split in ("train", "valid"):
        packed = open_packed(p2i_set, split)
        folders = sorted(p for p in (p2i_set / split).iterdir() if p.is_dir())
        assert packed.ids == [f.name for f in folders]
        assert isinstance(packed.images, np.memmap) and packed.images.dtype == np.uint8
        assert packed.images.shape == (7 * len(folders), 48, 48)
        answers = json.loads((p2i_set / split / "answer.json").read_text())
        rows = set()
        for folder in folders:
            assert packed.label(folder.name) == answers[folder.name]
            (marker,) = folder.glob("pose_*.txt")
            assert packed.pose(folder.name) == int(marker.stem.split("_")[1])
            for png in folder.glob("*.png"):
                expected = cv2.imread(str(png), cv2.IMREAD_GRAYSCALE)
                np.testing.assert_array_equal(packed.image(folder.name, png.name), expected)
                rows.add(packed.rows(folder.name)[png.name])
        assert rows == set(range(len(packed.images)))
    empty = open_packed(p2i_set, "test")
    assert len(empty) == 0 and empty.images.shape == (0, 0, 0)


def test_pack_errors(tmp_path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["pack", str(tmp_path)])
    assert result.exit_code == 1 and "no split folders" in result.output
    q = tmp_path / "train" / "q1"
    q.mkdir(parents=True)
    for name in ("q1_f.png", "q1_t.png", "0.png", "1.png", "2.png", "3.png"):
        cv2.imwrite(str(q / name), np.zeros((8, 8, 3), np.uint8))
    cv2.imwrite(str(q / "q1_r.png"), np.zeros((9, 9, 3), np.uint8))
    result = runner.invoke(main, ["pack", str(tmp_path)])
    assert result.exit_code == 1 and "q1_r.png: size 9x9, expected 8x8" in result.output
    with pytest.raises(PackError, match="no packed split"):
        open_packed(tmp_path, "valid")
