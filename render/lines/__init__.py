"""Models to line drawings: cameras, the line routes (exact and polygonal HLR in `hlr`, the B-rep mesh
route in `tessellate`, the mesh route in `mesh`), rasterizing and SVG (`drawing`), and `views`, which
picks a route per model and renders files and folders."""
