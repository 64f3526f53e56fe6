"""A linear recurrence with multiplicative gating on its input and output.

Zucchet et al., "Gated recurrent neural networks discover attention" (arXiv:2309.01775): modern
RNNs combine a diagonal linear recurrence with multiplicative (GLU-style) gates, and with gates
the layer can implement linear self-attention exactly (the input gate forms ``k v^T``-like
products that the recurrence sums, the output gate reads them with a query)::

    gated:     h_t = lambda * h_{t-1} + (W_v x_t) * (W_k x_t);    y_t = W_o ((W_h h_t) * (W_q x_t))
    ungated:   h_t = lambda * h_{t-1} + W_v x_t;                  y_t = W_o W_h h_t

with ``lambda = sigmoid(nu)`` in (0, 1) per channel, learned, starting uniform in [0.9, 0.999].
``gated=False`` is the control without multiplicative interactions (a linear time-invariant
filter). The recurrence runs on :func:`~neuralab.components.scan.linear_scan`; :meth:`step` is
the recurrent form, state ``h (B, N)``.
"""

from __future__ import annotations

import torch
from torch import nn

from neuralab.components.mixer_utils import require_causal
from neuralab.components.scan import ScanMethod, linear_scan
from neuralab.registry import register


class GatedLinearRNN(nn.Module):
    """Diagonal linear recurrence with (optional) multiplicative input and output gates."""

    def __init__(self, d_model: int, n_heads: int, causal: bool, *, gated: bool = True,
                 d_state: int | None = None, scan: ScanMethod = "parallel"):
        super().__init__()
        require_causal("gated_linear_rnn", causal)
        self.gated, self.scan = gated, scan
        self.d_state = d_state or d_model
        N = self.d_state
        self.value = nn.Linear(d_model, N)
        self.key = nn.Linear(d_model, N) if gated else None
        self.readout = nn.Linear(N, d_model)
        self.query = nn.Linear(d_model, d_model) if gated else None
        self.out = nn.Linear(d_model, d_model)
        lam = 0.9 + 0.099 * torch.rand(N)
        self.nu = nn.Parameter(torch.log(lam / (1 - lam)))

    def _inputs(self, x: torch.Tensor) -> torch.Tensor:
        b = self.value(x)
        return b * self.key(x) if self.key is not None else b

    def _outputs(self, h: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        y = self.readout(h)
        if self.query is not None:
            y = y * self.query(x)
        return self.out(y)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = linear_scan(torch.sigmoid(self.nu), self._inputs(x), method=self.scan)  # (B, T, N)
        return self._outputs(h, x)  # (B, T, D)

    def init_state(self, batch_size: int, device=None, dtype=None) -> torch.Tensor:
        return torch.zeros(batch_size, self.d_state, device=device, dtype=dtype or self.out.weight.dtype)

    def step(self, x_t: torch.Tensor, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = torch.sigmoid(self.nu) * h + self._inputs(x_t)
        return self._outputs(h, x_t), h


@register("mixer", "gated_linear_rnn", tags={"vmap_safe"},
          paper="Gated recurrent neural networks discover attention", arxiv="2309.01775")
def gated_linear_rnn(d_model: int, n_heads: int, causal: bool, *, gated: bool = True,
                     d_state: int | None = None, scan: ScanMethod = "parallel") -> GatedLinearRNN:
    """Linear recurrence with multiplicative input/output gates (gated=False: the ungated control)."""
    return GatedLinearRNN(d_model, n_heads, causal, gated=gated, d_state=d_state, scan=scan)
