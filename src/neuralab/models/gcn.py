"""Graph convolutional network: stacked propagate-and-transform layers.

Kipf & Welling, "Semi-Supervised Classification with Graph Convolutional Networks"
(arXiv:1609.02907)::

    H_0 = X,   H_l = dropout(act(A_hat H_{l-1} W_l)),   logits = A_hat H_{L-1} W_L

(``depth`` graph convolutions in all; the last one outputs the classes, and is split as
``(A_hat H_{L-1}) W_L``: the features are the propagated ``A_hat H_{L-1}``, the head the linear
map). Each layer both
propagates (``A_hat``) and transforms (``W``); stacking many of them over-smooths the node
representations, which is what "Towards Deeper Graph Neural Networks" (``dagnn``) decouples.
"""

from __future__ import annotations

import torch
from torch import nn

from neuralab.components.activations import make_activation
from neuralab.components.graph import GraphConv, normalized_adjacency
from neuralab.data.dataset import DataSpec
from neuralab.models.graph_model import GraphModel
from neuralab.models.mlp import ActivationName
from neuralab.registry import register


class GCN(GraphModel):
    """``depth - 1`` hidden graph convolutions; the head is the last graph convolution."""

    def __init__(self, spec: DataSpec, *, hidden: int, depth: int, activation: str, dropout: float):
        super().__init__(spec, "gcn")
        dims = [self.n_features] + [hidden] * (depth - 1)
        self.layers = nn.ModuleList(GraphConv(a, b) for a, b in zip(dims[:-1], dims[1:]))
        self.act = make_activation(activation)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(dims[-1], spec.n_outputs)

    def node_features(self, x: torch.Tensor, adjacency: torch.Tensor) -> torch.Tensor:
        a_hat = normalized_adjacency(adjacency)  # (B, n, n)
        h = self.dropout(x)
        for layer in self.layers:
            h = self.dropout(self.act(layer(h, a_hat)))  # (B, n, hidden)
        return a_hat @ h  # the last layer's propagation; its weights are the head

    def probe_points(self) -> dict[str, nn.Module]:
        return {**{f"layer{i}": m for i, m in enumerate(self.layers)}, "head": self.head}


@register("model", "gcn", paper="Semi-Supervised Classification with Graph Convolutional Networks",
          arxiv="1609.02907")
def gcn(spec: DataSpec, *, hidden: int = 32, depth: int = 2, activation: ActivationName = "relu",
        dropout: float = 0.5) -> GCN:
    """Graph convolutional network with ``depth`` graph convolutions (dense adjacency)."""
    if hidden < 1 or depth < 1:
        raise ValueError(f"need hidden >= 1 and depth >= 1, got {hidden}, {depth}")
    return GCN(spec, hidden=hidden, depth=depth, activation=activation, dropout=dropout)
