"""SmeLU: the smooth ReLU of "Smooth activations and reproducibility in deep networks".

Shamir, Lin & Coviello (arXiv:2010.09931). A quadratic joins ReLU's two linear pieces over the
interval ``[-beta, beta]``, so the gradient is continuous (it rises linearly from 0 to 1)::

    smelu(x) = 0                          if x <= -beta
             = (x + beta)^2 / (4 beta)    if |x| <= beta
             = x                          if x >= beta

The paper's point is reproducibility: identically trained models disagree less in their
predictions than with ReLU at equal accuracy. ``beta -> 0`` recovers ReLU.
"""

from __future__ import annotations

import torch
from torch import nn

from neuralab.registry import register


class SmeLU(nn.Module):
    """Smooth ReLU with half-width ``beta`` of the quadratic piece."""

    def __init__(self, beta: float = 1.0):
        super().__init__()
        if beta <= 0:
            raise ValueError(f"beta must be positive, got {beta}")
        self.beta = float(beta)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b = self.beta
        quadratic = (x + b).square() / (4 * b)
        # (...) -> (...): zero below -b, quadratic inside [-b, b], identity above b
        return torch.where(x >= b, x, torch.where(x <= -b, torch.zeros_like(x), quadratic))

    def extra_repr(self) -> str:
        return f"beta={self.beta:g}"


@register("activation", "smelu", tags={"vmap_safe", "elementwise"}, gain="relu",
          paper="Smooth activations and reproducibility in deep networks", arxiv="2010.09931")
def smelu(*, beta: float = 1.0) -> SmeLU:
    """SmeLU: 0, (x + beta)^2 / (4 beta), x on the three pieces."""
    return SmeLU(beta)
