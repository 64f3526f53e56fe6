"""Prediction difference between models trained identically but for the seed (irreproducibility).

For two models' class probabilities ``p, q`` on the same inputs:

- **top-1 disagreement**: the share of inputs whose predicted classes differ;
- **L1 prediction difference**: ``mean_x (1/2) sum_k |p_k(x) - q_k(x)|`` (total variation, in [0, 1]).

Over a population the pairwise values are averaged over all pairs of members.

Paper: Shamir, Lin & Coviello, "Smooth activations and reproducibility in deep networks"
(arXiv 2010.09931).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import torch
from torch import nn

from neuralab.errors import NeuralabError
from neuralab.probes.hooks import model_mode
from neuralab.probes.runner import probe_record
from neuralab.registry import register


def probabilities(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Softmax outputs ``(N, K)`` in eval mode."""
    with torch.no_grad(), model_mode(model, False):
        return torch.softmax(model(x), dim=-1)


def prediction_difference(p: torch.Tensor, q: torch.Tensor) -> dict[str, float]:
    """Top-1 disagreement and L1 (total-variation) difference of two ``(N, K)`` probability tables."""
    if p.shape != q.shape:
        raise NeuralabError(f"probability tables differ in shape: {tuple(p.shape)} and {tuple(q.shape)}")
    return {"top1_disagreement": float((p.argmax(-1) != q.argmax(-1)).double().mean()),
            "l1_prediction_difference": float(0.5 * (p - q).abs().sum(-1).mean())}


def population_difference(models: Sequence[nn.Module], x: torch.Tensor) -> dict[str, float]:
    """Pairwise prediction differences averaged over every pair of models."""
    if len(models) < 2:
        raise NeuralabError("prediction difference needs at least two models")
    probs = [probabilities(m, x) for m in models]
    pairs = [prediction_difference(a, b) for a, b in itertools.combinations(probs, 2)]
    return {k: sum(p[k] for p in pairs) / len(pairs) for k in pairs[0]}


@register("probe", "prediction_difference",
          paper="Smooth activations and reproducibility in deep networks", arxiv="2010.09931")
def prediction_difference_probe(model: nn.Module, x: torch.Tensor, y: torch.Tensor | None = None, *,
                                other: nn.Module) -> list[dict]:
    """Top-1 disagreement and L1 prediction difference between ``model`` and ``other``."""
    diff = prediction_difference(probabilities(model, x), probabilities(other, x))
    return [probe_record(k, v) for k, v in diff.items()]
