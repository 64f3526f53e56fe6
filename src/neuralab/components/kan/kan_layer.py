"""The Kolmogorov-Arnold layer: a learnable B-spline function on every edge, with grid extension.

Liu et al., "KAN: Kolmogorov-Arnold Networks" (arXiv:2404.19756). A layer from ``n_in`` to
``n_out`` units has one univariate function per edge, and a unit sums its incoming edges::

    y_j = sum_i phi_{j,i}(x_i),   phi_{j,i}(x) = w^b_{j,i} silu(x) + w^s_{j,i} sum_m c_{j,i,m} B_m(x)

with ``B_m`` the ``G + k`` B-splines of order ``k`` on a uniform grid of ``G`` intervals over
``grid_range`` (:mod:`neuralab.components.kan.bspline`). Outside the range the spline part is zero.

Grid extension (the paper's Section 2.5): a trained layer moves to a finer grid ``G' > G`` by
fitting new coefficients, by least squares on points spread over the range, to the current
splines; training then continues with more parameters. When ``G'`` is a multiple of ``G`` every
old spline is exactly a spline on the new grid, so the layer's function is unchanged
(:meth:`KANLinear.extend_grid`).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from neuralab.components.kan.bspline import bspline_basis, fit_coefficients, uniform_knots


class KANLinear(nn.Module):
    """``n_in -> n_out`` with a learnable spline (plus a SiLU base) on every edge."""

    def __init__(self, n_in: int, n_out: int, *, grid_size: int = 5, order: int = 3,
                 grid_range: tuple[float, float] = (-1.0, 1.0), noise: float = 0.1):
        super().__init__()
        if grid_size < 1 or order < 0 or grid_range[0] >= grid_range[1]:
            raise ValueError(f"need grid_size >= 1, order >= 0 and low < high, got {grid_size}, "
                             f"{order}, {grid_range}")
        self.n_in, self.n_out, self.order = n_in, n_out, order
        self.grid_range = (float(grid_range[0]), float(grid_range[1]))
        self.register_buffer("knots", uniform_knots(grid_size, order, *self.grid_range, n_in))
        self.coef = nn.Parameter(torch.randn(n_out, n_in, grid_size + order) * noise / grid_size)
        self.scale_base = nn.Parameter(torch.randn(n_out, n_in) / math.sqrt(n_in))
        self.scale_spline = nn.Parameter(torch.ones(n_out, n_in))

    @property
    def grid_size(self) -> int:
        return self.knots.shape[1] - 1 - 2 * self.order

    def spline(self, x: torch.Tensor) -> torch.Tensor:
        """Every edge's spline part ``sum_m c B_m(x_i)``: ``(..., n_in) -> (..., n_out, n_in)``."""
        basis = bspline_basis(x, self.knots, self.order)  # (..., n_in, G + k)
        return torch.einsum("...im,oim->...oi", basis, self.coef)

    def edge_functions(self, x: torch.Tensor) -> torch.Tensor:
        """``phi_{j,i}(x_i)`` for every edge: ``(..., n_in) -> (..., n_out, n_in)``."""
        base = F.silu(x).unsqueeze(-2) * self.scale_base  # (..., n_out, n_in)
        return base + self.scale_spline * self.spline(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        base = F.linear(F.silu(x), self.scale_base)  # (..., n_out)
        basis = bspline_basis(x, self.knots, self.order)  # (..., n_in, G + k)
        spline = torch.einsum("...im,oim->...o", basis, self.coef * self.scale_spline.unsqueeze(-1))
        return base + spline  # (..., n_out)

    @torch.no_grad()
    def extend_grid(self, grid_size: int, samples_per_interval: int = 8) -> None:
        """Refit the splines on a uniform grid of ``grid_size`` intervals over the same range."""
        if grid_size < self.grid_size:
            raise ValueError(f"grid extension goes to a finer grid: {grid_size} < {self.grid_size}")
        low, high = self.grid_range
        n_samples = samples_per_interval * (grid_size + self.order)
        x = torch.linspace(low, high, n_samples + 2)[1:-1].unsqueeze(1).expand(-1, self.n_in)
        values = self.spline(x).permute(0, 2, 1)  # (S, n_in, n_out)
        knots = uniform_knots(grid_size, self.order, low, high, self.n_in).to(self.knots)
        coef = fit_coefficients(x.to(self.knots), values, knots, self.order)
        self.knots = knots
        self.coef = nn.Parameter(coef.to(self.coef.dtype))
