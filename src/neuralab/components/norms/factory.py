"""Build a normalization module from its registered name."""

from __future__ import annotations

from typing import Any

from torch import nn

from neuralab.registry import REGISTRY


def make_norm(name: str, num_features: int, spatial_dims: int = 0, **params: Any) -> nn.Module:
    """``create("norm", name, num_features, spatial_dims, **params)`` (defaults for the rest)."""
    if spatial_dims not in (0, 1, 2, 3):
        raise ValueError(f"spatial_dims must be 0, 1, 2 or 3, got {spatial_dims}")
    return REGISTRY.create("norm", name, num_features, spatial_dims, **params)
