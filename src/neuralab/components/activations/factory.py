"""Build an activation module from its registered name, and its initialization gain."""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import init as nn_init

from neuralab.registry import REGISTRY


def make_activation(name: str) -> nn.Module:
    """``create("activation", name)`` with the registry's defaults."""
    return REGISTRY.create("activation", name)


def activation_gain(name: str) -> float:
    """The recommended init gain for ``name`` (torch's ``calculate_gain``; 1 when unknown)."""
    entry = REGISTRY.get("activation", name)
    gain = entry.extra.get("gain", "linear")
    if isinstance(gain, (int, float)):
        return float(gain)
    if gain == "leaky_relu":
        return nn_init.calculate_gain("leaky_relu", 0.01)
    return nn_init.calculate_gain(gain) if gain != "sqrt2" else math.sqrt(2.0)


def scalar_parameter(module: nn.Module, name: str, value: float, learnable: bool) -> None:
    """Give ``module`` a scalar ``name``: a trainable parameter, or a buffer when fixed."""
    tensor = torch.tensor(float(value))
    if learnable:
        module.register_parameter(name, nn.Parameter(tensor))
    else:
        module.register_buffer(name, tensor)
