"""Build optimizers and schedules from their registered names."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import torch

from neuralab.registry import REGISTRY


def make_optimizer(name: str, params: Iterable[torch.nn.Parameter] | Iterable[dict[str, Any]],
                   hyper: Mapping[str, Any] | None = None) -> torch.optim.Optimizer:
    """``create("optimizer", name, params, **hyper)`` with validated hyper-parameters.

    A parameter group with a ``wd_scale`` (abc-parametrizations, see
    :func:`neuralab.components.parametrization.param_groups`) gets its weight decay multiplied by
    it, unless the group set its own ``weight_decay``.
    """
    params = list(params)
    own_decay = {id(g["params"][0]) for g in params
                 if isinstance(g, dict) and "weight_decay" in g and g.get("params")}
    optimizer = REGISTRY.create("optimizer", name, params, **dict(hyper or {}))
    for group in optimizer.param_groups:
        if "wd_scale" in group and "weight_decay" in group and group["params"] \
                and id(group["params"][0]) not in own_decay:
            group["weight_decay"] = group["weight_decay"] * group["wd_scale"]
    return optimizer


def make_schedule(name: str, total_steps: int, hyper: Mapping[str, Any] | None = None):
    """The registered schedule ``name``: a function ``step -> learning-rate factor``."""
    return REGISTRY.create("schedule", name, total_steps, **dict(hyper or {}))
