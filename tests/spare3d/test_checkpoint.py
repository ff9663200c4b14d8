import pytest
import torch

from spare3d.checkpoint import adapt_input_conv, initialise, load_model, save_model
from spare3d.models import NetConfig, build_model
from sslcore.backbones import build_backbone
from sslcore.checkpoint import export_backbone
from sslcore.errors import SSLCoreError


def test_save_load_same_scores(tmp_path):
    net = build_model(NetConfig("metric", task="p2i", width=8, image_size=16, hidden=8)).eval()
    path = save_model(tmp_path / "m.pt", net, {"stage": "x"})
    loaded, meta = load_model(path)
    batch = {
        "views": torch.rand(2, 3, 16, 16),
        "candidates": torch.rand(2, 4, 16, 16),
        "pose": torch.tensor([1, 2]),
    }
    with torch.no_grad():
        assert torch.equal(net.score("p2i", batch), loaded.eval().score("p2i", batch))
    assert meta["stage"] == "x" and meta["net"]["task"] == "p2i"


def test_initialise_from_other_model_copies_matching(tmp_path):
    pose = build_model(NetConfig("pose", task="i2p", width=8, image_size=16, hidden=8))
    path = save_model(tmp_path / "pose.pt", pose, {})
    vc, how = initialise(NetConfig("view-comparison", width=8, image_size=16, hidden=8), path)
    assert "matching tensors" in how
    torch.testing.assert_close(vc.trunk.encoders[0].state_dict(), pose.trunk.encoders[0].state_dict())
    same, how = initialise(NetConfig("pose", task="p2i", width=99, image_size=16, hidden=8), path)
    assert how.startswith("all weights") and same.config.width == 8 and same.config.task == "p2i"


def test_initialise_from_sslcore_export(tmp_path):
    backbone, _ = build_backbone(
        "resnet18", 1, small_input=False
    )  # 32 px would get the small stem by default
    meta = {"backbone": "resnet18", "in_channels": 1, "small_input": False, "method": "simclr"}
    path = export_backbone(tmp_path / "b.safetensors", backbone, meta)
    config = NetConfig("metric", backbone="resnet18", image_size=32, hidden=8)
    net, how = initialise(config, path)
    assert how == "simclr backbone into 2 encoder(s)"
    torch.testing.assert_close(net.candidate_encoder.state_dict(), backbone.state_dict())
    # the 3-channel F+R+T encoder gets the 1-channel stem tiled over its inputs, a third each
    stem = backbone.conv1.weight
    torch.testing.assert_close(net.views_encoder.conv1.weight, stem.repeat(1, 3, 1, 1) / 3)
    assert net.input_stats == (0.5, 0.5)  # sslcore's line-drawing input: background +1, lines -1
    with pytest.raises(SSLCoreError, match="backbone resnet18 does not match --backbone vgg"):
        initialise(NetConfig("metric", image_size=32), path)


def test_adapt_input_conv_keeps_the_response_to_a_repeated_image() -> None:
    conv = torch.nn.Conv2d(1, 5, 3, bias=False)
    wide = torch.nn.Conv2d(4, 5, 3, bias=False)
    wide.weight.data = adapt_input_conv(conv.weight.data, 4)
    image = torch.rand(2, 1, 9, 9)
    torch.testing.assert_close(wide(image.repeat(1, 4, 1, 1)), conv(image))
    three = torch.rand(6, 3, 3, 3)
    assert torch.equal(adapt_input_conv(three, 4), torch.cat([three, three[:, :1]], 1) * 0.75)


def test_early_fusion_starts_from_a_one_channel_sslcore_export(tmp_path):
    backbone, _ = build_backbone("resnet18", 1, small_input=True)
    meta = {"backbone": "resnet18", "in_channels": 1, "small_input": True, "method": "clsa"}
    path = export_backbone(tmp_path / "b.safetensors", backbone, meta)
    net, how = initialise(NetConfig("early-fusion", backbone="resnet18", image_size=32, hidden=8), path)
    assert how == "clsa backbone into 1 encoder(s)"
    torch.testing.assert_close(net.encoder.conv1.weight, backbone.conv1.weight.repeat(1, 4, 1, 1) / 4)
    torch.testing.assert_close(net.encoder.layer1.state_dict(), backbone.layer1.state_dict())
