"""Scaled weight standardization: the weight normalization of normalizer-free (NF) networks.

Brock, De & Smith, "Characterizing signal propagation to close the performance gap in
unnormalized ResNets" (arXiv:2101.08692), after Qiao et al., "Micro-Batch Training with
Batch-Channel Normalization and Weight Standardization" (arXiv:1903.10520). Each output unit's
weights ``W_i`` (over its ``N`` inputs: fan-in) are re-centred and re-scaled in every forward pass::

    W_hat_i = g_i * gamma * (W_i - mean(W_i)) / (sqrt(N) * sqrt(var(W_i) + eps))

``g`` is a trainable per-unit gain (starting at 1) and ``gamma`` the nonlinearity's gain
``1 / sqrt(Var[act(z)])``, ``z ~ N(0, 1)`` (``sqrt(2 / (1 - 1/pi))`` for ReLU), so that a layer
followed by its activation keeps unit variance for unit-variance inputs. Unlike BatchNorm nothing
depends on the batch: it is a reparametrization of the weight, not a normalization of activations.

It is applied with ``torch.nn.utils.parametrize`` to existing layers, so any ``nn.Linear`` or
``nn.ConvNd`` becomes a weight-standardized one::

    conv = scaled_weight_standardization(nn.Conv2d(16, 32, 3), gamma=nonlinearity_gain("relu"))
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import torch
from torch import nn
from torch.nn.utils import parametrize

_LAYERS = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)


class ScaledStandardization(nn.Module):
    """A parametrization: raw weight ``(out, in, *k)`` -> scaled standardized weight."""

    def __init__(self, out_features: int, gamma: float = 1.0, eps: float = 1e-6):
        super().__init__()
        self.gamma, self.eps = float(gamma), eps
        self.gain = nn.Parameter(torch.ones(out_features))

    def forward(self, weight: torch.Tensor) -> torch.Tensor:
        w = weight.flatten(1)  # (out, N)
        fan_in = w.shape[1]
        mean = w.mean(1, keepdim=True)
        var = w.var(1, unbiased=False, keepdim=True)
        scale = self.gain.unsqueeze(1) * self.gamma / math.sqrt(fan_in)
        return ((w - mean) * torch.rsqrt(var + self.eps) * scale).view_as(weight)


def scaled_weight_standardization(module: nn.Module, *, gamma: float = 1.0,
                                  eps: float = 1e-6) -> nn.Module:
    """Standardize the weight of ``module`` (if it is a linear/conv layer) or of every such layer
    inside it, in place; returns ``module``."""
    layers = [module] if isinstance(module, _LAYERS) else [
        m for m in module.modules() if isinstance(m, _LAYERS)]
    for layer in layers:
        if parametrize.is_parametrized(layer, "weight"):
            continue
        parametrize.register_parametrization(
            layer, "weight", ScaledStandardization(layer.weight.shape[0], gamma, eps))
    return module


@lru_cache(maxsize=64)
def nonlinearity_gain(activation: str) -> float:
    """``gamma = 1 / sqrt(Var[act(z)])`` for ``z ~ N(0, 1)`` (trapezoidal rule on a fine grid, which
    stays accurate for kinked activations)."""
    from neuralab.components.activations import make_activation

    act = make_activation(activation)
    z = np.linspace(-12.0, 12.0, 240_001)
    w = np.exp(-z * z / 2)
    w[[0, -1]] /= 2
    w = w / w.sum()
    with torch.no_grad():
        y = act(torch.tensor(z, dtype=torch.float64).unsqueeze(0)).squeeze(0).double().numpy()
    mean = float((w * y).sum())
    var = float((w * (y - mean) ** 2).sum())
    if var <= 0:
        raise ValueError(f"activation {activation!r} has zero variance under N(0, 1)")
    return 1.0 / math.sqrt(var)
