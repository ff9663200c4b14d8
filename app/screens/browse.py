"""Questions page: pick a question set, split and prediction file, filter, and look at one question.

The F, R, T drawings and the answer choices are shown side by side; the correct answer has a green
border, a wrong choice of the model a red one; each choice shows the model's score, and the prediction
line the confidence (softmax probability) of the chosen answer.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from app import data, state
from app.predictions import filter_table
from spare3d.layout import Question

GREEN, RED = (40, 167, 69), (220, 53, 69)


def _image(
    column: DeltaGenerator, path: Path, caption: str, border: tuple[int, int, int] | None = None
) -> None:
    image = data.read_rgb(path)
    if image is None:
        column.warning(f"{path}: cannot read image")
        return
    shown = image if border is None else data.bordered(image, border)
    column.image(shown, caption=caption, width="stretch", alt=caption)


def _choice_caption(row: pd.Series, i: int, name: str) -> str:
    parts = [name]
    if row["label"] == i:
        parts.append("correct answer")
    if "pred" in row and pd.notna(row["pred"]):
        if int(row["pred"]) == i:
            parts.append("model's choice")
        parts.append(f"score {row[f's{i}']:.3f}")
    return " · ".join(parts)


def _choice_border(row: pd.Series, i: int) -> tuple[int, int, int] | None:
    if row["label"] == i:
        return GREEN
    if "pred" in row and pd.notna(row["pred"]) and int(row["pred"]) == i:
        return RED
    return None


def show_question(task: str, question: Question, row: pd.Series) -> None:
    st.subheader(f"Question {question.id}")
    facts = [data.TASK_NAMES[task], f"answer: {data.choice_labels(task)[question.label]}"]
    if pd.notna(row.get("model")):
        facts.append(f"model: {row['model']}")
    if pd.notna(row.get("n_primitives")):
        facts.append(f"primitives: {row['n_primitives']}")
    st.caption(" · ".join(facts))
    if task == "p2i":
        st.markdown(f"**Which drawing is seen from pose {question.pose}?**")
    elif task == "i2p":
        st.markdown("**From which pose is the isometric drawing seen?**")
    else:
        st.markdown("**Which isometric drawing matches the three views?**")
    has_pred = "pred" in row and pd.notna(row["pred"])
    if has_pred:
        choices = data.choice_labels(task)
        verdict = ":green[correct]" if bool(row["correct"]) else ":red[wrong]"
        st.markdown(
            f"Prediction: **{choices[int(row['pred'])]}** ({verdict}, confidence {row['confidence']:.2f})"
        )
        if bool(row.get("label_mismatch", False)):
            st.warning(
                "the prediction file gives another correct answer for this question: made on other data?"
            )
    else:
        st.caption("no prediction for this question")
    views = st.columns(4)
    for column, (name, path) in zip(views, data.three_views(question).items(), strict=False):
        _image(column, path, name)
    if task == "i2p":
        left, right = st.columns([1, 3])
        _image(left, data.candidates(question)[0], "isometric drawing")
        rows = []
        for i, name in enumerate(data.choice_labels(task)):
            entry = {"choice": name, "correct answer": question.label == i}
            if has_pred:
                entry.update({"model's choice": int(row["pred"]) == i, "score": row[f"s{i}"]})
            rows.append(entry)
        right.dataframe(pd.DataFrame(rows), hide_index=True)
    else:
        columns = st.columns(4)
        names = data.choice_labels(task)
        for i, (column, path) in enumerate(zip(columns, data.candidates(question), strict=True)):
            _image(column, path, _choice_caption(row, i, names[i]), _choice_border(row, i))


st.title("Questions")
src = state.sources()
sets = state.task_sets(src)
if not sets:
    st.stop()
top = st.columns(3)
set_index = top[0].selectbox(
    "Question set",
    range(len(sets)),
    format_func=lambda i: f"{sets[i].name} ({sets[i].task})",
    key="browse_set",
)
task_set = sets[set_index]
splits = list(task_set.splits)
split = top[1].selectbox(
    "Split", splits, index=splits.index("test") if "test" in splits else 0, key="browse_split"
)
loaded = state.questions(task_set, split)
if loaded is None:
    st.stop()
items, table = loaded
predictions = state.prediction_sets(src)
choice = top[2].selectbox(
    "Predictions", ["(none)", *predictions], index=1 if predictions else 0, key="browse_predictions"
)
if choice != "(none)":
    table = data.attach_predictions(table, predictions[choice].table, task_set.task, split)
    matched = int(table["pred"].notna().sum())
    if matched == 0:
        st.warning(f"{choice} has no predictions for {task_set.task} / {split}")
    else:
        st.caption(f"{matched} of {len(table)} questions have a prediction in {choice}")

with st.expander("Filters", expanded=True):
    cols = st.columns(3)
    outcome, confidence, primitives = "all", None, None
    if "pred" in table:
        outcome = cols[0].radio(
            "Model answer", ["all", "correct", "wrong"], horizontal=True, key="browse_outcome"
        )
        low, high = cols[1].slider("Confidence", 0.0, 1.0, (0.0, 1.0), 0.05, key="browse_confidence")
        confidence = None if (low, high) == (0.0, 1.0) else (low, high)
    counts = table["n_primitives"].dropna()
    if counts.nunique() > 1:
        bounds = (int(counts.min()), int(counts.max()))
        chosen = cols[2].slider("Number of primitives", *bounds, bounds, key="browse_primitives")
        primitives = None if tuple(chosen) == bounds else tuple(chosen)
filtered = filter_table(table, outcome, confidence, primitives)

jump = st.text_input("Jump to question id", key="browse_jump").strip()
by_id = {q.id: q for q in items}
if jump:
    if jump not in by_id:
        st.error(f"no question {jump!r} in {task_set.name} / {split}")
        st.stop()
    qid = jump
else:
    if filtered.empty:
        st.info("No question matches the filters.")
        st.stop()
    qid = st.selectbox(
        f"Question ({len(filtered)} of {len(table)} shown)", filtered["id"].tolist(), key="browse_qid"
    )
show_question(task_set.task, by_id[qid], table[table["id"] == qid].iloc[0])
with st.expander("All questions shown by the filters"):
    st.dataframe(filtered, hide_index=True)
