"""Deep Adaptive Graph Neural Network: transform once, then propagate far with adaptive hop weights.

Liu, Gao & Ji, "Towards Deeper Graph Neural Networks" (arXiv:2007.09296). The entanglement of
transformation and propagation in each GCN layer, not propagation itself, is what makes deep GCNs
degrade; DAGNN decouples them::

    Z = MLP(X)                      (n, c)   transformation, to the classes
    H_l = A_hat^l Z,  l = 0 .. K    (n, K+1, c)   propagation, no parameters
    s_l = sigmoid(H_l w)            (n, K+1)      adaptive retention score of each hop
    out = sum_l s_l H_l             (n, c)        the logits

so a large receptive field ``K`` costs no extra depth of learned transformations. The head is the
identity: the combined representation already lives in class space.
"""

from __future__ import annotations

import torch
from torch import nn

from neuralab.components.activations import make_activation
from neuralab.components.graph import normalized_adjacency
from neuralab.data.dataset import DataSpec
from neuralab.models.graph_model import GraphModel
from neuralab.models.mlp import ActivationName
from neuralab.registry import register


class DAGNN(GraphModel):
    """MLP to class scores, ``K`` propagation hops, adaptive per-hop retention."""

    def __init__(self, spec: DataSpec, *, hidden: int, hops: int, activation: str, dropout: float):
        super().__init__(spec, "dagnn")
        self.hops = hops
        self.mlp = nn.Sequential(nn.Dropout(dropout), nn.Linear(self.n_features, hidden),
                                 make_activation(activation), nn.Dropout(dropout),
                                 nn.Linear(hidden, spec.n_outputs))
        self.retention = nn.Linear(spec.n_outputs, 1)
        self.head = nn.Identity()

    def hop_representations(self, x: torch.Tensor, adjacency: torch.Tensor) -> torch.Tensor:
        """``H_l = A_hat^l MLP(X)`` for ``l = 0 .. K``: ``(B, n, K + 1, c)``."""
        a_hat = normalized_adjacency(adjacency)
        h = self.mlp(x)  # (B, n, c)
        hops = [h]
        for _ in range(self.hops):
            h = a_hat @ h
            hops.append(h)
        return torch.stack(hops, 2)

    def node_features(self, x: torch.Tensor, adjacency: torch.Tensor) -> torch.Tensor:
        stack = self.hop_representations(x, adjacency)  # (B, n, K + 1, c)
        scores = torch.sigmoid(self.retention(stack))  # (B, n, K + 1, 1)
        return (scores * stack).sum(2)  # (B, n, c)

    def probe_points(self) -> dict[str, nn.Module]:
        return {"mlp": self.mlp, "retention": self.retention}


@register("model", "dagnn", paper="Towards Deeper Graph Neural Networks", arxiv="2007.09296")
def dagnn(spec: DataSpec, *, hidden: int = 64, hops: int = 10, activation: ActivationName = "relu",
          dropout: float = 0.5) -> DAGNN:
    """DAGNN: decoupled transformation (MLP) and ``hops``-step propagation with adaptive weights."""
    if hidden < 1 or hops < 0:
        raise ValueError(f"need hidden >= 1 and hops >= 0, got {hidden}, {hops}")
    return DAGNN(spec, hidden=hidden, hops=hops, activation=activation, dropout=dropout)
