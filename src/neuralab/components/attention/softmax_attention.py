"""Multi-head softmax self-attention, with a KV cache for token-by-token generation.

Vaswani et al., "Attention Is All You Need" (arXiv:1706.03762):
``Attention(Q, K, V) = softmax(Q K^T / sqrt(d_head) + M) V`` per head, with ``M`` the causal mask
(``-inf`` above the diagonal) when ``causal``; heads are concatenated and projected. The kernel is
``torch.nn.functional.scaled_dot_product_attention``.

Generation follows the mixer stepping interface: ``init_state(batch_size)`` returns an empty KV
cache ``(K, V)``, each ``(B, H, 0, d_head)``, and ``step(x_t, state)`` projects one token
``(B, D)``, appends its key and value to the cache and attends from its query to every cached
position, which is exactly the causal forward's output at that position.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from neuralab.errors import NeuralabError
from neuralab.registry import register

KVCache = tuple[torch.Tensor, torch.Tensor]


class MultiHeadSelfAttention(nn.Module):
    """Fused QKV projection, scaled dot-product attention per head, output projection."""

    def __init__(self, d_model: int, n_heads: int, causal: bool, *, dropout: float = 0.0,
                 bias: bool = True):
        super().__init__()
        if d_model % n_heads:
            raise ValueError(f"d_model ({d_model}) must be divisible by n_heads ({n_heads})")
        self.n_heads, self.causal, self.dropout = n_heads, causal, dropout
        self.d_head = d_model // n_heads
        self.qkv = nn.Linear(d_model, 3 * d_model, bias=bias)
        self.out = nn.Linear(d_model, d_model, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, D = x.shape
        q, k, v = self.qkv(x).view(B, T, 3, self.n_heads, self.d_head).unbind(2)
        q, k, v = (t.transpose(1, 2) for t in (q, k, v))  # (B, H, T, d_head)
        y = F.scaled_dot_product_attention(
            q, k, v, is_causal=self.causal, dropout_p=self.dropout if self.training else 0.0)
        return self.out(y.transpose(1, 2).reshape(B, T, D))  # (B, T, D)

    def init_state(self, batch_size: int, device: torch.device | None = None,
                   dtype: torch.dtype | None = None) -> KVCache:
        """An empty KV cache: keys and values ``(B, H, 0, d_head)``."""
        if not self.causal:
            raise NeuralabError("a non-causal attention layer cannot generate token by token; "
                                "build the model with causal=True")
        device = device or self.qkv.weight.device
        dtype = dtype or self.qkv.weight.dtype
        empty = torch.zeros(batch_size, self.n_heads, 0, self.d_head, device=device, dtype=dtype)
        return empty, empty.clone()

    def step(self, x_t: torch.Tensor, state: KVCache) -> tuple[torch.Tensor, KVCache]:
        """One token ``(B, D)`` -> its output ``(B, D)`` and the cache with its key and value."""
        B, D = x_t.shape
        q, k, v = self.qkv(x_t).view(B, 3, self.n_heads, 1, self.d_head).unbind(1)  # (B, H, 1, dh)
        keys = torch.cat([state[0], k], dim=2)  # (B, H, t + 1, d_head)
        values = torch.cat([state[1], v], dim=2)
        y = F.scaled_dot_product_attention(q, keys, values)  # (B, H, 1, d_head): all past visible
        return self.out(y.reshape(B, D)), (keys, values)


@register("mixer", "softmax_attention", aliases=("attention", "mha"), tags={"vmap_safe"},
          paper="Attention Is All You Need", arxiv="1706.03762")
def softmax_attention(d_model: int, n_heads: int, causal: bool, *, dropout: float = 0.0,
                      bias: bool = True) -> MultiHeadSelfAttention:
    """Multi-head softmax self-attention (scaled_dot_product_attention)."""
    return MultiHeadSelfAttention(d_model, n_heads, causal, dropout=dropout, bias=bias)
