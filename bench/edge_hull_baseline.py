"""Parameter-free T2I baseline: the candidate most similar (cosine) to the edge hull of the three views.

The edge hull (spare3d.models.edge_hull) lifts F, R, T to 3D (the product of their ink at each point's
projections) and draws the maximum along each pose-2 ray; nothing is learned. It bounds from below what
a network given the same geometry should reach, and shows how much of T2I is geometry alone.

    python bench/edge_hull_baseline.py --data DATA [--image-size 64] [--split test]

prints the accuracy with its Wilson 95% interval and by difficulty class.
"""

from __future__ import annotations

import argparse
import time

import torch
from torch.utils.data import DataLoader

from spare3d.datasets import DrawingSet, to_device
from spare3d.evaluate import Evaluation, question_attributes
from spare3d.models.edge_hull import EdgeHull


def cosine_scores(hull: torch.Tensor, candidates: torch.Tensor) -> torch.Tensor:
    """(B, S, S) hull, (B, N, S, S) candidate ink -> (B, N) cosine similarities."""
    dot = (hull[:, None] * candidates).sum((-1, -2))
    norms = candidates.pow(2).sum((-1, -2)).sqrt() * hull.pow(2).sum((-1, -2)).sqrt()[:, None]
    return dot / norms.clamp_min(1e-6)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="data root holding t2i/<split> (or a t2i set)")
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--split", default="test")
    args = parser.parse_args()
    torch.set_num_threads(1)
    questions = DrawingSet.open(args.data, "t2i", args.split, args.image_size)
    hull = EdgeHull(args.image_size)
    scores, labels = [], []
    start = time.perf_counter()
    with torch.no_grad():
        for batch in DataLoader(questions, batch_size=32):
            batch = to_device(batch, torch.device("cpu"))
            scores.append(cosine_scores(hull(batch["views"]), batch["candidates"]))
            labels.append(batch["label"])
    seconds = time.perf_counter() - start
    result = Evaluation(
        "t2i",
        args.split,
        questions.ids,
        torch.cat(labels).numpy(),
        torch.cat(scores).numpy(),
        question_attributes(questions, "t2i"),
    )
    s = result.summary()
    print(
        f"edge hull cosine, T2I {args.split} at {args.image_size} px: accuracy {100 * s['accuracy']:.1f}% "
        f"[{100 * s['ci_low']:.1f}, {100 * s['ci_high']:.1f}] on {s['n']} questions "
        f"({1000 * seconds / max(s['n'], 1):.1f} ms per question)"
    )
    for name in sorted(k for k in s if k.startswith("by_")):
        for value, g in s[name].items():
            print(f"  {name[3:]} {value}: {100 * g['accuracy']:.1f}% (n={g['n']})")


if __name__ == "__main__":
    main()
