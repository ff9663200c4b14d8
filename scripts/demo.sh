#!/usr/bin/env bash
# The whole pipeline at small scale (a few minutes on 2 CPU cores):
# generated CSG models + the built-in sample parts -> 11-view drawings -> pairs and t2i question sets ->
# self-supervised view-comparison pretext -> direct evaluation + fine-tuning on T2I -> accuracy table.
set -euo pipefail
OUT=${1:-demo_out}
BIN=${BIN:-.venv/bin}
N_MODELS=${N_MODELS:-320}
EPOCHS=${EPOCHS:-15}
SIZE=${SIZE:-64}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}

echo "== 1/5 render csg, render samples: 4 procedural CSG solids and the built-in machined parts as STEP (one STL)"
"$BIN/render" csg -n 4 --seed 0 -o "$OUT/models"
"$BIN/render" samples -o "$OUT/models" --format step

echo "== 2/5 render views: 11 views of each model (visible black, hidden dashed)"
"$BIN/render" views "$OUT/models" -o "$OUT/views" --hidden dashed --format png,svg --workers 2

echo "== 3/5 render dataset: pairs (pretext) and t2i (questions) from $N_MODELS CSG models at $SIZE px"
for kind in pairs t2i; do
  "$BIN/render" dataset --task "$kind" --csg "$N_MODELS" --primitives 3-5 --size "$SIZE" --seed 0 \
    --split 0.4,0.1,0.5 --workers 2 -o "$OUT/data/$kind"
  "$BIN/render" pack "$OUT/data/$kind"
done

echo "== 4/5 spare3d train --task view-consistency: pairs pretext, direct evaluation, fine-tuning"
# The default network, the hull matcher, compares each candidate with the edge hull of the three views
# (docs/reproduction.md); the 2022 network and recipe: --model view-comparison (its defaults are the paper's).
"$BIN/spare3d" train --task view-consistency --data "$OUT/data" --out "$OUT/runs/t2i-self-supervised" \
  --image-size "$SIZE" --batch-size 16 --epochs "$EPOCHS" --finetune-epochs 5 --precision fp32

echo "== 5/5 spare3d report"
"$BIN/spare3d" report "$OUT/runs/t2i-self-supervised" --out "$OUT/report"
cat <<MSG

Drawings: $OUT/views    Questions: $OUT/data/t2i    Predictions: $OUT/runs/t2i-self-supervised/*/predictions_*.jsonl
Open the inspector on the result:
  $BIN/spare3d app --data $OUT/data --predictions $OUT/runs/t2i-self-supervised/finetune/predictions_t2i_test.jsonl
MSG
