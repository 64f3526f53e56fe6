"""Distance of a classifier's predictions to the optimal constant solution (OCS).

Kang, Luo, Reed & Levine, "Deep Neural Networks Tend To Extrapolate Predictably"
(arXiv:2310.00873): as inputs move further out of distribution, the predictions of a trained
network tend towards the *optimal constant solution*, the one prediction that minimizes the
training loss without looking at the input. Under cross-entropy it is the training labels'
marginal ``pi``. The distance used here is the loss the prediction ``p(x)`` gives, in excess of
the OCS's own, when labels are drawn from ``pi``::

    ocs_distance(x) = E_{y ~ pi}[-log p_y(x)] - H(pi) = KL(pi || p(x))       (nats)

averaged over the inputs; 0 exactly when every prediction is the OCS. The registered probe
takes ``pi`` from ``marginal`` or, without it, from the labels ``y`` given.
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


def label_marginal(labels: torch.Tensor, classes: int) -> torch.Tensor:
    """``(classes,)`` share of each class in ``labels``: the OCS under cross-entropy."""
    return torch.bincount(labels.long(), minlength=classes).double() / len(labels)


def ocs_distance(logits: torch.Tensor, marginal: torch.Tensor) -> float:
    """Mean over rows of ``KL(marginal || softmax(logits))``; ``logits`` (N, K), ``marginal`` (K,)."""
    log_p = torch.log_softmax(logits.double(), dim=-1)                 # (N, K)
    pi = marginal.double().to(log_p.device)
    kept = pi > 0  # classes the OCS never predicts add nothing (0 log 0 = 0)
    per_row = (pi[kept] * (pi[kept].log() - log_p[:, kept])).sum(-1)     # (N,)
    return float(per_row.mean())


@register("probe", "ocs_distance", paper="Deep Neural Networks Tend To Extrapolate Predictably",
          arxiv="2310.00873")
def ocs_distance_probe(model: nn.Module, x: torch.Tensor, y: torch.Tensor | None = None, *,
                       marginal: Sequence[float] | None = None) -> list[dict[str, Any]]:
    """Records ``ocs_distance``: the mean ``KL(pi || p(x))`` of the model's predictions on ``x``
    from the OCS ``pi`` (``marginal``, or the label shares of ``y``)."""
    with torch.no_grad(), model_mode(model, False):
        logits = model(x)
    classes = logits.shape[-1]
    if marginal is not None:
        pi = torch.tensor(list(marginal), dtype=torch.float64)
        if (pi.shape != (classes,) or not torch.isfinite(pi).all() or (pi < 0).any()
                or not pi.sum() > 0):
            raise NeuralabError(f"marginal must be {classes} finite non-negative shares with a "
                                f"positive sum, got {list(marginal)}")
        pi = pi / pi.sum()
    elif y is not None:
        if y.numel() == 0 or y.min() < 0 or y.max() >= classes:
            raise NeuralabError(f"the ocs_distance probe needs labels in 0..{classes - 1} "
                                "(the model's classes), at least one")
        pi = label_marginal(y, classes)
    else:
        raise NeuralabError("the ocs_distance probe needs the OCS: pass marginal=[...] or labels y")
    return [probe_record("ocs_distance", ocs_distance(logits, pi))]
