"""Parameter-free baselines: answer by the cosine between drawings and the edge hull of the three views.

The edge hull (spare3d.models.edge_hull) lifts F, R, T to 3D (the product of their ink at each point's
projections) and draws the maximum along each ray of a pose; nothing is learned. It shows how much of
each task is geometry alone, and bounds from below what a network given the same geometry should reach.
- t2i: the candidate most similar to the pose-2 hull;
- i2p: the pose (1, 2, 5, 6) whose hull is most similar to the isometric drawing;
- p2i: the candidate most similar to the hull of the asked pose k.

    python bench/edge_hull_baseline.py --data DATA [--task t2i|i2p|p2i] [--image-size 64] [--split test]

prints the accuracy with its Wilson 95% interval (and, for T2I, by difficulty class).
"""

from __future__ import annotations

import argparse
import time

import torch
from torch.utils.data import DataLoader

from spare3d.datasets import DrawingSet, to_device
from spare3d.evaluate import Evaluation, question_attributes
from spare3d.models.edge_hull import EdgeHull
from spare3d.models.pose import I2P_POSES


def cosine_scores(hull: torch.Tensor, candidates: torch.Tensor) -> torch.Tensor:
    """(B, S, S) hull, (B, N, S, S) candidate ink -> (B, N) cosine similarities."""
    dot = (hull[:, None] * candidates).sum((-1, -2))
    norms = candidates.pow(2).sum((-1, -2)).sqrt() * hull.pow(2).sum((-1, -2)).sqrt()[:, None]
    return dot / norms.clamp_min(1e-6)


def task_scores(hulls: dict[str, EdgeHull], task: str, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """(B, 4) scores of one batch of questions (ink maps) for `task`."""
    views = batch["views"]
    if task == "t2i":
        return cosine_scores(hulls["2"](views), batch["candidates"])
    if task == "i2p":
        per_pose = [cosine_scores(hulls[str(k)](views), batch["iso"][:, None])[:, 0] for k in I2P_POSES]
        return torch.stack(per_pose, 1)
    every_pose = torch.stack([hulls[str(k)](views) for k in range(1, 9)], 1)  # (B, 8, S, S)
    asked = every_pose[torch.arange(len(views)), batch["pose"]]
    return cosine_scores(asked, batch["candidates"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="data root holding <task>/<split> (or a task's set)")
    parser.add_argument("--task", choices=["t2i", "i2p", "p2i"], default="t2i")
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--split", default="test")
    args = parser.parse_args()
    torch.set_num_threads(1)
    questions = DrawingSet.open(args.data, args.task, args.split, args.image_size)
    poses = ["2"] if args.task == "t2i" else [str(k) for k in range(1, 9)]
    hulls = {k: EdgeHull(args.image_size, k) for k in poses}
    scores, labels = [], []
    start = time.perf_counter()
    with torch.no_grad():
        for batch in DataLoader(questions, batch_size=32):
            batch = to_device(batch, torch.device("cpu"))
            scores.append(task_scores(hulls, args.task, batch))
            labels.append(batch["label"])
    seconds = time.perf_counter() - start
    result = Evaluation(
        args.task,
        args.split,
        questions.ids,
        torch.cat(labels).numpy(),
        torch.cat(scores).numpy(),
        question_attributes(questions, args.task),
    )
    s = result.summary()
    print(
        f"edge hull cosine, {args.task.upper()} {args.split} at {args.image_size} px: "
        f"accuracy {100 * s['accuracy']:.1f}% "
        f"[{100 * s['ci_low']:.1f}, {100 * s['ci_high']:.1f}] on {s['n']} questions "
        f"({1000 * seconds / max(s['n'], 1):.1f} ms per question)"
    )
    for name in sorted(k for k in s if k.startswith("by_")):
        for value, g in s[name].items():
            print(f"  {name[3:]} {value}: {100 * g['accuracy']:.1f}% (n={g['n']})")


if __name__ == "__main__":
    main()
