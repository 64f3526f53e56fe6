"""Fake quantization of weights: round to a ``b``-bit integer grid and back, trained through a
straight-through estimator.

    q(w) = (clamp(round(w / s) + z, q_min, q_max) - z) * s

per tensor (one scale ``s``) or per output channel (one scale per row / filter). Symmetric:
``z = 0``, ``s = max|w| / (2^(b-1) - 1)``, ``[q_min, q_max] = [-2^(b-1), 2^(b-1) - 1]``; affine:
``s = (max w - min w) / (2^b - 1)``, ``z = round(-min w / s)``, ``[0, 2^b - 1]``. The scale
follows the current weights at every forward. The rounding is torch's
``fake_quantize_per_tensor_affine`` / ``fake_quantize_per_channel_affine``, whose gradient is the
straight-through estimator (1 inside the clamp range, 0 outside) — Bengio et al., "Estimating or
Propagating Gradients Through Stochastic Neurons for Conditional Computation", arXiv:1308.3432;
Jacob et al., arXiv:1712.05877.

:func:`quantize_weights` attaches a quantizer to weights with ``torch.nn.utils.parametrize``:
``module.weight`` is then the quantized weight, the float weight lives on as
``module.parametrizations.weight.original`` and keeps training (quantization-aware training).
Any parametrization with a ``bits`` attribute is reported at that width by
:func:`neuralab.compress.measure.measure`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch
from torch import nn
from torch.nn.utils import parametrize

from neuralab.compress.prune.masks import prunable_weights
from neuralab.errors import NeuralabError


def qrange(bits: int, symmetric: bool) -> tuple[int, int]:
    """``(q_min, q_max)`` of a ``bits``-bit grid."""
    return (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if symmetric else (0, 2**bits - 1)


def qparams(w: torch.Tensor, bits: int, *, symmetric: bool = True,
            per_channel: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Scale(s) and zero point(s) for ``w`` (per output channel: along dim 0)."""
    qmin, qmax = qrange(bits, symmetric)
    flat = w.detach().reshape(w.shape[0], -1) if per_channel else w.detach().reshape(1, -1)
    tiny = torch.finfo(torch.float32).tiny
    if symmetric:
        scale = (flat.abs().amax(1) / qmax).clamp_min(tiny)
        zero = torch.zeros_like(scale, dtype=torch.int32)
    else:
        lo, hi = flat.amin(1).clamp_max(0), flat.amax(1).clamp_min(0)
        scale = ((hi - lo) / (qmax - qmin)).clamp_min(tiny)
        zero = (qmin - torch.round(lo / scale)).clamp(qmin, qmax).to(torch.int32)
    return scale.float(), zero


def fake_quantize(w: torch.Tensor, bits: int, *, symmetric: bool = True,
                  per_channel: bool = False) -> torch.Tensor:
    """``q(w)`` of the module docstring, with the straight-through gradient."""
    if not 2 <= bits <= 16:
        raise NeuralabError(f"fake quantization supports 2 to 16 bits, got {bits}")
    qmin, qmax = qrange(bits, symmetric)
    scale, zero = qparams(w, bits, symmetric=symmetric, per_channel=per_channel)
    if per_channel:
        return torch.fake_quantize_per_channel_affine(w, scale, zero, 0, qmin, qmax)
    return torch.fake_quantize_per_tensor_affine(w, float(scale[0]), int(zero[0]), qmin, qmax)


class FakeQuant(nn.Module):
    """A weight parametrization: ``forward(w) = q(w)`` at ``bits`` bits."""

    def __init__(self, bits: int, *, symmetric: bool = True, per_channel: bool = False):
        super().__init__()
        self.bits, self.symmetric, self.per_channel = int(bits), symmetric, per_channel

    def forward(self, w: torch.Tensor) -> torch.Tensor:
        return fake_quantize(w, self.bits, symmetric=self.symmetric, per_channel=self.per_channel)

    def extra_repr(self) -> str:
        return f"bits={self.bits}, symmetric={self.symmetric}, per_channel={self.per_channel}"


def quantize_weights(model: nn.Module, make: Callable[[str, torch.Tensor], nn.Module], *,
                     exclude: Iterable[str] = ()) -> nn.Module:
    """Attach ``make(name, weight)`` as a parametrization to every prunable weight of ``model``
    (in place) and return ``model``. Pruning masks are folded in first."""
    from neuralab.compress.prune.masks import remove_masks

    remove_masks(model)
    for key, (module, name) in prunable_weights(model, exclude=exclude).items():
        if isinstance(module, nn.RNNBase):
            raise NeuralabError("weight quantizers cover linear and convolution layers; "
                                "use dynamic_int8 for recurrent layers")
        if parametrize.is_parametrized(module, name):
            raise NeuralabError(f"{key} is already quantized")
        parametrize.register_parametrization(module, name, make(key, getattr(module, name)))
    return model


def bits_by_layer(model: nn.Module) -> dict[str, float]:
    """The ``bits`` of every parametrized weight of ``model``."""
    out = {}
    for prefix, module in model.named_modules():
        if parametrize.is_parametrized(module):
            for name, plist in module.parametrizations.items():
                if hasattr(plist[0], "bits"):
                    out[f"{prefix}.{name}" if prefix else name] = float(plist[0].bits)
    return out
