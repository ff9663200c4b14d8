"""The error types shared by all of `render`: models that cannot be rendered, state files that cannot be
read; and the one line of an error that messages show."""

from __future__ import annotations

from pathlib import Path


class ModelError(Exception):
    """A model that cannot be read or rendered; str() is one line naming the file and the problem."""

    def __init__(self, path: str | Path, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")

    def __reduce__(self) -> tuple:
        # Rebuild from (path, problem), so the error crosses process boundaries (worker pools, time limits).
        return (type(self), (self.path, self.problem))


class StateFileError(Exception):
    """A state file (csg.json, .build/config.json, a build record) that cannot be read; str() is one line
    naming the file, the problem and how to recover."""


def first_line(exc: BaseException) -> str:
    """The first line of an error's message, or its type's name when the message is empty."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
