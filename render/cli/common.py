"""What the commands of `render` share: the one-line error, the output folder, the partial-failure exit
code."""

from __future__ import annotations

from pathlib import Path
from typing import IO

import click

PARTIAL_FAILURE = 3  # exit status of a batch that wrote what it could and recorded some failures


class CommandError(click.ClickException):
    """A failure shown as the single line `error: <file>: <problem>` (exit code 1), never a traceback."""

    def show(self, file: IO[str] | None = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


def output_folder(path: Path) -> Path:
    """Create the output folder `path` (and its parents); CommandError naming it when that fails."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CommandError(f"{path}: cannot create output folder ({exc.strerror})") from None
    return path
