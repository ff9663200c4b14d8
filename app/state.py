"""Streamlit glue shared by the pages: the current sources (sidebar), cached loaders, errors as messages.

Loaders show what went wrong with st.error (one line naming the file) and return None or skip the
file, so a page never ends in a traceback because of bad data.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st

from app.config import AppConfig, parse_config
from app.data import DataError, TaskSet, discover, load_questions, question_table
from app.predictions import PredictionError, PredictionSet, load_predictions
from spare3d.layout import Question

DATA_KEY = "source_data"
PREDICTIONS_KEY = "source_predictions"


@dataclass(frozen=True)
class Sources:
    """What the pages show: a data root (or None), prediction files, and the configuration."""

    data: Path | None
    predictions: tuple[Path, ...]
    config: AppConfig


def config() -> AppConfig:
    """The start-up configuration (command-line arguments after `--`, else environment), read once."""
    if "app_config" not in st.session_state:
        try:
            st.session_state["app_config"] = parse_config(sys.argv[1:])
        except ValueError as exc:
            st.error(f"bad app setting: {exc}; using defaults")
            st.session_state["app_config"] = AppConfig()
    return st.session_state["app_config"]


def sidebar_sources() -> None:
    """Sidebar inputs for the data root and the prediction files (one per line), prefilled from config."""
    cfg = config()
    st.session_state.setdefault(DATA_KEY, str(cfg.data) if cfg.data else "")
    st.session_state.setdefault(PREDICTIONS_KEY, "\n".join(str(p) for p in cfg.predictions))
    st.sidebar.text_input(
        "Data folder", key=DATA_KEY, help="A question set made by `render dataset`, or a parent."
    )
    st.sidebar.text_area("Prediction files (JSONL, one per line)", key=PREDICTIONS_KEY)
    if st.sidebar.button(
        "Reload files", help="Read data and predictions again (after they changed on disk)."
    ):
        st.cache_data.clear()


def sources() -> Sources:
    """The sources now chosen in the sidebar (the configuration before the sidebar has been shown)."""
    cfg = config()
    data_text = st.session_state.get(DATA_KEY, str(cfg.data) if cfg.data else "").strip()
    if PREDICTIONS_KEY in st.session_state:
        lines = st.session_state[PREDICTIONS_KEY].splitlines()
        predictions = tuple(Path(line.strip()) for line in lines if line.strip())
    else:
        predictions = cfg.predictions
    return Sources(Path(data_text) if data_text else None, predictions, cfg)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return -1.0


@st.cache_data(show_spinner=False, max_entries=8)
def _discover(data: str, mtime: float) -> list[TaskSet]:
    return discover(Path(data))


@st.cache_data(show_spinner="Reading questions...", max_entries=16)
def _questions(split_dir: str, task: str, mtime: float) -> list[Question]:
    return load_questions(Path(split_dir), task)


@st.cache_data(show_spinner="Reading predictions...", max_entries=16)
def _predictions(path: str, mtime: float) -> PredictionSet:
    return load_predictions(Path(path))


def task_sets(src: Sources) -> list[TaskSet] | None:
    """The question sets under the data root; None (after a message) when there is none to show."""
    if src.data is None:
        st.info("No data folder given: enter one in the sidebar or start with `spare3d app --data DIR`.")
        return None
    try:
        sets = _discover(str(src.data), _mtime(src.data))
    except DataError as exc:
        st.error(str(exc))
        return None
    for task_set in sets:
        if task_set.manifest_problem:
            st.warning(task_set.manifest_problem)
    return sets


def questions(task_set: TaskSet, split: str) -> tuple[list[Question], pd.DataFrame] | None:
    """The questions of one split and their table (id, label, pose, model, n_primitives); None on error."""
    split_dir = task_set.splits[split]
    try:
        items = _questions(str(split_dir), task_set.task, _mtime(split_dir / "answer.json"))
    except DataError as exc:
        st.error(str(exc))
        return None
    return items, question_table(items, task_set.manifest)


def prediction_sets(src: Sources) -> dict[str, PredictionSet]:
    """The readable prediction files by unique display name; each unreadable file gets one st.error."""
    loaded: dict[str, PredictionSet] = {}
    for path in src.predictions:
        try:
            pset = _predictions(str(path), _mtime(path))
        except PredictionError as exc:
            st.error(str(exc))
            continue
        if pset.problems:
            shown = "; ".join(pset.problems[:3]) + (
                f" (+{len(pset.problems) - 3} more)" if len(pset.problems) > 3 else ""
            )
            st.warning(f"{path}: skipped or corrected {len(pset.problems)} line(s): {shown}")
        name, n = pset.name, 2
        while name in loaded:
            name, n = f"{pset.name} ({n})", n + 1
        loaded[name] = pset
    return loaded
