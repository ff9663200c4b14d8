"""Asking a saved spare3d network about an upload's drawings: the batches match the network's own calls."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from app.query import QueryError, answerable_tasks, ask, load_network
from spare3d.checkpoint import save_model
from spare3d.datasets import to_device
from spare3d.models import NetConfig, build_model

VIEWS = ("f", "r", "t") + tuple(str(k) for k in range(1, 9))


def saved(tmp_path: Path, model: str, task: str) -> Path:
    torch.manual_seed(0)
    net = build_model(NetConfig(model=model, task=task, width=4, image_size=16, hidden=8))
    return save_model(tmp_path / f"{model}.pt", net, {"stage": "test"})


@pytest.fixture
def images(tiny: SimpleNamespace) -> dict[str, np.ndarray]:
    return {view: tiny.drawing(i) for i, view in enumerate(VIEWS)}  # 32 px, resized to the network's 16


def gray(images: dict[str, np.ndarray], keys: list[str]) -> torch.Tensor:
    import cv2

    return torch.from_numpy(
        np.stack(
            [
                cv2.resize(
                    cv2.cvtColor(images[k], cv2.COLOR_RGB2GRAY), (16, 16), interpolation=cv2.INTER_AREA
                )
                for k in keys
            ]
        )
    )


def test_pose_network_i2p_and_p2i(tmp_path: Path, images: dict[str, np.ndarray]) -> None:
    net = load_network(saved(tmp_path, "pose", "i2p"))
    assert answerable_tasks(net) == ("i2p", "p2i")
    views = to_device({"v": gray(images, ["f", "r", "t"])[None]}, torch.device("cpu"))["v"]
    i2p = ask(net, "i2p", images)
    assert i2p["drawn from pose"].tolist() == [1, 2, 5, 6]
    for row, pose in zip(i2p.itertuples(index=False), (1, 2, 5, 6), strict=True):
        iso = to_device({"i": gray(images, [str(pose)])}, torch.device("cpu"))["i"]
        logits = net(views, iso)[0, [0, 1, 4, 5]].detach().numpy()
        assert np.allclose(row[2:], logits, atol=1e-5)
        assert row[1] == (1, 2, 5, 6)[int(logits.argmax())]
    poses = (3, 1, 8, 2)
    p2i = ask(net, "p2i", images, poses)
    candidates = to_device({"c": gray(images, [str(p) for p in poses])[None]}, torch.device("cpu"))["c"]
    logits = net(views, candidates)[0].detach().numpy()  # (4 candidates, 8 poses)
    for row, k in zip(p2i.itertuples(index=False), poses, strict=True):
        assert np.allclose(row[2:], logits[:, k - 1], atol=1e-5)
        assert row[1] == poses[int(logits[:, k - 1].argmax())]


def test_view_comparison_t2i(tmp_path: Path, images: dict[str, np.ndarray]) -> None:
    net = load_network(saved(tmp_path, "view-comparison", "t2i"))
    table = ask(net, "t2i", images, (2, 1, 5, 6))
    assert table["candidate pose"].tolist() == [2, 1, 5, 6]
    assert table["answer"].sum() == 1 and table.loc[table["answer"], "score"].item() == table["score"].max()
    with pytest.raises(QueryError, match="answers t2i, not i2p"):
        ask(net, "i2p", images)
    with pytest.raises(QueryError, match="4 distinct isometric poses"):
        ask(net, "t2i", images, (2, 2, 5, 6))


def test_bad_checkpoints_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(QueryError, match="not found"):
        load_network(tmp_path / "none.pt")
    (tmp_path / "junk.pt").write_bytes(b"junk")
    with pytest.raises(QueryError) as info:
        load_network(tmp_path / "junk.pt")
    assert "junk.pt" in str(info.value) and "\n" not in str(info.value)
