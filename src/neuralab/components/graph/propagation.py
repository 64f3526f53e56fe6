"""Graph convolution on a dense adjacency matrix: the symmetric-normalized propagation of GCN.

Kipf & Welling, "Semi-Supervised Classification with Graph Convolutional Networks"
(arXiv:1609.02907)::

    A_hat = D~^{-1/2} (A + I) D~^{-1/2},   D~_ii = sum_j (A + I)_ij
    H' = A_hat H W + b

Repeated propagation ``A_hat^k H`` converges to a vector set by the node degrees alone as ``k``
grows (over-smoothing): node representations lose what told them apart.
"""

from __future__ import annotations

import torch
from torch import nn


def normalized_adjacency(adjacency: torch.Tensor, self_loops: bool = True) -> torch.Tensor:
    """``D^{-1/2} (A [+ I]) D^{-1/2}`` for ``(B, n, n)`` (or ``(n, n)``) adjacency matrices."""
    a = adjacency
    if self_loops:
        a = a + torch.eye(a.shape[-1], dtype=a.dtype, device=a.device)
    inv_sqrt = a.sum(-1).clamp_min(1e-12).rsqrt()  # (B, n)
    return inv_sqrt.unsqueeze(-1) * a * inv_sqrt.unsqueeze(-2)


class GraphConv(nn.Module):
    """``H' = A_hat H W + b`` with ``A_hat`` given (computed once per graph by the model)."""

    def __init__(self, d_in: int, d_out: int, bias: bool = True):
        super().__init__()
        self.linear = nn.Linear(d_in, d_out, bias=False)
        self.bias = nn.Parameter(torch.zeros(d_out)) if bias else None

    def forward(self, h: torch.Tensor, a_hat: torch.Tensor) -> torch.Tensor:
        out = a_hat @ self.linear(h)  # (B, n, n) @ (B, n, d_out)
        return out if self.bias is None else out + self.bias
