"""Self-gated activations: the input times a smooth gate of itself.

- Swish (Ramachandran, Zoph & Le, "Searching for Activation Functions", arXiv:1710.05941):
  ``swish_beta(x) = x * sigmoid(beta * x)``. With ``beta = 1`` it is SiLU; as ``beta -> inf`` it
  tends to ReLU and at ``beta = 0`` it is ``x / 2``. The paper's "Swish" trains ``beta`` (one scalar
  per layer here, initialized to ``beta``); ``learnable=False`` keeps it fixed.
- Mish (Misra, "Mish: A Self Regularized Non-Monotonic Activation Function", arXiv:1908.08681):
  ``mish(x) = x * tanh(softplus(x))``, with ``softplus(x) = log(1 + exp(x))`` (torch's
  ``nn.Mish``).
"""

from __future__ import annotations

import torch
from torch import nn

from neuralab.components.activations.factory import scalar_parameter
from neuralab.registry import register


class Swish(nn.Module):
    """``x * sigmoid(beta * x)`` with a fixed or trainable scalar ``beta``."""

    def __init__(self, beta: float = 1.0, learnable: bool = True):
        super().__init__()
        scalar_parameter(self, "beta", beta, learnable)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(self.beta * x)  # (...) -> (...)

    def extra_repr(self) -> str:
        return f"beta={float(self.beta):.4g}, learnable={isinstance(self.beta, nn.Parameter)}"


@register("activation", "swish", tags={"vmap_safe", "elementwise", "learnable"}, gain="relu",
          paper="Searching for Activation Functions", arxiv="1710.05941")
def swish(*, beta: float = 1.0, learnable: bool = True) -> Swish:
    """Swish: x * sigmoid(beta x), beta trainable by default (SiLU at beta = 1)."""
    return Swish(beta, learnable)


@register("activation", "mish", tags={"vmap_safe", "elementwise"}, gain="relu",
          paper="Mish: A Self Regularized Non-Monotonic Activation Function", arxiv="1908.08681")
def mish() -> nn.Module:
    """Mish: x * tanh(softplus(x))."""
    return nn.Mish()
