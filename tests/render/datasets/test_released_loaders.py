"""Our question splits read by loaders written to the released SPARE3D data's conventions.

The released loaders (ai4ce/SPARE3D, Code/Three_view_to_isometric, Code/Isometric_to_pose and
Code/Pose_to_isometric, Dataloader.py) list a split folder, drop `answer.json` from the listing, find
the three views by the globs `*f.png`, `*r.png`, `*t.png`, read every image with `cv2.imread` and turn
the answer into a class by an if-chain: T2I and P2I compare with the integers 0..3, I2P with the strings
"0".."3", P2I's pose vector with the names pose_1 .. pose_8 of its .txt file. A label of the other type
matches no branch, and the released code then fails with UnboundLocalError. `ReleasedStyleLoader` below
is written the same way (numpy in place of torch tensors); it must read every item of each task's split.
"""

from __future__ import annotations

import glob
import json
import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from render.datasets.dataset import DatasetConfig, build_dataset
from render.datasets.layout import SPLITS


class ReleasedStyleLoader:
    """One task's split as the released Dataloader.py classes read it (indexing, globs, if-chains)."""

    def __init__(self, root_dir: str, task: str) -> None:
        self.dic = sorted(os.listdir(root_dir))
        self.dic.remove("answer.json")
        self.root_dir, self.task = root_dir, task
        with open(os.path.join(self.root_dir, "answer.json")) as f:
            self.answer = json.load(f)

    def __len__(self) -> int:
        return len(self.dic)

    def __getitem__(self, idx: int) -> tuple:
        input_dic = os.path.join(self.root_dir, self.dic[idx])
        answer = self.answer[self.dic[idx]]
        views = [self.convert_input(input_dic, f"/*{v}.png") for v in ("f", "r", "t")]
        view = np.concatenate(views, axis=2)
        if self.task == "i2p":
            ans = self.convert_input(input_dic, "/answer.png")
            return np.moveaxis(np.concatenate((ans, view), axis=2), -1, 0), self.convert_answer_i2p(answer)
        candidates = [self.convert_input(input_dic, f"/{j}.png") for j in range(4)]
        inputs = [np.moveaxis(np.concatenate((c, view), axis=2), -1, 0) for c in candidates]
        if self.task == "p2i":
            return (*inputs, self.convert_answer(answer), self.view_vector(input_dic))
        return (*inputs, self.convert_answer(answer))

    def convert_input(self, dic: str, name: str) -> np.ndarray:
        file_name = glob.glob(dic + name)
        img = cv2.imread(file_name[0])
        return img / 255

    def convert_answer(self, index):  # T2I, P2I: integer labels
        if index == 0:
            output = np.array([1, 0, 0, 0])
        if index == 1:
            output = np.array([0, 1, 0, 0])
        if index == 2:
            output = np.array([0, 0, 1, 0])
        if index == 3:
            output = np.array([0, 0, 0, 1])
        return output

    def convert_answer_i2p(self, index):  # I2P: string labels
        if index == "0":
            output = np.array([0])
        if index == "1":
            output = np.array([1])
        if index == "2":
            output = np.array([2])
        if index == "3":
            output = np.array([3])
        return output

    def view_vector(self, dic: str) -> np.ndarray:
        base = os.path.basename(glob.glob(dic + "/*.txt")[0])
        index = base.replace(".txt", "")
        for k in range(1, 9):
            if index == f"pose_{k}":
                output = np.eye(8, dtype=int)[k - 1]
        return output


@pytest.mark.parametrize("task", ["t2i", "i2p", "p2i"])
def test_released_style_loader_reads_every_item_of_our_splits(tmp_path: Path, task: str) -> None:
    config = DatasetConfig(
        task=task, csg=8, seed=5, size=32, primitives=(2, 3), method="poly", split=(0.5, 0.25, 0.25)
    )
    build_dataset(config, tmp_path, workers=2, progress=False)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    read = 0
    for split in SPLITS:
        loader = ReleasedStyleLoader(str(tmp_path / split), task)
        for i in range(len(loader)):
            item = loader[i]  # UnboundLocalError here on a label of the wrong type
            label = int(np.argmax(item[-2 if task == "p2i" else -1])) if task != "i2p" else int(item[-1][0])
            assert label == manifest["questions"][loader.dic[i]]["label"]
            assert item[0].shape[0] == 12 and item[0].shape[1:] == (32, 32)
            if task == "p2i":
                assert item[-1].sum() == 1
            read += 1
    assert read == len(manifest["questions"]) > 0
