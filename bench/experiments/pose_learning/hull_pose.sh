#!/usr/bin/env bash
# Hull pose network (self-supervised route) on 600 CSG models (3-5 primitives) at 64 px:
# pose pretext -> I2P direct and fine-tuned; the same pretext -> P2I direct and fine-tuned.
# Data: build.sh. CODE: a checkout to run (default: this one).
set -euo pipefail
EXP=${EXP:-/tmp/pose_exp}
CODE=${CODE:-$(git rev-parse --show-toplevel)}
export OMP_NUM_THREADS=1 PYTHONPATH=$CODE
spare3d() { /work/main/.venv/bin/python -m spare3d "$@"; }
COMMON=(--data "$EXP/data" --image-size 64 --batch-size 32 --model hull-pose)
spare3d train --task i2p "${COMMON[@]}" --epochs 2 --finetune-epochs 3 --out "$EXP/runs/i2p-hull-pose"
PRETEXT=$EXP/runs/i2p-hull-pose/pretext/best.pt
spare3d train --task p2i "${COMMON[@]}" --stage direct --init "$PRETEXT" --out "$EXP/runs/p2i-hull-pose"
spare3d train --task p2i "${COMMON[@]}" --stage finetune --init "$PRETEXT" --epochs 3 --out "$EXP/runs/p2i-hull-pose"
echo HULL POSE DONE
