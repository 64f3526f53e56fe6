"""Multi-head softmax self-attention.

Vaswani et al., "Attention Is All You Need" (arXiv:1706.03762):
``Attention(Q, K, V) = softmax(Q K^T / sqrt(d_head) + M) V`` per head, with ``M`` the causal mask
(``-inf`` above the diagonal) when ``causal``; heads are concatenated and projected. The kernel is
``torch.nn.functional.scaled_dot_product_attention``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from neuralab.registry import register


class MultiHeadSelfAttention(nn.Module):
    """Fused QKV projection, scaled dot-product attention per head, output projection."""

    def __init__(self, d_model: int, n_heads: int, causal: bool, *, dropout: float = 0.0,
                 bias: bool = True):
        super().__init__()
        if d_model % n_heads:
            raise ValueError(f"d_model ({d_model}) must be divisible by n_heads ({n_heads})")
        self.n_heads, self.causal, self.dropout = n_heads, causal, dropout
        self.qkv = nn.Linear(d_model, 3 * d_model, bias=bias)
        self.out = nn.Linear(d_model, d_model, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, D = x.shape
        q, k, v = self.qkv(x).view(B, T, 3, self.n_heads, D // self.n_heads).unbind(2)
        q, k, v = (t.transpose(1, 2) for t in (q, k, v))  # (B, H, T, d_head)
        y = F.scaled_dot_product_attention(
            q, k, v, is_causal=self.causal, dropout_p=self.dropout if self.training else 0.0)
        return self.out(y.transpose(1, 2).reshape(B, T, D))  # (B, T, D)


@register("mixer", "softmax_attention", aliases=("attention", "mha"), tags={"vmap_safe"},
          paper="Attention Is All You Need", arxiv="1706.03762")
def softmax_attention(d_model: int, n_heads: int, causal: bool, *, dropout: float = 0.0,
                      bias: bool = True) -> MultiHeadSelfAttention:
    """Multi-head softmax self-attention (scaled_dot_product_attention)."""
    return MultiHeadSelfAttention(d_model, n_heads, causal, dropout=dropout, bias=bias)
