"""The inspector's entry point: `streamlit run app/main.py -- --data DIR --predictions FILE...`.

`spare3d app` starts it this way. The sidebar chooses the data folder and prediction files; the pages
(one module each in app/screens, not app/pages, which Streamlit would list by itself) browse questions,
compare prediction files, plot, and render uploads.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app.state import sidebar_sources

PAGES = Path(__file__).resolve().parent / "screens"

st.set_page_config(page_title="SPARE3D inspector", layout="wide")
navigation = st.navigation(
    [
        st.Page(PAGES / "browse.py", title="Questions", default=True),
        st.Page(PAGES / "compare.py", title="Compare predictions"),
        st.Page(PAGES / "plots.py", title="Plots"),
        st.Page(PAGES / "upload.py", title="Render a model"),
    ]
)
sidebar_sources()
navigation.run()
