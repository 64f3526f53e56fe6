"""Scopes: how many weights each layer keeps, given importance scores.

- global: one threshold over all layers — keep the ``round((1 - s) N)`` highest scores of the
  whole network (Gupta et al., "Is Complexity Required for Neural Network Pruning? A Case Study on
  Global Magnitude Pruning", arXiv:2209.14624). ``min_keep`` first reserves each layer's top
  ``min_keep`` weights, the paper's fix for layer collapse.
- layer-wise: every layer keeps the same fraction ``1 - s`` of its weights.
- ERK: layer ``l`` with shape ``(n_out, n_in, k...)`` keeps the fraction
  ``d_l = eps * (n_out + n_in + sum k) / (n_out * n_in * prod k)``, with ``eps`` chosen so that the
  kept total is ``(1 - s) N``; layers whose ``d_l`` would exceed 1 stay dense and ``eps`` is solved
  again for the rest (Erdős–Rényi-Kernel; Evci et al., "Rigging the Lottery", arXiv:1911.11134).

Every function keeps exactly the requested number of weights per layer (ties broken by index),
uses only ``topk``/``scatter`` on tensors, and therefore also runs under ``torch.func.vmap`` over
a population's stacked scores.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import torch

from neuralab.errors import NeuralabError

Tensors = Mapping[str, torch.Tensor]


def check_sparsity(sparsity: float) -> float:
    if not isinstance(sparsity, (int, float)) or not 0.0 <= float(sparsity) < 1.0:
        raise NeuralabError(f"sparsity must be a number in [0, 1), got {sparsity!r}")
    return float(sparsity)


def keep_top(scores: torch.Tensor, n_keep: int) -> torch.Tensor:
    """A boolean mask of ``scores``' shape keeping exactly its ``n_keep`` largest entries."""
    flat = scores.reshape(-1)
    n_keep = max(0, min(int(n_keep), flat.numel()))
    idx = torch.topk(flat, n_keep, sorted=False).indices
    mask = torch.zeros_like(flat).scatter(0, idx, 1.0)
    return mask.reshape(scores.shape).bool()


def masks_from_counts(scores: Tensors, counts: Mapping[str, int]) -> dict[str, torch.Tensor]:
    """Keep ``counts[name]`` top-scored weights in each layer."""
    return {k: keep_top(s, counts[k]) for k, s in scores.items()}


def global_masks(scores: Tensors, sparsity: float, *, min_keep: int = 0) -> dict[str, torch.Tensor]:
    """Keep the ``round((1 - sparsity) N)`` highest scores over all layers (at least ``min_keep``
    per layer)."""
    sparsity = check_sparsity(sparsity)
    names = list(scores)
    sizes = [scores[k].numel() for k in names]
    flat = [scores[k].reshape(-1).float() for k in names]
    if min_keep > 0:  # reserve each layer's best min_keep weights by lifting them to +inf
        flat = [torch.where(keep_top(f, min(min_keep, f.numel())), torch.inf, f) for f in flat]
    total = sum(sizes)
    n_keep = max(round((1.0 - sparsity) * total), sum(min(min_keep, n) for n in sizes))
    keep = keep_top(torch.cat(flat), n_keep)
    out, start = {}, 0
    for k, n in zip(names, sizes):
        out[k] = keep[start:start + n].reshape(scores[k].shape)
        start += n
    return out


def layerwise_masks(scores: Tensors, sparsity: float) -> dict[str, torch.Tensor]:
    """Every layer keeps ``round((1 - sparsity) n_l)`` of its highest scores."""
    sparsity = check_sparsity(sparsity)
    return masks_from_counts(scores, {k: round((1.0 - sparsity) * s.numel())
                                      for k, s in scores.items()})


def erk_densities(shapes: Mapping[str, Sequence[int]], sparsity: float, *,
                  power: float = 1.0) -> dict[str, float]:
    """The ERK density of each layer for overall ``sparsity`` (see the module docstring)."""
    sparsity = check_sparsity(sparsity)
    sizes = {k: math.prod(s) for k, s in shapes.items()}
    raw = {k: (sum(s) / math.prod(s)) ** power for k, s in shapes.items()}
    dense: set[str] = set()
    while True:
        budget = (1.0 - sparsity) * sum(sizes.values()) - sum(sizes[k] for k in dense)
        divisor = sum(raw[k] * sizes[k] for k in sizes if k not in dense)
        eps = budget / divisor if divisor > 0 else 0.0
        over = [k for k in sizes if k not in dense and eps * raw[k] > 1.0]
        if not over:
            return {k: 1.0 if k in dense else eps * raw[k] for k in sizes}
        top = max(raw[k] for k in over)
        dense.update(k for k in over if raw[k] == top)


def erk_masks(scores: Tensors, sparsity: float, *, power: float = 1.0) -> dict[str, torch.Tensor]:
    """Keep each layer's ERK share of its highest scores."""
    dens = erk_densities({k: tuple(s.shape) for k, s in scores.items()}, sparsity, power=power)
    return masks_from_counts(scores, {k: round(dens[k] * s.numel()) for k, s in scores.items()})
