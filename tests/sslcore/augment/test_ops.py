import torch

from sslcore.augment.color import color_jitter, gaussian_blur, gray, random_grayscale
from sslcore.augment.geometry import crop_matrices, warp
from sslcore.augment.strokes import stroke_dropout, stroke_width_jitter
from sslcore.augment.strong import POOL, autocontrast, equalize, posterize, strong_augment


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def line_image(n: int = 4, size: int = 16) -> torch.Tensor:
    x = torch.ones(n, 1, size, size)
    x[:, :, size // 2, 2:-2] = 0.0  # one dark horizontal stroke, one pixel wide
    return x


def test_pool_has_the_14_clsa_ops():
    assert len(POOL) == 14 and len(set(POOL)) == 14


def test_crop_matrices_stay_inside_the_image():
    theta = crop_matrices(500, gen(), scale=(0.08, 1.0))
    half_w, half_h = theta[:, 0, 0].abs(), theta[:, 1, 1].abs()
    assert (theta[:, 0, 2].abs() + half_w <= 1 + 1e-6).all()
    assert (theta[:, 1, 2].abs() + half_h <= 1 + 1e-6).all()
    area = half_w * half_h
    assert area.min() >= 0.08 - 1e-6 and area.max() <= 1 + 1e-6


def test_warp_fills_outside_with_paper():
    x = torch.zeros(1, 1, 8, 8)
    theta = torch.tensor([[[1.0, 0.0, 5.0], [0.0, 1.0, 0.0]]])  # shifted fully off the image
    assert torch.allclose(warp(x, theta, 8, fill=1.0), torch.ones(1, 1, 8, 8))


def test_color_ops_keep_range_and_gray():
    x = torch.rand(8, 3, 10, 10, generator=gen())
    y = color_jitter(x, gen(), p=1.0)
    assert y.min() >= 0 and y.max() <= 1 and not torch.allclose(x, y)
    g = random_grayscale(x, gen(), p=1.0)
    assert torch.allclose(g[:, 0], g[:, 1]) and torch.allclose(g[:, 0], gray(x)[:, 0])
    assert torch.equal(color_jitter(x, gen(), p=0.0), x)


def test_blur_preserves_constant_images_and_mean():
    x = torch.full((3, 2, 20, 20), 0.3)
    assert torch.allclose(gaussian_blur(x, gen(), p=1.0), x, atol=1e-6)
    y = torch.rand(3, 1, 20, 20, generator=gen())
    assert torch.equal(gaussian_blur(y, gen(), p=0.0), y)


def test_stroke_width_jitter_thickens_or_thins():
    x = line_image(64)
    y = stroke_width_jitter(x, gen(), p=1.0)
    ink = (1 - y).flatten(1).sum(1)  # the stroke: 12 px of ink
    assert set(ink.round().tolist()) <= {
        6.0,
        12.0 * 3 + 2 * 3,
    }  # thinned to half ink, or 3 px wide, 1 px longer
    assert (ink < 12).any() and (ink > 12).any()


def test_stroke_dropout_only_erases():
    x = line_image(32)
    y = stroke_dropout(x, gen(), p=1.0, drop=0.5, cells=4)
    assert (y >= x).all()
    assert (y != x).any()


def test_strong_ops_photometric_definitions():
    x = torch.rand(2, 3, 8, 8, generator=gen()) * 0.5 + 0.25
    a = autocontrast(x, torch.zeros(2))
    assert torch.allclose(a.amin(dim=(2, 3)), torch.zeros(2, 3)) and torch.allclose(
        a.amax(dim=(2, 3)), torch.ones(2, 3)
    )
    e = equalize(x, torch.zeros(2))
    assert e.amax() == 1.0  # the brightest level maps to white
    p = posterize(x, torch.zeros(2))  # 4 bits kept
    assert ((p * 255).round().long() % 16 == 0).all()


def test_strong_augment_shapes_and_determinism():
    x = torch.rand(16, 3, 12, 12, generator=gen())
    a = strong_augment(x, gen(3))
    assert a.shape == x.shape and a.min() >= 0 and a.max() <= 1
    assert torch.equal(a, strong_augment(x, gen(3)))
    assert torch.equal(strong_augment(x, gen(3), p=0.0), x)
