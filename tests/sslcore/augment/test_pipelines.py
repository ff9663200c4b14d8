import pytest
import torch

from sslcore.augment import ViewConfig, ViewPipeline, line_drawing_config, multicrop_configs, normalize


def images(n: int = 6, c: int = 3, size: int = 24) -> torch.Tensor:
    return torch.randint(
        0, 256, (n, c, size, size), generator=torch.Generator().manual_seed(0), dtype=torch.uint8
    )


@pytest.mark.parametrize(
    "config, channels",
    [
        (ViewConfig(16), 3),
        (ViewConfig(16, strong=True), 3),
        (line_drawing_config(20), 1),
        (line_drawing_config(12, strong=True), 1),
    ],
)
def test_shapes_dtype_layout(config: ViewConfig, channels: int):
    x = images(c=channels)
    out = ViewPipeline(config)(x, torch.Generator().manual_seed(1))
    assert out.shape == (6, channels, config.size, config.size)
    assert out.dtype == torch.float32
    assert out.is_contiguous(memory_format=torch.channels_last)
    assert torch.isfinite(out).all()
    assert x.dtype == torch.uint8  # input untouched


def test_determinism_by_seed():
    x = images()
    pipe = ViewPipeline(ViewConfig(16, strong=True))
    a = pipe(x, torch.Generator().manual_seed(5))
    b = pipe(x, torch.Generator().manual_seed(5))
    c = pipe(x, torch.Generator().manual_seed(6))
    assert torch.equal(a, b)
    assert not torch.allclose(a, c)


def test_identity_settings_reproduce_the_image():
    x = images()
    config = ViewConfig(
        24, scale=(1.0, 1.0), ratio=(1.0, 1.0), flip_p=0.0, jitter_p=0.0, gray_p=0.0, blur_p=0.0
    )
    out = ViewPipeline(config)(x, torch.Generator().manual_seed(0))
    assert torch.allclose(out, normalize(x, config), atol=1e-4)


def test_flip_mirrors():
    x = images()
    config = ViewConfig(
        24, scale=(1.0, 1.0), ratio=(1.0, 1.0), flip_p=1.0, jitter_p=0.0, gray_p=0.0, blur_p=0.0
    )
    out = ViewPipeline(config)(x, torch.Generator().manual_seed(0))
    assert torch.allclose(out, normalize(x, config).flip(-1), atol=1e-4)


def test_stroke_dropout_on_jittered_paper_leaves_no_patches():
    # a blank page stays uniform per sample: erased cells must not show the original paper value
    # through colour-jittered (darker) paper
    blank = torch.full((8, 1, 24, 24), 255, dtype=torch.uint8)
    config = line_drawing_config(
        24, jitter_p=1.0, blur_p=0.0, stroke_dropout_p=1.0, rotate_deg=0.0, shear=0.0
    )
    out = ViewPipeline(config)(blank, torch.Generator().manual_seed(3))
    spread = out.flatten(1).amax(1) - out.flatten(1).amin(1)
    assert (out.flatten(1).mean(1) < 0.9).any()  # the jitter did darken some pages
    assert torch.allclose(spread, torch.zeros(8), atol=1e-4)


def test_multicrop_scales_shrink_with_size():
    base = ViewConfig(64, scale=(0.2, 1.0))
    sizes = [c.size for c in multicrop_configs(base, (64, 48, 32))]
    scales = [c.scale for c in multicrop_configs(base, (64, 48, 32))]
    assert sizes == [64, 48, 32]
    assert scales == [pytest.approx((0.2, 1.0)), pytest.approx((0.15, 0.75)), pytest.approx((0.1, 0.5))]
