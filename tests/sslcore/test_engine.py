from pathlib import Path

import pytest
import torch

from sslcore import engine
from sslcore.checkpoint import load_backbone, load_checkpoint, read_export
from sslcore.engine import Trainer
from sslcore.errors import SSLCoreError
from sslcore.pretrain import PretrainConfig


def tiny(method: str, data: Path, out: Path, **kw: object) -> PretrainConfig:
    settings = dict(
        image_size=16,
        small_input=False,
        batch_size=8,
        epochs=2,
        proj_hidden=32,
        proj_dim=16,
        queue_size=32,
        knn_every=0,
        linear_probe=False,
        log_every=1,
        tensorboard=False,
        seed=3,
    )
    return PretrainConfig(method=method, data=data, out=out, **{**settings, **kw})  # type: ignore[arg-type]


def test_tiny_simclr_run_lowers_the_loss_and_writes_outputs(line_folder: Path, tmp_path: Path):
    trainer = Trainer(
        tiny(
            "simclr",
            line_folder,
            tmp_path / "run",
            epochs=6,
            optimizer="adamw",
            lr=0.02,
            knn_every=3,
            small_input=True,
        )
    )
    out = trainer.fit()
    losses = [loss for _, loss in trainer.history]
    assert len(losses) == 18
    assert sum(losses[-4:]) / 4 < sum(losses[:4]) / 4 - 0.1
    assert {
        "last.pt",
        "metrics.csv",
        "config.json",
        "eval.json",
        "backbone.safetensors",
        "backbone.json",
    } <= {p.name for p in out.iterdir()}
    rows = (out / "metrics.csv").read_text().splitlines()
    assert rows[0].startswith("step,epoch,loss") and "knn_acc" in rows[0]
    assert read_export(out / "backbone.safetensors")[0]["mean"] == [0.5]  # line-drawing input statistics
    backbone = load_backbone(out / "backbone.safetensors")
    x = torch.rand(2, 1, 16, 16)
    trainer.method.backbone.eval()
    assert torch.allclose(backbone(x), trainer.method.backbone(x), atol=1e-5)
    assert load_checkpoint(out / "last.pt")["meta"]["step"] == 18


@pytest.mark.parametrize("method, extra", [("clsa", {}), ("clsa", {"bn_splits": 2})])
def test_resume_continues_exactly(method: str, extra: dict, line_folder: Path, tmp_path: Path):
    """Also with shuffled keys over 2 BatchNorm sub-batches: the permutations come from the saved RNG.
    Every weight stays finite and small: 16 px through the ImageNet stem gives layer4's strided
    convolution a 1x1 map, where oneDNN's bf16 weight gradient was garbage (``ExactStridedConv2d``)."""
    full = Trainer(tiny(method, line_folder, tmp_path / "full", **extra))
    full.fit()
    interrupted = Trainer(tiny(method, line_folder, tmp_path / "part", max_steps=3, **extra))
    interrupted.fit()
    assert load_checkpoint(tmp_path / "part" / "last.pt")["meta"]["step"] == 3
    resumed = Trainer(tiny(method, line_folder, tmp_path / "part", resume=True, **extra))
    assert resumed.step == 3
    resumed.fit()
    expected = dict(full.history)
    assert [s for s, _ in resumed.history] == [4, 5, 6]
    for step, loss in resumed.history:
        assert loss == pytest.approx(expected[step], rel=1e-5, abs=1e-6)
    assert torch.equal(resumed.method.queue.keys, full.method.queue.keys)
    for trainer in (full, resumed):
        for name, p in trainer.method.named_parameters():
            assert torch.isfinite(p).all() and p.abs().max() < 100, name


def test_streaming_mode_reports_unreadable_image(
    line_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(engine, "CACHE_LIMIT_BYTES", 0)  # decode per batch in a worker instead of caching
    bad = line_folder / "line" / "zz_broken.png"
    bad.write_bytes(b"broken")
    trainer = Trainer(
        tiny("simclr", line_folder, tmp_path / "run", channels=1, workers=1, batch_size=25, epochs=1)
    )
    assert trainer.images is None
    with pytest.raises(SSLCoreError) as err:
        trainer.fit()
    assert str(err.value) == f"image {bad}: unreadable or not an image"
