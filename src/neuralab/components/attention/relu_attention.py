"""Softmax-free attention: ReLU scores, scaled by sequence length or normalized after mixing.

Two papers replace the softmax by a ReLU and differ in how they keep the output's scale:

- Wortsman et al., "Replacing softmax with ReLU in Vision Transformers" (arXiv:2309.08586)
  divide by the sequence length ``L``: ``y = relu(q k^T / sqrt(d)) v / L``. With ``causal``
  the length is the number of keys a query sees, ``t + 1`` (the step form uses the same).
  Registered as ``relu_attention`` (``scale="seq_len"``).
- Zhang et al., "Sparse Attention with Linear Units" (ReLA, arXiv:2104.07012) leave the scores
  unscaled and normalize each head's output with RMSNorm (learned gain), optionally gated by
  ``sigmoid(W_g x)``: ``y = RMSNorm(relu(q k^T / sqrt(d)) v)``. Registered as ``rela``.

Scores are masked (causal) before the ReLU, so a head may give an all-zero row: it "switches
off", which softmax cannot. :meth:`ReLUAttention.step` keeps a key-value cache.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from neuralab.components.mixer_utils import append_kv, check_heads, empty_kv, merge_heads, split_heads
from neuralab.registry import register

Scale = Literal["seq_len", "none"]
HeadNorm = Literal["none", "rms"]


class ReLUAttention(nn.Module):
    """Multi-head attention with ``relu`` scores, length scaling, RMS norm and gate options."""

    def __init__(self, d_model: int, n_heads: int, causal: bool, *, scale: Scale = "seq_len",
                 norm: HeadNorm = "none", gate: bool = False, bias: bool = True):
        super().__init__()
        self.n_heads, self.d_head = n_heads, check_heads(d_model, n_heads)
        self.causal, self.scale, self.norm = causal, scale, norm
        self.qkv = nn.Linear(d_model, 3 * d_model, bias=bias)
        self.gain = nn.Parameter(torch.ones(self.d_head)) if norm == "rms" else None
        self.gate = nn.Linear(d_model, d_model) if gate else None
        self.out = nn.Linear(d_model, d_model, bias=bias)

    def _mix(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, causal: bool) -> torch.Tensor:
        """``(B, H, Tq, d)`` queries over ``(B, H, Tk, d)`` keys; causal aligns the last positions."""
        Tq, Tk = q.shape[2], k.shape[2]
        scores = torch.relu(q @ k.transpose(-1, -2) / self.d_head**0.5)  # (B, H, Tq, Tk)
        if causal:
            visible = torch.ones(Tq, Tk, dtype=torch.bool, device=q.device).tril(Tk - Tq)
            scores = scores * visible
            counts = visible.sum(-1, keepdim=True)  # keys each query sees: t + 1
        else:
            counts = torch.full((Tq, 1), Tk, device=q.device)
        if self.scale == "seq_len":
            scores = scores / counts.to(scores.dtype)
        y = scores @ v  # (B, H, Tq, d)
        if self.gain is not None:
            y = F.rms_norm(y, (self.d_head,), self.gain, eps=1e-6)
        return y

    def _finish(self, y: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        if self.gate is not None:
            y = y * torch.sigmoid(self.gate(x))
        return self.out(y)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q, k, v = (split_heads(t, self.n_heads) for t in self.qkv(x).chunk(3, dim=-1))  # (B, H, T, d)
        return self._finish(merge_heads(self._mix(q, k, v, self.causal)), x)  # (B, T, D)

    def init_state(self, batch_size: int, device=None, dtype=None):
        """An empty key-value cache."""
        return empty_kv(batch_size, self.n_heads, self.d_head, device, dtype or self.out.weight.dtype)

    def step(self, x_t: torch.Tensor, cache):
        B, D = x_t.shape
        q, k, v = (t.view(B, self.n_heads, self.d_head) for t in self.qkv(x_t).chunk(3, dim=-1))
        cache = append_kv(cache, k, v)
        y = self._mix(q.unsqueeze(2), *cache, causal=True)  # (B, H, 1, d)
        return self._finish(y.reshape(B, D), x_t), cache


@register("mixer", "relu_attention", tags={"vmap_safe"},
          paper="Replacing softmax with ReLU in Vision Transformers", arxiv="2309.08586")
def relu_attention(d_model: int, n_heads: int, causal: bool, *, scale: Scale = "seq_len",
                   bias: bool = True) -> ReLUAttention:
    """ReLU attention divided by the sequence length: relu(q k^T / sqrt(d)) v / L."""
    return ReLUAttention(d_model, n_heads, causal, scale=scale, bias=bias)


@register("mixer", "rela", tags={"vmap_safe"}, paper="Sparse Attention with Linear Units",
          arxiv="2104.07012")
def rela(d_model: int, n_heads: int, causal: bool, *, gate: bool = False,
         bias: bool = True) -> ReLUAttention:
    """Rectified linear attention: ReLU scores, RMSNorm on each head's output, optional gate."""
    return ReLUAttention(d_model, n_heads, causal, scale="none", norm="rms", gate=gate, bias=bias)
