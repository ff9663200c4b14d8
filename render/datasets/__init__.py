"""Sets of files built from models and drawings: the built-in sample parts (`samples`), SPARE3D question
recipes (`questions`) with their filters and difficulty, building a dataset (`dataset`), its on-disk
layout (`layout`), validation (`check`) and packed arrays (`pack`)."""
