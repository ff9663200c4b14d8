#!/usr/bin/env bash
cd "$(git rev-parse --show-toplevel)"
export OMP_NUM_THREADS=1
NET="--data ${EXP:-/tmp/t2i_exp}/data --image-size 64 --width 16 --batch-size 16 --precision fp32"
.venv/bin/spare3d train --task t2i --model hull-matcher $NET --lr 1e-3 --epochs 6 --finetune-epochs 4 \
  --pretext-loss rank --negatives mixed --augment --out ${EXP:-/tmp/t2i_exp}/runs/ssl-matcher > ${EXP:-/tmp/t2i_exp}/runs/ssl-matcher.log 2>&1
