"""The ``spare3d`` command line: one click group; each command parses flags and calls library code."""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def main() -> None:
    """Spatial reasoning on line drawings: pretraining, training, evaluation, reports."""


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
@click.option("--line-drawing/--natural-images", default=None, help="[default: line drawing if 1 channel]")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--checkpoint-every", type=click.IntRange(1), default=500, show_default=True, help="Steps.")
@click.option(
    "--workers", type=click.IntRange(0), default=0, show_default=True, help="Image decoding workers."
)
@click.option("--device", default="auto", show_default=True)
@click.option("--precision", type=click.Choice(["auto", "bf16", "fp32"]), default="auto", show_default=True)
@click.option("--grad-clip", type=float, help="Clip the gradient norm to this value.")
@click.option("--knn-every", type=click.IntRange(0), default=10, show_default=True, help="Epochs; 0: off.")
@click.option("--max-steps", type=click.IntRange(1), help="Stop (with a checkpoint) at this step.")
def pretrain(**kwargs: object) -> None:
    """Self-supervised pretraining (SimCLR, CLSA, DisCo) on any folder of images."""
    from sslcore.pretrain import PretrainConfig, run_pretraining

    from sslcore.errors import SSLCoreError

    if kwargs["channels"] is not None:
        kwargs["channels"] = int(kwargs["channels"])  # type: ignore[arg-type]
    try:
        run_pretraining(PretrainConfig(**kwargs))  # type: ignore[arg-type]
    except SSLCoreError as exc:
        raise click.ClickException(str(exc)) from None
