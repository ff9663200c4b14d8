"""Plots page: accuracy per task and per number of primitives, score and confidence distributions."""

from __future__ import annotations

import streamlit as st

from app import charts, state
from app.data import primitive_counts
from app.predictions import accuracy_by_primitives, accuracy_table, score_long

st.title("Plots")
src = state.sources()
predictions = state.prediction_sets(src)
if not predictions:
    st.info("No readable prediction file: list one or more in the sidebar.")
    st.stop()
tables = {name: pset.table for name, pset in predictions.items()}

st.subheader("Accuracy per task")
per_task = accuracy_table(tables, by=("task",))
st.altair_chart(charts.accuracy_bars(per_task), width="stretch")
st.dataframe(per_task, hide_index=True)

st.subheader("Accuracy per number of primitives")
sets = state.task_sets(src) if src.data is not None else None
per_primitives = accuracy_by_primitives(tables, primitive_counts(sets or []))
if per_primitives.empty:
    st.info(
        "No primitive counts: they come from manifest.json of a data folder made by `render dataset --csg`."
    )
else:
    st.altair_chart(charts.accuracy_vs_primitives(per_primitives), width="stretch")
    st.dataframe(per_primitives, hide_index=True)

st.subheader("Score distributions")
cols = st.columns(2)
name = cols[0].selectbox("Predictions", list(tables), key="plots_file")
table = tables[name]
task = cols[1].selectbox("Task", sorted(table["task"].unique()), key="plots_task")
part = table[table["task"] == task]
left, right = st.columns(2)
left.altair_chart(charts.score_histogram(score_long(part)), width="stretch")
left.caption("Scores of the correct answers and of the distractors")
right.altair_chart(charts.confidence_histogram(part), width="stretch")
right.caption("Softmax probability of the chosen answer, right vs wrong")
