#!/usr/bin/env bash
# T2I with the edge hull: supervised view comparison first (the pretext runs once the pairs set exists)
cd "$(git rev-parse --show-toplevel)"
export OMP_NUM_THREADS=1
NET="--data ${EXP:-/tmp/t2i_exp}/data --image-size 64 --width 32 --hidden 256 --batch-size 16 --lr 1e-4 --precision fp32"
.venv/bin/spare3d train --task t2i --route supervised --model view-comparison $NET --epochs 8 \
  --contrast --edge-hull --augment --out ${EXP:-/tmp/t2i_exp}/runs/sup-hull-contrast-aug > ${EXP:-/tmp/t2i_exp}/runs/sup-hull-contrast-aug.log 2>&1
