"""A diagonal state-space model (S4D): complex diagonal ``A``, zero-order hold, FFT convolution.

Gu et al., "On the Parameterization and Initialization of Diagonal State Space Models"
(arXiv:2206.11893). Per channel, ``N/2`` complex states (with their conjugates, ``N`` real ones)::

    A_n = -exp(a_n) + i b_n          S4D-Lin init: A_n = -1/2 + i pi n
    A_bar = exp(dt A),   B_bar = (exp(dt A) - 1) / A * B        (zero-order hold, B = 1)
    K_l = 2 Re(sum_n C_n B_bar_n A_bar_n^l)                     (the Vandermonde kernel)

Recurrent form: ``x_t = A_bar x_{t-1} + B_bar u_t``, ``y_t = 2 Re(C x_t) + D u_t``;
convolutional form: ``y = K * u + D u`` (FFT). They agree. The mixer output is ``W_o GeLU(y)``;
:meth:`step` is the recurrent form, state ``x (B, D, N/2)`` complex.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from neuralab.components.mixer_utils import require_causal
from neuralab.components.ssm.lssl import KernelSSM, SSMForm, log_uniform_steps
from neuralab.registry import register


class S4D(KernelSSM):
    """Diagonal SSM per channel with S4D-Lin initialization."""

    def __init__(self, d_model: int, n_heads: int, causal: bool, *, d_state: int = 32,
                 dt_min: float = 1e-3, dt_max: float = 1e-1, form: SSMForm = "convolution"):
        super().__init__()
        require_causal("s4d", causal)
        if d_state < 2 or d_state % 2:
            raise ValueError(f"d_state must be even and >= 2 (conjugate pairs), got {d_state}")
        self.form = form
        half = d_state // 2
        self.log_dt = nn.Parameter(log_uniform_steps(d_model, dt_min, dt_max))
        self.log_neg_re = nn.Parameter(torch.full((d_model, half), math.log(0.5)))
        self.im = nn.Parameter(math.pi * torch.arange(half, dtype=torch.float32).repeat(d_model, 1))
        self.C_re = nn.Parameter(torch.randn(d_model, half) * math.sqrt(0.5))
        self.C_im = nn.Parameter(torch.randn(d_model, half) * math.sqrt(0.5))
        self.D = nn.Parameter(torch.randn(d_model))
        self.out = nn.Linear(d_model, d_model)

    def discretize(self) -> tuple[torch.Tensor, torch.Tensor]:
        """``A_bar, B_bar`` (D, N/2) complex by zero-order hold."""
        A = torch.complex(-self.log_neg_re.exp(), self.im)
        dtA = A * self.log_dt.exp().unsqueeze(-1)
        A_bar = dtA.exp()
        return A_bar, (A_bar - 1) / A

    def kernel(self, length: int) -> torch.Tensor:
        """``K (D, length) = 2 Re(sum_n C_n B_bar_n A_bar_n^l)``."""
        A_bar, B_bar = self.discretize()
        powers = A_bar.unsqueeze(-1) ** torch.arange(length, device=A_bar.device)  # (D, N/2, L)
        CB = torch.complex(self.C_re, self.C_im) * B_bar
        return 2 * torch.einsum("dn,dnl->dl", CB, powers).real

    def init_state(self, batch_size: int, device=None, dtype=None) -> torch.Tensor:
        return torch.zeros(batch_size, *self.C_re.shape, device=device, dtype=torch.complex64)

    def step(self, u_t: torch.Tensor, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        A_bar, B_bar = self.discretize()
        x = A_bar * x + B_bar * u_t.unsqueeze(-1)  # (B, D, N/2)
        y = 2 * (torch.complex(self.C_re, self.C_im) * x).sum(-1).real + self.D * u_t
        return self.out(F.gelu(y)), x


@register("mixer", "s4d", aliases=("diagonal_ssm",), tags={"vmap_safe"},
          paper="On the Parameterization and Initialization of Diagonal State Space Models",
          arxiv="2206.11893")
def s4d(d_model: int, n_heads: int, causal: bool, *, d_state: int = 32, dt_min: float = 1e-3,
        dt_max: float = 1e-1, form: SSMForm = "convolution") -> S4D:
    """Diagonal SSM (S4D-Lin, zero-order hold): convolution form = recurrent form."""
    return S4D(d_model, n_heads, causal, d_state=d_state, dt_min=dt_min, dt_max=dt_max, form=form)
