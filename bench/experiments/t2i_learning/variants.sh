#!/usr/bin/env bash
# Does the pairs pretext learn more from K variants per model (K(K-1)/2 hard pairs per model build)?
# The same 400 CSG models (seed 5, disjoint from the test models of bench/spare3d_cpu.sh, which uses
# seed 0), pairs with --variants 2 (one pair per model) and --variants 4 (6 pairs per model), hull matcher
# pairs pretext with the default recipe, evaluated directly on the 596 T2I test questions of
# bench/spare3d_cpu.sh /tmp/cpu_full (OCCT kernel).
set -euo pipefail
EXP=${EXP:-/tmp/var_exp}
T2I=${T2I:-/tmp/cpu_full/data/t2i}
BIN=${BIN:-.venv/bin}
export OMP_NUM_THREADS=1
for k in 2 4; do
  "$BIN/render" dataset --task pairs --variants "$k" --csg 400 --primitives 3-5 --size 64 --seed 5 \
    --split 0.9,0.1,0 --workers 2 -o "$EXP/k$k/pairs"
  ln -sfn "$T2I" "$EXP/k$k/t2i"
  "$BIN/spare3d" train --task view-consistency --data "$EXP/k$k" --image-size 64 --batch-size 16 \
    --epochs 6 --stage pretext --out "$EXP/runs/variants-$k"
done
