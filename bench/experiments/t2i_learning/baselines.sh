#!/usr/bin/env bash
cd "$(git rev-parse --show-toplevel)"
export OMP_NUM_THREADS=1
NET="--data ${EXP:-/tmp/t2i_exp}/data --image-size 64 --width 32 --hidden 256 --batch-size 16 --lr 1e-4 --precision fp32"
.venv/bin/spare3d train --task t2i --route supervised $NET --epochs 8 --out ${EXP:-/tmp/t2i_exp}/runs/sup-early-fusion > ${EXP:-/tmp/t2i_exp}/runs/sup-early-fusion.log 2>&1
.venv/bin/spare3d train --task t2i --model view-comparison $NET --epochs 6 --finetune-epochs 3 --out ${EXP:-/tmp/t2i_exp}/runs/ssl-2022 > ${EXP:-/tmp/t2i_exp}/runs/ssl-2022.log 2>&1
