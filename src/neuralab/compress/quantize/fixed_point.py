"""Trainable fixed-point quantization: learn where each tensor's binary point sits.

After "Trainable Fixed-Point Quantization for Deep Learning Acceleration on FPGAs" (QFX). A
``b``-bit signed fixed-point number with ``f`` fractional bits represents

    q(x) = clamp(round(x 2^f), -2^(b-1), 2^(b-1) - 1) 2^-f.

QFX learns ``f`` during training. Here ``f`` is a real parameter used as ``round(f)`` with a
straight-through gradient, and the scale ``2^-round(f)`` gets the learned-step-size gradient of
Esser et al., "Learned Step Size Quantization" (arXiv:1902.08153): ``round`` passes gradients
straight through, ``clamp`` blocks them outside the range. ``f`` starts where the tensor's largest
magnitude just fits (``f = b - 1 - ceil(log2 max|x|)``), which is also the post-training choice.

:func:`fixed_point_model` puts every linear/convolution weight *and* output in fixed point — weights
through a parametrization, outputs through a forward hook — so that a model trained this way runs
in ``b``-bit fixed point end to end apart from the input and the activation functions.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from neuralab.compress.prune.masks import prunable_weights
from neuralab.compress.quantize.fake import quantize_weights
from neuralab.errors import NeuralabError


def round_ste(x: torch.Tensor) -> torch.Tensor:
    """``round(x)`` forward, identity gradient."""
    return x + (torch.round(x) - x).detach()


def fixed_point(x: torch.Tensor, bits: int, frac: torch.Tensor) -> torch.Tensor:
    """``q(x)`` with ``round(frac)`` fractional bits (gradients to ``x`` and ``frac``)."""
    scale = torch.exp2(-round_ste(frac))
    qmax = 2 ** (bits - 1) - 1
    return torch.clamp(round_ste(x / scale), -qmax - 1, qmax) * scale


def initial_frac(x: torch.Tensor, bits: int) -> float:
    """Fractional bits for which ``max|x|`` just fits in ``bits`` signed bits."""
    top = float(x.detach().abs().max())
    return float(bits - 1 - math.ceil(math.log2(top))) if top > 0 else float(bits - 1)


class FixedPoint(nn.Module):
    """``b``-bit fixed point with a learnable binary point; usable as a weight parametrization
    or applied to activations."""

    def __init__(self, bits: int, frac: float = 0.0):
        super().__init__()
        if not 2 <= bits <= 32:
            raise NeuralabError(f"fixed point supports 2 to 32 bits, got {bits}")
        self.bits = int(bits)
        self.frac = nn.Parameter(torch.tensor(float(frac)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return fixed_point(x, self.bits, self.frac)

    def extra_repr(self) -> str:
        return f"bits={self.bits}, frac={float(self.frac):.2f}"


def _quantize_output(module: nn.Module, inputs: tuple, output: torch.Tensor) -> torch.Tensor:
    return module.output_fixed_point(output)


@torch.no_grad()
def fixed_point_model(model: nn.Module, bits: int, example: torch.Tensor) -> nn.Module:
    """Put ``model``'s weights and layer outputs in ``bits``-bit fixed point (in place); binary
    points start from the ranges seen on ``example``."""
    outputs: dict[str, torch.Tensor] = {}
    targets = prunable_weights(model)
    handles = [m.register_forward_hook(lambda mod, i, o, k=k: outputs.__setitem__(k, o))
               for k, (m, _) in targets.items()]
    was_training = model.training
    model.eval()
    model(example)
    model.train(was_training)
    for h in handles:
        h.remove()
    quantize_weights(model, lambda key, w: FixedPoint(bits, initial_frac(w, bits)))
    for key, (module, _) in targets.items():
        module.output_fixed_point = FixedPoint(bits, initial_frac(outputs[key], bits))
        module.register_forward_hook(_quantize_output)
    return model
