#!/usr/bin/env bash
# Small-scale reproduction of the SPARE3D comparison (supervised baselines vs the 2022 self-supervised
# route, plus SimCLR / CLSA initialisation for T2I) on CSG data made by `render dataset`.
# Every set is built from the same N generated models with the same seed and split fractions, so a
# model is in the same split in every set (no pretext training on test models).
#
#   bench/spare3d_reproduce.sh OUT [N_MODELS] [SIZE] [EPOCHS]
#
# Results: OUT/report/report.md (table) and OUT/report/*.png; see docs/reproduction.md.
set -euo pipefail
OUT=${1:?usage: $0 OUT [N_MODELS] [SIZE] [EPOCHS]}
N=${2:-300}
SIZE=${3:-64}
EPOCHS=${4:-15}
BIN=${BIN:-.venv/bin}
WORKERS=${WORKERS:-2}
SSL_EPOCHS=${SSL_EPOCHS:-$EPOCHS}
DATA=$OUT/data
RUNS=$OUT/runs

for kind in pairs t2i poses i2p p2i; do
  "$BIN/render" dataset --task "$kind" --csg "$N" --size "$SIZE" --seed 0 --split 0.6,0.1,0.3 \
    --workers "$WORKERS" --method poly -o "$DATA/$kind"
  "$BIN/render" pack "$DATA/$kind"
done

NET=(--data "$DATA" --image-size "$SIZE" --width 32 --hidden 256 --batch-size 32 --lr 3e-4
  --epochs "$EPOCHS" --precision fp32)
train() { "$BIN/spare3d" train "$@" "${NET[@]}"; }

train --task view-consistency --route supervised --out "$RUNS/t2i-supervised"
train --task view-consistency --out "$RUNS/t2i-self-supervised"
train --task isometric-to-pose --route supervised --out "$RUNS/i2p-supervised"
train --task isometric-to-pose --out "$RUNS/i2p-self-supervised"
train --task pose-to-isometric --route supervised --out "$RUNS/p2i-supervised"
train --task pose-to-isometric --out "$RUNS/p2i-self-supervised"

# Accuracy vs training-set size: the same runs on the first quarter and half of the training models.
TRAIN=$(python3 -c "import json; print(len(json.load(open('$DATA/t2i/train/answer.json'))))")
for part in 4 2; do
  n=$((TRAIN / part))
  train --task view-consistency --route supervised --train-size "$n" --out "$RUNS/size-$n-t2i-supervised"
  train --task view-consistency --train-size "$n" --out "$RUNS/size-$n-t2i-self-supervised"
  train --task isometric-to-pose --route supervised --train-size "$n" --out "$RUNS/size-$n-i2p-supervised"
  train --task isometric-to-pose --train-size "$n" --out "$RUNS/size-$n-i2p-self-supervised"
done

# T2I from SimCLR / CLSA backbones pretrained on the T2I training drawings, against the same network
# (late fusion, shared ResNet-18 encoder, standard stem) from scratch.
RESNET=(--model view-comparison --backbone resnet18 --large-input)
train --task view-consistency --route supervised "${RESNET[@]}" --out "$RUNS/t2i-resnet18-scratch"
for method in simclr clsa; do
  "$BIN/spare3d" pretrain --method "$method" --data "$DATA/t2i/train" --backbone resnet18 --channels 1 \
    --large-input --image-size "$SIZE" --batch-size 64 --epochs "$SSL_EPOCHS" --out "$RUNS/$method-pretrain"
  train --task view-consistency --route supervised "${RESNET[@]}" \
    --init "$RUNS/$method-pretrain/backbone.safetensors" --out "$RUNS/t2i-resnet18-$method"
done

"$BIN/spare3d" report "$RUNS"/*-supervised "$RUNS"/*-self-supervised "$RUNS"/t2i-resnet18-* --out "$OUT/report"
