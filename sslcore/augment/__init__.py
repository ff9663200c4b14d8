"""Batched augmentations on uint8 image tensors (geometry, colour, strokes, CLSA strong ops, pipelines)."""

from sslcore.augment.pipelines import (
    ViewConfig,
    ViewPipeline,
    line_drawing_config,
    multicrop_configs,
    normalize,
)

__all__ = ["ViewConfig", "ViewPipeline", "line_drawing_config", "multicrop_configs", "normalize"]
