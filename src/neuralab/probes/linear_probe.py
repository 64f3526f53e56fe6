"""Layer-wise linear probes: how linearly decodable a property is at each depth.

For every probe point, a multinomial logistic regression (``sklearn.linear_model.LogisticRegression``
on standardized features) is fitted on one part of the examples and scored on the rest. The
*concept depth* of a property is the first layer whose probe accuracy reaches ``fraction`` of the
best layer's accuracy: simple properties are decodable early, complex ones only deeper.

Papers: Alain & Bengio, "Understanding intermediate layers using linear classifier probes"
(arXiv 1610.01644); Jin et al., "Exploring Concept Depth: How Large Language Models Acquire
Knowledge at Different Layers?" (arXiv 2404.07066).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from neuralab.errors import NeuralabError
from neuralab.probes.runner import probe_record
from neuralab.probes.similarity import layer_outputs
from neuralab.registry import register


def probe_accuracy(features: torch.Tensor, labels: torch.Tensor, *, train_fraction: float = 0.5,
                   seed: int = 0, c: float = 1.0) -> float:
    """Held-out accuracy of a logistic-regression probe of ``labels`` from ``features``."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    f = features.detach().double().reshape(features.shape[0], -1).cpu().numpy()
    y = labels.cpu().numpy()
    perm = np.random.default_rng(seed).permutation(len(y))
    cut = int(train_fraction * len(y))
    fit, held = perm[:cut], perm[cut:]
    if len(np.unique(y[fit])) < 2 or len(held) == 0:
        raise NeuralabError("a linear probe needs at least two classes in its training part and a held-out part")
    scaler = StandardScaler().fit(f[fit])
    clf = LogisticRegression(C=c, max_iter=2000).fit(scaler.transform(f[fit]), y[fit])
    return float((clf.predict(scaler.transform(f[held])) == y[held]).mean())


def layerwise_probe(model: nn.Module, x: torch.Tensor, labels: torch.Tensor, *,
                    layers: list[str] | None = None, seed: int = 0) -> dict[str, float]:
    """``{layer: probe accuracy}`` over the probe points (in depth order), the input first."""
    out = {"input": probe_accuracy(x, labels, seed=seed)}
    for name, a in layer_outputs(model, x, layers).items():
        out[name] = probe_accuracy(a, labels, seed=seed)
    return out


def concept_depth(accuracies: dict[str, float], fraction: float = 0.95) -> int:
    """The index (in order) of the first layer reaching ``fraction`` of the best accuracy."""
    values = list(accuracies.values())
    best = max(values)
    return next(i for i, v in enumerate(values) if v >= fraction * best)


@register("probe", "linear_probe",
          paper="Exploring Concept Depth: How Large Language Models Acquire Knowledge at Different "
          "Layers?", arxiv="2404.07066")
def linear_probe_probe(model: nn.Module, x: torch.Tensor, y: torch.Tensor | None, *,
                       fraction: float = 0.95, seed: int = 0) -> list[dict]:
    """Held-out linear-probe accuracy of the labels at the input and every probe point, and the
    concept depth (first layer within ``fraction`` of the best)."""
    if y is None:
        raise NeuralabError("the linear_probe probe needs labels y")
    acc = layerwise_probe(model, x, y, seed=seed)
    rows = [probe_record("probe_accuracy", v, layer=k) for k, v in acc.items()]
    return rows + [probe_record("concept_depth", concept_depth(acc, fraction))]
