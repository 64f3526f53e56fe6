"""Trainable matrix activation: a diagonal matrix of trainable piecewise-constant slopes.

Liu, Cao, Li & Zikatanov, "Neural networks with trainable matrix activation functions"
(arXiv:2109.09948). ReLU is ``relu(x) = D(x) x`` with ``D(x)`` diagonal and entries 0 or 1 by the
sign of ``x``. The paper generalizes ``D`` to trainable values on fixed intervals: with knots
``s_1 < ... < s_K`` cutting the line into ``K + 1`` intervals,

    sigma(x)_i = t_j * x_i    where x_i lies in [s_{j-1}, s_j)    (s_0 = -inf, s_{K+1} = +inf)

and the slopes ``t_0..t_K`` are trained with the weights. Starting the slopes at 0 below zero and
1 above makes it ReLU at initialization. Here the slopes are shared by all units of a layer (the
paper allows one set per unit), since an activation does not know its layer's width.
"""

from __future__ import annotations

import torch
from torch import nn

from neuralab.registry import register


class MatrixActivation(nn.Module):
    """``t_{interval(x)} * x`` with trainable per-interval slopes ``t`` and fixed knots."""

    def __init__(self, knots: tuple[float, ...] = (-1.0, 0.0, 1.0)):
        super().__init__()
        knots = tuple(float(k) for k in knots)
        if not knots or any(b <= a for a, b in zip(knots, knots[1:])):
            raise ValueError(f"knots must be a non-empty increasing sequence, got {knots}")
        self.register_buffer("knots", torch.tensor(knots))
        # ReLU at init: slope 0 on intervals below zero, 1 on intervals at or above zero
        lower_edges = torch.tensor((float("-inf"),) + knots)
        self.slopes = nn.Parameter((lower_edges >= 0).float())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        interval = torch.bucketize(x.detach(), self.knots, right=True)  # (...) ints in 0..K
        return self.slopes[interval] * x  # (...) -> (...)

    def extra_repr(self) -> str:
        return f"knots={tuple(round(k, 4) for k in self.knots.tolist())}"


@register("activation", "matrix_activation", aliases=("tmaf",),
          tags={"vmap_safe", "elementwise", "learnable", "deterministic_init"},
          gain="relu", paper="Neural networks with trainable matrix activation functions",
          arxiv="2109.09948")
def matrix_activation(*, knots: tuple[float, ...] = (-1.0, 0.0, 1.0)) -> MatrixActivation:
    """Trainable piecewise-constant slopes D(x) x on fixed intervals (ReLU at init)."""
    return MatrixActivation(knots)
