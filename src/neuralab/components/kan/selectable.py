"""A KAN layer that selects its activation space per node: splines, Fourier, Gaussian RBF, Chebyshev.

"Activation Space Selectable Kolmogorov-Arnold Networks" (S-KAN). A plain KAN draws every edge
function from one space (B-splines); S-KAN lets each output node choose among several. Here
each node ``j`` holds learnable selection logits ``alpha_j`` over the spaces ``s`` and mixes::

    y_j = sum_i [ w^b_{j,i} silu(x_i) + sum_s softmax(alpha_j)_s sum_m c^s_{j,i,m} f^s_m(x_i) ]

(a soft, differentiable choice while training); :meth:`SelectableKANLinear.select` then fixes
each node to its most weighted space (a one-hot mixture), after which the layer is exactly a KAN
node of that single space. The spaces, each with ``size`` functions over ``grid_range = [a, b]``:

- ``bspline``: cubic B-splines on a uniform grid (Liu et al., "KAN", arXiv:2404.19756);
- ``fourier``: ``sin(2 pi m u), cos(2 pi m u)`` with ``u = (x - a) / (b - a)``;
- ``rbf``: ``exp(-((x - mu_m) / h)^2)`` with centres ``mu_m`` evenly over ``[a, b]`` and ``h`` their
  spacing (Li, "Kolmogorov-Arnold Networks are Radial Basis Function Networks", arXiv:2405.06721);
- ``chebyshev``: ``T_m(tanh x)``, ``m = 0 .. size - 1`` (Chebyshev KAN, arXiv:2405.07200).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from neuralab.components.kan.bspline import bspline_basis, uniform_knots

SPACES = ("bspline", "fourier", "rbf", "chebyshev")


def space_features(space: str, x: torch.Tensor, size: int, low: float, high: float) -> torch.Tensor:
    """The ``size`` functions of ``space`` at every input: ``(..., n) -> (..., n, size)``."""
    if space == "bspline":
        order = 3
        knots = uniform_knots(max(1, size - order), order, low, high, x.shape[-1]).to(x)
        return bspline_basis(x, knots, order)
    if space == "fourier":
        u = (x - low) / (high - low)
        m = torch.arange(1, size // 2 + 1, device=x.device, dtype=x.dtype)
        angle = 2 * math.pi * u.unsqueeze(-1) * m  # (..., n, size // 2)
        return torch.cat([torch.sin(angle), torch.cos(angle)], -1)
    if space == "rbf":
        centres = torch.linspace(low, high, size, device=x.device, dtype=x.dtype)
        h = (high - low) / max(1, size - 1)
        return torch.exp(-(((x.unsqueeze(-1) - centres) / h) ** 2))
    if space == "chebyshev":
        t = torch.tanh(x)
        return torch.cos(torch.arange(size, device=x.device, dtype=x.dtype) * torch.acos(
            t.clamp(-1 + 1e-6, 1 - 1e-6)).unsqueeze(-1))  # T_m(t) = cos(m arccos t)
    raise ValueError(f"unknown activation space {space!r} (known: {', '.join(SPACES)})")


def space_size(space: str, size: int) -> int:
    """How many functions ``space`` has for a requested ``size`` (Fourier needs an even count)."""
    if space == "bspline":
        return max(1, size - 3) + 3
    return 2 * (size // 2) if space == "fourier" else size


class SelectableKANLinear(nn.Module):
    """KAN layer whose nodes each mix (then select) one of several activation spaces."""

    def __init__(self, n_in: int, n_out: int, *, spaces: tuple[str, ...] = SPACES, size: int = 8,
                 grid_range: tuple[float, float] = (-1.0, 1.0), noise: float = 0.1):
        super().__init__()
        unknown = [s for s in spaces if s not in SPACES]
        if unknown or not spaces or size < 2:
            raise ValueError(f"spaces must be a non-empty subset of {SPACES} and size >= 2, "
                             f"got {spaces}, {size}")
        self.spaces, self.size = tuple(spaces), size
        self.grid_range = (float(grid_range[0]), float(grid_range[1]))
        self.coef = nn.ParameterList(
            nn.Parameter(torch.randn(n_out, n_in, space_size(s, size)) * noise / size)
            for s in self.spaces)
        self.scale_base = nn.Parameter(torch.randn(n_out, n_in) / math.sqrt(n_in))
        self.logits = nn.Parameter(torch.zeros(n_out, len(self.spaces)))
        self.register_buffer("choice", torch.full((n_out,), -1, dtype=torch.long))

    def mixture(self) -> torch.Tensor:
        """Each node's weights over the spaces ``(n_out, n_spaces)``: softmax, or one-hot once selected."""
        soft = torch.softmax(self.logits, -1)
        hard = F.one_hot(self.choice.clamp(min=0), len(self.spaces)).to(soft)
        return torch.where((self.choice >= 0).unsqueeze(-1), hard, soft)

    def space_outputs(self, x: torch.Tensor) -> torch.Tensor:
        """Every node's output in every space: ``(..., n_in) -> (..., n_out, n_spaces)``."""
        outs = [torch.einsum("...im,oim->...o", space_features(s, x, self.size, *self.grid_range), c)
                for s, c in zip(self.spaces, self.coef)]
        return torch.stack(outs, -1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        base = F.linear(F.silu(x), self.scale_base)  # (..., n_out)
        return base + (self.space_outputs(x) * self.mixture()).sum(-1)  # (..., n_out)

    @torch.no_grad()
    def select(self) -> list[str]:
        """Fix every node to its most weighted space; returns the chosen space of each node."""
        self.choice.copy_(self.logits.argmax(-1))
        return [self.spaces[int(i)] for i in self.choice]
