"""Binary and ternary weights, trained through a straight-through estimator.

- Binary: ``w_b = alpha_c sign(w)`` with one scale per output channel ``alpha_c = mean_c |w|``, the
  scale that minimizes ``||w - alpha sign(w)||^2`` (Rastegari et al., "XNOR-Net", arXiv:1603.05279;
  Courbariaux et al., "BinaryConnect", arXiv:1511.00363). ``sign(0) = +1``.
- Ternary: ``w_t = alpha * sign(w) * [|w| > Delta]`` with ``Delta = 0.7 mean|w|`` and
  ``alpha = mean{|w| : |w| > Delta}``, the approximate minimizer of ``||w - w_t||^2`` of Li et al.,
  "Ternary Weight Networks" (arXiv:1605.04711), per tensor.

Both are weight parametrizations (:func:`~neuralab.compress.quantize.fake.quantize_weights`): the
float weights keep training, the forward pass sees ``w + (q(w) - w).detach()`` — the
straight-through estimator passes the gradient to ``w`` unchanged. Storage: 1 bit per binary
weight, 2 bits per ternary one (plus the float scales).
"""

from __future__ import annotations

import torch
from torch import nn


def binarize(w: torch.Tensor) -> torch.Tensor:
    """``alpha_c sign(w)`` per output channel (no gradient trick)."""
    alpha = w.detach().abs().reshape(w.shape[0], -1).mean(1)
    sign = torch.where(w >= 0, 1.0, -1.0).to(w.dtype)
    return sign * alpha.view(-1, *[1] * (w.dim() - 1))


def ternarize(w: torch.Tensor, ratio: float = 0.7) -> torch.Tensor:
    """``alpha sign(w) [|w| > Delta]`` with ``Delta = ratio * mean|w|`` (no gradient trick)."""
    a = w.detach().abs()
    delta = ratio * a.mean()
    keep = a > delta
    alpha = a[keep].mean() if bool(keep.any()) else a.new_zeros(())
    return torch.sign(w.detach()) * keep.to(w.dtype) * alpha


class Binary(nn.Module):
    """Weight parametrization: binary weights with per-channel scales (STE)."""

    bits = 1

    def forward(self, w: torch.Tensor) -> torch.Tensor:
        return w + (binarize(w) - w).detach()


class Ternary(nn.Module):
    """Weight parametrization: ternary weights {-alpha, 0, alpha} (TWN threshold, STE)."""

    bits = 2

    def __init__(self, ratio: float = 0.7):
        super().__init__()
        self.ratio = ratio

    def forward(self, w: torch.Tensor) -> torch.Tensor:
        return w + (ternarize(w, self.ratio) - w).detach()
