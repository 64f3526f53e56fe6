"""SAU: Leaky ReLU smoothed by convolution with a Gaussian approximate identity.

Biswas et al., "SAU: Smooth activation function using convolution with approximate identities"
(arXiv:2109.13210). With the Leaky ReLU ``f(x) = max(x, alpha x)`` and the Gaussian
``phi_n(x) = n / sqrt(2 pi) exp(-n^2 x^2 / 2)`` (standard deviation ``1 / n``), the convolution
``(f * phi_n)(x) = E[f(x + Z / n)]``, ``Z ~ N(0, 1)``, has the closed form::

    sau(x) = (1 - alpha) / (n sqrt(2 pi)) * exp(-n^2 x^2 / 2)
             + x / 2 * ((1 + alpha) + (1 - alpha) * erf(n x / sqrt(2)))

It is smooth everywhere and tends to the Leaky ReLU as ``n -> inf``. The paper trains the
sharpness ``n`` (and may train ``alpha``); here ``n`` is a trainable scalar per layer by default.
Its initial value and ``alpha = 0.01`` are this implementation's choices.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from neuralab.components.activations.factory import scalar_parameter
from neuralab.registry import register


class SAU(nn.Module):
    """Gaussian-smoothed Leaky ReLU with slope ``alpha`` and sharpness ``n``."""

    def __init__(self, alpha: float = 0.01, n: float = 1.0, learnable: bool = True):
        super().__init__()
        if n <= 0:
            raise ValueError(f"n must be positive, got {n}")
        self.alpha = float(alpha)
        scalar_parameter(self, "n", n, learnable)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a, n = self.alpha, self.n
        bump = (1 - a) / (n * math.sqrt(2 * math.pi)) * torch.exp(-0.5 * (n * x).square())
        ramp = 0.5 * x * ((1 + a) + (1 - a) * torch.erf(n * x / math.sqrt(2)))
        return bump + ramp  # (...) -> (...)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha:g}, n={float(self.n):.4g}"


@register("activation", "sau", tags={"vmap_safe", "elementwise", "learnable"}, gain="leaky_relu",
          paper="SAU: Smooth activation function using convolution with approximate identities",
          arxiv="2109.13210")
def sau(*, alpha: float = 0.01, n: float = 1.0, learnable: bool = True) -> SAU:
    """SAU: Leaky ReLU convolved with a Gaussian of std 1/n (n trainable)."""
    return SAU(alpha, n, learnable)
