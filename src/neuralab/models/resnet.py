"""Residual networks for 1-D signals and small images: post-activation, pre-activation and wide.

A stem convolution, then stages of basic blocks (two ``k``-convolutions each) whose widths double
from stage to stage while the first block of every stage after the first halves the resolution,
then a global mean over positions and a linear head. Blocks, with ``F`` the two convolutions:

- post-activation (He et al., "Deep Residual Learning for Image Recognition", arXiv:1512.03385)::

      y = act(shortcut(x) + norm_2(conv_2(act(norm_1(conv_1(x))))))

- pre-activation (He et al., "Identity Mappings in Deep Residual Networks", arXiv:1603.05027)::

      y = shortcut(x) + conv_2(act(norm_2(conv_1(act(norm_1(x))))))

  with nothing after the addition, so the identity path runs unchanged through the whole net;
- wide (Zagoruyko & Komodakis, "Wide Residual Networks", arXiv:1605.07146): pre-activation blocks
  with every width multiplied by ``widen`` and dropout between the two convolutions — the wide
  counterpart of a deep, thin network at a similar parameter count.

The shortcut is the identity, or a 1x1 projection where the shape changes (applied to the
pre-activated input in pre-activation blocks, as in the paper).
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
from neuralab.models.stems import CONV, ChannelFirst, spatial_layout
from neuralab.registry import register


class BasicBlock(nn.Module):
    """Two convolutions with a residual connection, post- or pre-activation."""

    def __init__(self, dims: int, c_in: int, c_out: int, stride: int, *, kernel_size: int,
                 activation: str, norm: str, preact: bool, dropout: float):
        super().__init__()
        conv = CONV[dims]
        pad = kernel_size // 2
        self.preact = preact
        self.norm1 = make_norm(norm, c_in if preact else c_out, spatial_dims=dims)
        self.conv1 = conv(c_in, c_out, kernel_size, stride=stride, padding=pad, bias=False)
        self.act1 = make_activation(activation)
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.norm2 = make_norm(norm, c_out, spatial_dims=dims)
        self.conv2 = conv(c_out, c_out, kernel_size, padding=pad, bias=False)
        self.act2 = make_activation(activation)
        self.shortcut: nn.Module | None = None
        if stride != 1 or c_in != c_out:
            projection = conv(c_in, c_out, 1, stride=stride, bias=False)
            self.shortcut = projection if preact else nn.Sequential(
                projection, make_norm(norm, c_out, spatial_dims=dims))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.preact:
            h = self.act1(self.norm1(x))  # (B, C_in, *S)
            skip = x if self.shortcut is None else self.shortcut(h)  # (B, C_out, *S')
            h = self.conv2(self.dropout(self.act2(self.norm2(self.conv1(h)))))
            return skip + h
        h = self.dropout(self.act1(self.norm1(self.conv1(x))))  # (B, C_out, *S')
        h = self.norm2(self.conv2(h))
        skip = x if self.shortcut is None else self.shortcut(x)
        return self.act2(skip + h)


class ConvTrunk(Model):
    """``stem -> blocks -> final -> global mean over positions -> head`` (subclasses build them)."""

    to_maps: nn.Module
    stem: nn.Module
    blocks: nn.ModuleList
    final: nn.Module
    head: nn.Module

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        h = self.stem(self.to_maps(x))  # (B, C_0, *S)
        for block in self.blocks:
            h = block(h)  # (B, C_i, *S_i)
        h = self.final(h)
        return h.mean(tuple(range(2, h.dim())))  # (B, C)

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        return self.head(features)  # (B, n_outputs)

    def probe_points(self) -> dict[str, nn.Module]:
        return {"stem": self.stem, **{f"block{i}": b for i, b in enumerate(self.blocks)},
                "head": self.head}


class ResNet(ConvTrunk):
    """Stem -> stages of :class:`BasicBlock` -> (final norm, act) -> global mean -> head."""

    def __init__(self, spec: DataSpec, *, width: int, stages: tuple[int, ...], widen: int,
                 kernel_size: int, activation: str, norm: str, init: str, preact: bool,
                 dropout: float, name: str):
        super().__init__()
        dims, c = spatial_layout(spec, name)
        self.to_maps = ChannelFirst()
        stem: list[nn.Module] = [CONV[dims](c, width, kernel_size, padding=kernel_size // 2,
                                            bias=False)]
        if not preact:
            stem += [make_norm(norm, width, spatial_dims=dims), make_activation(activation)]
        self.stem = nn.Sequential(*stem)
        self.blocks = nn.ModuleList()
        c = width
        for i, n_blocks in enumerate(stages):
            c_out = width * widen * 2**i
            for j in range(n_blocks):
                stride = 2 if i > 0 and j == 0 else 1
                self.blocks.append(BasicBlock(dims, c, c_out, stride, kernel_size=kernel_size,
                                              activation=activation, norm=norm, preact=preact,
                                              dropout=dropout))
                c = c_out
        self.final = (nn.Sequential(make_norm(norm, c, spatial_dims=dims), make_activation(activation))
                      if preact else nn.Identity())
        self.head = nn.Linear(c, spec.n_outputs)
        initialize(self.stem, init, activation)
        initialize(self.blocks, init, activation)
        initialize(self.head, init, "linear")


def _check(width: int, stages: tuple[int, ...], widen: int, kernel_size: int) -> None:
    if width < 1 or widen < 1 or not stages or min(stages) < 1:
        raise ValueError("need width >= 1, widen >= 1 and at least one stage of >= 1 blocks")
    if kernel_size < 1 or kernel_size % 2 == 0:
        raise ValueError(f"kernel_size must be odd and positive, got {kernel_size}")


@register("model", "resnet", paper="Deep Residual Learning for Image Recognition",
          arxiv="1512.03385")
def resnet(spec: DataSpec, *, width: int = 16, stages: tuple[int, ...] = (1, 1, 1),
           kernel_size: int = 3, activation: ActivationName = "relu", norm: NormName = "batch",
           init: InitName = "he") -> ResNet:
    """Post-activation ResNet (basic blocks); 1-D or 2-D by the input shape."""
    _check(width, stages, 1, kernel_size)
    return ResNet(spec, width=width, stages=tuple(stages), widen=1, kernel_size=kernel_size,
                  activation=activation, norm=norm, init=init, preact=False, dropout=0.0,
                  name="resnet")


@register("model", "preact_resnet", paper="Identity Mappings in Deep Residual Networks",
          arxiv="1603.05027")
def preact_resnet(spec: DataSpec, *, width: int = 16, stages: tuple[int, ...] = (1, 1, 1),
                  kernel_size: int = 3, activation: ActivationName = "relu",
                  norm: NormName = "batch", init: InitName = "he") -> ResNet:
    """Pre-activation ResNet: norm -> act -> conv inside the block, a clean identity path."""
    _check(width, stages, 1, kernel_size)
    return ResNet(spec, width=width, stages=tuple(stages), widen=1, kernel_size=kernel_size,
                  activation=activation, norm=norm, init=init, preact=True, dropout=0.0,
                  name="preact_resnet")


@register("model", "wide_resnet", paper="Wide Residual Networks", arxiv="1605.07146")
def wide_resnet(spec: DataSpec, *, width: int = 8, stages: tuple[int, ...] = (1, 1, 1),
                widen: int = 4, kernel_size: int = 3, dropout: float = 0.0,
                activation: ActivationName = "relu", norm: NormName = "batch",
                init: InitName = "he") -> ResNet:
    """Wide ResNet: pre-activation blocks, widths times ``widen``, dropout between the convs."""
    _check(width, stages, widen, kernel_size)
    return ResNet(spec, width=width, stages=tuple(stages), widen=widen, kernel_size=kernel_size,
                  activation=activation, norm=norm, init=init, preact=True, dropout=dropout,
                  name="wide_resnet")
