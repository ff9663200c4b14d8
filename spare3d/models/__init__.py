"""Reasoning networks by name: `build_model(NetConfig)`; defaults per task and route."""

from __future__ import annotations

from spare3d.models.base import NetConfig, ReasoningNet
from spare3d.models.early_fusion import EarlyFusionNet
from spare3d.models.hull_matcher import HullMatcherNet
from spare3d.models.i2p_classifier import I2PClassifier
from spare3d.models.metric import MetricNet
from spare3d.models.pose import PoseNet
from spare3d.models.view_comparison import ViewComparisonNet

MODELS: dict[str, type[ReasoningNet]] = {
    "view-comparison": ViewComparisonNet,
    "hull-matcher": HullMatcherNet,
    "pose": PoseNet,
    "early-fusion": EarlyFusionNet,
    "metric": MetricNet,
    "i2p-classifier": I2PClassifier,
}
# The network each route uses by default: the 2022 self-supervised one, or the SPARE3D baseline.
DEFAULT_MODEL: dict[tuple[str, str], str] = {
    ("t2i", "self-supervised"): "view-comparison",
    ("i2p", "self-supervised"): "pose",
    ("p2i", "self-supervised"): "pose",
    ("t2i", "supervised"): "early-fusion",
    ("i2p", "supervised"): "i2p-classifier",
    ("p2i", "supervised"): "early-fusion",
}


def build_model(config: NetConfig) -> ReasoningNet:
    """The network named by `config.model`; ValueError (one line) when it cannot answer `config.task`."""
    if config.model not in MODELS:
        raise ValueError(f"unknown model {config.model!r}; choose from {', '.join(MODELS)}")
    cls = MODELS[config.model]
    if config.task not in cls.tasks:
        raise ValueError(f"model {config.model} answers {'/'.join(cls.tasks)}, not {config.task}")
    return cls(config)


__all__ = ["DEFAULT_MODEL", "MODELS", "NetConfig", "ReasoningNet", "build_model"]
