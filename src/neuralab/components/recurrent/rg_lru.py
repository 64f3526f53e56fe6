"""Hawk's recurrent block: a short convolution and the Real-Gated Linear Recurrent Unit.

De et al., "Griffin: Mixing Gated Linear Recurrences with Local Attention for Efficient Language
Models" (arXiv:2402.19427). The RG-LRU, with ``c = 8`` and ``a = sigmoid(Lambda)`` learned::

    r_t = sigmoid(W_a x_t + b_a),   i_t = sigmoid(W_x x_t + b_x)     recurrence and input gates
    a_t = a^(c r_t)                                                 (log a_t = -c r_t softplus(-Lambda))
    h_t = a_t * h_{t-1} + sqrt(1 - a_t^2) * (i_t * x_t)

The recurrent block (Hawk's mixer): two branches of width ``d_rnn``; one is ``GeLU(W_1 x)``, the
other ``W_2 x`` through a causal depthwise convolution of width 4 and the RG-LRU; the output is
``W_3 (branch_1 * branch_2)``. ``Lambda`` starts so that ``a^c`` is uniform in [0.9, 0.999].
The recurrence runs on :func:`~neuralab.components.scan.linear_scan`; :meth:`step` is the
recurrent form, state ``(last conv inputs (B, 3, d_rnn), h (B, d_rnn))``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from neuralab.components.mixer_utils import require_causal
from neuralab.components.scan import ScanMethod, linear_scan
from neuralab.registry import register

C = 8.0


class HawkBlock(nn.Module):
    """Gated branch times (short conv -> RG-LRU) branch, projected back to ``d_model``."""

    def __init__(self, d_model: int, n_heads: int, causal: bool, *, d_rnn: int | None = None,
                 conv_width: int = 4, scan: ScanMethod = "parallel"):
        super().__init__()
        require_causal("hawk", causal)
        self.d_rnn, self.width, self.scan = d_rnn or d_model, conv_width, scan
        self.branches = nn.Linear(d_model, 2 * self.d_rnn)
        self.conv = nn.Conv1d(self.d_rnn, self.d_rnn, conv_width, groups=self.d_rnn)
        self.gates = nn.Linear(self.d_rnn, 2 * self.d_rnn)
        a_c = 0.9 + 0.099 * torch.rand(self.d_rnn)  # a^c uniform in [0.9, 0.999]
        a = a_c ** (1 / C)
        self.a_logit = nn.Parameter(torch.log(a / (1 - a)))  # Lambda, a = sigmoid(Lambda)
        self.out = nn.Linear(self.d_rnn, d_model)

    def coefficients(self, u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """RG-LRU ``(a_t, b_t)`` for the convolved branch ``u (..., d_rnn)``."""
        r, i = torch.sigmoid(self.gates(u)).chunk(2, dim=-1)
        log_a = -C * r * F.softplus(-self.a_logit)
        norm = torch.sqrt((-torch.expm1(2 * log_a)).clamp_min(1e-12))  # sqrt(1 - a_t^2)
        return log_a.exp(), norm * i * u

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate, u = self.branches(x).chunk(2, dim=-1)  # (B, T, d_rnn) each
        u = F.pad(u.transpose(1, 2), (self.width - 1, 0))  # causal: pad the past only
        u = self.conv(u).transpose(1, 2)  # (B, T, d_rnn)
        h = linear_scan(*self.coefficients(u), method=self.scan)
        return self.out(F.gelu(gate) * h)  # (B, T, D)

    def init_state(self, batch_size: int, device=None, dtype=None):
        dtype = dtype or self.out.weight.dtype
        return (torch.zeros(batch_size, self.width - 1, self.d_rnn, device=device, dtype=dtype),
                torch.zeros(batch_size, self.d_rnn, device=device, dtype=dtype))

    def step(self, x_t: torch.Tensor, state):
        window, h = state
        gate, u = self.branches(x_t).chunk(2, dim=-1)
        window = torch.cat([window, u.unsqueeze(1)], dim=1)  # (B, width, d_rnn)
        u = torch.einsum("bwd,dw->bd", window, self.conv.weight[:, 0]) + self.conv.bias
        a, b = self.coefficients(u)
        h = a * h + b
        return self.out(F.gelu(gate) * h), (window[:, 1:], h)


@register("mixer", "hawk", aliases=("rg_lru",), tags={"vmap_safe"},
          paper="Griffin: Mixing Gated Linear Recurrences with Local Attention for Efficient "
          "Language Models", arxiv="2402.19427")
def hawk(d_model: int, n_heads: int, causal: bool, *, d_rnn: int | None = None,
         conv_width: int = 4, scan: ScanMethod = "parallel") -> HawkBlock:
    """Hawk's recurrent block: GeLU gate times short conv + Real-Gated LRU."""
    return HawkBlock(d_model, n_heads, causal, d_rnn=d_rnn, conv_width=conv_width, scan=scan)
