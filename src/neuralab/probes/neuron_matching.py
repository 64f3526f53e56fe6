"""Neuron matching across networks: one-to-one and one-to-many alignment of units.

Units are the columns of a layer's output (channels of a map, with every position counted as an
example). With ``corr[i, j]`` the Pearson correlation of unit ``i`` of network A and unit ``j`` of
network B over the same inputs:

- **best match**: ``max_j corr[i, j]`` for each unit of A (several may pick the same unit of B);
- **one-to-one (bipartite)**: the permutation maximizing ``sum_i corr[i, pi(i)]`` (Hungarian
  algorithm, ``scipy.optimize.linear_sum_assignment``) and the matched correlations;
- **one-to-many (sparse prediction)**: each unit of B regressed on all units of A with an L1
  penalty (``sklearn.linear_model.Lasso``) on half of the examples; the correlation of the
  prediction with the unit on the other half.

If B's units span A's subspace in another basis, sparse prediction beats one-to-one matching.

Paper: Li, Yosinski, Clune, Lipson & Hopcroft, "Convergent Learning: Do different neural networks
learn the same representations?" (arXiv 1511.07543).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from neuralab.errors import NeuralabError
from neuralab.probes.runner import probe_record
from neuralab.probes.similarity import layer_outputs
from neuralab.registry import register


def units(a: torch.Tensor) -> torch.Tensor:
    """``(examples, units)``: a ``(B, C, *S)`` map becomes ``(B * prod(S), C)``; ``(B, F)`` stays."""
    a = a.detach().double()
    if a.dim() > 2:
        a = a.movedim(1, -1).reshape(-1, a.shape[1])
    return a


def unit_correlation(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``(units of a, units of b)`` Pearson correlations (0 for a constant unit)."""
    ua, ub = units(a), units(b)
    if ua.shape[0] != ub.shape[0]:
        raise NeuralabError(f"neuron matching needs the same examples, got {ua.shape[0]} and {ub.shape[0]}")
    za = (ua - ua.mean(0)) / ua.std(0).clamp_min(1e-12)
    zb = (ub - ub.mean(0)) / ub.std(0).clamp_min(1e-12)
    return (za.T @ zb / (ua.shape[0] - 1)).clamp(-1.0, 1.0)


def one_to_one(corr: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """``(assignment, matched correlations)`` of the maximum-total-correlation bipartite matching."""
    from scipy.optimize import linear_sum_assignment

    c = corr.cpu().numpy()
    rows, cols = linear_sum_assignment(-c)
    order = np.argsort(rows)
    return cols[order], c[rows[order], cols[order]]


def sparse_prediction(a: torch.Tensor, b: torch.Tensor, *, alpha: float = 0.01,
                      seed: int = 0) -> np.ndarray:
    """Held-out correlation of each unit of ``b`` with its L1-regularized prediction from ``a``."""
    from sklearn.linear_model import Lasso

    ua, ub = units(a).cpu().numpy(), units(b).cpu().numpy()
    ua = (ua - ua.mean(0)) / np.maximum(ua.std(0), 1e-12)
    ub = (ub - ub.mean(0)) / np.maximum(ub.std(0), 1e-12)
    perm = np.random.default_rng(seed).permutation(len(ua))
    fit, held = perm[: len(ua) // 2], perm[len(ua) // 2:]
    pred = Lasso(alpha=alpha, max_iter=5000).fit(ua[fit], ub[fit]).predict(ua[held])
    pred = pred.reshape(len(held), -1)
    out = []
    for j in range(ub.shape[1]):
        p, t = pred[:, j], ub[held, j]
        denom = p.std() * t.std()
        out.append(float(((p - p.mean()) * (t - t.mean())).mean() / denom) if denom > 0 else 0.0)
    return np.array(out)


def match_units(a: torch.Tensor, b: torch.Tensor, *, alpha: float = 0.01) -> dict[str, float]:
    """Summary of best-match, one-to-one and sparse-prediction alignment of two layers."""
    corr = unit_correlation(a, b)
    _, matched = one_to_one(corr)
    return {
        "best_match_corr": float(corr.max(1).values.mean()),
        "one_to_one_corr": float(matched.mean()),
        "one_to_one_above_0.9": float((matched > 0.9).mean()),
        "one_to_one_below_0.5": float((matched < 0.5).mean()),
        "sparse_prediction_corr": float(sparse_prediction(a, b, alpha=alpha).mean()),
    }


@register("probe", "neuron_matching",
          paper="Convergent Learning: Do different neural networks learn the same representations?",
          arxiv="1511.07543")
def neuron_matching_probe(model: nn.Module, x: torch.Tensor, y: torch.Tensor | None = None, *,
                          other: nn.Module, layers: list[str] | None = None,
                          alpha: float = 0.01) -> list[dict]:
    """One-to-one and sparse one-to-many unit alignment between the same layers of two models."""
    a, b = layer_outputs(model, x, layers), layer_outputs(other, x, layers)
    rows = []
    for name in a:
        if name in b:
            rows += [probe_record(k, v, layer=name) for k, v in match_units(a[name], b[name],
                                                                          alpha=alpha).items()]
    return rows
