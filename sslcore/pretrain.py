"""Entry point of ``spare3d pretrain``: ``run_pretraining(PretrainConfig(...)) -> output folder``.

Under torchrun (``torchrun --nproc-per-node 8 -m ...`` or the ``spare3d`` script) every process runs
this; it joins the process group from the environment and leaves it at the end.
"""

from __future__ import annotations

from pathlib import Path

from sslcore import distributed
from sslcore.config import PretrainConfig
from sslcore.engine import Trainer

__all__ = ["PretrainConfig", "run_pretraining"]


def run_pretraining(config: PretrainConfig) -> Path:
    distributed.init_distributed()
    try:
        return Trainer(config).fit()
    finally:
        distributed.teardown()
