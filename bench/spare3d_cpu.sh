#!/usr/bin/env bash
# SPARE3D comparison on this machine: for T2I, I2P and P2I, the SPARE3D supervised baseline against the
# self-supervised routes (direct and fine-tuned), on CSG data made by `render dataset`, plus the
# parameter-free edge-hull baselines, accuracy vs training-set size and by difficulty.
# Every set is built from the same N generated models with the same seed and split fractions, so a
# model is in the same split in every set (no pretext training on test models).
#
#   bench/spare3d_cpu.sh OUT [N_MODELS] [SIZE] [EPOCHS]
#
# Defaults are SPARE3D-faithful questions (no difficulty filter, 3-5 primitives as the 2022
# complexity study's easiest group). Results: OUT/report/report.md (tables by route, size, difficulty,
# primitives) and PNG plots; OUT/edge_hull.txt. bench/spare3d_gpu.sh runs the same at paper scale.
# The defaults (2,000 models, 64 px, split 0.6/0.1/0.3) give about 580 test questions per task.
# Environment: WORKERS (data processes), WIDTH / HIDDEN (VGG-style encoders), HULL_WIDTH (the hull
# networks), BATCH, SPLIT, SIZES (training-set fractions for the size curve, e.g. "4 2"), POSE_EPOCHS
# (pose pretext; each epoch shows every model from all 8 poses), WITH_2022=1 to add the 2022
# view-comparison network (its pretext stays at chance here: docs/reproduction.md), BIN.
set -euo pipefail
OUT=${1:?usage: $0 OUT [N_MODELS] [SIZE] [EPOCHS]}
N=${2:-2000}
SIZE=${3:-64}
EPOCHS=${4:-6}
BIN=${BIN:-.venv/bin}
WORKERS=${WORKERS:-2}
WIDTH=${WIDTH:-32}
HIDDEN=${HIDDEN:-256}
HULL_WIDTH=${HULL_WIDTH:-16}
BATCH=${BATCH:-16}
SPLIT=${SPLIT:-0.6,0.1,0.3}
SIZES=${SIZES:-4 2}
POSE_EPOCHS=${POSE_EPOCHS:-$(((EPOCHS + 5) / 6))}
# Small networks on a shared CPU: one intra-op thread per process avoids OpenMP threads waiting on
# each other (several times faster here than two threads when other processes hold the cores).
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
DATA=$OUT/data
RUNS=$OUT/runs

for kind in pairs t2i poses i2p p2i; do
  "$BIN/render" dataset --task "$kind" --csg "$N" --primitives 3-5 --size "$SIZE" --seed 0 --split "$SPLIT" \
    --workers "$WORKERS" -o "$DATA/$kind"
  "$BIN/render" pack "$DATA/$kind"
done

COMMON=(--data "$DATA" --image-size "$SIZE" --batch-size "$BATCH" --epochs "$EPOCHS")
VGG=(--width "$WIDTH" --hidden "$HIDDEN" --lr 1e-4)
# T2I self-supervised: the hull matcher's pairs pretext (softmax over the pair and another model's
# objects, mirror/shift augmentation), evaluated directly, then fine-tuned on the t2i questions.
MATCHER=(--model hull-matcher --width "$HULL_WIDTH" --lr 1e-3 --pretext-loss rank --negatives mixed --augment
  --finetune-epochs "$(((EPOCHS + 1) / 2))")
# I2P / P2I self-supervised: the hull pose network's poses pretext, direct, then fine-tuned.
HULL_POSE=(--model hull-pose --width "$HULL_WIDTH" --lr 1e-3)
train() { "$BIN/spare3d" train "${COMMON[@]}" "$@"; }

for task in t2i i2p p2i; do
  "$BIN/python" bench/edge_hull_baseline.py --data "$DATA" --task "$task" --image-size "$SIZE"
done | tee "$OUT/edge_hull.txt"
train --task view-consistency --route supervised "${VGG[@]}" --out "$RUNS/t2i-supervised"
train --task view-consistency "${MATCHER[@]}" --out "$RUNS/t2i-self-supervised"
if [[ "${WITH_2022:-0}" == 1 ]]; then
  train --task view-consistency --model view-comparison "${VGG[@]}" --out "$RUNS/t2i-self-supervised-2022"
fi
train --task isometric-to-pose --route supervised "${VGG[@]}" --out "$RUNS/i2p-supervised"
train --task isometric-to-pose "${HULL_POSE[@]}" --epochs "$POSE_EPOCHS" --finetune-epochs "$EPOCHS" \
  --out "$RUNS/i2p-self-supervised"
train --task pose-to-isometric --route supervised "${VGG[@]}" --out "$RUNS/p2i-supervised"
# P2I reuses the I2P run's pose pretext: evaluated directly, then fine-tuned on p2i.
PRETEXT="$RUNS/i2p-self-supervised/pretext/best.pt"
train --task pose-to-isometric "${HULL_POSE[@]}" --stage direct --init "$PRETEXT" --out "$RUNS/p2i-self-supervised"
train --task pose-to-isometric "${HULL_POSE[@]}" --stage finetune --init "$PRETEXT" --out "$RUNS/p2i-self-supervised"

# Accuracy vs training-set size: the T2I runs again on a fraction of the training models.
TRAIN=$("$BIN/python" -c "import json; print(len(json.load(open('$DATA/t2i/train/answer.json'))))")
for part in $SIZES; do
  n=$((TRAIN / part))
  train --task view-consistency --route supervised "${VGG[@]}" --train-size "$n" --out "$RUNS/size-$n-t2i-supervised"
  train --task view-consistency "${MATCHER[@]}" --train-size "$n" --out "$RUNS/size-$n-t2i-self-supervised"
done

"$BIN/spare3d" report "$RUNS"/*supervised* --out "$OUT/report"
cat "$OUT/edge_hull.txt"
