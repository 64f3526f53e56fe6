"""Multi-sample dropout: several dropout masks on the same features, one shared head.

Inoue, "Multi-Sample Dropout for Accelerated Training and Better Generalization"
(arXiv:1905.09788). In training, the features are dropped out ``K`` times with independent masks,
the shared head is applied to each copy, and the loss is the average of the ``K`` losses::

    L = (1 / K) * sum_k criterion(head(dropout_k(h)), y)

so one step sees ``K`` dropout samples for the cost of ``K`` head evaluations (the feature
extractor runs once). At evaluation dropout is off and the head sees ``h`` itself, exactly as with
ordinary dropout; ``K = 1`` *is* ordinary dropout before the head. Models use it through
:meth:`neuralab.models.base.Model.training_loss`; the ``mlp`` model builds it with
``head_dropout`` and ``dropout_samples``.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn



class MultiSampleDropout(nn.Module):
    """A head that averages its training loss over ``samples`` dropout masks."""

    def __init__(self, head: nn.Module, p: float = 0.5, samples: int = 8):
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"dropout probability must be in [0, 1), got {p}")
        if samples < 1:
            raise ValueError(f"samples must be at least 1, got {samples}")
        self.head, self.samples = head, samples
        self.dropout = nn.Dropout(p)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return self.head(features)  # (B, ..., n_out): no dropout at evaluation
        outs = [self.head(self.dropout(features)) for _ in range(self.samples)]
        return torch.stack(outs).mean(0)  # the mean output over masks

    def training_loss(self, features: torch.Tensor, y: torch.Tensor,
                      criterion: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> torch.Tensor:
        losses = [criterion(self.head(self.dropout(features)), y) for _ in range(self.samples)]
        return torch.stack(losses).mean()  # (1/K) sum_k loss_k

    def extra_repr(self) -> str:
        return f"p={self.dropout.p:g}, samples={self.samples}"
