from __future__ import annotations

import numpy as np
import pytest

from render.lines.cameras import ALL_VIEWS, DEFAULT_VIEWS, ISOMETRIC_POSES, THREE_VIEWS, camera, parse_views

# SPARE3D generator table: key -> (N, X); image up = N x X.
TABLE = {
    "f": ((0, -1, 0), (1, 0, 0)),
    "r": ((1, 0, 0), (0, 1, 0)),
    "t": ((0, 0, 1), (1, 0, 0)),
    "1": ((-1, -1, 1), (1, -1, 0)),
    "2": ((1, -1, 1), (1, 1, 0)),
    "3": ((1, 1, 1), (-1, 1, 0)),
    "4": ((-1, 1, 1), (-1, -1, 0)),
    "5": ((-1, -1, -1), (1, -1, 0)),
    "6": ((1, -1, -1), (1, 1, 0)),
    "7": ((1, 1, -1), (-1, 1, 0)),
    "8": ((-1, 1, -1), (-1, -1, 0)),
}


def _unit(v) -> np.ndarray:
    v = np.asarray(v, float)
    return v / np.linalg.norm(v)


@pytest.mark.parametrize("key", list(TABLE))
def test_directions_and_axes_follow_the_spare3d_table(key: str) -> None:
    n, x = TABLE[key]
    cam = camera(key)
    np.testing.assert_allclose(cam.direction, _unit(n))
    np.testing.assert_allclose(cam.x_axis, _unit(x))
    np.testing.assert_allclose(cam.up, np.cross(_unit(n), _unit(x)))


@pytest.mark.parametrize("key", ALL_VIEWS)
def test_every_camera_is_a_right_handed_orthonormal_frame(key: str) -> None:
    cam = camera(key)
    basis = np.stack([cam.x_axis, cam.up, cam.direction])
    np.testing.assert_allclose(basis @ basis.T, np.eye(3), atol=1e-12)
    assert np.linalg.det(basis) == pytest.approx(1.0)


def test_principal_views_up_vectors_and_pose_hemispheres() -> None:
    np.testing.assert_allclose(camera("f").up, [0, 0, 1])
    np.testing.assert_allclose(camera("r").up, [0, 0, 1])
    np.testing.assert_allclose(camera("t").up, [0, 1, 0])
    for key in "1234":
        assert camera(key).direction[2] > 0 and camera(key).up[2] > 0  # upper corners, z shows up
    for key in "5678":
        assert camera(key).direction[2] < 0
    # Pose 2 is the corner shared by front (-y), right (+x) and top (+z).
    np.testing.assert_allclose(np.sign(camera("2").direction), [1, -1, 1])


def test_projection_of_a_point_is_its_coordinates_along_x_and_up() -> None:
    cam = camera("2")
    p = np.array([[1.0, 2.0, 3.0]])
    np.testing.assert_allclose(cam.project(p), [[p[0] @ cam.x_axis, p[0] @ cam.up]])
    assert cam.depth(p)[0] == pytest.approx(p[0] @ cam.direction)


def test_parse_views() -> None:
    assert parse_views("f, r,t,1") == ("f", "r", "t", "1")
    assert parse_views("all") == ALL_VIEWS and len(ALL_VIEWS) == 23
    assert DEFAULT_VIEWS == THREE_VIEWS + ISOMETRIC_POSES
    for bad in ("f,x", "", "21"):
        with pytest.raises(ValueError):
            parse_views(bad)
