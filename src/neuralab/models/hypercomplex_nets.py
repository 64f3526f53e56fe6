"""Hypercomplex networks: an MLP and a CNN whose layers are PHM / PHC layers with 1/n parameters.

Zhang et al., "Beyond Fully-Connected Layers with Quaternions: Parameterization of Hypercomplex
Multiplications with 1/n Parameters" (arXiv:2102.08597); Grassucci et al., "PHNNs: Lightweight
Neural Networks via Parameterized Hypercomplex Convolutions" (arXiv:2110.04176). The same
layouts as ``mlp`` and ``cnn``, with every hidden layer a
:class:`~neuralab.components.hypercomplex.PHMLinear` / :class:`PHConv`. As in the papers, the
output layer stays real-valued (class counts need not be divisible by ``n``), and so does any layer
whose input or output width is not divisible by ``n`` (e.g. a one-channel image's first
convolution).
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

from neuralab.components.activations import activation_gain, make_activation
from neuralab.components.hypercomplex import Algebra, PHConv, PHMLinear
from neuralab.components.init import initialize
from neuralab.components.norms import make_norm
from neuralab.data.dataset import DataSpec
from neuralab.models.base import Model
from neuralab.models.mlp import ActivationName, NormName
from neuralab.models.stems import CONV, ChannelFirst, spatial_layout
from neuralab.registry import register


def phm_linear(d_in: int, d_out: int, n: int, algebra: Algebra, activation: str) -> nn.Module:
    """A PHM layer, or a He-initialized real one when the widths are not divisible by ``n``."""
    if d_in % n == 0 and d_out % n == 0:
        return PHMLinear(d_in, d_out, n, algebra=algebra, gain=activation_gain(activation))
    return initialize(nn.Linear(d_in, d_out), "he", activation)


class PHMMLP(Model):
    """Hidden PHM layers (linear -> norm -> act) and a real linear head."""

    def __init__(self, spec: DataSpec, *, width: int, depth: int, n: int, algebra: Algebra,
                 activation: str, norm: str):
        super().__init__()
        d = spec.n_inputs
        self.blocks = nn.ModuleList()
        for _ in range(depth):
            self.blocks.append(nn.Sequential(phm_linear(d, width, n, algebra, activation),
                                             make_norm(norm, width), make_activation(activation)))
            d = width
        self.head = initialize(nn.Linear(d, spec.n_outputs), "xavier", "linear")

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        h = x.flatten(1)  # (B, D)
        for block in self.blocks:
            h = block(h)  # (B, width)
        return h

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        return self.head(features)  # (B, n_outputs)

    def probe_points(self) -> dict[str, nn.Module]:
        return {**{f"block{i}": b for i, b in enumerate(self.blocks)}, "head": self.head}


class PHCNet(Model):
    """PHC conv -> norm -> act blocks, flatten / mean pooling, a real linear head."""

    def __init__(self, spec: DataSpec, *, channels: int, depth: int, kernel_size: int, stride: int,
                 n: int, algebra: Algebra, activation: str, norm: str,
                 pool: Literal["flatten", "mean"]):
        super().__init__()
        dims, c = spatial_layout(spec, "phc_cnn")
        self.to_maps = ChannelFirst()
        self.blocks = nn.ModuleList()
        for _ in range(depth):
            pad = kernel_size // 2
            if c % n == 0 and channels % n == 0:
                conv: nn.Module = PHConv(dims, c, channels, kernel_size, n, stride=stride,
                                         padding=pad, algebra=algebra,
                                         gain=activation_gain(activation))
            else:
                conv = initialize(CONV[dims](c, channels, kernel_size, stride=stride, padding=pad),
                                  "he", activation)
            self.blocks.append(nn.Sequential(conv, make_norm(norm, channels, spatial_dims=dims),
                                             make_activation(activation)))
            c = channels
        self.pool = pool
        self.blocks.eval()  # a dry run to size the head; batch statistics stay untouched
        with torch.no_grad():
            n_features = self.forward_features(torch.zeros(2, *spec.input_shape)).shape[1]
        self.blocks.train()
        self.head = initialize(nn.Linear(n_features, spec.n_outputs), "xavier", "linear")

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        h = self.to_maps(x)  # (B, C, *S)
        for block in self.blocks:
            h = block(h)
        return h.flatten(1) if self.pool == "flatten" else h.mean(tuple(range(2, h.dim())))

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        return self.head(features)  # (B, n_outputs)

    def probe_points(self) -> dict[str, nn.Module]:
        return {**{f"conv{i}": b for i, b in enumerate(self.blocks)}, "head": self.head}


PAPER = dict(paper="PHNNs: Lightweight Neural Networks via Parameterized Hypercomplex "
             "Convolutions", arxiv="2110.04176")


@register("model", "phm_mlp", tags={"vmap_safe"},
          paper="Beyond Fully-Connected Layers with Quaternions: Parameterization of Hypercomplex "
          "Multiplications with 1/n Parameters", arxiv="2102.08597")
def phm_mlp(spec: DataSpec, *, width: int = 128, depth: int = 2, n: int = 4,
            algebra: Algebra = "learned", activation: ActivationName = "relu",
            norm: NormName = "none") -> PHMMLP:
    """MLP with parameterized hypercomplex (PHM) hidden layers: ~1/n of the parameters."""
    if spec.tokens or spec.task == "sequence":
        raise ValueError("phm_mlp takes real inputs with one output each")
    if width < 1 or depth < 0 or n < 1:
        raise ValueError("need width >= 1, depth >= 0 and n >= 1")
    return PHMMLP(spec, width=width, depth=depth, n=n, algebra=algebra, activation=activation,
                  norm=norm)


@register("model", "phc_cnn", **PAPER)
def phc_cnn(spec: DataSpec, *, channels: int = 32, depth: int = 3, kernel_size: int = 5,
            stride: int = 2, n: int = 4, algebra: Algebra = "learned",
            activation: ActivationName = "relu", norm: NormName = "none",
            pool: Literal["flatten", "mean"] = "flatten") -> PHCNet:
    """CNN with parameterized hypercomplex convolutions (PHC): ~1/n of the parameters."""
    if channels < 1 or depth < 1 or n < 1:
        raise ValueError("need channels >= 1, depth >= 1 and n >= 1")
    return PHCNet(spec, channels=channels, depth=depth, kernel_size=kernel_size, stride=stride,
                  n=n, algebra=algebra, activation=activation, norm=norm, pool=pool)
