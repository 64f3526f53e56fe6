"""The Linear Recurrent Unit: a complex diagonal linear recurrence with a stable parametrization.

Orvieto et al., "Resurrecting Recurrent Neural Networks for Long Sequences" (arXiv:2303.06349)::

    h_t = lambda * h_{t-1} + gamma * (B x_t)          h in C^N, lambda in C^N (diagonal)
    y_t = Re(C h_t) + D * x_t

    lambda = exp(-exp(nu) + i exp(theta)),   gamma = sqrt(1 - |lambda|^2)   (normalization)

Initialization ("ring init"): ``|lambda|`` uniform on the ring ``[r_min, r_max]`` of the complex
plane, phase uniform in ``[0, max_phase]``; ``B, C`` complex Gaussian scaled by ``1/sqrt(2 d)``
and ``1/sqrt(N)``. ``exp(-exp(nu))`` keeps ``|lambda| < 1`` for any ``nu``. The recurrence runs
on :func:`~neuralab.components.scan.linear_scan` (``scan`` picks the form); :meth:`step` is the
recurrent form with state ``h (B, N)`` complex.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from neuralab.components.mixer_utils import require_causal
from neuralab.components.scan import ScanMethod, linear_scan
from neuralab.registry import register


class LRU(nn.Module):
    """Linear Recurrent Unit mapping ``(B, T, D) -> (B, T, D)`` through an ``N``-dim complex state."""

    def __init__(self, d_model: int, n_heads: int, causal: bool, *, d_state: int | None = None,
                 r_min: float = 0.9, r_max: float = 0.999, max_phase: float = 2 * math.pi,
                 scan: ScanMethod = "parallel"):
        super().__init__()
        require_causal("lru", causal)
        if not 0 <= r_min < r_max < 1:
            raise ValueError(f"need 0 <= r_min < r_max < 1, got r_min={r_min}, r_max={r_max}")
        N = d_state or d_model
        self.scan = scan
        u1, u2 = torch.rand(N), torch.rand(N)
        nu = torch.log(-0.5 * torch.log(u1 * (r_max**2 - r_min**2) + r_min**2))
        theta = torch.log(max_phase * u2)
        self.nu_log = nn.Parameter(nu)
        self.theta_log = nn.Parameter(theta)
        modulus = torch.exp(-torch.exp(nu))
        self.gamma_log = nn.Parameter(torch.log(torch.sqrt(1 - modulus**2)))
        self.B_re = nn.Parameter(torch.randn(N, d_model) / math.sqrt(2 * d_model))
        self.B_im = nn.Parameter(torch.randn(N, d_model) / math.sqrt(2 * d_model))
        self.C_re = nn.Parameter(torch.randn(d_model, N) / math.sqrt(N))
        self.C_im = nn.Parameter(torch.randn(d_model, N) / math.sqrt(N))
        self.D = nn.Parameter(torch.randn(d_model))

    def eigenvalues(self) -> torch.Tensor:
        """``lambda`` (N,), complex, inside the unit disk."""
        return torch.exp(torch.complex(-torch.exp(self.nu_log), torch.exp(self.theta_log)))

    def _inputs(self, x: torch.Tensor) -> torch.Tensor:
        B = torch.complex(self.B_re, self.B_im) * torch.exp(self.gamma_log).unsqueeze(-1)
        return x.to(B.dtype) @ B.T  # (..., N) complex

    def _outputs(self, h: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return h.real @ self.C_re.T - h.imag @ self.C_im.T + self.D * x  # Re(C h) + D x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = linear_scan(self.eigenvalues(), self._inputs(x), method=self.scan)  # (B, T, N)
        return self._outputs(h, x)  # (B, T, D)

    def init_state(self, batch_size: int, device=None, dtype=None) -> torch.Tensor:
        return torch.zeros(batch_size, self.nu_log.shape[0], device=device, dtype=torch.complex64)

    def step(self, x_t: torch.Tensor, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.eigenvalues() * h + self._inputs(x_t)  # (B, N)
        return self._outputs(h, x_t), h


@register("mixer", "lru", tags={"vmap_safe"},
          paper="Resurrecting Recurrent Neural Networks for Long Sequences", arxiv="2303.06349")
def lru(d_model: int, n_heads: int, causal: bool, *, d_state: int | None = None,
        r_min: float = 0.9, r_max: float = 0.999, max_phase: float = 2 * math.pi,
        scan: ScanMethod = "parallel") -> LRU:
    """Linear Recurrent Unit: complex diagonal recurrence, exponential parametrization, ring init."""
    return LRU(d_model, n_heads, causal, d_state=d_state, r_min=r_min, r_max=r_max,
               max_phase=max_phase, scan=scan)
