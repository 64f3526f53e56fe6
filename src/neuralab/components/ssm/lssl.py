"""The Linear State-Space Layer: a HiPPO state-space model run as a recurrence or a convolution.

Gu et al., "Combining Recurrent, Convolutional, and Continuous-time Models with Linear
State-Space Layers" (arXiv:2110.13985). Each of the ``D`` channels is a continuous-time system
``x' = A x + B u, y = C x + D u`` with ``N`` states, ``A, B`` the HiPPO-LegS matrices (Gu et al.,
"HiPPO", arXiv:2008.07669)::

    A[n, k] = -sqrt((2n + 1)(2k + 1)) if n > k,   -(n + 1) if n = k,   0 if n < k
    B[n] = sqrt(2n + 1)

discretized with a learned step ``dt`` per channel by the bilinear transform::

    A_bar = (I - dt/2 A)^-1 (I + dt/2 A),      B_bar = (I - dt/2 A)^-1 dt B

Recurrent form: ``x_t = A_bar x_{t-1} + B_bar u_t, y_t = C x_t + D u_t``. Convolutional form:
``y = K * u + D u`` with the kernel ``K = (C B_bar, C A_bar B_bar, ..., C A_bar^{T-1} B_bar)``,
applied by FFT. The two agree; ``C``, ``D`` and ``dt`` are learned, ``A`` and ``B`` fixed. The
mixer output is ``W_o GeLU(y)``; :meth:`step` is the recurrent form, state ``x (B, D, N)``.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from neuralab.components.mixer_utils import require_causal, step_through
from neuralab.registry import register

SSMForm = Literal["convolution", "recurrent"]


def hippo_legs(N: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The HiPPO-LegS ``A (N, N)`` and ``B (N,)``."""
    n = torch.arange(N, dtype=torch.float64)
    root = torch.sqrt(2 * n + 1)
    A = -(root[:, None] * root[None, :]).tril(-1) - torch.diag(n + 1)
    return A.float(), root.float()


def causal_convolution(u: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """``y_t = sum_{l<=t} K_l u_{t-l}`` per channel by FFT: ``u (B, T, D)``, ``K (D, T)``."""
    T = u.shape[1]
    n = 2 * T  # zero-padding makes the circular convolution linear
    U = torch.fft.rfft(u.transpose(1, 2), n=n)  # (B, D, n/2 + 1)
    Kf = torch.fft.rfft(kernel, n=n)
    return torch.fft.irfft(U * Kf, n=n)[..., :T].transpose(1, 2)  # (B, T, D)


def log_uniform_steps(d: int, dt_min: float, dt_max: float) -> torch.Tensor:
    """``log dt`` drawn log-uniformly from ``[dt_min, dt_max]``, one per channel."""
    return math.log(dt_min) + torch.rand(d) * (math.log(dt_max) - math.log(dt_min))


class KernelSSM(nn.Module):
    """Shared by the state-space mixers: ``forward`` by ``form``, from ``kernel`` or ``step``.

    Subclasses define ``kernel(length) -> (D, length)``, ``step``, ``init_state``, a skip ``D``
    and the output map ``out``; the output is ``W_o GeLU(K * u + D u)``.
    """

    form: SSMForm

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        if self.form == "recurrent":
            return step_through(self, u)
        y = causal_convolution(u, self.kernel(u.shape[1])) + self.D * u  # (B, T, D)
        return self.out(F.gelu(y))


class LSSL(KernelSSM):
    """One HiPPO-LegS state-space model per channel, bilinear discretization, learned dt."""

    def __init__(self, d_model: int, n_heads: int, causal: bool, *, d_state: int = 32,
                 dt_min: float = 1e-3, dt_max: float = 1e-1, form: SSMForm = "convolution"):
        super().__init__()
        require_causal("lssl", causal)
        self.form = form
        A, B = hippo_legs(d_state)
        self.register_buffer("A", A, persistent=False)
        self.register_buffer("B", B, persistent=False)
        self.log_dt = nn.Parameter(log_uniform_steps(d_model, dt_min, dt_max))
        self.C = nn.Parameter(torch.randn(d_model, d_state) / math.sqrt(d_state))
        self.D = nn.Parameter(torch.randn(d_model))
        self.out = nn.Linear(d_model, d_model)

    def discretize(self) -> tuple[torch.Tensor, torch.Tensor]:
        """``A_bar (D, N, N)`` and ``B_bar (D, N)`` by the bilinear transform."""
        dt = self.log_dt.exp()[:, None, None]  # (D, 1, 1)
        eye = torch.eye(self.A.shape[0], device=dt.device)
        left = eye - dt / 2 * self.A
        A_bar = torch.linalg.solve(left, eye + dt / 2 * self.A)
        B_bar = torch.linalg.solve(left, dt[..., 0] * self.B)
        return A_bar, B_bar

    def kernel(self, length: int) -> torch.Tensor:
        """``K (D, length)``: ``K_l = C A_bar^l B_bar`` per channel."""
        A_bar, v = self.discretize()
        taps = []
        for _ in range(length):
            taps.append((self.C * v).sum(-1))
            v = torch.einsum("dnk,dk->dn", A_bar, v)
        return torch.stack(taps, dim=-1)

    def init_state(self, batch_size: int, device=None, dtype=None) -> torch.Tensor:
        return torch.zeros(batch_size, *self.C.shape, device=device, dtype=dtype or self.C.dtype)

    def step(self, u_t: torch.Tensor, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        A_bar, B_bar = self.discretize()
        x = torch.einsum("dnk,bdk->bdn", A_bar, x) + B_bar * u_t.unsqueeze(-1)  # (B, D, N)
        y = (self.C * x).sum(-1) + self.D * u_t
        return self.out(F.gelu(y)), x


@register("mixer", "lssl", tags={"vmap_safe"},
          paper="Combining Recurrent, Convolutional, and Continuous-time Models with Linear "
          "State-Space Layers", arxiv="2110.13985")
def lssl(d_model: int, n_heads: int, causal: bool, *, d_state: int = 32, dt_min: float = 1e-3,
         dt_max: float = 1e-1, form: SSMForm = "convolution") -> LSSL:
    """Linear State-Space Layer (simplified: A and B fixed at HiPPO-LegS, not learned; bilinear):
    convolution form = recurrent form."""
    return LSSL(d_model, n_heads, causal, d_state=d_state, dt_min=dt_min, dt_max=dt_max, form=form)
