"""Rotary position embeddings, and softmax attention with rotary queries and keys.

Su et al., "RoFormer: Enhanced Transformer with Rotary Position Embedding" (arXiv:2104.09864):
rotate each pair of query/key channels ``(x_j, x_{j + d/2})`` by the angle ``m * theta_j`` at
position ``m``, ``theta_j = base^(-2j/d)``::

    R_m x = x * cos(m theta) + rotate_half(x) * sin(m theta),   rotate_half(x1, x2) = (-x2, x1)

so that ``<R_m q, R_n k>`` depends on ``m - n`` only: attention scores see relative positions
and need no position embedding. (The pairing of channel ``j`` with ``j + d/2`` is the
GPT-NeoX layout; the paper pairs neighbours, which is the same up to a fixed permutation.)

``rope_attention`` is multi-head softmax attention (``scaled_dot_product_attention``) on rotated
queries and keys; its :meth:`~RotaryAttention.step` keeps a key-value cache of rotated keys.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from neuralab.components.mixer_utils import append_kv, check_heads, empty_kv, merge_heads, split_heads
from neuralab.registry import register


def rotary(x: torch.Tensor, positions: torch.Tensor, base: float = 10000.0) -> torch.Tensor:
    """Rotate ``x (..., T, d)`` (``d`` even) by its ``positions (T,)``."""
    d = x.shape[-1]
    if d % 2:
        raise ValueError(f"rotary embeddings need an even head width, got {d}")
    theta = base ** (-torch.arange(0, d // 2, device=x.device, dtype=torch.float32) * 2 / d)
    angles = positions.to(torch.float32)[:, None] * theta  # (T, d/2)
    cos, sin = angles.cos().repeat(1, 2).to(x.dtype), angles.sin().repeat(1, 2).to(x.dtype)
    x1, x2 = x[..., : d // 2], x[..., d // 2:]
    return x * cos + torch.cat([-x2, x1], dim=-1) * sin


class RotaryAttention(nn.Module):
    """Multi-head softmax self-attention with rotary position embeddings on queries and keys."""

    def __init__(self, d_model: int, n_heads: int, causal: bool, *, base: float = 10000.0,
                 bias: bool = True):
        super().__init__()
        self.n_heads, self.d_head = n_heads, check_heads(d_model, n_heads)
        self.causal, self.base = causal, base
        self.qkv = nn.Linear(d_model, 3 * d_model, bias=bias)
        self.out = nn.Linear(d_model, d_model, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q, k, v = (split_heads(t, self.n_heads) for t in self.qkv(x).chunk(3, dim=-1))  # (B, H, T, d)
        pos = torch.arange(x.shape[1], device=x.device)
        q, k = rotary(q, pos, self.base), rotary(k, pos, self.base)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=self.causal)
        return self.out(merge_heads(y))  # (B, T, D)

    def init_state(self, batch_size: int, device=None, dtype=None):
        """An empty key-value cache (keys already rotated)."""
        return empty_kv(batch_size, self.n_heads, self.d_head, device, dtype or self.out.weight.dtype)

    def step(self, x_t: torch.Tensor, cache):
        B, D = x_t.shape
        q, k, v = (t.view(B, self.n_heads, 1, self.d_head) for t in self.qkv(x_t).chunk(3, dim=-1))
        pos = torch.tensor([cache[0].shape[2]], device=x_t.device)
        q, k = rotary(q, pos, self.base), rotary(k, pos, self.base)
        cache = append_kv(cache, k[:, :, 0], v[:, :, 0])
        y = F.scaled_dot_product_attention(q, *cache)  # (B, H, 1, d): all cached keys are past
        return self.out(y.reshape(B, D)), cache


@register("mixer", "rope_attention", aliases=("rotary_attention",), tags={"vmap_safe"},
          paper="RoFormer: Enhanced Transformer with Rotary Position Embedding", arxiv="2104.09864")
def rope_attention(d_model: int, n_heads: int, causal: bool, *, base: float = 10000.0,
                   bias: bool = True) -> RotaryAttention:
    """Softmax attention with rotary position embeddings (RoPE) on queries and keys."""
    return RotaryAttention(d_model, n_heads, causal, base=base, bias=bias)
