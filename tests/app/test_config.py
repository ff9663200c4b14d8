"""Start-up settings from the arguments after `--` and the environment; the `spare3d app` launcher."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import spare3d.cli
from app import config as app_config
from app.config import DEFAULT_MAX_UPLOAD_MB, AppConfig, parse_config
from spare3d.cli import main

MAIN = Path(__file__).resolve().parents[2] / "app" / "main.py"


def test_arguments_win_over_environment(tmp_path: Path) -> None:
    env = {"SPARE3D_APP_DATA": "/env/data", "SPARE3D_APP_PREDICTIONS": os.pathsep.join(["/e/a", "/e/b"])}
    cfg = parse_config(
        ["--data", "/d", "--predictions", "/p1", "/p2", "--work-dir", "/w", "--max-upload-mb", "5"], env
    )
    assert cfg == AppConfig(Path("/d"), (Path("/p1"), Path("/p2")), Path("/w"), 5)
    cfg = parse_config(["-q", "tests/app", "--data-x", "1"], env)  # pytest's own arguments are ignored
    assert cfg.data == Path("/env/data") and cfg.predictions == (Path("/e/a"), Path("/e/b"))
    assert cfg.max_upload_mb == DEFAULT_MAX_UPLOAD_MB
    assert parse_config([], {}).data is None and parse_config([], {}).predictions == ()


def test_malformed_settings_are_value_errors() -> None:
    with pytest.raises(ValueError, match="--max-upload-mb"):
        parse_config(["--max-upload-mb", "lots"], {})
    with pytest.raises(ValueError, match="SPARE3D_APP_MAX_UPLOAD_MB='lots' is not a number"):
        parse_config([], {"SPARE3D_APP_MAX_UPLOAD_MB": "lots"})


def test_app_command_runs_streamlit_on_the_main_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []
    monkeypatch.setattr(spare3d.cli, "run_until_stopped", lambda command: calls.append(command) or 0)
    (tmp_path / "data").mkdir()
    (tmp_path / "p.jsonl").write_text("")
    args = [
        "app",
        "--data",
        str(tmp_path / "data"),
        "--predictions",
        str(tmp_path / "p.jsonl"),
        "--port",
        "8765",
    ]
    result = CliRunner().invoke(main, [*args, "--work-dir", str(tmp_path / "w")])
    assert result.exit_code == 0, result.output
    (command,) = calls
    assert command[:5] == [sys.executable, "-m", "streamlit", "run", str(MAIN)]
    assert command[command.index("--server.port") + 1] == "8765"
    assert command[command.index("--server.maxUploadSize") + 1] == "20"
    assert command[command.index("--server.address") + 1] == "localhost"
    after = command[command.index("--") + 1 :]
    cfg = parse_config(after, {})
    assert cfg.data == tmp_path / "data" and cfg.predictions == (tmp_path / "p.jsonl",)  # as given
    assert cfg.work_dir == tmp_path / "w"


def test_app_command_rejects_missing_paths(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["app", "--data", str(tmp_path / "none")])
    assert result.exit_code == 2 and "does not exist" in result.output
    (tmp_path / "d").mkdir()
    result = CliRunner().invoke(
        main, ["app", "--data", str(tmp_path / "d"), "--predictions", str(tmp_path / "x")]
    )
    assert result.exit_code == 2 and "'--predictions'" in result.output


def test_default_work_dir_is_private_and_per_user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app_config.tempfile, "tempdir", str(tmp_path))
    first = app_config.default_work_dir()
    assert first == tmp_path / f"spare3d_app_{os.getuid()}" and app_config.default_work_dir() == first
    info = first.lstat()
    assert stat.S_ISDIR(info.st_mode) and stat.S_IMODE(info.st_mode) == 0o700 and info.st_uid == os.getuid()
    assert parse_config([], {}).work_dir == first and AppConfig().work_dir == first
    assert list(tmp_path.iterdir()) == [first]  # nothing written beside it


@pytest.mark.parametrize("taken_by", ["open folder", "link", "file"])
def test_default_work_dir_never_uses_a_folder_it_cannot_trust(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, taken_by: str
) -> None:
    monkeypatch.setattr(app_config.tempfile, "tempdir", str(tmp_path))
    name = tmp_path / f"spare3d_app_{os.getuid()}"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    if taken_by == "open folder":
        name.mkdir()
        name.chmod(0o777)
    elif taken_by == "link":
        name.symlink_to(elsewhere)
    else:
        name.write_text("x")
    work = app_config.default_work_dir()
    assert work.parent == tmp_path and work.name.startswith(f"spare3d_app_{os.getuid()}_")
    info = work.lstat()
    assert stat.S_ISDIR(info.st_mode) and stat.S_IMODE(info.st_mode) == 0o700 and info.st_uid == os.getuid()
    assert list(elsewhere.iterdir()) == []
