"""Training metrics to a CSV file and TensorBoard (main rank only).

``MetricLogger(out_dir, resume_step)`` appends one row per ``log(step, **values)`` to
``out_dir/metrics.csv`` (columns grow as new keys appear; the file is rewritten atomically when they do)
and writes the same scalars to TensorBoard under ``out_dir/tensorboard``. On resume, rows after
``resume_step`` (written after the checkpoint the run resumes from) are dropped so the CSV matches the
resumed run.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from sslcore.checkpoint import atomic_write


def _number(column: str, value: str) -> float | int:
    return int(float(value)) if column in ("step", "epoch") else float(value)


class MetricLogger:
    def __init__(self, out_dir: str | Path, resume_step: int | None = None, tensorboard: bool = True) -> None:
        self.path = Path(out_dir) / "metrics.csv"
        self.rows: list[dict[str, float | int]] = []
        self.columns: list[str] = ["step"]
        if resume_step is not None and self.path.is_file():
            with self.path.open(newline="") as f:
                reader = csv.DictReader(f)
                self.columns = list(reader.fieldnames or ["step"])
                self.rows = [{k: _number(k, v) for k, v in r.items() if v != ""} for r in reader]
            self.rows = [r for r in self.rows if r["step"] <= resume_step]
        else:
            self.rows = []
        self._rewrite()
        self.writer = None
        if tensorboard:
            from torch.utils.tensorboard import SummaryWriter

            self.writer = SummaryWriter(str(Path(out_dir) / "tensorboard"), purge_step=resume_step)

    def _rewrite(self) -> None:
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=self.columns, lineterminator="\n")
        w.writeheader()
        w.writerows(self.rows)
        atomic_write(self.path, lambda tmp: Path(tmp).write_text(buf.getvalue()))

    def log(self, step: int, **values: float) -> None:
        row = {"step": step, **values}
        self.rows.append(row)
        new = [k for k in row if k not in self.columns]
        if new:
            self.columns += new
            self._rewrite()
        else:
            with self.path.open("a", newline="") as f:
                csv.DictWriter(f, fieldnames=self.columns, lineterminator="\n").writerow(row)
        if self.writer is not None:
            for k, v in values.items():
                self.writer.add_scalar(k, v, step)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
