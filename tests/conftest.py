"""Shared fixtures: small B-rep solids built in code, the built-in sample parts (`render samples`), and the
optional real CAD parts in ../shared/realcad.

Tests on the real parts (marked `realcad`, or using the `realcad` fixture) are an extra set: where the
folder is absent (a plain clone) they are deselected, not skipped; each has an equivalent on the samples
that always runs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

REALCAD = Path(__file__).resolve().parents[1].parent / "shared" / "realcad"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "realcad: needs the optional real CAD parts in ../shared/realcad")


def pytest_report_header(config: pytest.Config) -> str:
    found = "present" if REALCAD.is_dir() else "absent: the realcad tests are deselected"
    return f"real CAD parts {REALCAD}: {found}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if REALCAD.is_dir():
        return

    def needs_realcad(item: pytest.Item) -> bool:
        marked = item.get_closest_marker("realcad") is not None
        return marked or "realcad" in getattr(item, "fixturenames", ())

    extra = [i for i in items if needs_realcad(i)]
    if extra:
        config.hook.pytest_deselected(items=extra)
        items[:] = [i for i in items if not needs_realcad(i)]


@pytest.fixture
def realcad() -> Path:
    """The optional real CAD parts (tests using it are deselected where the folder is absent)."""
    return REALCAD


@pytest.fixture(scope="session")
def samples_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding every built-in sample part in every format `render samples` writes."""
    from render.datasets.samples import write_samples

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


@pytest.fixture
def clean_failure() -> Callable:
    """clean_failure(result, code, fragment, *absent): a CliRunner result exited with `code`, printed
    `fragment` (on its one error line, if any), no traceback, and left none of the `absent` paths behind."""

    def check(result, code: int, fragment: str, *absent: Path) -> None:
        output = result.output
        # CliRunner catches what a real run would print as a traceback: only SystemExit may end the command
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
        assert result.exit_code == code, output
        assert fragment in output and "Traceback" not in output, output
        assert len([ln for ln in output.splitlines() if ln.lower().startswith("error:")]) <= 1, output
        left = [p for p in absent if p.exists()]
        assert not left, f"left behind: {left}"

    return check
