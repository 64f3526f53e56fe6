"""Local (sliding-window) softmax attention: each position attends to the last ``window`` ones.

De et al., "Griffin: Mixing Gated Linear Recurrences with Local Attention for Efficient Language
Models" (arXiv:2402.19427) interleave RG-LRU blocks (the ``hawk`` mixer) with local attention
(after Beltagy et al., "Longformer", arXiv:2004.05150)::

    y_i = softmax_{j : 0 <= i - j < w}(q_i . k_j / sqrt(d)) v_j        (causal)
    y_i = softmax_{j : |i - j| < w}(q_i . k_j / sqrt(d)) v_j           (not causal)

so the key-value cache of :meth:`LocalAttention.step` never holds more than ``window`` positions:
like a recurrence, the per-token cost and memory stay bounded however long the sequence.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from neuralab.components.mixer_utils import append_kv, check_heads, empty_kv, merge_heads, split_heads
from neuralab.registry import register


def band_mask(T: int, window: int, causal: bool, device=None) -> torch.Tensor:
    """``(T, T)`` boolean: query ``i`` may see key ``j``."""
    offset = torch.arange(T, device=device).view(T, 1) - torch.arange(T, device=device).view(1, T)
    return (offset >= 0) & (offset < window) if causal else offset.abs() < window


class LocalAttention(nn.Module):
    """Multi-head softmax attention restricted to a window of neighbouring positions."""

    def __init__(self, d_model: int, n_heads: int, causal: bool, *, window: int = 16,
                 bias: bool = True):
        super().__init__()
        if window < 1:
            raise ValueError(f"window must be >= 1, got {window}")
        self.n_heads, self.d_head = n_heads, check_heads(d_model, n_heads)
        self.causal, self.window = causal, window
        self.qkv = nn.Linear(d_model, 3 * d_model, bias=bias)
        self.out = nn.Linear(d_model, d_model, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q, k, v = (split_heads(t, self.n_heads) for t in self.qkv(x).chunk(3, dim=-1))  # (B, H, T, d)
        mask = band_mask(x.shape[1], self.window, self.causal, x.device)
        return self.out(merge_heads(F.scaled_dot_product_attention(q, k, v, attn_mask=mask)))

    def init_state(self, batch_size: int, device=None, dtype=None):
        """An empty key-value cache; it keeps the last ``window`` positions."""
        return empty_kv(batch_size, self.n_heads, self.d_head, device, dtype or self.out.weight.dtype)

    def step(self, x_t: torch.Tensor, cache):
        B, D = x_t.shape
        q, k, v = (t.view(B, self.n_heads, 1, self.d_head) for t in self.qkv(x_t).chunk(3, dim=-1))
        k_cache, v_cache = append_kv(cache, k[:, :, 0], v[:, :, 0])
        cache = (k_cache[:, :, -self.window:], v_cache[:, :, -self.window:])
        y = F.scaled_dot_product_attention(q, *cache)  # (B, H, 1, d)
        return self.out(y.reshape(B, D)), cache


@register("mixer", "local_attention", aliases=("sliding_window_attention",), tags={"vmap_safe"},
          paper="Griffin: Mixing Gated Linear Recurrences with Local Attention for Efficient "
          "Language Models", arxiv="2402.19427")
def local_attention(d_model: int, n_heads: int, causal: bool, *, window: int = 16,
                    bias: bool = True) -> LocalAttention:
    """Sliding-window softmax attention (Griffin's local attention): bounded cache."""
    return LocalAttention(d_model, n_heads, causal, window=window, bias=bias)
