"""The routes of `spare3d train`: which sets each stage trains on, what it starts from, what it reports.

- self-supervised: stage `pretext` trains the 2022 network on its pretext set (view-comparison on
  `pairs` for T2I, pose on `poses` for I2P/P2I) and evaluates it directly on the task; stage `direct`
  only evaluates --init (this run's pretext checkpoint or another, e.g. an I2P run's pose pretext
  evaluated on P2I) without training; stage `finetune`
  continues on the task's question set (from this run's pretext checkpoint unless --init says otherwise).
- supervised: one stage trains a SPARE3D baseline (or any network that answers the task) on the
  question set, from scratch or from --init (a spare3d checkpoint or an sslcore backbone export).

Run directory: OUT/<stage>/{last.pt,best.pt,history.json,predictions_<task>_<split>.jsonl} and
OUT/results.json, a list of records {task, route, stage, model, backbone, init, n_train, split, n,
correct, accuracy, ci_low, ci_high, confusion, checkpoint, predictions} (one per stage, latest kept).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import torch
from tqdm import tqdm

from spare3d.checkpoint import initialise, load_model
from spare3d.datasets import DrawingSet
from spare3d.evaluate import evaluate
from spare3d.layout import LayoutError, optional_split, pose_count, resolve_split
from spare3d.models import MODELS, NetConfig
from spare3d.train import TrainSettings, fit
from sslcore import distributed as dist
from sslcore.checkpoint import atomic_write, read_export
from sslcore.runtime import pick_device

TASK_NAMES: dict[str, str] = {
    "view-consistency": "t2i",
    "isometric-to-pose": "i2p",
    "pose-to-isometric": "p2i",
    "t2i": "t2i",
    "i2p": "i2p",
    "p2i": "p2i",
}


@dataclass
class RunOptions:
    task: str
    route: str
    stage: str
    data: Path
    out: Path
    init: str | None
    net: NetConfig
    settings: TrainSettings
    finetune: TrainSettings
    train_size: int | None = None
    eval_split: str = "test"
    resume: bool = False
    device: str = "auto"
    stages: list[str] = field(init=False)

    def __post_init__(self) -> None:
        if self.route == "supervised":
            if self.stage != "all":
                raise ValueError(f"--stage {self.stage} applies to the self-supervised route, not supervised")
            self.stages = ["supervised"]
        else:
            self.stages = ["pretext", "finetune"] if self.stage == "all" else [self.stage]


def _init_path(opts: RunOptions, stage: str, pretext_best: Path | None) -> Path | None:
    """What a stage starts from: None (scratch), a spare3d checkpoint or an sslcore export."""
    if stage == "finetune" and pretext_best is not None and opts.init in (None, "pretext"):
        return pretext_best
    init = opts.init or ("pretext" if stage in ("finetune", "direct") else "scratch")
    if init == "scratch":
        if stage == "direct":
            raise LayoutError(
                opts.out, "--stage direct evaluates --init: pass pretext or a spare3d checkpoint"
            )
        return None
    if init == "pretext":
        if stage == "pretext":
            raise LayoutError(opts.out, "--init pretext makes no sense for the pretext stage itself")
        path = opts.out / "pretext" / "best.pt"
        if not path.is_file():
            raise LayoutError(path, "no pretext checkpoint: run --stage pretext first (or pass --init CKPT)")
        return path
    path = Path(init)
    if not path.is_file():
        raise LayoutError(path, "--init checkpoint not found")
    return path


def _route_name(opts: RunOptions, stage: str, init: Path | None) -> str:
    if stage in ("pretext", "direct"):
        return "self-supervised (direct)"
    if stage == "finetune":
        return "self-supervised (fine-tuned)"
    if init is None:
        return "supervised"
    if init.suffix == ".safetensors":
        return f"supervised + {read_export(init)[0].get('method', 'sslcore')} init"
    return f"supervised + {init.parent.name} init"


def check_data(opts: RunOptions) -> None:
    """Fail before training when any set a stage needs is missing or holds another kind."""
    for stage in opts.stages:
        kind = MODELS[opts.net.model].pretext if stage == "pretext" else opts.task
        if kind is None:
            raise LayoutError(opts.data, f"model {opts.net.model} has no pretext set; use --route supervised")
        if stage != "direct":
            resolve_split(opts.data, kind, "train")
    resolve_split(opts.data, opts.task, opts.eval_split)


def _record(
    opts: RunOptions,
    stage: str,
    init: Path | None,
    best: Path,
    n_train: int,
    device: torch.device,
    started: float,
) -> dict:
    """The evaluation record of a stage; `seconds` is its wall time in this command (training, if any,
    and evaluation; a resumed stage counts only what ran after the resume)."""
    net, _ = load_model(best)
    if opts.task not in net.tasks:
        raise LayoutError(
            best, f"a {net.config.model} network answers {'/'.join(net.tasks)}, not {opts.task}"
        )
    net.to(device)
    questions = DrawingSet.open(opts.data, opts.task, opts.eval_split, net.config.image_size)
    result = evaluate(net, questions, opts.task, opts.eval_split, device, opts.settings.batch_size)
    name = f"predictions_{opts.task}_{opts.eval_split}.jsonl"
    predictions = result.write_jsonl(opts.out / stage / name)
    summary = result.summary()
    tqdm.write(
        f"{opts.task} {stage}: accuracy {summary['accuracy']:.3f} "
        f"[{summary['ci_low']:.3f}, {summary['ci_high']:.3f}] on {summary['n']} {opts.eval_split} questions"
    )
    return {
        **summary,
        "route": _route_name(opts, stage, init),
        "stage": stage,
        "model": net.config.model,
        "backbone": net.config.backbone,
        "init": str(init) if init else "scratch",
        "n_train": n_train,
        "checkpoint": str(best),
        "predictions": str(predictions),
        "seconds": round(time.perf_counter() - started, 1),
    }


def _write_results(out: Path, records: list[dict]) -> None:
    path = out / "results.json"
    old = json.loads(path.read_text()) if path.is_file() else []
    stages = {r["stage"] for r in records}
    merged = [r for r in old if r["stage"] not in stages] + records
    atomic_write(path, lambda tmp: Path(tmp).write_text(json.dumps(merged, indent=1) + "\n"))


def run(opts: RunOptions) -> list[dict]:
    """Run the stages of `opts` in order; returns the result records (also merged into results.json)."""
    check_data(opts)
    dist.init_distributed()
    device = pick_device(opts.device)
    records, pretext_best = [], None
    for stage in opts.stages:
        started = time.perf_counter()
        init = _init_path(opts, stage, pretext_best)
        if stage == "direct":
            if dist.is_main():
                n_train = load_model(init)[1].get("n_train", 0)
                records.append(_record(opts, stage, init, init, n_train, device, started))
            continue
        kind = MODELS[opts.net.model].pretext if stage == "pretext" else opts.task
        settings = opts.settings if stage == "pretext" else opts.finetune
        config = opts.net
        if kind == "poses":
            config = replace(config, n_poses=pose_count(resolve_split(opts.data, kind, "train")))
        net, how = initialise(config, init)
        size = net.config.image_size
        train_set = DrawingSet.open(opts.data, kind, "train", size, opts.train_size)
        valid_dir = optional_split(opts.data, kind, "valid")
        valid_set = DrawingSet(valid_dir, kind, size) if valid_dir is not None else None
        if dist.is_main():
            tqdm.write(
                f"{stage}: {net.config.model} on {kind} ({len(train_set.questions)} train items), from {how}"
            )
        n_train = len(train_set.questions)
        meta = {
            "task": opts.task,
            "stage": stage,
            "init": str(init) if init else "scratch",
            "n_train": n_train,
        }
        best = fit(net, kind, train_set, valid_set, opts.out / stage, settings, device, opts.resume, meta)
        if stage == "pretext":
            pretext_best = best
        if dist.is_main():
            records.append(_record(opts, stage, init, best, n_train, device, started))
    if dist.is_main():
        _write_results(opts.out, records)
    dist.barrier()
    return records
