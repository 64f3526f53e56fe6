"""minGRU and minLSTM: GRU and LSTM whose gates read only the input, so they train by a scan.

Feng et al., "Were RNNs All We Needed?" (arXiv:2410.01201). Dropping the hidden state from the
gates and the candidate makes the update a linear recurrence ``h_t = a_t * h_{t-1} + b_t``
(:func:`neuralab.components.scan.linear_scan`)::

    minGRU:   z_t = sigma(W_z x_t),  h~_t = W_h x_t,         h_t = (1 - z_t) h_{t-1} + z_t h~_t
    minLSTM:  f_t = sigma(W_f x_t),  i_t = sigma(W_i x_t),  h~_t = W_h x_t,
              f'_t = f_t / (f_t + i_t),  i'_t = i_t / (f_t + i_t),   h_t = f'_t h_{t-1} + i'_t h~_t

With hidden size ``d_model`` they have ``2 d (d + 1)`` and ``3 d (d + 1)`` parameters, against
``3 (2 d^2 + 2 d)`` and ``4 (2 d^2 + 2 d)`` for ``torch.nn.GRU`` / ``torch.nn.LSTM``. ``scan``
picks the form (parallel, sequential or chunked); :meth:`step` is the recurrent form, state
``h (B, D)``. ``n_heads`` is accepted for the mixer signature and unused.
"""

from __future__ import annotations

import torch
from torch import nn

from neuralab.components.mixer_utils import require_causal
from neuralab.components.scan import ScanMethod, linear_scan
from neuralab.registry import register

PAPER = dict(paper="Were RNNs All We Needed?", arxiv="2410.01201")


class _MinRNN(nn.Module):
    gates = 2

    def __init__(self, d_model: int, n_heads: int, causal: bool, *, scan: ScanMethod = "parallel"):
        super().__init__()
        require_causal(type(self).__name__, causal)
        self.d_model, self.scan = d_model, scan
        self.proj = nn.Linear(d_model, self.gates * d_model)

    def coefficients(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(a, b)`` of the recurrence for inputs ``x (..., D)``."""
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a, b = self.coefficients(x)  # (B, T, D) each
        return linear_scan(a, b, method=self.scan)  # (B, T, D)

    def init_state(self, batch_size: int, device=None, dtype=None) -> torch.Tensor:
        return torch.zeros(batch_size, self.d_model, device=device, dtype=dtype or self.proj.weight.dtype)

    def step(self, x_t: torch.Tensor, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        a, b = self.coefficients(x_t)  # (B, D)
        h = a * h + b
        return h, h


class MinGRU(_MinRNN):
    """minGRU: ``h_t = (1 - z_t) h_{t-1} + z_t h~_t`` with input-only gates."""

    gates = 2

    def coefficients(self, x):
        z, cand = self.proj(x).chunk(2, dim=-1)
        z = torch.sigmoid(z)
        return 1 - z, z * cand


class MinLSTM(_MinRNN):
    """minLSTM: normalized forget and input gates read the input only."""

    gates = 3

    def coefficients(self, x):
        f, i, cand = self.proj(x).chunk(3, dim=-1)
        f, i = torch.sigmoid(f), torch.sigmoid(i)
        total = f + i
        return f / total, i / total * cand


@register("mixer", "min_gru", tags={"vmap_safe"}, **PAPER)
def min_gru(d_model: int, n_heads: int, causal: bool, *, scan: ScanMethod = "parallel") -> MinGRU:
    """minGRU: gates from the input only, trained by a parallel scan."""
    return MinGRU(d_model, n_heads, causal, scan=scan)


@register("mixer", "min_lstm", tags={"vmap_safe"}, **PAPER)
def min_lstm(d_model: int, n_heads: int, causal: bool, *, scan: ScanMethod = "parallel") -> MinLSTM:
    """minLSTM: normalized input-only gates, trained by a parallel scan."""
    return MinLSTM(d_model, n_heads, causal, scan=scan)
