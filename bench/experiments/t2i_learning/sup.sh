#!/usr/bin/env bash
# Supervised T2I with the view-comparison network: does candidate contrast / augmentation make it learn?
cd "$(git rev-parse --show-toplevel)"
export OMP_NUM_THREADS=1
NET="--data ${EXP:-/tmp/t2i_exp}/data --image-size 64 --width 32 --hidden 256 --batch-size 16 --lr 1e-4 --epochs ${EPOCHS:-15} --precision fp32"
for cfg in "contrast-aug:--contrast --augment" "contrast:--contrast" "plain:"; do
  name=${cfg%%:*}; flags=${cfg#*:}
  [ -f ${EXP:-/tmp/t2i_exp}/runs/sup-$name/results.json ] && continue
  .venv/bin/spare3d train --task t2i --route supervised --model view-comparison $NET $flags \
    --out ${EXP:-/tmp/t2i_exp}/runs/sup-$name > ${EXP:-/tmp/t2i_exp}/runs/sup-$name.log 2>&1
done
