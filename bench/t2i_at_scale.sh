#!/usr/bin/env bash
# The paper's larger T2I set on this machine: `render dataset --task t2i` over N generated CSG models
# (default 40,000; mesh kernel, 200 px, SPARE3D red hidden lines, 3-8 primitives), timed end to end,
# then the manifest's counts and the size on disk. A rerun resumes the build and times only the rest.
#
#   bench/t2i_at_scale.sh OUT [N_MODELS] [WORKERS] [EXECUTOR]     # EXECUTOR: local (default) or ray
set -euo pipefail
OUT=${1:?usage: $0 OUT [N_MODELS] [WORKERS] [EXECUTOR]}
N=${2:-40000}
WORKERS=${3:-2}
EXECUTOR=${4:-local}
BIN=${BIN:-.venv/bin}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}

start=$(date +%s.%N)
"$BIN/render" dataset --task t2i --csg "$N" -o "$OUT" --workers "$WORKERS" --executor "$EXECUTOR"
end=$(date +%s.%N)
"$BIN/python" - "$OUT" "$start" "$end" "$N" "$WORKERS" "$EXECUTOR" <<'PY'
import json, sys
from pathlib import Path
out, start, end, n, workers, executor = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), *sys.argv[4:]
counts = json.loads((Path(out) / "manifest.json").read_text())["counts"]
questions = counts["train"] + counts["valid"] + counts["test"]
wall = end - start
print(
    f"render dataset --task t2i --csg {n} --workers {workers} --executor {executor}: {questions:,} questions "
    f"(train {counts['train']:,}, valid {counts['valid']:,}, test {counts['test']:,}) in {wall / 60:.1f} min ({wall:.1f} s), "
    f"{questions / wall:.2f} questions/s; ok {counts['ok']:,}, filtered {counts['filtered']:,}, "
    f"failed {counts['failed']:,}, timeout {counts['timeout']:,}"
)
PY
du -sh "$OUT" | awk '{print "size on disk: " $1}'
