"""Snake, a periodic activation that keeps ReLU-like monotone growth.

Ziyin, Hartwig & Ueda, "Neural Networks Fail to Learn Periodic Functions and How to Fix It"
(arXiv:2006.08195)::

    snake_a(x) = x + sin^2(a x) / a

The identity term keeps the function monotone and unbounded (good optimization, like ReLU); the
``sin^2`` term gives networks a periodic inductive bias, so they can extrapolate periodic functions
where ReLU (linear extrapolation) and tanh (constant extrapolation) cannot. ``a > 0`` sets the
frequency; ``a = 1`` is the abstract's ``x + sin^2(x)``. With ``learnable=True`` the frequency is
a parameter (the paper's learnable-``a`` variant, one shared ``a`` here). As ``a -> 0`` snake tends
to the identity; its slope at 0 is 1, so initialization uses gain 1.
"""

from __future__ import annotations

import torch
from torch import nn

from neuralab.registry import register


class Snake(nn.Module):
    """x + sin^2(a x) / a, elementwise."""

    def __init__(self, a: float = 1.0, learnable: bool = False):
        super().__init__()
        if not a > 0:
            raise ValueError(f"snake frequency a must be positive, got {a}")
        value = torch.tensor(float(a))
        if learnable:
            self.a = nn.Parameter(value)
        else:
            self.register_buffer("a", value)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + torch.sin(self.a * x).square() / self.a  # same shape as x

    def extra_repr(self) -> str:
        return f"a={float(self.a):g}, learnable={isinstance(self.a, nn.Parameter)}"


@register("activation", "snake", tags={"vmap_safe", "elementwise"}, gain="linear",
          paper="Neural Networks Fail to Learn Periodic Functions and How to Fix It",
          arxiv="2006.08195")
def snake(*, a: float = 1.0, learnable: bool = False) -> nn.Module:
    """Snake: x + sin^2(a x) / a (periodic inductive bias, monotone like ReLU)."""
    return Snake(a, learnable)
