"""render: CAD models and meshes to multi-view line drawings and SPARE3D-style datasets.

The sub-packages follow the data flow; each imports only from those listed before it
(tests/render/test_layout.py checks it):
- `render.errors`, `render.files`: error types and atomic writes / JSON state files, for all of render;
- `render.workers`: worker processes and wall-clock limits;
- `render.models`: reading and building models;
- `render.lines`: models to visible and hidden lines, and drawings of them;
- `render.datasets`: sample parts, question datasets and their files;
- `render.cli`: the `render` command line, imported by nothing in the package.
"""
