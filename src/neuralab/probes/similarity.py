"""Representation similarity: centred kernel alignment (CKA) and SVCCA.

Both compare two representations of the same ``n`` examples, ``X (n, p1)`` and ``Y (n, p2)`` (maps
``(n, C, *S)`` are flattened), and are invariant to orthogonal transforms and isotropic scaling:

- **linear CKA**: ``||Y^T X||_F^2 / (||X^T X||_F ||Y^T Y||_F)`` on column-centred ``X, Y``; in Gram
  form ``<HKH, HLH> / (||HKH|| ||HLH||)`` with ``K = XX^T``, ``L = YY^T``, ``H = I - 11^T/n``, which
  also gives **RBF CKA** with ``K_ij = exp(-||x_i - x_j||^2 / (2 sigma^2))``, ``sigma`` a fraction
  of the median distance (Kornblith et al.);
- **SVCCA**: keep the top singular directions of each (``keep`` of the variance), then the mean of
  the canonical correlations between the two subspaces — the singular values of ``U_x^T U_y`` for
  orthonormal bases (Raghu et al.).

Papers: Kornblith et al., "Similarity of Neural Network Representations Revisited"
(arXiv 1905.00414); Raghu et al., "SVCCA: Singular Vector Canonical Correlation Analysis for Deep
Learning Dynamics and Interpretability" (arXiv 1706.05806).
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

from neuralab.errors import NeuralabError
from neuralab.probes.hooks import capture, model_mode
from neuralab.probes.runner import probe_record
from neuralab.registry import register


def _matrix(a: torch.Tensor) -> torch.Tensor:
    return a.detach().double().reshape(a.shape[0], -1)


def _centred_gram(k: torch.Tensor) -> torch.Tensor:
    return k - k.mean(0, keepdim=True) - k.mean(1, keepdim=True) + k.mean()


def _rbf_gram(x: torch.Tensor, sigma_fraction: float) -> torch.Tensor:
    sq = torch.cdist(x, x).pow(2)
    median = sq[~torch.eye(len(x), dtype=torch.bool)].median().sqrt()
    sigma = sigma_fraction * median.clamp_min(1e-12)
    return torch.exp(-sq / (2 * sigma ** 2))


def cka(x: torch.Tensor, y: torch.Tensor, *, kernel: Literal["linear", "rbf"] = "linear",
        sigma_fraction: float = 0.8) -> float:
    """Centred kernel alignment of two representations of the same examples (1: identical)."""
    x, y = _matrix(x), _matrix(y)
    if x.shape[0] != y.shape[0] or x.shape[0] < 2:
        raise NeuralabError(f"CKA needs the same examples (>= 2) on both sides, got {x.shape[0]} and {y.shape[0]}")
    if kernel == "linear" and max(x.shape[1], y.shape[1]) < x.shape[0]:
        x, y = x - x.mean(0), y - y.mean(0)
        cross = (y.T @ x).pow(2).sum()
        return float(cross / ((x.T @ x).norm() * (y.T @ y).norm()).clamp_min(1e-300))
    if kernel == "linear":
        k, lg = x @ x.T, y @ y.T
    elif kernel == "rbf":
        k, lg = _rbf_gram(x, sigma_fraction), _rbf_gram(y, sigma_fraction)
    else:
        raise NeuralabError(f"unknown CKA kernel {kernel!r} (known: linear, rbf)")
    k, lg = _centred_gram(k), _centred_gram(lg)
    return float((k * lg).sum() / (k.norm() * lg.norm()).clamp_min(1e-300))


def _top_directions(x: torch.Tensor, keep: float) -> torch.Tensor:
    """An orthonormal basis ``(n, k)`` of the centred columns' top singular directions."""
    x = x - x.mean(0)
    u, s, _ = torch.linalg.svd(x, full_matrices=False)
    energy = s.pow(2).cumsum(0) / s.pow(2).sum().clamp_min(1e-300)
    k = int((energy < keep).sum()) + 1
    return u[:, :k]


def canonical_correlations(x: torch.Tensor, y: torch.Tensor, *, keep: float = 0.99) -> torch.Tensor:
    """The SVCCA canonical correlations (descending) after keeping ``keep`` of each variance."""
    x, y = _matrix(x), _matrix(y)
    if x.shape[0] != y.shape[0]:
        raise NeuralabError(f"SVCCA needs the same examples on both sides, got {x.shape[0]} and {y.shape[0]}")
    if not 0 < keep <= 1:
        raise NeuralabError(f"SVCCA keep must be in (0, 1], got {keep}")
    ux, uy = _top_directions(x, keep), _top_directions(y, keep)
    return torch.linalg.svdvals(ux.T @ uy).clamp(0.0, 1.0)


def svcca(x: torch.Tensor, y: torch.Tensor, *, keep: float = 0.99) -> float:
    """The mean SVCCA canonical correlation (1: the kept subspaces coincide)."""
    return float(canonical_correlations(x, y, keep=keep).mean())


def layer_outputs(model: nn.Module, x: torch.Tensor, layers: list[str] | None = None) -> dict[str, torch.Tensor]:
    """The outputs of the model's probe points (or ``layers``) on ``x``, in eval mode."""
    with torch.no_grad(), model_mode(model, False), capture(model, layers) as acts:
        model(x)
    return dict(acts)


def compare_layers(model: nn.Module, x: torch.Tensor, measure, *, other: nn.Module | None = None,
                   layers: list[str] | None = None) -> list[dict]:
    """``measure`` between matching layers of ``model`` and ``other``, or all layer pairs of one."""
    a = layer_outputs(model, x, layers)
    if other is not None:
        b = layer_outputs(other, x, layers)
        return [probe_record(measure.__name__, measure(a[n], b[n]), layer=n) for n in a if n in b]
    names = list(a)
    return [probe_record(measure.__name__, measure(a[p], a[q]), layer=f"{p}|{q}")
            for i, p in enumerate(names) for q in names[i + 1:]]


@register("probe", "cka", paper="Similarity of Neural Network Representations Revisited",
          arxiv="1905.00414")
def cka_probe(model: nn.Module, x: torch.Tensor, y: torch.Tensor | None = None, *,
              other: nn.Module | None = None, layers: list[str] | None = None) -> list[dict]:
    """Linear CKA between the same layers of two models, or between all layer pairs of one."""
    return compare_layers(model, x, cka, other=other, layers=layers)


@register("probe", "svcca", paper="SVCCA: Singular Vector Canonical Correlation Analysis for Deep "
          "Learning Dynamics and Interpretability", arxiv="1706.05806")
def svcca_probe(model: nn.Module, x: torch.Tensor, y: torch.Tensor | None = None, *,
                other: nn.Module | None = None, layers: list[str] | None = None) -> list[dict]:
    """Mean SVCCA correlation between the same layers of two models, or all layer pairs of one."""
    return compare_layers(model, x, svcca, other=other, layers=layers)
