"""Shared fixtures: small B-rep solids built in code, the built-in sample parts (`render samples`), and the
optional real CAD parts in ../shared/realcad (tests on them skip where it is absent)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

REALCAD = Path(__file__).resolve().parents[1].parent / "shared" / "realcad"


@pytest.fixture
def realcad() -> Path:
    if not REALCAD.is_dir():
        pytest.skip(f"real CAD parts not found at {REALCAD}")
    return REALCAD


@pytest.fixture(scope="session")
def samples_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding every built-in sample part in every format `render samples` writes."""
    from render.samples import write_samples

    out = tmp_path_factory.mktemp("samples")
    write_samples(out)
    return out


@pytest.fixture
def make_box() -> Callable:
    """make_box(corner, size) -> a box solid with its minimum corner at `corner` and edge lengths `size`."""
    from OCP.BRepPrimAPI import BRepPrimAPI_MakeBox
    from OCP.gp import gp_Pnt

    def make(corner: tuple[float, float, float], size: tuple[float, float, float]):
        return BRepPrimAPI_MakeBox(gp_Pnt(*corner), *size).Shape()

    return make


@pytest.fixture
def holed_box():
    """A 4 x 4 x 4 box at the origin with a radius-1 hole drilled through it along z at (x, y) = (2, 2).

    From the front (looking along +y) the hole is inside the box: its two silhouette lines x = 1 and
    x = 3 are hidden lines and nothing of it is visible.
    """
    from OCP.BRepAlgoAPI import BRepAlgoAPI_Cut
    from OCP.BRepPrimAPI import BRepPrimAPI_MakeBox, BRepPrimAPI_MakeCylinder
    from OCP.gp import gp_Ax2, gp_Dir, gp_Pnt

    box = BRepPrimAPI_MakeBox(gp_Pnt(0, 0, 0), 4, 4, 4).Shape()
    drill = BRepPrimAPI_MakeCylinder(gp_Ax2(gp_Pnt(2, 2, -1), gp_Dir(0, 0, 1)), 1, 6).Shape()
    return BRepAlgoAPI_Cut(box, drill).Shape()
