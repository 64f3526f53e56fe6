"""Multi-scale retention (RetNet): causal linear attention with a fixed decay per head.

Sun et al., "Retentive Network: A Successor to Transformer for Large Language Models"
(arXiv:2307.08621). Per head ``h`` with decay ``gamma_h = 1 - 2^(-5 - h)``::

    parallel:    Retention(X) = (Q K^T * D) V,      D[n, m] = gamma^(n - m) if n >= m else 0
    recurrent:   S_n = gamma S_{n-1} + k_n^T v_n,   o_n = q_n S_n
    chunkwise:   the recurrent form across chunks, the parallel form inside them

with ``Q, K`` rotated by position (the paper's xPos is a rotary embedding with an extra scale;
the decay ``gamma`` already plays that role here, so plain rotary is used) and ``K`` scaled by
``1/sqrt(d)``. The block is ``MSR(X) = (swish(X W_G) * GroupNorm_h(Retention(X))) W_O``.
The three forms (:mod:`~neuralab.components.attention.linear_forms`) agree; :meth:`step` is
the recurrent form, state ``(S (B, H, d, d), position)``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from neuralab.components.attention import linear_forms
from neuralab.components.attention.linear_forms import Form
from neuralab.components.attention.rotary import rotary
from neuralab.components.mixer_utils import (
    check_heads,
    merge_heads,
    norm_heads,
    require_causal,
    split_heads,
)
from neuralab.registry import register


class MultiScaleRetention(nn.Module):
    """RetNet's retention with per-head decays, rotary positions, group norm and a swish gate."""

    def __init__(self, d_model: int, n_heads: int, causal: bool, *, form: Form = "chunkwise",
                 chunk: int = 16):
        super().__init__()
        require_causal("retnet", causal)
        self.n_heads, self.d_head = n_heads, check_heads(d_model, n_heads)
        self.form, self.chunk = form, chunk
        self.qkv = nn.Linear(d_model, 3 * d_model, bias=False)
        self.gate = nn.Linear(d_model, d_model, bias=False)
        self.norm = nn.GroupNorm(n_heads, d_model)
        self.out = nn.Linear(d_model, d_model, bias=False)
        gammas = 1 - 2.0 ** (-5 - torch.arange(n_heads, dtype=torch.float32))
        self.register_buffer("log_gamma", gammas.log().view(1, n_heads, 1, 1), persistent=False)

    def _qkv(self, x: torch.Tensor, positions: torch.Tensor) -> tuple[torch.Tensor, ...]:
        q, k, v = (split_heads(t, self.n_heads) for t in self.qkv(x).chunk(3, dim=-1))
        return rotary(q, positions), rotary(k, positions) / self.d_head**0.5, v  # (B, H, T, d)

    def _finish(self, o: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """``o (B, T, D)`` -> swish-gated, group-normed output ``(B, T, D)``."""
        return self.out(F.silu(self.gate(x)) * norm_heads(self.norm, o))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q, k, v = self._qkv(x, torch.arange(x.shape[1], device=x.device))
        o = linear_forms.compute(self.form, q, k, v, self.log_gamma, self.chunk)  # (B, H, T, d)
        return self._finish(merge_heads(o), x)  # (B, T, D)

    def init_state(self, batch_size: int, device=None, dtype=None):
        """``(S, position)``: a zero ``(B, H, d, d)`` state at position 0."""
        S = torch.zeros(batch_size, self.n_heads, self.d_head, self.d_head, device=device,
                        dtype=dtype or self.out.weight.dtype)
        return S, 0

    def step(self, x_t: torch.Tensor, state):
        S, position = state
        q, k, v = self._qkv(x_t.unsqueeze(1), torch.tensor([position], device=x_t.device))
        o, S = linear_forms.step(q[:, :, 0], k[:, :, 0], v[:, :, 0], self.log_gamma[..., 0], S)
        return self._finish(o.reshape(x_t.shape), x_t), (S, position + 1)


@register("mixer", "retnet", aliases=("retention",), tags={"vmap_safe"},
          paper="Retentive Network: A Successor to Transformer for Large Language Models",
          arxiv="2307.08621")
def retnet(d_model: int, n_heads: int, causal: bool, *, form: Form = "chunkwise",
           chunk: int = 16) -> MultiScaleRetention:
    """Multi-scale retention: parallel, recurrent or chunkwise (all equal)."""
    return MultiScaleRetention(d_model, n_heads, causal, form=form, chunk=chunk)
