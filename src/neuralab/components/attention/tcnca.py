"""TCNCA: a dilated temporal convolution network followed by chunked softmax attention.

Terzić et al., "TCNCA: Temporal Convolution Network with Chunked Attention for Scalable Sequence
Processing" (arXiv:2312.05605) replace MEGA's exponential moving average by a dilated causal TCN
and keep MEGA's chunked attention, which attends only within non-overlapping chunks of
``chunk`` positions (linear cost in the length)::

    u = TCN(x)             depth-wise convolutions, kernel k, dilations 1, k, k^2, ..., GeLU, residual
    q, k = W_q u, W_k u;   v = W_v x
    y = W_o ChunkedAttention(q, k, v)      softmax(q k^T / sqrt(d) + M) v inside each chunk

The TCN's receptive field is ``1 + (k - 1)(1 + k + ... + k^(L-1))`` positions; when causal it pads
the past only and the attention is causal inside chunks. The chunked attention equals full
attention with a block-diagonal mask.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from neuralab.components.mixer_utils import check_heads, merge_heads, split_heads
from neuralab.registry import register


class TemporalConvNet(nn.Module):
    """Residual stack of depth-wise dilated convolutions (causal or centred) with GeLU."""

    def __init__(self, channels: int, kernel_size: int, levels: int, causal: bool):
        super().__init__()
        self.kernel_size, self.causal = kernel_size, causal
        self.dilations = [kernel_size**i for i in range(levels)]
        self.convs = nn.ModuleList(
            nn.Conv1d(channels, channels, kernel_size, dilation=d, groups=channels)
            for d in self.dilations)

    def receptive_field(self) -> int:
        return 1 + (self.kernel_size - 1) * sum(self.dilations)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x.transpose(1, 2)  # (B, D, T)
        for conv, d in zip(self.convs, self.dilations):
            span = (self.kernel_size - 1) * d
            pad = (span, 0) if self.causal else (span // 2, span - span // 2)
            h = h + F.gelu(conv(F.pad(h, pad)))
        return h.transpose(1, 2)  # (B, T, D)


def chunked_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, chunk: int,
                      causal: bool) -> torch.Tensor:
    """Softmax attention inside non-overlapping chunks; ``(B, H, T, d)`` in and out."""
    B, H, T, d = q.shape
    n = -(-T // chunk)
    pad = n * chunk - T
    if pad:  # padded keys are masked out; padded queries are dropped
        q, k, v = (F.pad(t, (0, 0, 0, pad)) for t in (q, k, v))
    valid = torch.arange(n * chunk, device=q.device).view(n, 1, chunk) < T  # (n, 1, C)
    mask = valid.expand(n, chunk, chunk)
    if causal:
        mask = mask & torch.ones(chunk, chunk, dtype=torch.bool, device=q.device).tril()
    q, k, v = (t.reshape(B, H, n, chunk, d) for t in (q, k, v))
    y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    return y.reshape(B, H, n * chunk, d)[:, :, :T]


class TCNCA(nn.Module):
    """TCN for queries and keys, then multi-head chunked attention."""

    def __init__(self, d_model: int, n_heads: int, causal: bool, *, chunk: int = 16,
                 kernel_size: int = 3, levels: int = 3):
        super().__init__()
        self.n_heads, self.causal, self.chunk = n_heads, causal, chunk
        check_heads(d_model, n_heads)
        self.tcn = TemporalConvNet(d_model, kernel_size, levels, causal)
        self.qk = nn.Linear(d_model, 2 * d_model)
        self.v = nn.Linear(d_model, d_model)
        self.out = nn.Linear(d_model, d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q, k = (split_heads(t, self.n_heads) for t in self.qk(self.tcn(x)).chunk(2, dim=-1))
        v = split_heads(self.v(x), self.n_heads)  # (B, H, T, d)
        y = chunked_attention(q, k, v, self.chunk, self.causal)
        return self.out(merge_heads(y))  # (B, T, D)


@register("mixer", "tcnca", tags={"vmap_safe"},
          paper="TCNCA: Temporal Convolution Network with Chunked Attention for Scalable Sequence "
          "Processing", arxiv="2312.05605")
def tcnca(d_model: int, n_heads: int, causal: bool, *, chunk: int = 16, kernel_size: int = 3,
          levels: int = 3) -> TCNCA:
    """Dilated TCN (replacing MEGA's EMA) for queries/keys, then attention within chunks."""
    return TCNCA(d_model, n_heads, causal, chunk=chunk, kernel_size=kernel_size, levels=levels)
