"""Compare two prediction files (e.g. supervised vs self-supervised): accuracy, agreement, disagreements."""

from __future__ import annotations

import streamlit as st

from app import state
from app.predictions import accuracy_table, agreement, compare, confusion, mcnemar_p

st.title("Compare predictions")
src = state.sources()
predictions = state.prediction_sets(src)
if len(predictions) < 2:
    st.info(
        f"{len(predictions)} readable prediction file(s): list two or more in the sidebar "
        "(made by `spare3d eval ... --predictions FILE`)."
    )
    st.stop()
names = list(predictions)
pick = st.columns(3)
name_a = pick[0].selectbox("A", names, index=0, key="compare_a")
name_b = pick[1].selectbox("B", names, index=1, key="compare_b")
if name_a == name_b:
    st.info("Choose two different files.")
    st.stop()
a, b = predictions[name_a].table, predictions[name_b].table

st.subheader("Accuracy (95% Wilson interval)")
st.dataframe(accuracy_table({name_a: a, name_b: b}), hide_index=True)

tasks = sorted(set(a["task"]) & set(b["task"]))
if not tasks:
    st.warning(f"{name_a} and {name_b} share no task")
    st.stop()
task = pick[2].selectbox("Task", tasks, key="compare_task")
merged = compare(a[a["task"] == task], b[b["task"] == task])
if merged.empty:
    st.warning(f"{name_a} and {name_b} share no {task} question (same id and split)")
    st.stop()
if merged["label_mismatch"].any():
    st.warning(
        f"{int(merged['label_mismatch'].sum())} shared questions have different labels in the two files"
    )

st.subheader(f"{task}: {len(merged)} questions in both files")
left, right = st.columns(2)
left.markdown("**Agreement** (rows A, columns B)")
left.dataframe(agreement(merged))
left.caption(f"exact McNemar p = {mcnemar_p(merged):.3g} (is the accuracy difference more than chance?)")
right.markdown("**Same answer**")
right.metric("A and B choose the same", f"{merged['agree'].mean():.1%}")
cols = st.columns(2)
for column, name, table in ((cols[0], name_a, a), (cols[1], name_b, b)):
    column.markdown(f"**Confusion of {name}** (rows correct answer, columns prediction)")
    column.dataframe(confusion(table[table["task"] == task]))

st.subheader("Questions where they disagree")
disagree = merged[~merged["agree"]]
show = ["split", "id", "label", "pred_a", "pred_b", "correct_a", "correct_b", "confidence_a", "confidence_b"]
st.caption(f"{len(disagree)} questions; open one on the Questions page with 'Jump to question id'.")
st.dataframe(disagree[show], hide_index=True)
