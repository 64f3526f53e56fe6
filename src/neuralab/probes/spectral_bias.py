"""Spectral bias: how much of each frequency of a 1-D target a network has not yet fitted.

For a target sampled on a uniform grid of one period, ``f*(x_j)``, and the network's outputs
``f(x_j)``, the *per-frequency residual* at frequency ``k`` is ``|F[f - f*]_k| / |F[f*]_k|`` with
``F`` the discrete Fourier transform (``torch.fft.rfft``): 0 when that frequency is fitted, 1 when
it is missing. Tracked over training it shows low frequencies being learned first.

Papers: Rahaman et al., "On the Spectral Bias of Neural Networks" (arXiv 1806.08734); Lazzari &
Liu, "Understanding the Spectral Bias of Coordinate Based MLPs Via Training Dynamics"
(arXiv 2301.05816).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from neuralab.errors import NeuralabError
from neuralab.probes.hooks import model_mode


def frequency_residuals(outputs: torch.Tensor, target: torch.Tensor,
                        frequencies: Sequence[int]) -> dict[int, float]:
    """``{k: |F[outputs - target]_k| / |F[target]_k|}`` for samples on one period."""
    outputs, target = outputs.detach().double().reshape(-1), target.double().reshape(-1)
    if outputs.shape != target.shape:
        raise NeuralabError(f"outputs and target differ in length: {outputs.numel()} and {target.numel()}")
    spec_err, spec_t = torch.fft.rfft(outputs - target), torch.fft.rfft(target)
    out, floor = {}, 1e-6 * float(spec_t.abs().max())
    for k in frequencies:
        if not 0 <= k < len(spec_t) or float(spec_t[k].abs()) <= floor:
            raise NeuralabError(f"frequency {k} is not present in the target")
        out[k] = float(spec_err[k].abs() / spec_t[k].abs())
    return out


def model_frequency_residuals(model: nn.Module, grid: torch.Tensor, target: torch.Tensor,
                              frequencies: Sequence[int]) -> dict[int, float]:
    """Per-frequency residuals of ``model`` evaluated on ``grid`` (``(N, 1)`` coordinates)."""
    with torch.no_grad(), model_mode(model, False):
        return frequency_residuals(model(grid), target, frequencies)
