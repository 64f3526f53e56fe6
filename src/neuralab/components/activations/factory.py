"""Build an activation module from its registered name, and its initialization gain."""

from __future__ import annotations

import math

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
