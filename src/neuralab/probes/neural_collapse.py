"""Neural collapse NC1-NC4 from last-layer features, class labels and the linear classifier.

With features ``h_i`` of class ``c``, class means ``mu_c``, global mean ``mu_G``, ``C`` classes,
``Sigma_W = mean_i (h_i - mu_c)(h_i - mu_c)^T`` and ``Sigma_B = mean_c (mu_c - mu_G)(mu_c - mu_G)^T``:

- **NC1** (within-class variability collapse): ``tr(Sigma_W Sigma_B^+) / C``;
- **NC2** (class means form a simplex ETF): *equinorm* ``std_c ||mu_c - mu_G|| / mean_c ||.||``,
  *equiangular* ``std_{c != c'} cos(mu_c - mu_G, mu_c' - mu_G)`` and *max-angle*
  ``mean_{c != c'} |cos + 1 / (C - 1)|`` (all 0 for a simplex equiangular tight frame);
- **NC3** (self-duality): ``|| W^T / ||W||_F - M / ||M||_F ||_F^2`` with ``M = [mu_c - mu_G]``;
- **NC4** (nearest class centre): the share of examples where the classifier's prediction differs
  from the nearest class mean's.

Papers: Papyan, Han & Donoho, "Prevalence of Neural Collapse during the terminal phase of deep
learning training" (arXiv 2008.08186); Dang et al., "Neural Collapse in Deep Linear Networks: From
Balanced to Imbalanced Data" (arXiv 2301.00437); Tirer, Huang & Niles-Weed, "Perturbation Analysis
of Neural Collapse" (arXiv 2210.16658).
"""

from __future__ import annotations

import torch
from torch import nn

from neuralab.errors import NeuralabError
from neuralab.probes.hooks import capture, model_mode
from neuralab.probes.runner import probe_record
from neuralab.registry import register


def class_means(features: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(means (C, D), global mean (D,))`` over the classes present in ``labels``."""
    classes = labels.unique()
    means = torch.stack([features[labels == c].mean(0) for c in classes])
    return means, features.mean(0)


def nc1(features: torch.Tensor, labels: torch.Tensor) -> float:
    """``tr(Sigma_W Sigma_B^+) / C`` (0 when every example sits on its class mean)."""
    h = features.double().flatten(1)
    means, mu_g = class_means(h, labels)
    classes = labels.unique()
    centered = h - means[torch.searchsorted(classes, labels)]
    sigma_w = centered.T @ centered / h.shape[0]
    between = means - mu_g
    sigma_b = between.T @ between / len(classes)
    return float(torch.trace(sigma_w @ torch.linalg.pinv(sigma_b, hermitian=True))) / len(classes)


def _off_diagonal_cosines(vectors: torch.Tensor) -> torch.Tensor:
    unit = vectors / vectors.norm(dim=1, keepdim=True).clamp_min(1e-30)
    cos = unit @ unit.T
    mask = ~torch.eye(len(vectors), dtype=torch.bool)
    return cos[mask]


def nc2(features: torch.Tensor, labels: torch.Tensor) -> dict[str, float]:
    """Equinorm, equiangularity and max-angle deviations of the centred class means from an ETF."""
    h = features.double().flatten(1)
    means, mu_g = class_means(h, labels)
    centred = means - mu_g
    n_classes = len(means)
    norms = centred.norm(dim=1)
    cos = _off_diagonal_cosines(centred)
    return {"nc2_equinorm": float(norms.std() / norms.mean()),
            "nc2_equiangular": float(cos.std()),
            "nc2_max_angle": float((cos + 1.0 / (n_classes - 1)).abs().mean())}


def nc3(features: torch.Tensor, labels: torch.Tensor, weight: torch.Tensor) -> float:
    """Self-duality ``||W^T/||W|| - M/||M|| ||_F^2`` (classifier rows vs centred class means)."""
    h = features.double().flatten(1)
    means, mu_g = class_means(h, labels)
    m = (means - mu_g).T  # (D, C)
    w = weight.detach().double()[labels.unique()].T  # (D, C): the rows of the present classes
    return float((w / w.norm() - m / m.norm()).pow(2).sum())


def nc4(features: torch.Tensor, labels: torch.Tensor, logits: torch.Tensor) -> float:
    """The share of examples whose classifier prediction is not their nearest class mean."""
    h = features.double().flatten(1)
    means, _ = class_means(h, labels)
    nearest = labels.unique()[torch.cdist(h, means).argmin(1)]
    return float((logits.argmax(1) != nearest).double().mean())


def neural_collapse(features: torch.Tensor, labels: torch.Tensor, weight: torch.Tensor | None = None,
                    logits: torch.Tensor | None = None) -> dict[str, float]:
    """All NC metrics that the inputs allow (NC3 needs ``weight``, NC4 ``logits``)."""
    if features.shape[0] != labels.shape[0]:
        raise NeuralabError(f"{features.shape[0]} feature rows but {labels.shape[0]} labels")
    if labels.unique().numel() < 2:
        raise NeuralabError("neural collapse needs examples of at least two classes")
    out = {"nc1": nc1(features, labels), **nc2(features, labels)}
    if weight is not None:
        out["nc3_self_duality"] = nc3(features, labels, weight)
    if logits is not None:
        out["nc4_ncc_mismatch"] = nc4(features, labels, logits)
    return out


@register("probe", "neural_collapse",
          paper="Prevalence of Neural Collapse during the terminal phase of deep learning training",
          arxiv="2008.08186")
def neural_collapse_probe(model: nn.Module, x: torch.Tensor, y: torch.Tensor | None, *,
                          layers: list[str] | None = None) -> list[dict]:
    """NC1-NC4 of the penultimate features and the head; NC1/NC2 at other probe points too."""
    if y is None or y.dtype != torch.int64:
        raise NeuralabError("the neural_collapse probe needs integer class labels y")
    with torch.no_grad(), model_mode(model, False):
        feats = model.forward_features(x)
        logits = model.forward_head(feats)
        acts = {}
        if layers:
            with capture(model, layers) as acts:
                model(x)
    head = getattr(model, "head", None)
    weight = head.weight if isinstance(head, nn.Linear) else None
    rows = [probe_record(k, v) for k, v in neural_collapse(feats, y, weight, logits).items()]
    for name, a in acts.items():
        rows += [probe_record(k, v, layer=name) for k, v in
                 {"nc1": nc1(a, y), **nc2(a, y)}.items()]
    return rows
