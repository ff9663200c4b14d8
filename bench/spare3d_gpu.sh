#!/usr/bin/env bash
# The SPARE3D comparison at paper scale: 5,000 CSG models, 200 px drawings, VGG-style encoders of width
# 512 and MLPs of 4096, built on all CPU cores and trained on one GPU (bf16 autocast on CUDA). The same
# runs as bench/spare3d_cpu.sh, which it calls with these sizes.
#
#   bench/spare3d_gpu.sh OUT [N_MODELS] [SIZE] [EPOCHS]
#
# On a CPU it runs too, at whatever size is given (e.g. bench/spare3d_gpu.sh /tmp/g 8 32 1 for a smoke run).
set -euo pipefail
OUT=${1:?usage: $0 OUT [N_MODELS] [SIZE] [EPOCHS]}
export WORKERS=${WORKERS:-$(nproc)}
export WIDTH=${WIDTH:-512} HIDDEN=${HIDDEN:-4096} HULL_WIDTH=${HULL_WIDTH:-64} BATCH=${BATCH:-32}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-4}
exec "$(dirname "$0")/spare3d_cpu.sh" "$OUT" "${2:-5000}" "${3:-200}" "${4:-10}"
