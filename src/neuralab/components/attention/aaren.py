"""Aaren: softmax attention of a learned query over a growing prefix, computed as an RNN.

Feng et al., "Attention as an RNN" (arXiv:2405.13956). For a fixed query ``q`` (a learned token
per head) and keys/values ``k_i = W_k x_i, v_i = W_v x_i``, the output at ``t`` is
``o_t = softmax_{i<=t}(q . k_i / sqrt(d)) v_i``: many-to-many attention whose state is
constant-size. With ``s_i = q . k_i / sqrt(d)`` it is the ratio ``w_t / u_t`` of::

    m_t = max_{i<=t} s_i,   u_t = sum_{i<=t} exp(s_i - m_t),   w_t = sum_{i<=t} exp(s_i - m_t) v_i

and the triples combine associatively,
``(m_a, u_a, w_a) + (m_b, u_b, w_b) = (m, u_a e^{m_a-m} + u_b e^{m_b-m}, w_a e^{m_a-m} + w_b e^{m_b-m})``
with ``m = max(m_a, m_b)``, so all ``T`` outputs come from one parallel prefix scan
(:func:`~neuralab.components.scan.associative_scan`). :meth:`step` folds one token into
``(m, u, w)``. The outputs equal causal softmax attention with the query repeated at every
position. Heads are concatenated and projected.
"""

from __future__ import annotations

import torch
from torch import nn

from neuralab.components.mixer_utils import check_heads, merge_heads, require_causal, split_heads
from neuralab.components.scan import associative_scan
from neuralab.registry import register


def _combine(earlier, later):
    (m_a, u_a, w_a), (m_b, u_b, w_b) = earlier, later
    m = torch.maximum(m_a, m_b)
    ea, eb = torch.exp(m_a - m), torch.exp(m_b - m)
    return m, u_a * ea + u_b * eb, w_a * ea.unsqueeze(-1) + w_b * eb.unsqueeze(-1)


class Aaren(nn.Module):
    """Attention with a learned query per head over every prefix, by a parallel prefix scan."""

    def __init__(self, d_model: int, n_heads: int, causal: bool):
        super().__init__()
        require_causal("aaren", causal)
        self.n_heads, self.d_head = n_heads, check_heads(d_model, n_heads)
        self.kv = nn.Linear(d_model, 2 * d_model)
        self.query = nn.Parameter(torch.randn(n_heads, self.d_head) / self.d_head**0.5)
        self.out = nn.Linear(d_model, d_model)

    def _scores(self, k: torch.Tensor) -> torch.Tensor:
        return torch.einsum("bh...d,hd->bh...", k, self.query) / self.d_head**0.5

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        k, v = (split_heads(t, self.n_heads) for t in self.kv(x).chunk(2, dim=-1))  # (B, H, T, d)
        s = self._scores(k)  # (B, H, T)
        _, u, w = associative_scan(_combine, (s, torch.ones_like(s), v), dim=2)
        return self.out(merge_heads(w / u.unsqueeze(-1)))  # (B, T, D)

    def init_state(self, batch_size: int, device=None, dtype=None):
        """``(m, u, w)`` of the empty prefix: ``m = -inf``-like, ``u = 0``, ``w = 0``."""
        dtype = dtype or self.out.weight.dtype
        m = torch.full((batch_size, self.n_heads), -1e30, device=device, dtype=dtype)
        return m, torch.zeros_like(m), torch.zeros(batch_size, self.n_heads, self.d_head,
                                                   device=device, dtype=dtype)

    def step(self, x_t: torch.Tensor, state):
        B, D = x_t.shape
        k, v = (t.view(B, self.n_heads, self.d_head) for t in self.kv(x_t).chunk(2, dim=-1))
        m, u, w = _combine(state, (self._scores(k), torch.ones_like(state[1]), v))
        return self.out((w / u.unsqueeze(-1)).reshape(B, D)), (m, u, w)


@register("mixer", "aaren", tags={"vmap_safe"}, paper="Attention as an RNN", arxiv="2405.13956")
def aaren(d_model: int, n_heads: int, causal: bool) -> Aaren:
    """Attention as an RNN: learned-query softmax attention over prefixes by a parallel scan."""
    return Aaren(d_model, n_heads, causal)
