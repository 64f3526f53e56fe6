"""Layer-adaptive sparsity by rate-distortion optimization and dynamic programming.

Xu et al., "Efficient Joint Optimization of Layer-Adaptive Weight Pruning in Deep Neural
Networks" (ICCV 2023). Pruning layer ``l`` alone to sparsity ``s`` (by magnitude) distorts the
network's output by ``D_l(s) = mean ||f(x) - f_{l,s}(x)||^2`` on a calibration batch. The paper's
observation is that distortions of several layers add up, ``D(s_1..s_L) ~ sum_l D_l(s_l)``, which
turns the choice of per-layer sparsities into a knapsack-like problem

    minimize  sum_l D_l(s_l)   subject to   sum_l kept_l(s_l) <= (1 - s) N,

solved exactly (on a grid of sparsities and a budget discretized into ``bins`` units) by dynamic
programming over layers in ``O(L * bins * grid)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from contextlib import contextmanager
from typing import Iterator

import numpy as np
import torch
from torch import nn

from neuralab.compress.prune.scopes import check_sparsity, keep_top

Target = tuple[nn.Module, str]
DEFAULT_GRID = tuple(np.round(np.concatenate([np.arange(0.0, 0.9, 0.05),
                                              np.arange(0.9, 1.0, 0.01)]), 2).tolist())


@contextmanager
def replaced_weight(module: nn.Module, name: str, value: torch.Tensor) -> Iterator[None]:
    """Temporarily set a (possibly masked) weight's values to ``value``."""
    param = getattr(module, f"{name}_orig", None)
    if param is None:
        param = getattr(module, name)
    saved = param.detach().clone()
    with torch.no_grad():
        param.copy_(value)
    try:
        yield
    finally:
        with torch.no_grad():
            param.copy_(saved)


@torch.no_grad()
def distortion_curves(model: nn.Module, targets: Mapping[str, Target], x: torch.Tensor,
                      weights: Mapping[str, torch.Tensor], grid: Sequence[float] = DEFAULT_GRID,
                      ) -> dict[str, np.ndarray]:
    """``D_l(s)`` for every target and every sparsity in ``grid`` (magnitude pruning of one layer)."""
    was_training = model.training
    model.eval()
    try:
        reference = model(x)
        curves = {}
        for key, (module, name) in targets.items():
            w = weights[key]
            row = []
            for s in grid:
                kept = w * keep_top(w.abs(), round((1 - s) * w.numel()))
                with replaced_weight(module, name, kept):
                    row.append(float((model(x) - reference).square().sum(-1).mean()))
            curves[key] = np.asarray(row)
        return curves
    finally:
        model.train(was_training)


def allocate(curves: Mapping[str, np.ndarray], sizes: Mapping[str, int], sparsity: float,
             grid: Sequence[float] = DEFAULT_GRID, *, bins: int = 2000) -> dict[str, float]:
    """Per-layer sparsities minimizing ``sum_l D_l(s_l)`` with at most ``(1 - sparsity) N`` weights
    kept (the dynamic program of the module docstring)."""
    sparsity = check_sparsity(sparsity)
    names = list(curves)
    total = sum(sizes[k] for k in names)
    unit = total / bins
    budget = int(math.floor((1 - sparsity) * total / unit + 1e-9))
    grid_arr = np.asarray(grid, dtype=float)
    inf = np.inf
    best = np.zeros(budget + 1)  # best[b]: least distortion of the layers so far using <= b units
    choices = []
    for key in names:
        cost = np.ceil(np.round((1 - grid_arr) * sizes[key]) / unit - 1e-9).astype(int)
        new = np.full(budget + 1, inf)
        arg = np.full(budget + 1, -1)
        for j, c in enumerate(cost):
            if c > budget:
                continue
            cand = np.full(budget + 1, inf)
            cand[c:] = best[: budget + 1 - c] + curves[key][j]
            better = cand < new
            new[better], arg[better] = cand[better], j
        best = new
        choices.append(arg)
    if not np.isfinite(best[budget]):
        raise ValueError(f"no allocation on the grid keeps at most {1 - sparsity:.3g} of the weights")
    out, b = {}, budget
    for key, arg, in reversed(list(zip(names, choices))):
        j = int(arg[b])
        out[key] = float(grid_arr[j])
        b -= int(np.ceil(np.round((1 - grid_arr[j]) * sizes[key]) / unit - 1e-9))
    return {k: out[k] for k in names}


def rd_masks(model: nn.Module, targets: Mapping[str, Target], weights: Mapping[str, torch.Tensor],
             x: torch.Tensor, sparsity: float, score: Callable[[torch.Tensor], torch.Tensor] = torch.abs,
             grid: Sequence[float] = DEFAULT_GRID) -> dict[str, torch.Tensor]:
    """Masks with the rate-distortion allocation, keeping the top-``score`` weights per layer."""
    curves = distortion_curves(model, targets, x, weights, grid)
    alloc = allocate(curves, {k: w.numel() for k, w in weights.items()}, sparsity, grid)
    return {k: keep_top(score(w), round((1 - alloc[k]) * w.numel())) for k, w in weights.items()}
