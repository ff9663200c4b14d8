import pytest
import torch
from torch import nn

from sslcore.backbones import BACKBONES, build_backbone
from sslcore.errors import SSLCoreError


@pytest.mark.parametrize("name", ["resnet18", "mobilenet_v3_small", "efficientnet_b0", "vgg16"])
def test_features_shape_and_channels(name: str):
    net, dim = build_backbone(name, in_channels=1, small_input=True)
    out = net.eval()(torch.rand(2, 1, 32, 32))
    assert out.shape == (2, dim)
    first = next(m for m in net.modules() if isinstance(m, nn.Conv2d))
    assert first.in_channels == 1 and first.stride == (1, 1)


def test_resnet_stems():
    small, dim = build_backbone("resnet50", 3, small_input=True)
    assert dim == 2048 and small.conv1.kernel_size == (3, 3) and isinstance(small.maxpool, nn.Identity)
    large, _ = build_backbone("resnet34", 3, small_input=False)
    assert large.conv1.kernel_size == (7, 7) and large.conv1.stride == (2, 2)
    assert isinstance(large.fc, nn.Identity)


def test_batchnorm_momentum_is_uniform():
    net, _ = build_backbone("mobilenet_v3_small")
    assert {m.momentum for m in net.modules() if isinstance(m, nn.BatchNorm2d)} == {0.1}


def test_unknown_names_and_channels():
    assert set(BACKBONES) == {
        "resnet18",
        "resnet34",
        "resnet50",
        "mobilenet_v3_small",
        "efficientnet_b0",
        "vgg16",
    }
    with pytest.raises(SSLCoreError, match="unknown backbone"):
        build_backbone("alexnet")
    with pytest.raises(SSLCoreError, match="in_channels must be at least 1"):
        build_backbone("resnet18", in_channels=0)


@pytest.mark.parametrize("name", ["resnet18", "mobilenet_v3_small"])
def test_stacked_drawings_as_channels(name):
    net, dim = build_backbone(name, in_channels=4, small_input=True)
    assert net.eval()(torch.rand(2, 4, 32, 32)).shape == (2, dim)
