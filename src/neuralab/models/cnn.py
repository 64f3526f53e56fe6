"""Convolutional network for 1-D signals and 2-D images.

``depth`` blocks of ``conv(k, stride) -> norm -> act`` with ``channels`` filters each, then either
the flattened final map (``pool="flatten"``, which keeps position, as in the MNIST-1D paper's CNN)
or its global mean / max over positions, and a linear head. Inputs ``(L,)`` and ``(C, L)`` use 1-D
convolutions, ``(C, H, W)`` 2-D ones.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

from neuralab.components.activations import make_activation
from neuralab.components.init import initialize
from neuralab.components.norms import make_norm
from neuralab.data.dataset import DataSpec
from neuralab.models.base import Model
from neuralab.models.mlp import ActivationName, InitName, NormName
from neuralab.registry import register


class ConvBlock(nn.Module):
    """conv -> norm -> activation -> dropout, on channel-first maps."""

    def __init__(self, dims: int, c_in: int, c_out: int, kernel_size: int, stride: int,
                 activation: str, norm: str, dropout: float):
        super().__init__()
        conv = {1: nn.Conv1d, 2: nn.Conv2d}[dims]
        self.conv = conv(c_in, c_out, kernel_size, stride=stride, padding=kernel_size // 2)
        self.norm = make_norm(norm, c_out, spatial_dims=dims)
        self.act = make_activation(activation)
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.act(self.norm(self.conv(x))))  # (B, C_in, *S) -> (B, C_out, *S')


class ConvNet(Model):
    """Convolutional feature extractor and a linear head."""

    def __init__(self, spec: DataSpec, *, channels: int, depth: int, kernel_size: int, stride: int,
                 activation: str, norm: str, init: str, dropout: float,
                 pool: Literal["flatten", "mean", "max"]):
        super().__init__()
        shape = spec.input_shape
        if spec.tokens or len(shape) not in (1, 2, 3):
            raise ValueError(f"cnn takes real (L,), (C, L) or (C, H, W) inputs, got {shape}")
        self.unsqueeze = len(shape) == 1
        self.dims = 1 if len(shape) <= 2 else 2
        c = 1 if self.unsqueeze else shape[0]
        self.blocks = nn.ModuleList()
        for _ in range(depth):
            self.blocks.append(ConvBlock(self.dims, c, channels, kernel_size, stride, activation,
                                         norm, dropout))
            c = channels
        self.pool = pool
        self.blocks.eval()  # a dry run to size the head; batch statistics stay untouched
        with torch.no_grad():
            n_features = self._features_raw(torch.zeros(2, *shape)).shape[1]
        self.blocks.train()
        self.head = nn.Linear(n_features, spec.n_outputs)
        initialize(self.blocks, init, activation)
        initialize(self.head, init, "linear")

    def _features_raw(self, x: torch.Tensor) -> torch.Tensor:
        if self.unsqueeze:
            x = x.unsqueeze(1)  # (B, L) -> (B, 1, L)
        for block in self.blocks:
            x = block(x)  # (B, C, *S)
        if self.pool == "flatten":
            return x.flatten(1)  # (B, C * prod(S))
        spatial = tuple(range(2, x.dim()))
        return x.mean(spatial) if self.pool == "mean" else x.amax(spatial)  # (B, C)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self._features_raw(x)

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        return self.head(features)  # (B, n_outputs)

    def probe_points(self) -> dict[str, nn.Module]:
        return {**{f"conv{i}": b for i, b in enumerate(self.blocks)}, "head": self.head}


@register("model", "cnn", tags={"vmap_safe"},
          paper="Gradient-Based Learning Applied to Document Recognition")
def cnn(
    spec: DataSpec,
    *,
    channels: int = 32,
    depth: int = 3,
    kernel_size: int = 5,
    stride: int = 2,
    activation: ActivationName = "relu",
    norm: NormName = "none",
    init: InitName = "he",
    dropout: float = 0.0,
    pool: Literal["flatten", "mean", "max"] = "flatten",
) -> ConvNet:
    """1-D or 2-D convolutional network (chosen by the input shape)."""
    if spec.task == "sequence":
        raise ValueError("cnn classifies or regresses whole inputs; it does not fit sequence tasks")
    if channels < 1 or depth < 1 or kernel_size < 1 or stride < 1:
        raise ValueError("channels, depth, kernel_size and stride must be positive")
    return ConvNet(spec, channels=channels, depth=depth, kernel_size=kernel_size, stride=stride,
                   activation=activation, norm=norm, init=init, dropout=dropout, pool=pool)
