import pytest
import torch
import torchvision
from torch import nn

from sslcore.backbones import BACKBONES, ExactStridedConv2d, build_backbone, exact_strided_convs
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


def _padding_only_taps(conv: nn.Conv2d, side: int) -> torch.Tensor:
    """(kh, kw) mask of the kernel taps that meet no pixel of a ``side`` x ``side`` input (only padding)."""
    probe = torch.ones(1, 1, side, side, dtype=torch.float64)
    seen = torch.nn.grad.conv2d_weight(
        probe,
        (1, 1, *conv.kernel_size),
        torch.ones(1, 1, *conv(torch.zeros(1, conv.in_channels, side, side)).shape[-2:], dtype=torch.float64),
        conv.stride,
        conv.padding,
        conv.dilation,
    )
    return seen[0, 0] == 0


@pytest.mark.parametrize("name", ["resnet18", "mobilenet_v3_small"])
def test_bf16_weight_gradients_exact_on_maps_smaller_than_the_stride(name: str):
    """16 px through the ImageNet stem leaves ResNet's layer4 a 1x1 map for its 3x3 stride-2 convolution
    (MobileNet's late depthwise ones too). oneDNN's bf16 weight gradient of such a convolution returns
    uninitialised memory (often inf or NaN) for the taps that only meet padding; CLSA runs kept
    non-finite weights that gave a NaN loss once a view with a larger map reached those taps. Every
    strided convolution's weight gradient must equal the float64 one computed from its own input and
    output gradient, and be exactly 0 at padding-only taps (the garbage is intermittent: 4 passes)."""
    torch.manual_seed(0)
    net, _ = build_backbone(name, in_channels=1, small_input=False)
    net = net.to(memory_format=torch.channels_last).train()
    strided = {n: m for n, m in net.named_modules() if isinstance(m, nn.Conv2d) and m.stride != (1, 1)}
    seen: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}

    def keep(name: str):
        def hook(module: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
            output.register_hook(lambda g: seen.__setitem__(name, (inputs[0].detach(), g.detach())))

        return hook

    for n, m in strided.items():
        m.register_forward_hook(keep(n))
    for _ in range(4):
        net.zero_grad()
        x = torch.rand(8, 1, 16, 16).contiguous(memory_format=torch.channels_last)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            features = net(x)
        features.float().square().sum().backward()
        smaller = [n for n in strided if seen[n][0].shape[-1] < strided[n].stride[0]]
        assert smaller, "the case under test: a strided convolution on a map smaller than its stride"
        for n in smaller:
            m, (inp, grad_out) = strided[n], seen[n]
            expected = torch.nn.grad.conv2d_weight(
                inp.double(), m.weight.shape, grad_out.double(), m.stride, m.padding, m.dilation, m.groups
            )
            got = m.weight.grad.double()
            assert torch.isfinite(got).all(), n
            assert (got[..., _padding_only_taps(m, inp.shape[-1])] == 0).all(), n
            assert torch.allclose(got, expected, rtol=0.02, atol=0.02 * float(expected.abs().max()) + 1e-6), n


@pytest.mark.parametrize(
    "kernel, stride, padding, dilation, groups, size",
    [
        (3, 2, 1, 1, 1, (1, 1)),  # ResNet layer4 on a 16 px image (ImageNet stem)
        (3, 3, 1, 1, 1, (2, 2)),
        (3, 2, 1, 1, 4, (1, 5)),  # depthwise-like groups, one row
        (5, (2, 3), 2, 1, 1, (4, 2)),
        (3, 2, 2, 2, 1, (1, 1)),  # dilated
        (1, 2, 0, 1, 1, (1, 1)),
        (3, 2, 1, 1, 1, (7, 6)),  # ordinary path
    ],
)
def test_exact_strided_conv_equals_the_strided_convolution(kernel, stride, padding, dilation, groups, size):
    """conv_s(x)[i, j] = conv_1(x)[s_h i, s_w j]: same output and gradients as ``nn.Conv2d`` (float64)."""
    torch.manual_seed(0)
    plain = nn.Conv2d(4, 8, kernel, stride, padding, dilation, groups).double()
    exact = exact_strided_convs(nn.Sequential(plain))[0]
    assert isinstance(exact, ExactStridedConv2d) and exact is not plain
    x = torch.randn(3, 4, *size, dtype=torch.float64, requires_grad=True)
    outs, grads = [], []
    for conv in (plain, exact):
        y = conv(x)
        weight = torch.randn(y.shape, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
        outs.append(y)
        grads.append(torch.autograd.grad((y * weight).sum(), (x, conv.weight, conv.bias)))
    assert outs[1].shape == outs[0].shape and torch.allclose(outs[1], outs[0])
    for got, expected in zip(grads[1], grads[0], strict=True):
        assert torch.allclose(got, expected)


def test_exact_strided_convs_keep_weights_and_draw_no_random_numbers():
    """Same state_dict keys and values as torchvision's network and the same global RNG stream after."""
    torch.manual_seed(0)
    net, _ = build_backbone("resnet18", 1, small_input=False)
    after = torch.rand(3)
    torch.manual_seed(0)
    reference = torchvision.models.resnet18(weights=None)
    reference.conv1 = nn.Conv2d(1, 64, 7, 2, padding=3, bias=False)
    reference.fc = nn.Identity()
    assert torch.equal(torch.rand(3), after)
    state, expected = net.state_dict(), reference.state_dict()
    assert state.keys() == expected.keys()
    assert all(torch.equal(state[k], expected[k]) for k in state if not k.endswith("num_batches_tracked"))
    strided = [m for m in net.modules() if isinstance(m, nn.Conv2d) and m.stride != (1, 1)]
    assert strided and all(isinstance(m, ExactStridedConv2d) for m in strided)
