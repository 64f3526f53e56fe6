"""HGRN2: HGRN with an outer-product state expansion, i.e. gated linear attention.

Qin et al., "HGRN2: Gated Linear RNNs with State Expansion" (arXiv:2404.07904). The forget gate
``f_t`` (lower-bounded as in HGRN) becomes a per-key-channel decay, its complement ``1 - f_t`` the
key, so the state grows from ``d`` to ``d x d`` per head without new parameters::

    f_t = gamma + (1 - gamma) sigmoid(W_f x_t)
    S_t = diag(f_t) S_{t-1} + (1 - f_t)^T i_t,      i_t = W_i x_t          S: (d_head, d_head)
    o_t = q_t S_t,                                   q_t = silu(W_q x_t)
    y = W_o GroupNorm_h(o)

This is :mod:`~neuralab.components.attention.linear_forms` with ``k = 1 - f`` and
``log alpha = log f``: chunkwise, recurrent and parallel forms agree; :meth:`step` is the
recurrent form, state ``S (B, H, d, d)``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from neuralab.components.attention import linear_forms
from neuralab.components.attention.linear_forms import Form
from neuralab.components.mixer_utils import check_heads, norm_heads, require_causal
from neuralab.registry import register


class HGRN2(linear_forms.GatedLinearMixer):
    """HGRN with state expansion: lower-bounded forget gates as per-channel decays."""

    def __init__(self, d_model: int, n_heads: int, causal: bool, *, lower_bound: float = 0.0,
                 form: Form = "chunkwise", chunk: int = 16):
        super().__init__()
        require_causal("hgrn2", causal)
        if not 0.0 <= lower_bound < 1.0:
            raise ValueError(f"lower_bound must be in [0, 1), got {lower_bound}")
        self.n_heads, self.d_head = n_heads, check_heads(d_model, n_heads)
        self.lower_bound, self.form, self.chunk = lower_bound, form, chunk
        self.proj = nn.Linear(d_model, 3 * d_model)  # q, f, i
        self.norm = nn.GroupNorm(n_heads, d_model)
        self.out = nn.Linear(d_model, d_model)

    def _inputs(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """``q, k = 1 - f, v = i, log f``, each ``(..., D)``."""
        q, f, i = self.proj(x).chunk(3, dim=-1)
        f = self.lower_bound + (1 - self.lower_bound) * torch.sigmoid(f)
        return F.silu(q), 1 - f, i, torch.log(f)

    def _finish(self, o: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return self.out(norm_heads(self.norm, o))


@register("mixer", "hgrn2", tags={"vmap_safe"}, paper="HGRN2: Gated Linear RNNs with State Expansion",
          arxiv="2404.07904")
def hgrn2(d_model: int, n_heads: int, causal: bool, *, lower_bound: float = 0.0,
          form: Form = "chunkwise", chunk: int = 16) -> HGRN2:
    """HGRN2: outer-product state expansion of HGRN (a gated linear attention)."""
    return HGRN2(d_model, n_heads, causal, lower_bound=lower_bound, form=form, chunk=chunk)
