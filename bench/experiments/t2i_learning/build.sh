#!/usr/bin/env bash
set -e
cd "$(git rev-parse --show-toplevel)"
for kind in t2i pairs; do
  .venv/bin/render dataset --task $kind --csg 2000 --primitives 3-5 --size 128 --seed 3 --split 0.7,0.1,0.2 --workers 2 -o ${EXP:-/tmp/t2i_exp}/data/$kind
  .venv/bin/render pack ${EXP:-/tmp/t2i_exp}/data/$kind
done
echo BUILD DONE
