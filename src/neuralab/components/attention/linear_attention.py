"""Linear attention: a positive feature map instead of the softmax, so attention is an RNN.

Katharopoulos et al., "Transformers are RNNs: Fast Autoregressive Transformers with Linear
Attention" (arXiv:2006.16236), with ``phi(x) = elu(x) + 1``::

    y_t = phi(q_t)^T S_t / phi(q_t)^T z_t,      S_t = sum_{s<=t} phi(k_s) v_s^T,  z_t = sum phi(k_s)

(all ``s`` when not causal). The causal numerator and denominator are one gated-linear-attention
computation with no decay (:mod:`~neuralab.components.attention.linear_forms`; the denominator is
a value channel of ones), in any of its forms; :meth:`step` carries ``S`` and ``z`` together as a
``(B, H, d, d + 1)`` state.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from neuralab.components.attention import linear_forms
from neuralab.components.attention.linear_forms import Form
from neuralab.components.mixer_utils import check_heads, merge_heads, split_heads
from neuralab.registry import register


class LinearAttention(nn.Module):
    """Multi-head linear attention with the ``elu + 1`` feature map."""

    def __init__(self, d_model: int, n_heads: int, causal: bool, *, form: Form = "chunkwise",
                 chunk: int = 16, eps: float = 1e-6):
        super().__init__()
        self.n_heads, self.d_head = n_heads, check_heads(d_model, n_heads)
        self.causal, self.form, self.chunk, self.eps = causal, form, chunk, eps
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.out = nn.Linear(d_model, d_model)

    def _features(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        return F.elu(q) + 1, F.elu(k) + 1, v

    def _normalize(self, o: torch.Tensor) -> torch.Tensor:
        return o[..., :-1] / (o[..., -1:] + self.eps)  # numerator / denominator

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q, k, v = (split_heads(t, self.n_heads) for t in self._features(x))  # (B, H, T, d)
        v1 = torch.cat([v, torch.ones_like(v[..., :1])], dim=-1)  # (B, H, T, d + 1)
        if self.causal:
            o = linear_forms.compute(self.form, q, k, v1, q.new_zeros(1), self.chunk)
        else:
            o = q @ (k.transpose(-1, -2) @ v1)  # (B, H, T, d + 1)
        return self.out(merge_heads(self._normalize(o)))  # (B, T, D)

    def init_state(self, batch_size: int, device=None, dtype=None) -> torch.Tensor:
        return torch.zeros(batch_size, self.n_heads, self.d_head, self.d_head + 1, device=device,
                           dtype=dtype or self.out.weight.dtype)

    def step(self, x_t: torch.Tensor, state: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        B, D = x_t.shape
        q, k, v = (t.view(B, self.n_heads, self.d_head) for t in self._features(x_t))
        v1 = torch.cat([v, torch.ones_like(v[..., :1])], dim=-1)
        o, state = linear_forms.step(q, k, v1, q.new_zeros(1), state)
        return self.out(self._normalize(o).reshape(B, D)), state


@register("mixer", "linear_attention", tags={"vmap_safe"},
          paper="Transformers are RNNs: Fast Autoregressive Transformers with Linear Attention",
          arxiv="2006.16236")
def linear_attention(d_model: int, n_heads: int, causal: bool, *, form: Form = "chunkwise",
                     chunk: int = 16, eps: float = 1e-6) -> LinearAttention:
    """Linear attention with phi = elu + 1 (recurrent, chunkwise or parallel when causal)."""
    return LinearAttention(d_model, n_heads, causal, form=form, chunk=chunk, eps=eps)
