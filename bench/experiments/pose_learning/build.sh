#!/usr/bin/env bash
# Pose pretext and I2P/P2I question sets: 600 CSG models, 3-5 primitives, 64 px, seed 3.
set -euo pipefail
EXP=${EXP:-/tmp/pose_exp}
CODE=${CODE:-$(git rev-parse --show-toplevel)}
for kind in poses i2p p2i; do
  OMP_NUM_THREADS=1 PYTHONPATH=$CODE /work/main/.venv/bin/python -c "from render.cli import main; main()" dataset --task $kind --csg 600 \
    --primitives 3-5 --size 64 --seed 3 --split 0.7,0.1,0.2 --workers 2 -o "$EXP/data/$kind"
done
