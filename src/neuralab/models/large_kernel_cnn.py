"""A large-kernel ConvNet: residual blocks of a re-parameterizable large depthwise kernel + a pointwise MLP.

Ding et al., "UniRepLKNet: A Universal Perception Large-Kernel ConvNet for Audio, Video, Point
Cloud, Time-Series and Image Recognition" (arXiv:2311.15599), reduced to its core block::

    x = x + W_2 act(W_1 norm(DilatedReparam_K(x)))      (W_1, W_2 pointwise, expansion 4)

A few such blocks see the whole input through one large kernel each, where a small-kernel network
needs a deep stack. :meth:`LargeKernelCNN.reparameterize` merges every block's branches into a
single kernel for inference (same outputs in evaluation mode).
"""

from __future__ import annotations

import torch
from torch import nn

from neuralab.components.activations import make_activation
from neuralab.components.conv import DilatedReparamConv
from neuralab.components.init import initialize
from neuralab.components.norms import make_norm
from neuralab.data.dataset import DataSpec
from neuralab.models.mlp import ActivationName, InitName, NormName
from neuralab.models.resnet import ConvTrunk
from neuralab.models.stems import CONV, ChannelFirst, spatial_layout
from neuralab.registry import register


class LargeKernelBlock(nn.Module):
    """Residual: dilated re-parameterized depthwise conv -> norm -> pointwise MLP."""

    def __init__(self, dims: int, channels: int, kernel_size: int, activation: str, norm: str):
        super().__init__()
        self.spatial = DilatedReparamConv(channels, kernel_size, dims)
        self.norm = make_norm(norm, channels, spatial_dims=dims)
        self.pw1 = CONV[dims](channels, 4 * channels, 1)
        self.act = make_activation(activation)
        self.pw2 = CONV[dims](4 * channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.pw2(self.act(self.pw1(self.norm(self.spatial(x)))))  # (B, C, *S)

    def reparameterize(self) -> None:
        """Replace the multi-branch depthwise conv by its merged single kernel."""
        if isinstance(self.spatial, DilatedReparamConv):
            self.spatial = self.spatial.merge()


class LargeKernelCNN(ConvTrunk):
    """Stem conv -> large-kernel blocks -> global mean -> head."""

    def __init__(self, spec: DataSpec, *, channels: int, depth: int, kernel_size: int,
                 activation: str, norm: str, init: str):
        super().__init__()
        dims, c = spatial_layout(spec, "lk_cnn")
        self.to_maps = ChannelFirst()
        self.stem = CONV[dims](c, channels, 3, padding=1)
        self.blocks = nn.ModuleList(LargeKernelBlock(dims, channels, kernel_size, activation, norm)
                                    for _ in range(depth))
        self.final = nn.Identity()
        self.head = nn.Linear(channels, spec.n_outputs)
        initialize(self.stem, init, "linear")
        for block in self.blocks:
            initialize(block.pw1, init, activation)
            initialize(block.pw2, init, "linear")
        initialize(self.head, init, "linear")

    def reparameterize(self) -> LargeKernelCNN:
        """Merge every block's branches (call in evaluation mode; outputs are unchanged)."""
        for block in self.blocks:
            block.reparameterize()
        return self


@register("model", "lk_cnn", aliases=("unireplknet",), paper="UniRepLKNet: A Universal "
          "Perception Large-Kernel ConvNet for Audio, Video, Point Cloud, Time-Series and Image "
          "Recognition", arxiv="2311.15599")
def lk_cnn(spec: DataSpec, *, channels: int = 16, depth: int = 2, kernel_size: int = 13,
           activation: ActivationName = "gelu", norm: NormName = "batch",
           init: InitName = "he") -> LargeKernelCNN:
    """Residual large-kernel ConvNet with re-parameterizable dilated branches (1-D or 2-D)."""
    if channels < 1 or depth < 1 or kernel_size < 3 or kernel_size % 2 == 0:
        raise ValueError("need channels >= 1, depth >= 1 and an odd kernel_size >= 3")
    return LargeKernelCNN(spec, channels=channels, depth=depth, kernel_size=kernel_size,
                          activation=activation, norm=norm, init=init)
