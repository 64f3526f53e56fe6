"""Function complexity as the mean frequency of a network's output along a line.

Teney, Nicolicioiu, Hartmann & Abbasnejad, "Neural Redshift: Random Networks are not Random
Functions" (arXiv:2403.02241) measure how complex the function a (random) network implements is
by the spectrum of its output over a grid of inputs: a low mean frequency is a simple function.
For a signal ``f_0..f_{K-1}`` sampled at ``K`` evenly spaced points, with its mean removed and
``F_k`` its discrete Fourier transform (``k = 1..K/2``)::

    mean_frequency(f) = sum_k k |F_k|^2 / sum_k |F_k|^2      (cycles per window)

``sin(2 pi m t)`` over ``t = i / K`` has mean frequency exactly ``m``; a constant has none (0).
The probe evaluates the model at ``points`` evenly spaced inputs on the segment from the first
to the second example of ``x`` (end point excluded) and averages the mean frequency over the
model's outputs.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from neuralab.probes.hooks import model_mode
from neuralab.probes.runner import probe_record
from neuralab.registry import register


def mean_frequency(values: torch.Tensor) -> torch.Tensor:
    """Power-weighted mean frequency over the last dim (cycles per window); 0 for a constant.

    ``values`` (..., K) -> (...,).
    """
    centered = values - values.mean(-1, keepdim=True)
    power = torch.fft.rfft(centered.double(), dim=-1).abs().pow(2)[..., 1:]  # (..., K//2)
    k = torch.arange(1, power.shape[-1] + 1, dtype=power.dtype, device=power.device)
    total = power.sum(-1)
    return torch.where(total > 0, (power * k).sum(-1) / total.clamp_min(1e-300),
                       torch.zeros_like(total))


def segment(start: torch.Tensor, end: torch.Tensor, points: int) -> torch.Tensor:
    """``points`` inputs evenly spaced from ``start`` towards ``end`` (end excluded)."""
    t = torch.arange(points, dtype=start.dtype, device=start.device) / points
    return start + t.view(-1, *([1] * start.dim())) * (end - start)  # (points, *input_shape)


@register("probe", "function_complexity",
          paper="Neural Redshift: Random Networks are not Random Functions", arxiv="2403.02241")
def function_complexity_probe(model: nn.Module, x: torch.Tensor, y: Any = None, *,
                              points: int = 1024) -> list[dict[str, Any]]:
    """Mean frequency of the model's outputs along the segment between the first two examples."""
    if len(x) < 2:
        raise ValueError("function_complexity needs at least two examples (a segment's ends)")
    with model_mode(model, training=False), torch.no_grad():
        out = model(segment(x[0], x[1], points))  # (points, outputs)
    out = out.reshape(points, -1).T  # (outputs, points)
    return [probe_record("mean_frequency", float(mean_frequency(out).mean()))]
