#!/usr/bin/env bash
# Small-scale reproduction of the SPARE3D comparison (supervised baselines vs the 2022 self-supervised
# route, plus SimCLR / CLSA initialisation for T2I) on CSG data made by `render dataset`.
# Every set is built from the same N generated models with the same seed and split fractions, so a
# model is in the same split in every set (no pretext training on test models).
#
#   bench/spare3d_reproduce.sh OUT [N_MODELS] [SIZE] [EPOCHS]
#
# EPOCHS is for question sets and the pairs pretext; the poses pretext has 8 items per model, so it
# runs POSE_EPOCHS (default EPOCHS / 4) epochs. Results: OUT/report/report.md and OUT/report/*.png;
# see docs/reproduction.md.
set -euo pipefail
OUT=${1:?usage: $0 OUT [N_MODELS] [SIZE] [EPOCHS]}
N=${2:-300}
SIZE=${3:-64}
EPOCHS=${4:-15}
BIN=${BIN:-.venv/bin}
WORKERS=${WORKERS:-2}
POSE_EPOCHS=${POSE_EPOCHS:-$(((EPOCHS + 3) / 4))}
SSL_EPOCHS=${SSL_EPOCHS:-8}
# Small networks on a shared CPU: one intra-op thread per process avoids OpenMP threads waiting on
# each other (several times faster here than two threads when other processes hold the cores).
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
DATA=$OUT/data
RUNS=$OUT/runs

for kind in pairs t2i poses i2p p2i; do
  "$BIN/render" dataset --task "$kind" --csg "$N" --size "$SIZE" --seed 0 --split 0.6,0.1,0.3 \
    --workers "$WORKERS" --method poly -o "$DATA/$kind"
  "$BIN/render" pack "$DATA/$kind"
done

NET=(--data "$DATA" --image-size "$SIZE" --width 32 --hidden 256 --batch-size 8 --lr 1e-4
  --epochs "$EPOCHS" --precision fp32)
# later flags override earlier ones (click keeps the last value)
train() { "$BIN/spare3d" train "${NET[@]}" "$@"; }

train --task view-consistency --route supervised --out "$RUNS/t2i-supervised"
train --task view-consistency --out "$RUNS/t2i-self-supervised"
train --task isometric-to-pose --route supervised --out "$RUNS/i2p-supervised"
POSE=(--epochs "$POSE_EPOCHS" --finetune-epochs "$EPOCHS")
train --task isometric-to-pose "${POSE[@]}" --out "$RUNS/i2p-self-supervised"
train --task pose-to-isometric --route supervised --out "$RUNS/p2i-supervised"
# P2I reuses the I2P run's pose pretext: evaluated directly, then fine-tuned on p2i.
PRETEXT="$RUNS/i2p-self-supervised/pretext/best.pt"
train --task pose-to-isometric --stage direct --init "$PRETEXT" --out "$RUNS/p2i-self-supervised"
train --task pose-to-isometric --stage finetune --init "$PRETEXT" --out "$RUNS/p2i-self-supervised"

# Accuracy vs training-set size: the same runs on the first quarter and half of the training models.
TRAIN=$(python3 -c "import json; print(len(json.load(open('$DATA/t2i/train/answer.json'))))")
for part in 4 2; do
  n=$((TRAIN / part))
  train --task view-consistency --route supervised --train-size "$n" --out "$RUNS/size-$n-t2i-supervised"
  train --task view-consistency --train-size "$n" --out "$RUNS/size-$n-t2i-self-supervised"
  train --task isometric-to-pose --route supervised --train-size "$n" --out "$RUNS/size-$n-i2p-supervised"
  train --task isometric-to-pose "${POSE[@]}" --train-size "$n" --out "$RUNS/size-$n-i2p-self-supervised"
done

# T2I from SimCLR / CLSA backbones pretrained on the training drawings of the pairs set (the same
# training models), against the same network (late fusion, shared ResNet-18, standard stem) from scratch.
SSL=(--data "$DATA/pairs/train" --backbone resnet18 --channels 1 --large-input --image-size "$SIZE"
  --batch-size 64 --epochs "$SSL_EPOCHS")
"$BIN/spare3d" pretrain --method simclr "${SSL[@]}" --out "$RUNS/simclr-pretrain"
"$BIN/spare3d" pretrain --method clsa "${SSL[@]}" --queue-size 1024 --out "$RUNS/clsa-pretrain"
RESNET=(--model view-comparison --backbone resnet18 --large-input)
train --task view-consistency --route supervised "${RESNET[@]}" --out "$RUNS/t2i-resnet18-scratch"
for method in simclr clsa; do
  train --task view-consistency --route supervised "${RESNET[@]}" \
    --init "$RUNS/$method-pretrain/backbone.safetensors" --out "$RUNS/t2i-resnet18-$method"
done

"$BIN/spare3d" report "$RUNS"/*-supervised "$RUNS"/*-self-supervised "$RUNS"/t2i-resnet18-* --out "$OUT/report"
