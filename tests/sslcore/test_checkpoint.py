import json
import os
import stat
from pathlib import Path

import pytest
import torch

from sslcore.backbones import build_backbone
from sslcore.checkpoint import (
    atomic_write,
    export_backbone,
    load_backbone,
    load_checkpoint,
    load_encoder,
    rng_state,
    save_checkpoint,
    set_rng_state,
)
from sslcore.errors import SSLCoreError
from sslcore.heads import HeadConfig, ProjectionHead

META = {"backbone": "resnet18", "in_channels": 1, "small_input": True, "method": "simclr"}


def test_export_roundtrip_with_head(tmp_path: Path):
    net, dim = build_backbone("resnet18", 1, True)
    head = ProjectionHead(HeadConfig(dim, 32, 8))
    path = export_backbone(tmp_path / "w.safetensors", net, META, head=head)
    x = torch.rand(2, 1, 16, 16)
    assert torch.allclose(load_backbone(path)(x), net.eval()(x))
    backbone, head2, meta = load_encoder(path)
    assert meta["head"]["out_dim"] == 8 and meta["method"] == "simclr"
    assert torch.allclose(head2(backbone(x)), head.eval()(net(x)), atol=1e-6)
    assert json.loads((tmp_path / "w.json").read_text())["backbone"] == "resnet18"
    assert not list(tmp_path.glob(".*tmp"))


def test_export_without_head_cannot_be_an_encoder(tmp_path: Path):
    net, _ = build_backbone("resnet18", 1, True)
    path = export_backbone(tmp_path / "w.safetensors", net, META)
    with pytest.raises(SSLCoreError, match="without a projection head"):
        load_encoder(path)


def test_checkpoint_roundtrip_and_rng(tmp_path: Path):
    torch.manual_seed(0)
    state = rng_state()
    expected = torch.rand(3)
    path = save_checkpoint(
        tmp_path / "c.pt", model={"w": torch.ones(2)}, meta={"step": 7}, tensors={"q": torch.zeros(4)}
    )
    loaded = load_checkpoint(path)
    assert loaded["meta"] == {"step": 7} and torch.equal(loaded["model"]["w"], torch.ones(2))
    set_rng_state(state)
    assert torch.equal(torch.rand(3), expected)


def test_bad_files_give_one_line_errors(tmp_path: Path):
    (tmp_path / "junk.pt").write_bytes(b"junk")
    with pytest.raises(SSLCoreError, match="not a readable") as err:
        load_checkpoint(tmp_path / "junk.pt")
    assert "\n" not in str(err.value)
    torch.save({"weights": torch.ones(1)}, tmp_path / "other.pt")
    with pytest.raises(SSLCoreError, match="not an sslcore training checkpoint"):
        load_checkpoint(tmp_path / "other.pt")
    with pytest.raises(SSLCoreError, match="not found"):
        load_backbone(tmp_path / "missing.safetensors")
    (tmp_path / "bad.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{bad json}")
    with pytest.raises(SSLCoreError, match="not a readable safetensors"):
        load_backbone(tmp_path / "bad.safetensors")


def test_atomic_write_gives_the_usual_permissions_and_leaves_no_temporary(tmp_path: Path):
    """Files written through atomic_write get 0666 minus the umask (not mkstemp's 0600), like open()."""
    old = os.umask(0o022)
    try:
        path = atomic_write(tmp_path / "report.md", lambda tmp: Path(tmp).write_text("x"))
        (tmp_path / "plain.md").write_text("x")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644 == stat.S_IMODE((tmp_path / "plain.md").stat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plain.md", "report.md"]
