"""Contrastive and distillation losses, one module each."""

from sslcore.losses.ddm import ddm
from sslcore.losses.distill import distill_mse
from sslcore.losses.info_nce import info_nce, queue_logits
from sslcore.losses.nt_xent import nt_xent

__all__ = ["ddm", "distill_mse", "info_nce", "nt_xent", "queue_logits"]
