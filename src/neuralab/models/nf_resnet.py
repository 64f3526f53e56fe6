"""Normalizer-free ResNet: residual blocks whose signal is scaled analytically instead of normalized.

Brock, De & Smith, "Characterizing signal propagation to close the performance gap in
unnormalized ResNets" (arXiv:2101.08692). Pre-activation residual blocks without any
normalization layer::

    h_{i+1} = h_i + alpha * f_i(h_i / beta_i),     beta_i = sqrt(Var(h_i))

where ``Var(h_i)`` is tracked analytically (``Var(h_0) = 1``, ``Var(h_{i+1}) = Var(h_i) + alpha^2``,
reset to ``1 + alpha^2`` after a transition block, whose shortcut reads ``h_i / beta_i``) and
every convolution uses scaled weight standardization
(:mod:`neuralab.components.norms.weight_standardization`) with the gain of the activation it
follows, so ``f_i`` maps unit-variance inputs to unit-variance outputs at initialization. A
learnable scalar at the end of each residual branch (initialized to 0: SkipInit, De & Smith,
arXiv:2002.10444) is optional. The layout (stem, stages, widths, strides) is that of
``preact_resnet``, so the two are twins that differ only in how the signal is kept in range.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from neuralab.components.activations import make_activation
from neuralab.components.norms.weight_standardization import (nonlinearity_gain,
                                                               scaled_weight_standardization)
from neuralab.data.dataset import DataSpec
from neuralab.models.mlp import ActivationName
from neuralab.models.resnet import ConvTrunk, _check
from neuralab.models.stems import CONV, ChannelFirst, spatial_layout
from neuralab.registry import register


class NFBlock(nn.Module):
    """``h + alpha * skip_gain * conv2(act(conv1(act(h / beta))))`` with standardized convs."""

    def __init__(self, dims: int, c_in: int, c_out: int, stride: int, *, kernel_size: int,
                 activation: str, alpha: float, beta: float, skip_init: bool):
        super().__init__()
        gamma = nonlinearity_gain(activation)
        conv, pad = CONV[dims], kernel_size // 2
        self.alpha, self.beta = alpha, beta
        self.act = make_activation(activation)
        self.conv1 = scaled_weight_standardization(
            conv(c_in, c_out, kernel_size, stride=stride, padding=pad), gamma=gamma)
        self.conv2 = scaled_weight_standardization(
            conv(c_out, c_out, kernel_size, padding=pad), gamma=gamma)
        self.shortcut: nn.Module | None = None
        if stride != 1 or c_in != c_out:  # transition: the shortcut reads the scaled input
            self.shortcut = scaled_weight_standardization(conv(c_in, c_out, 1, stride=stride),
                                                          gamma=gamma)
        self.skip_gain = nn.Parameter(torch.zeros(())) if skip_init else None

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        x = self.act(h / self.beta)  # (B, C_in, *S), unit variance at initialization
        skip = h if self.shortcut is None else self.shortcut(x)
        out = self.conv2(self.act(self.conv1(x)))  # (B, C_out, *S')
        if self.skip_gain is not None:
            out = out * self.skip_gain
        return skip + self.alpha * out


class NFResNet(ConvTrunk):
    """Stem -> NF blocks (analytic variance bookkeeping) -> act -> global mean -> head."""

    def __init__(self, spec: DataSpec, *, width: int, stages: tuple[int, ...], kernel_size: int,
                 activation: str, alpha: float, skip_init: bool):
        super().__init__()
        dims, c = spatial_layout(spec, "nf_resnet")
        self.to_maps = ChannelFirst()
        self.stem = scaled_weight_standardization(
            CONV[dims](c, width, kernel_size, padding=kernel_size // 2), gamma=1.0)
        self.blocks = nn.ModuleList()
        expected_var, c = 1.0, width
        for i, n_blocks in enumerate(stages):
            c_out = width * 2**i
            for j in range(n_blocks):
                stride = 2 if i > 0 and j == 0 else 1
                block = NFBlock(dims, c, c_out, stride, kernel_size=kernel_size,
                                activation=activation, alpha=alpha,
                                beta=math.sqrt(expected_var), skip_init=skip_init)
                self.blocks.append(block)
                transition = block.shortcut is not None
                expected_var = (1.0 if transition else expected_var) + alpha**2
                c = c_out
        self.final = make_activation(activation)
        self.head = nn.Linear(c, spec.n_outputs)
        with torch.no_grad():
            self.head.weight.normal_(0.0, 0.01)
            self.head.bias.zero_()


@register("model", "nf_resnet", paper="Characterizing signal propagation to close the performance "
          "gap in unnormalized ResNets", arxiv="2101.08692")
def nf_resnet(spec: DataSpec, *, width: int = 16, stages: tuple[int, ...] = (1, 1, 1),
              kernel_size: int = 3, activation: ActivationName = "relu", alpha: float = 0.2,
              skip_init: bool = False) -> NFResNet:
    """Normalizer-free pre-activation ResNet (scaled weight standardization, alpha/beta scaling)."""
    _check(width, stages, 1, kernel_size)
    if alpha <= 0:
        raise ValueError(f"alpha must be positive, got {alpha}")
    return NFResNet(spec, width=width, stages=tuple(stages), kernel_size=kernel_size,
                    activation=activation, alpha=alpha, skip_init=skip_init)
