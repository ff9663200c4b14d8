"""Bad input, corrupt state and faults of every `render` command, one row each: the command, its exit
code, a fragment of its one error line, no traceback, and the paths it must not leave behind.

Rows marked "(held before)" were handled before issue 13 and guard against regressions. A full disk is
simulated in-process (ENOSPC raised by the writer), as a small tmpfs cannot be mounted here.
"""

from __future__ import annotations

import errno
import json
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from OCP.BRepTools import BRepTools

from render.cli import main
from render.datasets import dataset as dataset_module
from render.datasets import pack as pack_module
from render.files import temporary_path

T2I = ["dataset", "--task", "t2i", "--csg", "4", "--primitives", "1-2", "--size", "32", "--method", "poly"]
T2I += ["--split", "0.5,0.5,0"]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished 4-model t2i build (32 px) made by the T2I command, copied by the rows that damage it."""
    out = tmp_path_factory.mktemp("built") / "t2i"
    result = CliRunner().invoke(main, [*T2I, "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


def _copy(built: Path, w: Path) -> Path:
    return Path(shutil.copytree(built, w / "data"))


def _enospc(*_args, **_kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def _enospc_for(part: str, write: Callable) -> Callable:
    """`write`, failing with ENOSPC for paths containing `part` (a disk that fills up mid-build)."""

    def maybe_full(path, *args, **kwargs):
        return _enospc() if part in str(path) else write(path, *args, **kwargs)

    return maybe_full


def _models(w: Path, make_box) -> Path:
    models = w / "models"
    models.mkdir()
    BRepTools.Write_s(make_box((0, 0, 0), (1, 2, 3)), str(models / "box.brep"))
    (models / "corrupt.stp").write_bytes(b"garbage")
    return models


def _file(path: Path) -> Path:
    path.write_text("a file, not a folder")
    return path


# (id, setup(w, built, make_box, monkeypatch) -> (argv, absent paths), exit code, message fragment)
Setup = Callable[..., tuple[list[str], list[Path]]]
ROWS: list[tuple[str, Setup, int, str]] = [
    (
        "views: missing model (held before)",
        lambda w, b, box, mp: (["views", str(w / "none.step"), "-o", str(w / "o")], [w / "o"]),
        1,
        "no such file",
    ),
    (
        "views: output folder under /proc",
        lambda w, b, box, mp: (["views", str(_models(w, box) / "box.brep"), "-o", "/proc/x/y"], []),
        1,
        "/proc/x/y: cannot create output folder",
    ),
    (
        "views: output is an existing file",
        lambda w, b, box, mp: (["views", str(_models(w, box) / "box.brep"), "-o", str(_file(w / "f"))], []),
        1,
        "cannot create output folder (File exists)",
    ),
    (
        "views: folder into an existing file",
        lambda w, b, box, mp: (["views", str(_models(w, box)), "-o", str(_file(w / "f"))], []),
        1,
        "cannot create output folder",
    ),
    (
        "views: folder with a bad model exits 3 (partial failure)",
        lambda w, b, box, mp: (["views", str(_models(w, box)), "-o", str(w / "o"), "--views", "f"], []),
        3,
        "1 failed",
    ),
    (
        "views: disk full while writing",
        lambda w, b, box, mp: (
            ["views", str(_models(w, box) / "box.brep"), "-o", str(w / "o"), "--views", "f"],
            [w / "o" / "box_f.png"],
            mp.setattr(Path, "write_bytes", _enospc_for("box_f", Path.write_bytes)),
        )[:2],
        1,
        "No space left on device",
    ),
    (
        "csg: output is an existing file (held before)",
        lambda w, b, box, mp: (["csg", "-n", "1", "-o", str(_file(w / "f") / "sub")], []),
        1,
        "cannot create output folder",
    ),
    (
        "csg: corrupt csg.json",
        lambda w, b, box, mp: (
            (
                (w / "m").mkdir(),
                (w / "m" / "csg.json").write_text("{bad"),
                ["csg", "-n", "1", "-o", str(w / "m")],
            )[2:]
            + ([w / "m" / "csg_00000.step"],)
        ),
        1,
        "csg.json: unreadable or corrupt",
    ),
    (
        "csg: unbounded primitive range",
        lambda w, b, box, mp: (
            ["csg", "-n", "1", "-o", str(w / "m"), "--primitives", "1000-1000"],
            [w / "m"],
        ),
        2,
        "B <= 24",
    ),
    (
        "dataset: NaN split fraction",
        lambda w, b, box, mp: ([*T2I, "-o", str(w / "o"), "--split", "nan,0,1"], [w / "o"]),
        2,
        "is not three fractions",
    ),
    (
        "dataset: output under /proc (held before)",
        lambda w, b, box, mp: ([*T2I, "-o", "/proc/x"], []),
        1,
        "cannot write there",
    ),
    (
        "dataset: corrupt .build/config.json",
        lambda w, b, box, mp: (
            (
                (_copy(b, w) / ".build" / "config.json").write_text("{"),
                [*T2I, "-o", str(w / "data")],
            )[1:]
            + ([],)
        ),
        1,
        "config.json: unreadable or corrupt",
    ),
    (
        "dataset: corrupt build record",
        lambda w, b, box, mp: (
            (
                (_copy(b, w) / ".build" / "records" / "000001.json").write_text('{"status": "ok"}'),
                [*T2I, "-o", str(w / "data")],
            )[1:]
            + ([],)
        ),
        1,
        "000001.json: not a build record; delete it and rerun",
    ),
    (
        "dataset: disk full (stops; a rerun resumes)",
        lambda w, b, box, mp: (
            (
                mp.setattr(
                    dataset_module, "write_atomic", _enospc_for("records", dataset_module.write_atomic)
                ),
                [*T2I, "-o", str(w / "o")],
            )[1:]
            + ([w / "o" / ".build" / "records" / "000000.json"],)
        ),
        1,
        "No space left on device); rerun the same command to resume",
    ),
    (
        "dataset: --address without --executor ray",
        lambda w, b, box, mp: ([*T2I, "-o", str(w / "o"), "--address", "127.0.0.1:1"], [w / "o"]),
        2,
        "only with --executor ray",
    ),
    (
        "dataset: Ray cluster not reachable",
        lambda w, b, box, mp: (
            [*T2I, "-o", str(w / "o"), "--executor", "ray", "--address", "127.0.0.1:1"],
            [w / "o" / ".build" / "records" / "000000.json"],
        ),
        1,
        "cannot reach the Ray cluster at 127.0.0.1:1 (Connection refused)",
    ),
    (
        "dataset: --executor ray without Ray installed",
        lambda w, b, box, mp: (
            (mp.setitem(sys.modules, "ray", None), [*T2I, "-o", str(w / "o"), "--executor", "ray"])[1:]
            + ([w / "o" / ".build" / "records" / "000000.json"],)
        ),
        1,
        "--executor ray needs Ray (pip install 'linedraw3d[ray]')",
    ),
    (
        "pack: a question without one of its candidates",
        lambda w, b, box, mp: (
            (
                next((_copy(b, w) / "train").glob("*/2.png")).unlink(),
                ["pack", str(w / "data")],
            )[1:]
            + ([w / "data" / "packed" / "train" / "images.npy"],)
        ),
        1,
        "missing 2.png (a t2i question)",
    ),
    (
        "pack: disk full (no SIGBUS, no temporary .npy)",
        lambda w, b, box, mp: (
            (
                mp.setattr(pack_module.os, "posix_fallocate", _enospc),
                ["pack", str(_copy(b, w))],
            )[1:]
            + ([temporary_path(w / "data" / "packed" / "train" / "images.npy")],)
        ),
        1,
        "No space left on device",
    ),
    (
        "pack: no split folders (held before)",
        lambda w, b, box, mp: (["pack", str(w)], []),
        1,
        "no split folders",
    ),
    (
        "check: interrupted build (complete: false)",
        lambda w, b, box, mp: (
            (
                (_copy(b, w) / "manifest.json").write_text(
                    json.dumps(json.loads((b / "manifest.json").read_text()) | {"complete": False})
                ),
                ["check", str(w / "data")],
            )[1:]
            + ([],)
        ),
        1,
        "build incomplete",
    ),
    (
        "check: missing folder (held before)",
        lambda w, b, box, mp: (["check", str(w / "none")], []),
        1,
        "no such folder",
    ),
]


@pytest.mark.parametrize(("setup", "code", "fragment"), [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_bad_input(
    setup: Setup, code: int, fragment: str, built, make_box, tmp_path, monkeypatch, clean_failure
):
    argv, absent = setup(tmp_path, built, make_box, monkeypatch)
    clean_failure(CliRunner().invoke(main, argv), code, fragment, *absent)


def test_disk_full_dataset_build_resumes_to_the_same_set(built: Path, tmp_path: Path, monkeypatch) -> None:
    args = [*T2I, "-o", str(tmp_path / "o")]
    with monkeypatch.context() as mp:
        mp.setattr(dataset_module, "write_atomic", _enospc_for("records", dataset_module.write_atomic))
        assert CliRunner().invoke(main, args).exit_code == 1
    assert CliRunner().invoke(main, args).exit_code == 0
    for name in ("train/answer.json", "valid/answer.json"):
        assert (tmp_path / "o" / name).read_text() == (built / name).read_text()
