"""The ``spare3d`` command line: one click group; each command parses flags and calls library code."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click


@click.group()
def main() -> None:
    """Spatial reasoning on line drawings: pretraining, training, evaluation, reports."""


@contextmanager
def output_folder(path: Path, flag: str) -> Iterator[Path]:
    """The folder `path` given by `flag`, created for the block (parents too). A folder that cannot be
    created, or an OSError in the block (a full disk), is one-line ClickException; when the block fails,
    the folder is removed again if this call created it and it is still empty."""
    created = not path.exists()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise click.ClickException(f"{flag} {path}: cannot create the folder ({exc.strerror})") from None
    try:
        yield path
    except BaseException as exc:
        if created and path.is_dir() and not any(path.iterdir()):
            path.rmdir()
        if isinstance(exc, OSError):
            raise click.ClickException(f"{exc.filename or path}: cannot write ({exc.strerror})") from None
        raise


def _sizes(_ctx: click.Context, _param: click.Parameter, value: str | None) -> tuple[int, ...]:
    if not value:
        return ()
    try:
        return tuple(int(v) for v in value.split(","))
    except ValueError:
        raise click.BadParameter(f"expected comma-separated pixel sizes, got {value!r}") from None


@main.command()
@click.option("--method", type=click.Choice(["simclr", "clsa", "disco"]), required=True)
@click.option("--data", type=click.Path(path_type=Path), required=True, help="Folder of images (recursive).")
@click.option(
    "--teacher", type=click.Path(path_type=Path), help="DisCo teacher: sslcore checkpoint or export."
)
@click.option("--backbone", default="resnet18", show_default=True)
@click.option("--image-size", type=click.IntRange(8), default=64, show_default=True)
@click.option("--batch-size", type=click.IntRange(2), default=128, show_default=True, help="Per process.")
@click.option("--epochs", type=click.IntRange(1), default=100, show_default=True)
@click.option("--out", type=click.Path(path_type=Path), default=Path("runs/pretrain"), show_default=True)
@click.option("--resume", is_flag=True, help="Continue from OUT/last.pt.")
@click.option("--channels", type=click.Choice(["1", "3"]), help="Input channels [default: from the images].")
@click.option("--small-input/--large-input", default=None, help="CIFAR-style stem [default: size <= 64].")
@click.option("--optimizer", type=click.Choice(["sgd", "lars", "adamw"]), default="sgd", show_default=True)
@click.option("--lr", type=float, default=0.3, show_default=True, help="Base lr, scaled by --lr-scaling.")
@click.option(
    "--lr-scaling", type=click.Choice(["sqrt", "linear", "none"]), default="sqrt", show_default=True
)
@click.option("--weight-decay", type=float, default=5e-4, show_default=True)
@click.option("--warmup-epochs", type=float, help="[default: 10% of epochs, at most 10]")
@click.option("--temperature", type=float, help="[default: 0.5 SimCLR, 0.2 CLSA/DisCo]")
@click.option("--proj-hidden", type=int, default=2048, show_default=True)
@click.option("--proj-dim", type=int, default=128, show_default=True)
@click.option("--queue-size", type=int, default=4096, show_default=True)
@click.option("--ema", type=float, default=0.99, show_default=True, help="Momentum-encoder coefficient.")
@click.option("--strong-sizes", callback=_sizes, help="CLSA multi-crop sizes, e.g. 64,48,32.")
@click.option(
    "--symmetric/--asymmetric",
    default=True,
    show_default=True,
    help="CLSA/DisCo: both views are queries against the other's key (MoCo's symmetric loss).",
)
@click.option(
    "--shuffle-bn/--no-shuffle-bn",
    default=True,
    show_default=True,
    help="CLSA/DisCo: shuffle the key batch across BatchNorm groups (MoCo's Shuffle-BN).",
)
@click.option(
    "--bn-splits",
    type=click.IntRange(1),
    default=1,
    show_default=True,
    help="CLSA/DisCo: BatchNorm statistics per this many sub-batches on each device.",
)
@click.option("--line-drawing/--natural-images", default=None, help="[default: line drawing if 1 channel]")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--checkpoint-every", type=click.IntRange(1), default=500, show_default=True, help="Steps.")
@click.option(
    "--workers", type=click.IntRange(0), default=0, show_default=True, help="Image decoding workers."
)
@click.option("--device", default="auto", show_default=True)
@click.option("--precision", type=click.Choice(["auto", "bf16", "fp32"]), default="auto", show_default=True)
@click.option("--grad-clip", type=float, help="Clip the gradient norm to this value.")
@click.option("--labels/--no-labels", default=True, help="Sub-folder names as labels for kNN / linear probe.")
@click.option("--knn-every", type=click.IntRange(0), default=10, show_default=True, help="Epochs; 0: off.")
@click.option("--log-every", type=click.IntRange(1), default=10, show_default=True, help="Steps.")
@click.option("--max-steps", type=click.IntRange(1), help="Stop (with a checkpoint) at this step.")
def pretrain(**kwargs: object) -> None:
    """Self-supervised pretraining (SimCLR, CLSA, DisCo) on any folder of images."""
    from sslcore.errors import SSLCoreError
    from sslcore.pretrain import PretrainConfig, run_pretraining

    if kwargs["method"] == "disco" and kwargs["teacher"] is None:
        raise click.ClickException("--method disco needs --teacher CKPT (an sslcore checkpoint or export)")
    if kwargs["channels"] is not None:
        kwargs["channels"] = int(kwargs["channels"])  # type: ignore[arg-type]
    try:
        with output_folder(kwargs["out"], "--out"):  # type: ignore[arg-type]
            run_pretraining(PretrainConfig(**kwargs))  # type: ignore[arg-type]
    except SSLCoreError as exc:
        raise click.ClickException(str(exc)) from None


_TASKS = ["view-consistency", "isometric-to-pose", "pose-to-isometric", "t2i", "i2p", "p2i"]


@main.command()
@click.option("--task", type=click.Choice(_TASKS), required=True, help="T2I, I2P or P2I.")
@click.option(
    "--route",
    type=click.Choice(["self-supervised", "supervised"]),
    default="self-supervised",
    show_default=True,
    help="Pretext + direct evaluation + fine-tuning, or a network trained on the questions only.",
)
@click.option(
    "--stage",
    type=click.Choice(["pretext", "direct", "finetune", "all"]),
    default="all",
    show_default=True,
    help="Self-supervised route: pretext (+ direct evaluation), direct (only evaluate --init), finetune.",
)
@click.option(
    "--data",
    type=click.Path(path_type=Path),
    required=True,
    help="Root holding <kind>/<split> sets (kind: pairs, poses, t2i, i2p, p2i; split: train, valid, test).",
)
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Run directory.")
@click.option("--init", help="scratch | pretext (OUT/pretext/best.pt) | spare3d checkpoint | sslcore export.")
@click.option(
    "--model",
    help="view-comparison|hull-matcher|pose|hull-pose|early-fusion|metric|i2p-classifier [default: by route]",
)
@click.option("--backbone", default="vgg", show_default=True, help="vgg (VGG-style) or an sslcore backbone.")
@click.option("--width", type=click.IntRange(8), help="Encoder channels [default: 64; hull networks 16].")
@click.option("--hidden", type=click.IntRange(8), default=512, show_default=True, help="MLP width.")
@click.option("--shared/--separate", default=True, show_default=True, help="One encoder for all views.")
@click.option("--image-size", type=click.IntRange(16), default=64, show_default=True)
@click.option(
    "--small-input/--large-input",
    default=None,
    help="sslcore backbones' small-image stem [default: <= 64 px].",
)
@click.option(
    "--contrast/--no-contrast",
    default=False,
    show_default=True,
    help="View comparison: encode each candidate with its difference to the other candidates.",
)
@click.option(
    "--edge-hull/--no-edge-hull",
    default=False,
    show_default=True,
    help="View comparison: give each candidate the edge hull of the three views (spare3d.models.edge_hull).",
)
@click.option(
    "--pretext-loss",
    type=click.Choice(["bce", "rank"]),
    help="Pairs pretext: match / no-match BCE (2022) or softmax over each item's candidates "
    "[default: bce; hull-matcher rank].",
)
@click.option(
    "--negatives",
    type=click.Choice(["pair", "mixed"]),
    help="Pairs pretext negatives: the other object of the pair (2022), or also another model's objects "
    "[default: pair; hull-matcher mixed].",
)
@click.option(
    "--augment/--no-augment",
    default=None,
    help="T2I and pairs training: mirror in x = -y and shift each object (spare3d.augment) "
    "[default: off; hull-matcher on].",
)
@click.option("--max-shift", type=click.IntRange(0), default=3, show_default=True, help="Pixels (--augment).")
@click.option("--epochs", type=click.IntRange(1), default=10, show_default=True)
@click.option("--batch-size", type=click.IntRange(1), default=32, show_default=True, help="Per process.")
@click.option("--lr", type=float, help="Adam learning rate [default: 5e-5 (the papers); hull networks 1e-3].")
@click.option("--finetune-epochs", type=click.IntRange(1), help="[default: --epochs]")
@click.option("--finetune-lr", type=float, help="[default: 0.4 x --lr, as 2e-5 after 5e-5 in the paper]")
@click.option("--train-size", type=click.IntRange(1), help="Use only the first N training items.")
@click.option(
    "--eval-split", default="test", show_default=True, type=click.Choice(["train", "valid", "test"])
)
@click.option("--workers", type=click.IntRange(0), default=0, show_default=True)
@click.option("--device", default="auto", show_default=True)
@click.option("--precision", type=click.Choice(["auto", "bf16", "fp32"]), default="auto", show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--resume", is_flag=True, help="Continue each stage from OUT/<stage>/last.pt.")
def train(**kw: object) -> None:
    """Train and evaluate a SPARE3D task (results in OUT/results.json, predictions as JSONL)."""
    import torch

    from spare3d.layout import LayoutError
    from spare3d.models import DEFAULT_MODEL, NetConfig, build_model, training_defaults
    from spare3d.pipeline import TASK_NAMES, RunOptions, run
    from spare3d.train import TrainSettings
    from sslcore.errors import SSLCoreError

    task = TASK_NAMES[kw["task"]]
    torch.manual_seed(kw["seed"])
    model = kw["model"] or DEFAULT_MODEL[(task, kw["route"])]
    kw |= {k: v for k, v in training_defaults(model).items() if kw[k] is None}
    net = NetConfig(
        model=model,
        task=task,
        backbone=kw["backbone"],
        width=kw["width"],
        image_size=kw["image_size"],
        hidden=kw["hidden"],
        shared=kw["shared"],
        small_input=kw["small_input"],
        contrast=kw["contrast"],
        edge_hull=kw["edge_hull"],
        pretext_loss=kw["pretext_loss"],
        negatives=kw["negatives"],
    )
    common = {
        "batch_size": kw["batch_size"],
        "workers": kw["workers"],
        "precision": kw["precision"],
        "seed": kw["seed"],
        "augment": kw["augment"],
        "max_shift": kw["max_shift"],
    }
    settings = TrainSettings(epochs=kw["epochs"], lr=kw["lr"], **common)
    finetune = TrainSettings(
        epochs=kw["finetune_epochs"] or kw["epochs"], lr=kw["finetune_lr"] or 0.4 * kw["lr"], **common
    )
    try:
        opts = RunOptions(
            task=task,
            route=kw["route"],
            stage=kw["stage"],
            data=kw["data"],
            out=kw["out"],
            init=kw["init"],
            net=net,
            settings=settings,
            finetune=finetune,
            train_size=kw["train_size"],
            eval_split=kw["eval_split"],
            resume=kw["resume"],
            device=kw["device"],
        )
        build_model(net)  # rejects a model that cannot answer the task before any data is read
        with output_folder(kw["out"], "--out"):  # type: ignore[arg-type]
            run(opts)
    except (LayoutError, SSLCoreError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None


@main.command(name="eval")
@click.option("--task", type=click.Choice(_TASKS), required=True)
@click.option("--checkpoint", type=click.Path(path_type=Path), required=True, help="A spare3d checkpoint.")
@click.option("--data", type=click.Path(path_type=Path), required=True, help="Data root or task set.")
@click.option("--split", default="test", show_default=True, type=click.Choice(["train", "valid", "test"]))
@click.option("--predictions", type=click.Path(path_type=Path), help="JSONL [default: by the checkpoint].")
@click.option("--batch-size", type=click.IntRange(1), default=32, show_default=True)
@click.option("--workers", type=click.IntRange(0), default=0, show_default=True)
@click.option("--device", default="auto", show_default=True)
def evaluate_command(
    task: str,
    checkpoint: Path,
    data: Path,
    split: str,
    predictions: Path | None,
    batch_size: int,
    workers: int,
    device: str,
) -> None:
    """Accuracy (Wilson 95% interval), confusion matrix and per-question predictions of a checkpoint."""
    from spare3d.checkpoint import load_model
    from spare3d.datasets import DrawingSet
    from spare3d.evaluate import evaluate
    from spare3d.layout import LayoutError
    from spare3d.pipeline import TASK_NAMES
    from sslcore.errors import SSLCoreError
    from sslcore.runtime import pick_device

    task = TASK_NAMES[task]
    try:
        net, _ = load_model(checkpoint)
        if task not in net.tasks:
            raise click.ClickException(
                f"{checkpoint}: a {net.config.model} network answers {'/'.join(net.tasks)}, not {task}"
            )
        dev = pick_device(device)
        questions = DrawingSet.open(data, task, split, net.config.image_size)
        result = evaluate(net.to(dev), questions, task, split, dev, batch_size, workers)
    except (LayoutError, SSLCoreError) as exc:
        raise click.ClickException(str(exc)) from None
    path = predictions or checkpoint.parent / f"predictions_{task}_{split}.jsonl"
    with output_folder(path.parent, "--predictions"):
        path = result.write_jsonl(path)
    s = result.summary()
    click.echo(
        f"{task} {split}: accuracy {s['accuracy']:.4f} ({s['correct']}/{s['n']}), "
        f"95% CI [{s['ci_low']:.4f}, {s['ci_high']:.4f}]"
    )
    click.echo("confusion (rows: label, columns: prediction):")
    for i, row in enumerate(s["confusion"]):
        click.echo(f"  {i}: " + " ".join(f"{v:5d}" for v in row))
    for name in sorted(k for k in s if k.startswith("by_")):
        groups = ", ".join(f"{v} {g['accuracy']:.3f} (n={g['n']})" for v, g in s[name].items())
        click.echo(f"accuracy by {name[3:]}: {groups}")
    click.echo(f"predictions: {path}")


@main.command()
@click.argument("runs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), default=Path("report"), show_default=True)
def report(runs: tuple[Path, ...], out: Path) -> None:
    """Markdown table and PNG plots (accuracy per task and route; accuracy vs training-set size)."""
    from spare3d.report import ReportError, write_report

    try:
        with output_folder(out, "--out"):
            table = write_report(list(runs), out)
    except ReportError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(table)


@main.command("app")
@click.option(
    "--data",
    type=click.Path(path_type=Path, exists=True, file_okay=False),
    required=True,
    help="A question set made by `render dataset` (or a parent of several, e.g. t2i/ i2p/ p2i/).",
)
@click.option(
    "--predictions",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    multiple=True,
    help="Predictions JSONL of `spare3d eval` (repeat the flag for several files).",
)
@click.option("--work-dir", type=click.Path(path_type=Path), help="Where uploads are stored while drawn.")
@click.option("--port", type=click.IntRange(1, 65535), default=8501, show_default=True)
@click.option(
    "--address",
    default="localhost",
    show_default=True,
    help="Interface to serve on (0.0.0.0: all; it accepts uploads).",
)
@click.option("--max-upload-mb", type=click.IntRange(1, 1000), default=20, show_default=True)
@click.option("--open-browser/--headless", default=False, show_default=True)
def app_command(
    data: Path,
    predictions: tuple[Path, ...],
    work_dir: Path | None,
    port: int,
    address: str,
    max_upload_mb: int,
    open_browser: bool,
) -> None:
    """Open the Streamlit inspector (questions, predictions, comparisons, plots, model upload)."""
    import importlib.util
    import sys

    spec = importlib.util.find_spec("app.main")
    if spec is None or spec.origin is None:
        raise click.ClickException("the app package is not installed (pip install -e .)")
    command = [sys.executable, "-m", "streamlit", "run", spec.origin, "--server.port", str(port)]
    command += ["--server.address", address]
    command += ["--server.headless", str(not open_browser).lower(), "--browser.gatherUsageStats", "false"]
    command += ["--client.toolbarMode", "minimal"]
    command += ["--server.maxUploadSize", str(max_upload_mb), "--", "--data", str(data)]
    command += ["--max-upload-mb", str(max_upload_mb)]
    if predictions:
        command += ["--predictions", *(str(p) for p in predictions)]
    if work_dir is not None:
        command += ["--work-dir", str(work_dir)]
    click.echo(f"inspector on http://{address}:{port} (Ctrl-C stops it)")
    raise SystemExit(run_until_stopped(command))


STOP_SIGNALS = ("SIGTERM", "SIGINT", "SIGHUP")


def stop_child(child: subprocess.Popen, grace_s: float = 5.0) -> None:
    """Terminate a child process (SIGTERM), kill it if it is still running after `grace_s` seconds."""
    if child.poll() is not None:
        return
    child.terminate()
    try:
        child.wait(grace_s)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def run_until_stopped(command: list[str], grace_s: float = 5.0) -> int:
    """Run `command` as a child and return its exit status; SIGTERM, SIGINT or SIGHUP to this process
    stop the child too (terminate, then kill after `grace_s` s) and give 128 + the signal number."""
    received: list[int] = []

    def on_signal(signum: int, _frame: object) -> None:
        received.append(signum)
        raise KeyboardInterrupt

    signums = [getattr(signal, name) for name in STOP_SIGNALS if hasattr(signal, name)]
    previous = {signum: signal.signal(signum, on_signal) for signum in signums}
    child = None
    try:
        child = subprocess.Popen(command)
        return child.wait()
    except KeyboardInterrupt:
        return 128 + (received[0] if received else signal.SIGINT)
    finally:
        for signum in signums:  # a second signal while the child is stopped must not cut it short
            signal.signal(signum, signal.SIG_IGN)
        if child is not None:
            stop_child(child, grace_s)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
