"""Effective rank of a representation and the sparsity of activations.

**Effective rank** (Roy & Vetterli): with singular values ``s_i`` of the ``(N, D)`` (column-centred)
representation and ``p_i = s_i / sum_j s_j``, ``erank = exp(-sum_i p_i log p_i)`` — between 1 and
``rank``, equal to ``k`` when ``k`` singular values are equal and the rest zero.

**Activation sparsity**: the share of a layer's outputs with ``|a| <= threshold`` (exact zeros by
default, as after a ReLU); **dead units**: the share of units that are never active on the inputs.

Papers: Roy & Vetterli, "The effective rank: A measure of effective dimensionality" (EUSIPCO 2007);
Mirzadeh et al., "ReLU Strikes Back: Exploiting Activation Sparsity in Large Language Models"
(arXiv 2310.04564).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from neuralab.probes.runner import probe_record
from neuralab.probes.similarity import layer_outputs
from neuralab.registry import register


def effective_rank(x: torch.Tensor, *, centre: bool = True) -> float:
    """``exp`` of the entropy of the normalized singular values of ``x`` flattened to ``(N, D)``."""
    m = x.detach().double().reshape(x.shape[0], -1)
    if centre:
        m = m - m.mean(0)
    s = torch.linalg.svdvals(m)
    if float(s.sum()) == 0.0:
        return 0.0
    p = s / s.sum()
    p = p[p > 0]
    return math.exp(float(-(p * p.log()).sum()))


def activation_sparsity(a: torch.Tensor, threshold: float = 0.0) -> float:
    """The share of entries with ``|a| <= threshold``."""
    return float((a.detach().abs() <= threshold).double().mean())


def dead_unit_fraction(a: torch.Tensor, threshold: float = 0.0) -> float:
    """The share of units (columns; channels of maps) never above ``threshold`` on these inputs."""
    a = a.detach()
    a = a.movedim(1, -1).reshape(-1, a.shape[1]) if a.dim() > 2 else a
    return float(((a.abs() > threshold).sum(0) == 0).double().mean())


@register("probe", "representation_stats",
          paper="The effective rank: A measure of effective dimensionality")
def representation_stats_probe(model: nn.Module, x: torch.Tensor, y: torch.Tensor | None = None, *,
                               threshold: float = 0.0) -> list[dict]:
    """Effective rank, activation sparsity and dead-unit share of every probe point."""
    rows = []
    for name, a in layer_outputs(model, x).items():
        rows += [probe_record("effective_rank", effective_rank(a), layer=name),
                 probe_record("activation_sparsity", activation_sparsity(a, threshold), layer=name),
                 probe_record("dead_unit_fraction", dead_unit_fraction(a, threshold), layer=name)]
    return rows
