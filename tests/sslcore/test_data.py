from pathlib import Path

import cv2
import numpy as np
import pytest

from sslcore.data import ImageFolder
from sslcore.errors import SSLCoreError


def test_labels_from_subfolders_and_grey_detection(line_folder: Path):
    ds = ImageFolder(line_folder, 12)
    assert ds.class_names == ["box", "circle", "line"] and ds.has_labels
    assert ds.channels == 1 and len(ds) == 24
    images = ds.images(progress=False)
    assert images.shape == (24, 1, 12, 12) and images.dtype.is_floating_point is False
    image, label = ds[0]
    assert label == 0 and image.shape == (1, 12, 12)


def test_flat_folder_is_unlabelled_and_colour_and_alpha(tmp_path: Path):
    rgba = np.zeros((10, 20, 4), np.uint8)
    rgba[:, :, 2] = 255  # red in BGR order
    rgba[:, :10, 3] = 255  # left half opaque, right half transparent -> white
    cv2.imwrite(str(tmp_path / "a.png"), rgba)
    ds = ImageFolder(tmp_path, 10)
    assert not ds.has_labels and ds.channels == 3
    img = ds[0][0]
    assert img.shape == (3, 10, 10)
    assert img[:, 5, 0].tolist() == [255, 0, 0]  # opaque red at the left edge of the centre crop
    assert img[:, 5, 9].tolist() == [255, 255, 255]  # transparent -> white paper


def test_empty_and_unreadable(tmp_path: Path):
    (tmp_path / "notes.txt").write_text("no images here")
    with pytest.raises(SSLCoreError, match="no images found"):
        ImageFolder(tmp_path, 8)
    (tmp_path / "x.jpg").write_bytes(b"broken")
    with pytest.raises(SSLCoreError, match="x.jpg: unreadable"):
        ImageFolder(tmp_path, 8)
