"""Spectral bias: how much of each frequency of a 1-D target a network has not yet fitted.

For a target sampled on a uniform grid of one period, ``f*(x_j)``, and the network's outputs
``f(x_j)``, the *per-frequency residual* at frequency ``k`` is ``|F[f - f*]_k| / |F[f*]_k|`` with
``F`` the discrete Fourier transform (``torch.fft.rfft``): 0 when that frequency is fitted, 1 when
it is missing (an output with that component scaled by ``c`` gives ``|1 - c|``). Tracked over
training it shows low frequencies being learned first.

The registered probe ``frequency_residuals`` reads a model on examples ``x`` of one coordinate
(``(N,)`` or ``(N, 1)``) with targets ``y``; it sorts the examples by their coordinate, so a
shuffled split of a uniform grid is fine, and refuses a grid that is not uniform::

    rows = run_probe("frequency_residuals", model, grid, target, frequencies=[1, 4, 16])

Papers: Rahaman et al., "On the Spectral Bias of Neural Networks" (arXiv 1806.08734); Lazzari &
Liu, "Understanding the Spectral Bias of Coordinate Based MLPs Via Training Dynamics"
(arXiv 2301.05816).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from neuralab.errors import NeuralabError
from neuralab.probes.hooks import model_mode
from neuralab.probes.runner import probe_record
from neuralab.registry import register

FLOOR = 1e-6  # a frequency whose |F[target]_k| is below FLOOR * max_k |F[target]_k| is absent


def target_frequencies(target: torch.Tensor) -> list[int]:
    """The frequencies ``k >= 1`` present in ``target`` (above the floor), in increasing order."""
    spec = torch.fft.rfft(target.detach().double().reshape(-1)).abs()
    return [k for k in range(1, len(spec)) if float(spec[k]) > FLOOR * float(spec.max())]


def frequency_residuals(outputs: torch.Tensor, target: torch.Tensor,
                        frequencies: Sequence[int]) -> dict[int, float]:
    """``{k: |F[outputs - target]_k| / |F[target]_k|}`` for samples on one period."""
    outputs, target = outputs.detach().double().reshape(-1), target.double().reshape(-1)
    if outputs.shape != target.shape:
        raise NeuralabError(f"outputs and target differ in length: {outputs.numel()} and {target.numel()}")
    spec_err, spec_t = torch.fft.rfft(outputs - target), torch.fft.rfft(target)
    out, floor = {}, FLOOR * float(spec_t.abs().max())
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


def sorted_grid(x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``x`` (``(N,)`` or ``(N, 1)`` coordinates) as ``(N, 1)`` in increasing order, ``y`` in the
    same order; a grid that is not uniform (spacings differing by more than 0.1%) is an error."""
    if x.dim() > 2 or (x.dim() == 2 and x.shape[1] != 1) or len(x) < 2:
        raise NeuralabError(f"frequency residuals need one coordinate per example, (N,) or (N, 1), "
                            f"N >= 2; got {tuple(x.shape)}")
    if len(y) != len(x):
        raise NeuralabError(f"{len(x)} examples but {len(y)} targets")
    order = torch.argsort(x.reshape(-1))
    grid = x.reshape(-1, 1)[order]
    gaps = grid[1:, 0] - grid[:-1, 0]
    mean = gaps.mean()
    if not mean > 0 or float((gaps - mean).abs().max()) > 1e-3 * float(mean):
        raise NeuralabError("frequency residuals need examples on a uniform grid (all of one "
                            "period); these coordinates are not evenly spaced")
    return grid, y[order]


@register("probe", "frequency_residuals",
          summary="Spectral bias: per-frequency residual |F[f - f*]_k| / |F[f*]_k| of a 1-D fit "
                  "on a uniform grid (0 fitted, 1 missing)",
          paper="On the Spectral Bias of Neural Networks", arxiv="1806.08734")
def frequency_residuals_probe(model: nn.Module, x: torch.Tensor, y: torch.Tensor | None = None, *,
                              frequencies: list[int] | None = None) -> list[dict[str, Any]]:
    """Records ``frequency_residual_<k>`` for each of ``frequencies`` (default: every frequency
    ``k >= 1`` present in the target ``y``)."""
    if y is None:
        raise NeuralabError("the frequency_residuals probe needs the target y")
    grid, target = sorted_grid(x, y)
    ks = target_frequencies(target) if frequencies is None else list(frequencies)
    res = model_frequency_residuals(model, grid, target, ks)
    return [probe_record(f"frequency_residual_{k}", v) for k, v in res.items()]
