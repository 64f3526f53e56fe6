"""SimpleNet: a plain 13-layer convolutional network without residual connections.

Hasanpour et al., "Lets keep it simple, Using simple architectures to outperform deeper and more
complex architectures" (arXiv:1608.06037). Every layer is ``conv(3x3) -> norm -> act`` (two
layers near the end use 1x1 kernels), with max-pooling at four fixed places, then a global max over
positions and a linear head. The paper's widths are::

    64, 128, 128, 128, P, 128, 128, 256, P, 256, 256, P, 512, P, 2048(1x1), 256(1x1), P, 256

``width_mult`` scales every width (the paper's network is ``width_mult=1``). A pool is skipped when
the map is already a single position, so the layout also fits 8x8 images and short 1-D signals.
"""

from __future__ import annotations

import torch
from torch import nn

from neuralab.components.activations import make_activation
from neuralab.components.init import initialize
from neuralab.components.norms import make_norm
from neuralab.data.dataset import DataSpec
from neuralab.models.base import Model
from neuralab.models.mlp import ActivationName, InitName, NormName
from neuralab.models.stems import CONV, MAX_POOL, ChannelFirst, spatial_layout
from neuralab.registry import register

POOL = "P"
LAYOUT: tuple[int | str, ...] = (64, 128, 128, 128, POOL, 128, 128, 256, POOL, 256, 256, POOL, 512,
                                 POOL, 2048, 256, POOL, 256)
POINTWISE = (14, 15)  # the 2048- and 256-wide layers use 1x1 kernels (indices into LAYOUT)


class SimpleNet(Model):
    """13 conv-norm-act layers with max-pools, global max pooling, a linear head."""

    def __init__(self, spec: DataSpec, *, width_mult: float, activation: str, norm: str,
                 init: str, dropout: float):
        super().__init__()
        dims, c = spatial_layout(spec, "simplenet")
        size = min(spec.input_shape[-dims:]) if len(spec.input_shape) > 1 else spec.input_shape[0]
        self.to_maps = ChannelFirst()
        self.blocks = nn.ModuleList()
        for i, item in enumerate(LAYOUT):
            if item == POOL:
                if size > 1:
                    self.blocks.append(MAX_POOL[dims](2))
                    size //= 2
                continue
            c_out = max(1, round(int(item) * width_mult))
            k = 1 if i in POINTWISE else 3
            self.blocks.append(nn.Sequential(
                CONV[dims](c, c_out, k, padding=k // 2, bias=False),
                make_norm(norm, c_out, spatial_dims=dims), make_activation(activation),
                nn.Dropout(dropout) if dropout > 0 else nn.Identity()))
            c = c_out
        self.head = nn.Linear(c, spec.n_outputs)
        initialize(self.blocks, init, activation)
        initialize(self.head, init, "linear")

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        h = self.to_maps(x)  # (B, C, *S)
        for block in self.blocks:
            h = block(h)
        return h.amax(tuple(range(2, h.dim())))  # (B, C_last)

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        return self.head(features)  # (B, n_outputs)

    def probe_points(self) -> dict[str, nn.Module]:
        convs = [b for b in self.blocks if isinstance(b, nn.Sequential)]
        return {**{f"conv{i}": b for i, b in enumerate(convs)}, "head": self.head}


@register("model", "simplenet", paper="Lets keep it simple, Using simple architectures to "
          "outperform deeper and more complex architectures", arxiv="1608.06037")
def simplenet(spec: DataSpec, *, width_mult: float = 0.125, activation: ActivationName = "relu",
              norm: NormName = "batch", init: InitName = "he", dropout: float = 0.0) -> SimpleNet:
    """Plain 13-layer CNN (no residuals) with a width multiplier."""
    if width_mult <= 0:
        raise ValueError(f"width_mult must be positive, got {width_mult}")
    return SimpleNet(spec, width_mult=width_mult, activation=activation, norm=norm, init=init,
                     dropout=dropout)
