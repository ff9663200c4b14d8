"""Learning curves of the T2I experiments: validation accuracy per epoch of each run and stage.

python bench/experiments/t2i_learning/plot_curves.py OUT.png
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

RUNS = Path(__file__).parent / "runs"
LABELS = {
    "sup-early-fusion/supervised": "SPARE3D early fusion, supervised",
    "sup-contrast-aug/supervised": "late fusion + contrast + augment, supervised",
    "sup-matcher/supervised": "hull matcher, supervised",
    "ssl-matcher/pretext": "hull matcher, pairs pretext (hard-pair accuracy, 2-way)",
    "ssl-matcher/finetune": "hull matcher, fine-tuned on T2I",
}


def main(out: Path) -> None:
    fig, ax = plt.subplots(figsize=(7, 4))
    for key, label in LABELS.items():
        run, stage = key.split("/")
        history = json.loads((RUNS / run / f"history_{stage}.json").read_text())
        offset = 6 if stage == "finetune" else 0  # fine-tuning continues after the 6 pretext epochs
        xs = [offset + e["epoch"] + 1 for e in history]
        ax.plot(xs, [100 * e["valid_accuracy"] for e in history], marker="o", label=label)
    ax.axhline(25, color="gray", linestyle="--", linewidth=1, label="T2I chance")
    ax.axhline(50, color="gray", linestyle=":", linewidth=1, label="pair chance")
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation accuracy %")
    ax.set_ylim(0, 100)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out, dpi=120)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
