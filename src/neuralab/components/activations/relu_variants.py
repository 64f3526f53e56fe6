"""ReLU-family activations of the "ReLU revival" papers: sparse, cheap, and rectified.

- Squared ReLU (So et al., "Primer: Searching for Efficient Transformers for Language Modeling",
  arXiv:2109.08668; Zhang et al., "ReLU^2 Wins: Discovering Efficient Activation Functions for
  Sparse LLMs", arXiv:2402.03804): ``relu2(x) = max(0, x)^2``.
- Shifted ReLU (Mirzadeh et al., "ReLU Strikes Back: Exploiting Activation Sparsity in Large
  Language Models", arXiv:2310.04564): ``shifted_relu(x) = max(0, x - b)``; a positive shift ``b``
  raises the fraction of exact zeros (activation sparsity) above ReLU's.

Plain ReLU itself is in :mod:`neuralab.components.activations.standard`.
"""

from __future__ import annotations

import torch
from torch import nn

from neuralab.registry import register


class SquaredReLU(nn.Module):
    """``max(0, x)^2``."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x).square()  # (...) -> (...)


class ShiftedReLU(nn.Module):
    """``max(0, x - shift)``."""

    def __init__(self, shift: float = 1.0):
        super().__init__()
        self.shift = float(shift)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x - self.shift)  # (...) -> (...)

    def extra_repr(self) -> str:
        return f"shift={self.shift:g}"


@register("activation", "relu2", aliases=("squared_relu", "relu_squared"),
          tags={"vmap_safe", "elementwise"}, gain="relu",
          paper="ReLU^2 Wins: Discovering Efficient Activation Functions for Sparse LLMs",
          arxiv="2402.03804")
def relu2() -> SquaredReLU:
    """Squared ReLU: max(0, x)^2."""
    return SquaredReLU()


@register("activation", "shifted_relu", tags={"vmap_safe", "elementwise"}, gain="relu",
          paper="ReLU Strikes Back: Exploiting Activation Sparsity in Large Language Models",
          arxiv="2310.04564")
def shifted_relu(*, shift: float = 1.0) -> ShiftedReLU:
    """Shifted ReLU: max(0, x - shift)."""
    return ShiftedReLU(shift)
