"""Adaptive piecewise-linear activation (APL): ReLU plus trainable hinges.

Agostinelli, Hoffman, Sadowski & Baldi, "Learning Activation Functions to Improve Deep Neural
Networks" (arXiv:1412.6830)::

    apl(x) = max(0, x) + sum_{s=1..S} a_s * max(0, -x + b_s)

Every continuous piecewise-linear function that is linear for large ``|x|`` (with slope 1 on the
right) can be written this way with enough hinges. The slopes ``a_s`` and hinge locations ``b_s``
are trained; they start at ``a_s = 0`` (so APL begins as ReLU) and ``b_s`` evenly spaced over
``[-span, span]``. The paper learns one set per unit; here one set is shared by the whole layer.
"""

from __future__ import annotations

import torch
from torch import nn

from neuralab.registry import register


class AdaptivePiecewiseLinear(nn.Module):
    """ReLU plus ``hinges`` trainable hinge functions ``a_s max(0, b_s - x)``."""

    def __init__(self, hinges: int = 4, span: float = 1.0):
        super().__init__()
        if hinges < 1:
            raise ValueError(f"hinges must be at least 1, got {hinges}")
        self.a = nn.Parameter(torch.zeros(hinges))
        self.b = nn.Parameter(torch.linspace(-span, span, hinges) if hinges > 1
                              else torch.zeros(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hinge = torch.relu(self.b - x.unsqueeze(-1))  # (..., S)
        return torch.relu(x) + (hinge * self.a).sum(-1)  # (...) -> (...)

    def extra_repr(self) -> str:
        return f"hinges={self.a.numel()}"


@register("activation", "apl", aliases=("piecewise_linear",),
          tags={"vmap_safe", "elementwise", "learnable", "deterministic_init"}, gain="relu",
          paper="Learning Activation Functions to Improve Deep Neural Networks", arxiv="1412.6830")
def apl(*, hinges: int = 4, span: float = 1.0) -> AdaptivePiecewiseLinear:
    """APL: relu(x) + sum_s a_s max(0, b_s - x) with trainable a, b."""
    return AdaptivePiecewiseLinear(hinges, span)
