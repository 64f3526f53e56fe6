"""Gated Linear Attention: linear attention with a data-dependent decay on every key channel.

Yang et al., "Gated Linear Attention Transformers with Hardware-Efficient Training"
(arXiv:2312.06635)::

    S_t = diag(alpha_t) S_{t-1} + k_t^T v_t,      o_t = q_t S_t
    alpha_t = sigmoid(x_t W_a1 W_a2 + b_a)^(1/tau)             (low rank 16, tau = 16)
    y = (swish(x W_r) * LayerNorm_h(o)) W_O

``q`` and ``k`` (scaled by ``1/sqrt(d)``) and ``v`` are linear maps of ``x``. Training uses the
chunkwise form (states at chunk boundaries, the decayed attention matrix inside chunks); the
recurrent and parallel forms agree with it (:mod:`~neuralab.components.attention.linear_forms`).
:meth:`step` is the recurrent form, state ``S (B, H, d, d)``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from neuralab.components.attention import linear_forms
from neuralab.components.attention.linear_forms import Form
from neuralab.components.mixer_utils import check_heads, norm_heads, require_causal
from neuralab.registry import register


class GatedLinearAttention(linear_forms.GatedLinearMixer):
    """Multi-head GLA with low-rank data-dependent decays and an output gate."""

    def __init__(self, d_model: int, n_heads: int, causal: bool, *, form: Form = "chunkwise",
                 chunk: int = 16, gate_rank: int = 16, tau: float = 16.0):
        super().__init__()
        require_causal("gla", causal)
        self.n_heads, self.d_head = n_heads, check_heads(d_model, n_heads)
        self.form, self.chunk, self.tau = form, chunk, tau
        self.qkv = nn.Linear(d_model, 3 * d_model, bias=False)
        self.decay_down = nn.Linear(d_model, gate_rank, bias=False)
        self.decay_up = nn.Linear(gate_rank, d_model, bias=False)
        self.decay_bias = nn.Parameter(torch.zeros(d_model))  # alpha starts near 0.5^(1/tau)
        self.gate = nn.Linear(d_model, d_model, bias=False)
        self.norm = nn.GroupNorm(n_heads, d_model)
        self.out = nn.Linear(d_model, d_model, bias=False)

    def _inputs(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """``q, k, v, log_alpha``, each ``(..., D)``."""
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        log_alpha = F.logsigmoid(self.decay_up(self.decay_down(x)) + self.decay_bias) / self.tau
        return q, k / self.d_head**0.5, v, log_alpha

    def _finish(self, o: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return self.out(F.silu(self.gate(x)) * norm_heads(self.norm, o))


@register("mixer", "gla", aliases=("gated_linear_attention",), tags={"vmap_safe"},
          paper="Gated Linear Attention Transformers with Hardware-Efficient Training",
          arxiv="2312.06635")
def gla(d_model: int, n_heads: int, causal: bool, *, form: Form = "chunkwise", chunk: int = 16,
        gate_rank: int = 16, tau: float = 16.0) -> GatedLinearAttention:
    """Gated Linear Attention: data-dependent per-channel decay; chunkwise = recurrent = parallel."""
    return GatedLinearAttention(d_model, n_heads, causal, form=form, chunk=chunk,
                                gate_rank=gate_rank, tau=tau)
