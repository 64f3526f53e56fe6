"""HeLU: a ReLU whose backward pass uses a lower threshold than its forward pass.

Kimhi et al., "Hysteresis Activation Function for Efficient Inference" (arXiv:2411.10573).
The forward pass is exactly ReLU (a one-bit sign test at inference); the derivative used in
training is shifted left by ``alpha``::

    helu(x) = max(0, x)              d helu / dx := 1 if x > -alpha else 0

so units whose pre-activation sits just below zero still receive gradient and can recover
("dying ReLU"). ``alpha = 0.05`` as in the reference implementation.

The surrogate derivative is written as a straight-through expression,
``g + (relu(x) - g).detach()`` with ``g = x * [x > -alpha]``: its value is ``relu(x)`` exactly and
its gradient is that of ``g``. No custom autograd function is needed, so it also runs under
``torch.func`` transforms.
"""

from __future__ import annotations

import torch
from torch import nn

from neuralab.registry import register


class HeLU(nn.Module):
    """ReLU forward, gradient 1 for ``x > -alpha`` backward."""

    def __init__(self, alpha: float = 0.05):
        super().__init__()
        if alpha < 0:
            raise ValueError(f"alpha must be non-negative, got {alpha}")
        self.alpha = float(alpha)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        surrogate = torch.where(x > -self.alpha, x, torch.zeros_like(x))
        return surrogate + (torch.relu(x) - surrogate).detach()  # (...) -> (...)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha:g}"


@register("activation", "helu", aliases=("hysteresis_relu",), tags={"vmap_safe", "elementwise"},
          gain="relu", paper="Hysteresis Activation Function for Efficient Inference",
          arxiv="2411.10573")
def helu(*, alpha: float = 0.05) -> HeLU:
    """HeLU: ReLU forward; backward threshold shifted to -alpha."""
    return HeLU(alpha)
