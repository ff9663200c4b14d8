import shutil

import pytest
import torch

from spare3d.datasets import DrawingSet, to_device
from spare3d.layout import LayoutError


def test_item_shapes_per_kind(data_root):
    expected = {
        "t2i": {"views": (3, 16, 16), "candidates": (4, 16, 16), "label": ()},
        "p2i": {"views": (3, 16, 16), "candidates": (4, 16, 16), "label": (), "pose": ()},
        "i2p": {"views": (3, 16, 16), "iso": (16, 16), "label": ()},
        "pairs": {"views": (2, 3, 16, 16), "iso": (2, 16, 16)},
        "poses": {"views": (3, 16, 16), "iso": (16, 16), "label": ()},
    }
    for kind, shapes in expected.items():
        dataset = DrawingSet.open(data_root, kind, "valid", 16)
        item = dataset[5]
        assert {k: tuple(v.shape) for k, v in item.items()} == shapes
        assert item["views"].dtype == torch.uint8
    poses = DrawingSet.open(data_root, "poses", "valid", 16, limit=3)
    assert len(poses) == 3 * 8
    assert [int(poses[i]["label"]) for i in range(8, 16)] == list(range(8))


def test_to_device_inverts_ink():
    batch = {"views": torch.tensor([[0, 255]], dtype=torch.uint8), "label": torch.tensor([2])}
    out = to_device(batch, torch.device("cpu"))
    assert out["views"].tolist() == [[1.0, 0.0]]
    assert out["label"].dtype == torch.int64


def test_to_device_with_sslcore_statistics():
    batch = {"iso": torch.tensor([[0, 255]], dtype=torch.uint8)}
    assert to_device(batch, torch.device("cpu"), 0.5, 0.5)["iso"].tolist() == [[-1.0, 1.0]]


def test_packed_split_gives_the_same_items(tmp_path, synthetic):
    from render.datasets.pack import pack_dataset

    make_set, _ = synthetic
    for kind in ("p2i", "poses"):
        root = make_set(tmp_path / kind, kind)
        from_png = DrawingSet(root / "valid", kind, 16)
        pack_dataset(root)
        from_pack = DrawingSet(root / "valid", kind, 16)
        assert from_pack.packed is not None and from_png.packed is None
        assert from_pack.ids == from_png.ids
        for i in (0, 3, len(from_png) - 1):
            a, b = from_png[i], from_pack[i]
            assert a.keys() == b.keys()
            assert all(torch.equal(a[k], b[k]) for k in a)
    shutil.rmtree(root / "valid" / "valid002")
    with pytest.raises(LayoutError, match="stale: 8 items packed, 7 in"):
        DrawingSet(root / "valid", "poses", 16)
