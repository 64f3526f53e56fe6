"""A large depthwise kernel trained with parallel small dilated kernels, merged into one for inference.

Ding et al., "UniRepLKNet: A Universal Perception Large-Kernel ConvNet for Audio, Video, Point
Cloud, Time-Series and Image Recognition" (arXiv:2311.15599), the Dilated Reparam Block. In
training, a depthwise ``K``-kernel and branches of depthwise ``k_i``-kernels with dilations ``r_i``
(each followed by batch norm) run in parallel and are summed::

    y = BN_0(W_K * x) + sum_i BN_i(W_{k_i, r_i} *_{r_i} x)

Every branch is linear in ``x`` once batch norm uses its running statistics, so for inference the
whole block is one depthwise ``K``-kernel with a bias (:meth:`DilatedReparamConv.merge`): each
``conv -> BN`` pair is fused (``torch.nn.utils.fusion.fuse_conv_bn_weights``), a dilated kernel
becomes the dense kernel of size ``r (k - 1) + 1`` with zeros between its taps, and every kernel is
zero-padded to ``K`` around its centre and added. The two forms agree to rounding error in
evaluation mode.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_weights

CONV = {1: nn.Conv1d, 2: nn.Conv2d}
BN = {1: nn.BatchNorm1d, 2: nn.BatchNorm2d}

# The paper's branches (kernel, dilation) for its kernel sizes.
PAPER_BRANCHES: dict[int, tuple[tuple[int, int], ...]] = {
    5: ((3, 1), (3, 2)),
    7: ((5, 1), (3, 2)),
    9: ((5, 1), (5, 2), (3, 3)),
    11: ((5, 1), (5, 2), (3, 3), (3, 4)),
    13: ((5, 1), (7, 2), (3, 3), (3, 4), (3, 5)),
    17: ((5, 1), (9, 2), (3, 4), (3, 5), (3, 7)),
}


def default_branches(kernel_size: int) -> tuple[tuple[int, int], ...]:
    """The paper's branches for ``kernel_size``; otherwise a 5-kernel and 3-kernels dilated 2, 4, ..."""
    if kernel_size in PAPER_BRANCHES:
        return PAPER_BRANCHES[kernel_size]
    branches = [(5, 1)] if kernel_size > 5 else []
    r = 2
    while 2 * r + 1 < kernel_size:
        branches.append((3, r))
        r *= 2
    return tuple(branches)


def dilate_kernel(weight: torch.Tensor, dilation: int, dims: int) -> torch.Tensor:
    """The dense kernel equal to ``weight`` applied with ``dilation``: zeros between the taps."""
    if dilation == 1:
        return weight
    size = [dilation * (k - 1) + 1 for k in weight.shape[-dims:]]
    dense = weight.new_zeros(*weight.shape[:-dims], *size)
    index = (...,) + tuple(slice(None, None, dilation) for _ in range(dims))
    dense[index] = weight
    return dense


def pad_to(weight: torch.Tensor, size: int, dims: int) -> torch.Tensor:
    """Zero-pad a centred odd kernel to ``size`` along each of its ``dims`` spatial axes."""
    pad = []
    for k in reversed(weight.shape[-dims:]):
        pad += [(size - k) // 2] * 2
    return F.pad(weight, pad)


class DilatedReparamConv(nn.Module):
    """Depthwise large kernel + dilated small-kernel branches; ``merge()`` gives one conv."""

    def __init__(self, channels: int, kernel_size: int, dims: int, *,
                 branches: tuple[tuple[int, int], ...] | None = None,
                 norm: Literal["batch", "none"] = "batch"):
        super().__init__()
        if kernel_size % 2 == 0 or dims not in CONV:
            raise ValueError(f"need an odd kernel_size and dims 1 or 2, got {kernel_size}, {dims}")
        branches = default_branches(kernel_size) if branches is None else tuple(branches)
        for k, r in branches:
            if k % 2 == 0 or r * (k - 1) + 1 > kernel_size:
                raise ValueError(f"branch (kernel {k}, dilation {r}) must be odd and fit in "
                                 f"kernel_size {kernel_size}")
        self.channels, self.kernel_size, self.dims = channels, kernel_size, dims
        self.dilations = [1] + [r for _, r in branches]
        self.convs = nn.ModuleList(
            CONV[dims](channels, channels, k, padding=r * (k - 1) // 2, dilation=r,
                       groups=channels, bias=False)
            for k, r in [(kernel_size, 1), *branches])
        self.norms = nn.ModuleList(BN[dims](channels) if norm == "batch" else nn.Identity()
                                   for _ in self.convs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # (B, C, *S) -> (B, C, *S): the sum of every branch
        return sum(norm(conv(x)) for conv, norm in zip(self.convs, self.norms))

    @torch.no_grad()
    def merge(self) -> nn.Module:
        """One depthwise ``K``-conv with bias equal to this block in evaluation mode."""
        weight = torch.zeros_like(self.convs[0].weight)
        bias = weight.new_zeros(self.channels)
        for conv, norm, r in zip(self.convs, self.norms, self.dilations):
            w, b = conv.weight, weight.new_zeros(self.channels)
            if isinstance(norm, nn.modules.batchnorm._BatchNorm):
                w, b = fuse_conv_bn_weights(w, None, norm.running_mean, norm.running_var, norm.eps,
                                            norm.weight, norm.bias)
            weight += pad_to(dilate_kernel(w, r, self.dims), self.kernel_size, self.dims)
            bias += b
        merged = CONV[self.dims](self.channels, self.channels, self.kernel_size,
                                 padding=self.kernel_size // 2, groups=self.channels)
        merged.weight.copy_(weight)
        merged.bias.copy_(bias)
        return merged
