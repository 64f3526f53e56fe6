"""Parameterized hypercomplex layers: a weight built as a sum of Kronecker products.

Zhang et al., "Beyond Fully-Connected Layers with Quaternions: Parameterization of Hypercomplex
Multiplications with 1/n Parameters" (arXiv:2102.08597) for the linear layer (PHM), and Grassucci,
Zhang & Comminiello, "PHNNs: Lightweight Neural Networks via Parameterized Hypercomplex
Convolutions" (arXiv:2110.04176) for convolutions (PHC). With ``n`` the hypercomplex dimension::

    W = sum_{i=1..n} A_i ⊗ F_i,   A_i in R^{n x n},   F_i in R^{(out/n) x (in/n) [x k...]}

The ``A_i`` learn the algebra's multiplication rule, the ``F_i`` are the filters. ``W`` has
``out * in`` entries but only ``out * in / n + n^3`` free parameters (1/n of a real layer, plus
the tiny algebra). With ``algebra="quaternion"`` and ``n = 4`` the ``A_i`` are fixed to the
Hamilton product, so the layer is a quaternion-valued layer (its special case).

Initialization: ``A ~ N(0, 1/n)`` and ``F ~ N(0, gain^2 / fan_in)`` give each entry of ``W``
the variance ``gain^2 / fan_in`` of He/Xavier-style schemes (``W`` is a sum of ``n`` products).
"""

from __future__ import annotations

import math
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

Algebra = Literal["learned", "quaternion"]


def quaternion_algebra() -> torch.Tensor:
    """The four 4x4 matrices ``A_i`` of the Hamilton product: ``W = sum_i A_i ⊗ F_i``.

    For quaternions ``q = r + x i + y j + z k``, left multiplication by the weight quaternion
    ``(F_r, F_x, F_y, F_z)`` is the real matrix ``sum_i A_i ⊗ F_i`` acting on ``(r, x, y, z)``.
    """
    one = torch.eye(4)
    i = torch.tensor([[0, -1, 0, 0], [1, 0, 0, 0], [0, 0, 0, -1], [0, 0, 1, 0]], dtype=torch.float32)
    j = torch.tensor([[0, 0, -1, 0], [0, 0, 0, 1], [1, 0, 0, 0], [0, -1, 0, 0]], dtype=torch.float32)
    k = torch.tensor([[0, 0, 0, -1], [0, 0, -1, 0], [0, 1, 0, 0], [1, 0, 0, 0]], dtype=torch.float32)
    return torch.stack([one, i, j, k])  # (4, 4, 4)


def kronecker_sum(a: torch.Tensor, f: torch.Tensor) -> torch.Tensor:
    """``sum_i kron(A_i, F_i)`` over the first two axes of ``F``; trailing kernel axes ride along.

    ``a``: ``(n, n, n)``, ``f``: ``(n, p, q, *k)`` -> ``(n p, n q, *k)``.
    """
    n, p, q = f.shape[:3]
    w = torch.einsum("sab,spq...->apbq...", a, f)  # (n, p, n, q, *k)
    return w.reshape(n * p, n * q, *f.shape[3:])


class _PHMBase(nn.Module):
    """The algebra ``A`` and filters ``F`` shared by the linear and convolutional layers."""

    def __init__(self, in_features: int, out_features: int, n: int, kernel: tuple[int, ...],
                 algebra: Algebra, bias: bool, gain: float):
        super().__init__()
        if n < 1 or in_features % n or out_features % n:
            raise ValueError(f"in ({in_features}) and out ({out_features}) features must be "
                             f"divisible by n ({n})")
        if algebra == "quaternion" and n != 4:
            raise ValueError(f"the quaternion algebra has n = 4, got n = {n}")
        self.n, self.in_features, self.out_features = n, in_features, out_features
        fan_in = in_features * math.prod(kernel)
        self.filters = nn.Parameter(
            torch.randn(n, out_features // n, in_features // n, *kernel) * gain / math.sqrt(fan_in))
        if algebra == "quaternion":
            self.register_buffer("algebra", quaternion_algebra())
        else:
            self.algebra = nn.Parameter(torch.randn(n, n, n) / math.sqrt(n))
        self.bias = nn.Parameter(torch.zeros(out_features)) if bias else None

    def weight(self) -> torch.Tensor:
        """The full weight ``sum_i A_i ⊗ F_i``: ``(out, in, *kernel)``."""
        return kronecker_sum(self.algebra, self.filters)


class PHMLinear(_PHMBase):
    """Linear layer ``y = x W^T + b`` with a parameterized hypercomplex weight."""

    def __init__(self, in_features: int, out_features: int, n: int, *, algebra: Algebra = "learned",
                 bias: bool = True, gain: float = 1.0):
        super().__init__(in_features, out_features, n, (), algebra, bias, gain)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight(), self.bias)  # (..., in) -> (..., out)


class PHConv(_PHMBase):
    """1-D or 2-D convolution with a parameterized hypercomplex kernel."""

    def __init__(self, dims: int, in_channels: int, out_channels: int, kernel_size: int, n: int, *,
                 stride: int = 1, padding: int = 0, algebra: Algebra = "learned", bias: bool = True,
                 gain: float = 1.0):
        if dims not in (1, 2):
            raise ValueError(f"dims must be 1 or 2, got {dims}")
        super().__init__(in_channels, out_channels, n, (kernel_size,) * dims, algebra, bias, gain)
        self.conv = F.conv1d if dims == 1 else F.conv2d
        self.stride, self.padding = stride, padding

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # (B, C_in, *S) -> (B, C_out, *S')
        return self.conv(x, self.weight(), self.bias, stride=self.stride, padding=self.padding)


def real_parameter_count(in_features: int, out_features: int, kernel: int = 1, dims: int = 0,
                         bias: bool = True) -> int:
    """Parameters of the real-valued layer of the same shape (for 1/n comparisons)."""
    return in_features * out_features * kernel**dims + (out_features if bias else 0)
