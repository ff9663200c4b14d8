"""Render-a-model page: upload a CAD model or mesh, see its 11 views, download them, ask a network."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app import state
from app.query import QueryError, answerable_tasks, ask, load_network
from app.uploads import (
    ALLOWED_EXTENSIONS,
    VIEW_TITLES,
    UploadError,
    display_name,
    draw,
    drawings_zip,
    render_upload,
    safe_stem,
)
from render.errors import ModelError
from render.lines.drawing import HIDDEN_STYLES
from render.lines.views import METHODS

METHOD_HELP = (
    "B-rep models (meshes always use the mesh route). auto: triangulation edges with ray-cast visibility,"
    " polygonal HLR if that fails; exact: OpenCASCADE exact hidden-line removal under the time limit,"
    " then polygonal; poly: polygonal HLR; mesh: the mesh route only."
)
cached_network = st.cache_resource(load_network, max_entries=2, show_spinner="Loading the network...")

st.title("Render a model")
cfg = state.config()
max_bytes = cfg.max_upload_mb * 2**20
st.caption(f"{' '.join(ALLOWED_EXTENSIONS)} · at most {cfg.max_upload_mb} MB · stored only while it is drawn")
# No `type=` filter: Streamlit would answer other extensions with its own exception; check_upload explains.
upload = st.file_uploader("CAD model or mesh", key="upload_file")
cols = st.columns(5)
method = cols[0].selectbox("Method", METHODS, key="upload_method", help=METHOD_HELP)
time_limit = cols[1].number_input("Exact HLR limit (s)", 1.0, 600.0, 20.0, 1.0, key="upload_time_limit")
hidden = cols[2].radio("Hidden lines", HIDDEN_STYLES, horizontal=True, key="upload_hidden")
size = cols[3].select_slider("Size (px)", [128, 200, 256, 400], 200, key="upload_size")
line_width = cols[4].slider("Line width (px)", 0.5, 4.0, 1.5, 0.25, key="upload_line_width")
if upload is None:
    st.stop()

key = (upload.file_id, method, float(time_limit))
if st.session_state.get("upload_key") != key:
    st.session_state.pop("upload_result", None)
    try:
        with st.spinner(f"Rendering {safe_stem(upload.name)}..."):
            result = render_upload(
                upload.getvalue(), upload.name, cfg.work_dir, max_bytes, method, time_limit
            )
    except UploadError as exc:
        st.error(str(exc))
        st.stop()
    except ModelError as exc:  # names the stored copy; show the uploaded name instead
        st.error(f"{display_name(upload.name)}: {exc.problem}")
        st.stop()
    except Exception as exc:  # any reader can fail on a malformed upload: show it, never a traceback
        first = str(exc).splitlines()[0] if str(exc) else ""
        st.error(f"{display_name(upload.name)}: cannot be rendered ({type(exc).__name__}: {first})")
        st.stop()
    st.session_state["upload_key"], st.session_state["upload_result"] = key, result
result = st.session_state["upload_result"]
drawings = draw(result, size, line_width, hidden)
stem = safe_stem(upload.name)
st.success(f"{stem}: {len(drawings.images)} views by {result.method} in {result.seconds:.1f} s")
keys = list(drawings.images)
for row in (keys[:3], keys[3:7], keys[7:]):
    columns = st.columns(4)
    for column, view in zip(columns, row, strict=False):
        column.image(
            drawings.images[view], caption=VIEW_TITLES.get(view, view), alt=VIEW_TITLES.get(view, view)
        )
st.download_button(
    "Download drawings (PNG + SVG, zip)",
    drawings_zip(drawings, stem),
    file_name=f"{stem}_drawings.zip",
    mime="application/zip",
    key="upload_download",
)

with st.expander("Ask a trained network (spare3d checkpoint)"):
    checkpoint = st.text_input("Checkpoint file on the server", key="upload_checkpoint").strip()
    if checkpoint:
        try:
            net = cached_network(Path(checkpoint))
        except QueryError as exc:
            st.error(str(exc))
            st.stop()
        tasks = answerable_tasks(net)
        if not tasks:
            st.error(f"{checkpoint}: the network answers no question task (t2i, i2p, p2i)")
            st.stop()
        task = st.radio("Question", tasks, horizontal=True, key="upload_query_task")
        poses = st.multiselect(
            "Candidate poses (4)", list(range(1, 9)), [1, 2, 5, 6], key="upload_query_poses"
        )
        visible = draw(result, 200, line_width, "off").images
        try:
            st.dataframe(ask(net, task, visible, poses), hide_index=True)
        except QueryError as exc:
            st.error(str(exc))
