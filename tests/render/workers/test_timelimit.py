from __future__ import annotations

import os
import time

import numpy as np
import pytest

from render.errors import ModelError
from render.workers.timelimit import call_with_time_limit


def _sleep(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def _fail() -> None:
    raise ModelError("part.step", "unreadable or corrupt STEP file")


def _crash() -> None:
    os._exit(3)


def test_returns_the_result_of_the_worker() -> None:
    assert call_with_time_limit(np.arange, 5, time_limit=10).tolist() == [0, 1, 2, 3, 4]
    assert call_with_time_limit(_sleep, 0.01, time_limit=None) == 0.01


def test_kills_the_worker_when_time_is_up() -> None:
    start = time.perf_counter()
    with pytest.raises(TimeoutError):
        call_with_time_limit(_sleep, 30, time_limit=0.3)
    assert time.perf_counter() - start < 5


def test_model_error_keeps_file_and_problem() -> None:
    with pytest.raises(ModelError) as info:
        call_with_time_limit(_fail, time_limit=10)
    assert (info.value.path, info.value.problem) == ("part.step", "unreadable or corrupt STEP file")


def test_crashed_worker_raises_runtime_error_with_exit_code() -> None:
    with pytest.raises(RuntimeError, match="exit code 3"):
        call_with_time_limit(_crash, time_limit=10)
