"""Files of `render`: written whole or not at all, and JSON state files read with one clear error.

The one place in the package for both: every writer that must not leave a half-written file (drawings,
records, manifests, CSG and sample models, packed arrays) goes through `replacing` or `write_atomic`,
and every state file through `read_json`.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from render.errors import StateFileError, first_line


def temporary_path(path: Path) -> Path:
    """A hidden name beside `path` to write to before renaming it into place: unique per process and
    thread, with the same suffix (writers that go by the extension see the real one)."""
    return path.with_name(f".{path.stem}.{os.getpid()}.{threading.get_ident()}.tmp{path.suffix}")


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """Give a temporary path beside `path` to write; when the block ends without an error it replaces
    `path` in one rename (readers see the old file or the whole new one), otherwise it is removed."""
    tmp = temporary_path(Path(path))
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_atomic(path: Path, data: bytes) -> None:
    """Write a file so that readers see either nothing or all of it (temp file in the same folder).

    Plain open() keeps the usual umask permissions.
    """
    with replacing(path) as tmp:
        tmp.write_bytes(data)


def read_json(path: Path, recovery: str) -> Any:
    """The JSON content of a state file; a missing, unreadable or corrupt one raises StateFileError
    naming the file and `recovery` (what the user can do about it)."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else first_line(exc)
        raise StateFileError(f"{path}: unreadable or corrupt ({reason}); {recovery}") from None
