"""Kolmogorov-Arnold networks: stacks of KAN layers, with B-spline or selectable activation spaces.

Liu et al., "KAN: Kolmogorov-Arnold Networks" (arXiv:2404.19756): a network of shape
``[n_in, *widths, n_out]`` where every edge carries a learnable univariate function and every node
sums (no fixed activation, no weight matrix). ``kan`` uses B-spline edges and grows its grid by
:meth:`KAN.extend_grid` (rebuild the optimizer afterwards: the coefficient tensors are replaced);
``skan`` uses "Activation Space Selectable Kolmogorov-Arnold Networks" layers, whose nodes choose
among spline, Fourier, RBF and Chebyshev spaces (:meth:`KAN.select_spaces` fixes the choice).
"""

from __future__ import annotations

import torch
from torch import nn

from neuralab.components.kan import SPACES, KANLinear, SelectableKANLinear
from neuralab.data.dataset import DataSpec
from neuralab.models.base import Model
from neuralab.registry import register


class KAN(Model):
    """Flattened input -> KAN layers -> the last layer's outputs are the logits / predictions."""

    def __init__(self, layers: list[nn.Module]):
        super().__init__()
        self.layers = nn.ModuleList(layers[:-1])
        self.head = layers[-1]

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        h = x.flatten(1)  # (B, n_in)
        for layer in self.layers:
            h = layer(h)  # (B, width_l)
        return h

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        return self.head(features)  # (B, n_outputs)

    def probe_points(self) -> dict[str, nn.Module]:
        return {**{f"layer{i}": m for i, m in enumerate(self.layers)}, "head": self.head}

    def extend_grid(self, grid_size: int) -> KAN:
        """Move every B-spline layer to a finer grid, keeping its function (rebuild the optimizer)."""
        for layer in [*self.layers, self.head]:
            if not isinstance(layer, KANLinear):
                raise TypeError("grid extension applies to B-spline KAN layers")
            layer.extend_grid(grid_size)
        return self

    def select_spaces(self) -> list[list[str]]:
        """Fix each node of each selectable layer to its most weighted space."""
        return [layer.select() for layer in [*self.layers, self.head]
                if isinstance(layer, SelectableKANLinear)]


def _shape(spec: DataSpec, widths: tuple[int, ...], name: str) -> list[int]:
    if spec.tokens or spec.task == "sequence":
        raise ValueError(f"{name} takes real inputs with one output each")
    if any(w < 1 for w in widths):
        raise ValueError(f"widths must be positive, got {widths}")
    return [spec.n_inputs, *widths, spec.n_outputs]


@register("model", "kan", tags={"vmap_safe"}, paper="KAN: Kolmogorov-Arnold Networks",
          arxiv="2404.19756")
def kan(spec: DataSpec, *, widths: tuple[int, ...] = (5,), grid_size: int = 5, order: int = 3,
        grid_range: tuple[float, float] = (-1.0, 1.0), noise: float = 0.1) -> KAN:
    """Kolmogorov-Arnold network with B-spline edge functions (grid extension supported)."""
    dims = _shape(spec, tuple(widths), "kan")
    return KAN([KANLinear(a, b, grid_size=grid_size, order=order, grid_range=tuple(grid_range),
                          noise=noise) for a, b in zip(dims[:-1], dims[1:])])


@register("model", "skan", tags={"vmap_safe"},
          paper="Activation Space Selectable Kolmogorov-Arnold Networks")
def skan(spec: DataSpec, *, widths: tuple[int, ...] = (5,), spaces: tuple[str, ...] = SPACES,
         size: int = 8, grid_range: tuple[float, float] = (-1.0, 1.0), noise: float = 0.1) -> KAN:
    """KAN whose nodes select among spline, Fourier, RBF and Chebyshev activation spaces."""
    dims = _shape(spec, tuple(widths), "skan")
    return KAN([SelectableKANLinear(a, b, spaces=tuple(spaces), size=size,
                                    grid_range=tuple(grid_range), noise=noise)
                for a, b in zip(dims[:-1], dims[1:])])
