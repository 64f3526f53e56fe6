"""HGRN: a gated linear RNN whose forget gate has a lower bound, with complex-valued states.

Qin et al., "Hierarchically Gated Recurrent Neural Network for Sequence Modeling"
(arXiv:2311.04823)::

    lambda_t = gamma + (1 - gamma) * sigmoid(W_f x_t)         forget gate, lower bound gamma
    c_t = silu(W_c x_t)                                       input
    h_t = lambda_t * exp(i theta) * h_{t-1} + (1 - lambda_t) * c_t        h in C^d
    y_t = W_o LayerNorm(silu(W_g x_t) * [Re h_t, Im h_t])

In the paper the lower bound rises with depth, ``gamma^k = cumsum(softmax(P))_k`` over layers
with ``P`` learned, so lower layers keep short memories and upper layers long ones. A mixer does
not know its depth, so here ``gamma`` (``lower_bound``) is a fixed hyper-parameter, 0 by default
as in the paper's first layer. The recurrence runs on
:func:`~neuralab.components.scan.linear_scan`; :meth:`step` is the recurrent form, state
``h (B, d)`` complex.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from neuralab.components.mixer_utils import require_causal
from neuralab.components.scan import ScanMethod, linear_scan
from neuralab.registry import register


class HGRN(nn.Module):
    """Hierarchically gated recurrent unit: lower-bounded forget gate, complex rotation."""

    def __init__(self, d_model: int, n_heads: int, causal: bool, *, lower_bound: float = 0.0,
                 scan: ScanMethod = "parallel"):
        super().__init__()
        require_causal("hgrn", causal)
        if not 0.0 <= lower_bound < 1.0:
            raise ValueError(f"lower_bound must be in [0, 1), got {lower_bound}")
        self.d_model, self.lower_bound, self.scan = d_model, lower_bound, scan
        self.forget = nn.Linear(d_model, d_model)
        self.input = nn.Linear(d_model, d_model)
        self.gate = nn.Linear(d_model, 2 * d_model)
        self.norm = nn.LayerNorm(2 * d_model)
        self.out = nn.Linear(2 * d_model, d_model)
        # learned rotation angles, starting from a rotary-style spread of frequencies
        self.theta = nn.Parameter(10000 ** (-torch.arange(d_model) / d_model))

    def coefficients(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        lam = self.lower_bound + (1 - self.lower_bound) * torch.sigmoid(self.forget(x))
        a = torch.polar(lam, self.theta.expand_as(lam))  # lambda * exp(i theta)
        b = ((1 - lam) * F.silu(self.input(x))).to(a.dtype)
        return a, b

    def _outputs(self, h: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.norm(F.silu(self.gate(x)) * torch.cat([h.real, h.imag], dim=-1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a, b = self.coefficients(x)  # (B, T, d) complex
        return self._outputs(linear_scan(a, b, method=self.scan), x)  # (B, T, D)

    def init_state(self, batch_size: int, device=None, dtype=None) -> torch.Tensor:
        return torch.zeros(batch_size, self.d_model, device=device, dtype=torch.complex64)

    def step(self, x_t: torch.Tensor, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        a, b = self.coefficients(x_t)
        h = a * h + b
        return self._outputs(h, x_t), h


@register("mixer", "hgrn", tags={"vmap_safe"},
          paper="Hierarchically Gated Recurrent Neural Network for Sequence Modeling",
          arxiv="2311.04823")
def hgrn(d_model: int, n_heads: int, causal: bool, *, lower_bound: float = 0.0,
         scan: ScanMethod = "parallel") -> HGRN:
    """HGRN (simplified: a fixed lower bound per mixer, not learned and rising with depth):
    lower-bounded forget gate, complex diagonal linear recurrence, output gate."""
    return HGRN(d_model, n_heads, causal, lower_bound=lower_bound, scan=scan)
