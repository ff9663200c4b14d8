"""Models in: B-rep files read through OpenCASCADE (`brep`), procedural CSG solids (`csg`), and a model
as questions see it (`solid`: exact B-rep, B-rep with a mesh proxy, or mesh)."""
