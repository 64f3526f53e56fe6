"""RWKV time mixing: token shift and an exponentially decaying, normalized weighted sum (WKV).

Peng et al., "RWKV: Reinventing RNNs for the Transformer Era" (arXiv:2305.13048), RWKV-4 time
mixing. With ``x'_t = mu * x_t + (1 - mu) * x_{t-1}`` (token shift, separate ``mu`` for r, k, v),
``r, k, v`` linear maps of the shifted inputs, per-channel decay ``w = exp(w_log) > 0`` and bonus
``u``::

    wkv_t = (sum_{i<t} e^{-(t-1-i) w + k_i} v_i + e^{u + k_t} v_t)
          / (sum_{i<t} e^{-(t-1-i) w + k_i}     + e^{u + k_t})
    y_t = W_o (sigmoid(r_t) * wkv_t)

Parallel form: numerator and denominator are linear recurrences with ``a = e^{-w}``
(:func:`~neuralab.components.scan.linear_scan`), with ``k`` shifted by its maximum over time
(the shift cancels in the ratio). Recurrent form (:meth:`step`): the paper's numerically stable
state ``(x_{t-1}, a, b, p)``, with ``a, b`` the numerator and denominator scaled by ``e^{-p}``.
"""

from __future__ import annotations

import torch
from torch import nn

from neuralab.components.mixer_utils import require_causal
from neuralab.components.scan import ScanMethod, linear_scan
from neuralab.registry import register


class RWKVTimeMix(nn.Module):
    """RWKV-4 time mixing with token shift, decay ``w`` and bonus ``u``."""

    def __init__(self, d_model: int, n_heads: int, causal: bool, *, scan: ScanMethod = "parallel"):
        super().__init__()
        require_causal("rwkv", causal)
        self.d_model, self.scan = d_model, scan
        ratio = torch.arange(d_model) / max(1, d_model - 1)
        self.mix = nn.Parameter(torch.stack([ratio, ratio, 0.5 + 0.5 * ratio]))  # mu_r, mu_k, mu_v
        self.w_log = nn.Parameter(torch.log(0.5 + 4.5 * ratio))  # decays spread over channels
        self.u = nn.Parameter(torch.full((d_model,), 0.5))
        self.rkv = nn.ModuleList(nn.Linear(d_model, d_model, bias=False) for _ in range(3))
        self.out = nn.Linear(d_model, d_model, bias=False)

    def _rkv(self, x: torch.Tensor, x_prev: torch.Tensor) -> list[torch.Tensor]:
        return [lin(mu * x + (1 - mu) * x_prev) for lin, mu in zip(self.rkv, self.mix)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x_prev = torch.cat([torch.zeros_like(x[:, :1]), x[:, :-1]], dim=1)  # token shift
        r, k, v = self._rkv(x, x_prev)  # (B, T, D)
        k = k - k.amax(dim=1, keepdim=True).detach()  # cancels in the ratio; keeps exp finite
        decay = torch.exp(-torch.exp(self.w_log))
        ek = k.exp()
        num = linear_scan(decay, ek * v, method=self.scan)  # sum_{i<=t}
        den = linear_scan(decay, ek, method=self.scan)
        num = torch.cat([torch.zeros_like(num[:, :1]), num[:, :-1]], dim=1)  # sum_{i<t}
        den = torch.cat([torch.zeros_like(den[:, :1]), den[:, :-1]], dim=1)
        bonus = torch.exp(self.u + k)
        wkv = (num + bonus * v) / (den + bonus)
        return self.out(torch.sigmoid(r) * wkv)  # (B, T, D)

    def init_state(self, batch_size: int, device=None, dtype=None):
        """``(x_prev, a, b, p)``: previous input, scaled numerator/denominator, their log scale."""
        z = torch.zeros(batch_size, self.d_model, device=device, dtype=dtype or self.out.weight.dtype)
        return z, z, z, torch.full_like(z, -1e38)

    def step(self, x_t: torch.Tensor, state):
        x_prev, a, b, p = state
        r, k, v = self._rkv(x_t, x_prev)
        w = torch.exp(self.w_log)
        q = torch.maximum(p, self.u + k)  # output: past (scale e^p) plus the bonus term
        e1, e2 = torch.exp(p - q), torch.exp(self.u + k - q)
        wkv = (e1 * a + e2 * v) / (e1 * b + e2)
        q = torch.maximum(p - w, k)  # state: decay the past, add the current token
        e1, e2 = torch.exp(p - w - q), torch.exp(k - q)
        return self.out(torch.sigmoid(r) * wkv), (x_t, e1 * a + e2 * v, e1 * b + e2, q)


@register("mixer", "rwkv", tags={"vmap_safe"},
          paper="RWKV: Reinventing RNNs for the Transformer Era", arxiv="2305.13048")
def rwkv(d_model: int, n_heads: int, causal: bool, *, scan: ScanMethod = "parallel") -> RWKVTimeMix:
    """RWKV-4 time mixing (token shift + WKV); parallel scan = stable recurrent form."""
    return RWKVTimeMix(d_model, n_heads, causal, scan=scan)
