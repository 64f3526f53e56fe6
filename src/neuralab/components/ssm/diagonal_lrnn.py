"""A diagonal linear RNN with input-dependent transitions, eigenvalues in [0, 1] or [-1, 1].

Grazzi et al., "Unlocking State-Tracking in Linear RNNs Through Negative Eigenvalues"
(arXiv:2411.12537), after Sarrof et al. (arXiv:2405.17394): a diagonal linear RNN (the Mamba
family) whose transition ``a_t`` lies in ``[0, 1]`` cannot track parity at arbitrary length in
finite precision; mapping it to ``[-1, 1]`` (``a -> 2a - 1``) fixes that::

    a_t = sigma(W_a x_t)            (negative_eigenvalues=False: a_t in (0, 1))
    a_t = 2 sigma(W_a x_t) - 1      (negative_eigenvalues=True:  a_t in (-1, 1))
    h_t = a_t * h_{t-1} + W_b x_t                                  h in R^N
    y_t = W_o (h_t * silu(W_g x_t))                                output gate as in Mamba

With ``a`` = -1 on a "1" and +1 on a "0" the state's sign is the running parity, which is why
the [-1, 1] range can solve it. The recurrence runs on
:func:`~neuralab.components.scan.linear_scan`; :meth:`step` is the recurrent form, state ``h (B, N)``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from neuralab.components.mixer_utils import require_causal
from neuralab.components.scan import ScanMethod, linear_scan
from neuralab.registry import register


class DiagonalLRNN(nn.Module):
    """Input-dependent diagonal linear recurrence with a selectable eigenvalue range."""

    def __init__(self, d_model: int, n_heads: int, causal: bool, *, d_state: int | None = None,
                 negative_eigenvalues: bool = False, scan: ScanMethod = "parallel"):
        super().__init__()
        require_causal("diagonal_lrnn", causal)
        self.d_state = d_state or d_model
        self.negative_eigenvalues, self.scan = negative_eigenvalues, scan
        self.transition = nn.Linear(d_model, self.d_state)
        self.input = nn.Linear(d_model, self.d_state, bias=False)
        self.gate = nn.Linear(d_model, self.d_state)
        self.out = nn.Linear(self.d_state, d_model)

    def transitions(self, x: torch.Tensor) -> torch.Tensor:
        """``a_t`` for inputs ``x (..., D)``: in (0, 1), or in (-1, 1) with negative eigenvalues."""
        a = torch.sigmoid(self.transition(x))
        return 2 * a - 1 if self.negative_eigenvalues else a

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = linear_scan(self.transitions(x), self.input(x), method=self.scan)  # (B, T, N)
        return self.out(h * F.silu(self.gate(x)))  # (B, T, D)

    def init_state(self, batch_size: int, device=None, dtype=None) -> torch.Tensor:
        return torch.zeros(batch_size, self.d_state, device=device, dtype=dtype or self.out.weight.dtype)

    def step(self, x_t: torch.Tensor, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.transitions(x_t) * h + self.input(x_t)  # (B, N)
        return self.out(h * F.silu(self.gate(x_t))), h


@register("mixer", "diagonal_lrnn", tags={"vmap_safe"},
          paper="Unlocking State-Tracking in Linear RNNs Through Negative Eigenvalues",
          arxiv="2411.12537")
def diagonal_lrnn(d_model: int, n_heads: int, causal: bool, *, d_state: int | None = None,
                  negative_eigenvalues: bool = False, scan: ScanMethod = "parallel") -> DiagonalLRNN:
    """Diagonal linear RNN with input-dependent transitions in [0, 1] or (negative) [-1, 1]."""
    return DiagonalLRNN(d_model, n_heads, causal, d_state=d_state,
                        negative_eigenvalues=negative_eigenvalues, scan=scan)
