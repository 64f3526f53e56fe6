"""Polynomial composition activations (PolyCom): PolyReLU and PolyNorm.

Zhuo et al., "Polynomial Composition Activations: Unleashing the Dynamics of Large Language
Models" (arXiv:2411.03884). A PolyCom activation composes a polynomial of order ``r`` with a base
function, with trainable coefficients ``a_0..a_r``:

- PolyReLU: ``sum_{i=1..r} a_i relu(x)^i + a_0``;
- PolyNorm: ``sum_{i=1..r} a_i N(x^i) + a_0``, where ``N(z) = z / sqrt(mean_C(z^2) + eps)``
  normalizes each power over the last (channel) dim, as RMSNorm does without a gain.

As in the reference implementation, the weights ``a_1..a_r`` start at ``1 / r`` and the bias
``a_0`` at zero. PolyNorm reads the last dim as channels, so it belongs in channel-last places
(MLP features, transformer FFNs).
"""

from __future__ import annotations

import torch
from torch import nn

from neuralab.registry import register


class PolyCom(nn.Module):
    """``sum_i a_i base_i(x) + a_0`` for ``i = 1..order`` with trainable ``a``."""

    def __init__(self, order: int = 3, eps: float = 1e-6):
        super().__init__()
        if order < 1:
            raise ValueError(f"order must be at least 1, got {order}")
        self.order, self.eps = order, eps
        self.weight = nn.Parameter(torch.full((order,), 1.0 / order))  # a_1..a_r
        self.bias = nn.Parameter(torch.zeros(()))  # a_0

    def powers(self, x: torch.Tensor) -> list[torch.Tensor]:
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        terms = self.powers(x)  # order x (...)
        return sum(w * t for w, t in zip(self.weight, terms)) + self.bias  # (...) -> (...)

    def extra_repr(self) -> str:
        return f"order={self.order}"


class PolyReLU(PolyCom):
    """PolyReLU: ``sum_i a_i relu(x)^i + a_0``."""

    def powers(self, x: torch.Tensor) -> list[torch.Tensor]:
        r = torch.relu(x)
        return [r.pow(i) for i in range(1, self.order + 1)]


class PolyNorm(PolyCom):
    """PolyNorm: ``sum_i a_i N(x^i) + a_0`` with ``N`` an RMS normalization over the last dim."""

    def powers(self, x: torch.Tensor) -> list[torch.Tensor]:
        out = []
        for i in range(1, self.order + 1):
            p = x.pow(i)
            out.append(p * torch.rsqrt(p.square().mean(-1, keepdim=True) + self.eps))
        return out


@register("activation", "polyrelu", tags={"vmap_safe", "learnable"}, gain="relu",
          paper="Polynomial Composition Activations: Unleashing the Dynamics of Large Language "
          "Models", arxiv="2411.03884")
def polyrelu(*, order: int = 3) -> PolyReLU:
    """PolyReLU: trainable polynomial of relu(x) (order 3)."""
    return PolyReLU(order)


@register("activation", "polynorm", tags={"vmap_safe", "learnable", "channel_last"}, gain="linear",
          paper="Polynomial Composition Activations: Unleashing the Dynamics of Large Language "
          "Models", arxiv="2411.03884")
def polynorm(*, order: int = 3, eps: float = 1e-6) -> PolyNorm:
    """PolyNorm: trainable sum of RMS-normalized powers x^i (order 3)."""
    return PolyNorm(order, eps)
