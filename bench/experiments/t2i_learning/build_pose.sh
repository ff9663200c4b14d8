#!/usr/bin/env bash
cd "$(git rev-parse --show-toplevel)"
for kind in p2i i2p; do
  .venv/bin/render dataset --task $kind --csg 600 --primitives 3-5 --size 64 --seed 3 --split 0.7,0.1,0.2 --workers 1 -o ${EXP:-/tmp/t2i_exp}/data/$kind
done
echo POSE BUILD DONE
