"""Build optimizers and schedules from their registered names."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import torch

from neuralab.registry import REGISTRY


def make_optimizer(name: str, params: Iterable[torch.nn.Parameter] | Iterable[dict[str, Any]],
                   hyper: Mapping[str, Any] | None = None) -> torch.optim.Optimizer:
    """``create("optimizer", name, params, **hyper)`` with validated hyper-parameters."""
    return REGISTRY.create("optimizer", name, params, **dict(hyper or {}))


def make_schedule(name: str, total_steps: int, hyper: Mapping[str, Any] | None = None):
    """The registered schedule ``name``: a function ``step -> learning-rate factor``."""
    return REGISTRY.create("schedule", name, total_steps, **dict(hyper or {}))
