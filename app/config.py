"""Start-up settings of the inspector: the data root, prediction files and the work folder for uploads.

Read from the arguments after `--` of `streamlit run app/main.py -- --data DIR --predictions F...`
(what `spare3d app` passes), with the environment variables SPARE3D_APP_DATA,
SPARE3D_APP_PREDICTIONS (os.pathsep-separated) and SPARE3D_APP_WORK_DIR as fallbacks.
Without a work folder, uploads go to a private per-user folder in the system temp directory
(default_work_dir).
"""

from __future__ import annotations

import argparse
import os
import stat
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_MAX_UPLOAD_MB = 20


def _user_id() -> str:
    return str(os.getuid()) if hasattr(os, "getuid") else "user"


def _is_private(path: Path) -> bool:
    """A real folder (not a link) owned by this user that nobody else may read, write or enter."""
    try:
        info = path.lstat()
    except OSError:
        return False
    owner_ok = not hasattr(os, "getuid") or info.st_uid == os.getuid()
    return stat.S_ISDIR(info.st_mode) and owner_ok and stat.S_IMODE(info.st_mode) & 0o077 == 0


def default_work_dir() -> Path:
    """<temp dir>/spare3d_app_<uid>, created with mode 0o700 and checked to be this user's and private.

    When that name is taken by anything else (another user's folder, a link, a folder others may open,
    a file), a fresh private folder <temp dir>/spare3d_app_<uid>_XXXX (tempfile.mkdtemp) is used instead.
    """
    base = Path(tempfile.gettempdir())
    path = base / f"spare3d_app_{_user_id()}"
    try:
        path.mkdir(mode=0o700)
    except OSError:  # it exists (checked below) or cannot be made here
        pass
    if _is_private(path):
        return path
    return Path(tempfile.mkdtemp(prefix=f"spare3d_app_{_user_id()}_", dir=base))


@dataclass(frozen=True)
class AppConfig:
    """Where the app reads data and predictions and where it may write (uploads only, under work_dir)."""

    data: Path | None = None
    predictions: tuple[Path, ...] = field(default_factory=tuple)
    work_dir: Path = field(default_factory=default_work_dir)
    max_upload_mb: int = DEFAULT_MAX_UPLOAD_MB


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="app", allow_abbrev=False, add_help=False, exit_on_error=False)
    parser.add_argument("--data", type=Path)
    parser.add_argument("--predictions", type=Path, nargs="*")
    parser.add_argument("--work-dir", type=Path)
    parser.add_argument("--max-upload-mb", type=int)
    return parser


def parse_config(argv: Sequence[str], env: Mapping[str, str] | None = None) -> AppConfig:
    """Settings from command-line arguments; unknown arguments are ignored, missing ones come from `env`.

    Raises ValueError (one line) for a malformed value.
    """
    env = os.environ if env is None else env
    try:
        args, _ = _parser().parse_known_args(list(argv))
    except argparse.ArgumentError as exc:
        raise ValueError(str(exc)) from None
    data = args.data or (Path(env["SPARE3D_APP_DATA"]) if env.get("SPARE3D_APP_DATA") else None)
    if args.predictions is not None:
        predictions = tuple(args.predictions)
    else:
        predictions = tuple(Path(p) for p in env.get("SPARE3D_APP_PREDICTIONS", "").split(os.pathsep) if p)
    work_dir = args.work_dir or Path(env.get("SPARE3D_APP_WORK_DIR") or default_work_dir())
    try:
        max_mb = args.max_upload_mb or int(env.get("SPARE3D_APP_MAX_UPLOAD_MB") or DEFAULT_MAX_UPLOAD_MB)
    except ValueError:
        raise ValueError(
            f"SPARE3D_APP_MAX_UPLOAD_MB={env['SPARE3D_APP_MAX_UPLOAD_MB']!r} is not a number"
        ) from None
    return AppConfig(data, predictions, work_dir, max_mb)
