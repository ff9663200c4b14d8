"""Altair charts of prediction tables: accuracy (95% intervals), accuracy vs primitives, histograms."""

from __future__ import annotations

import altair as alt
import pandas as pd


def accuracy_bars(table: pd.DataFrame) -> alt.LayerChart:
    """Bars of accuracy per task, one colour per prediction file, with the 95% interval as a rule."""
    base = alt.Chart(table).encode(
        x=alt.X("task:N", title="task"),
        xOffset=alt.XOffset("file:N"),
        color=alt.Color("file:N", title="predictions"),
    )
    bars = base.mark_bar().encode(
        y=alt.Y("accuracy:Q", scale=alt.Scale(domain=[0, 1]), title="accuracy"),
        tooltip=["file", "task", "n", "correct", alt.Tooltip("accuracy:Q", format=".3f")],
    )
    rule = base.mark_rule(strokeWidth=2).encode(y="low:Q", y2="high:Q", color=alt.value("black"))
    return bars + rule


def accuracy_vs_primitives(table: pd.DataFrame) -> alt.LayerChart:
    """Accuracy against the number of primitives, one line per (file, task), 95% interval as a band."""
    base = alt.Chart(table.assign(series=table["file"] + " · " + table["task"])).encode(
        x=alt.X("n_primitives:Q", title="number of primitives"), color=alt.Color("series:N", title="")
    )
    line = base.mark_line(point=True).encode(
        y=alt.Y("accuracy:Q", scale=alt.Scale(domain=[0, 1])),
        tooltip=["series", "n_primitives", "n", "accuracy"],
    )
    band = base.mark_area(opacity=0.15).encode(y=alt.Y("low:Q", title="accuracy"), y2="high:Q")
    return band + line


def score_histogram(scores: pd.DataFrame, bins: int = 30) -> alt.Chart:
    """Overlaid histograms of per-choice scores: the correct answers' against the distractors'."""
    return (
        alt.Chart(scores)
        .mark_bar(opacity=0.6, binSpacing=0)
        .encode(
            x=alt.X("score:Q", bin=alt.Bin(maxbins=bins), title="score"),
            y=alt.Y("count():Q", stack=None, title="choices"),
            color=alt.Color("role:N", title=""),
        )
    )


def confidence_histogram(table: pd.DataFrame, bins: int = 20) -> alt.Chart:
    """Histogram of the confidence of the chosen answers, coloured by whether they were right."""
    data = table.assign(outcome=table["correct"].map({True: "correct", False: "wrong"}))
    return (
        alt.Chart(data)
        .mark_bar(opacity=0.6, binSpacing=0)
        .encode(
            x=alt.X(
                "confidence:Q", bin=alt.Bin(extent=[0, 1], maxbins=bins), title="confidence of the answer"
            ),
            y=alt.Y("count():Q", stack=None, title="questions"),
            color=alt.Color("outcome:N", title=""),
        )
    )
