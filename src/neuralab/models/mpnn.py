"""Message passing with a chosen neighbourhood aggregator (a GIN-style update).

Xu et al., "How Powerful are Graph Neural Networks?" (arXiv:1810.00826)::

    h_v <- MLP((1 + eps) h_v + AGG({h_u : u ~ v}))

with ``AGG`` any registered aggregator (``sum``, ``mean``, ``max``, ``gru``, ``lcm``: see
:mod:`neuralab.components.graph.aggregators`). With dense adjacency every node's multiset is the
row of all nodes masked by its adjacency row.
"""

from __future__ import annotations

import torch
from torch import nn

from neuralab.components.activations import make_activation
from neuralab.data.dataset import DataSpec
from neuralab.models.graph_model import GraphModel
from neuralab.models.mlp import ActivationName
from neuralab.registry import REGISTRY, register, registered_name

AggregatorName = registered_name("aggregator")


class MessagePassingLayer(nn.Module):
    """``h_v <- MLP((1 + eps) h_v + AGG(neighbours))``."""

    def __init__(self, dim: int, aggregator: str, activation: str):
        super().__init__()
        self.aggregate = REGISTRY.create("aggregator", aggregator, dim)
        self.eps = nn.Parameter(torch.zeros(()))
        self.mlp = nn.Sequential(nn.Linear(dim, dim), make_activation(activation), nn.Linear(dim, dim))

    def forward(self, h: torch.Tensor, adjacency: torch.Tensor) -> torch.Tensor:
        B, n, D = h.shape
        messages = h.unsqueeze(1).expand(B, n, n, D).reshape(B * n, n, D)  # row v: every node
        agg = self.aggregate(messages, (adjacency > 0).reshape(B * n, n)).view(B, n, D)
        return self.mlp((1 + self.eps) * h + agg)  # (B, n, D)


class MPNN(GraphModel):
    """Embed -> message-passing layers (residual) -> per-node head."""

    def __init__(self, spec: DataSpec, *, hidden: int, depth: int, aggregator: str, activation: str):
        super().__init__(spec, "mpnn")
        self.embed = nn.Linear(self.n_features, hidden)
        self.layers = nn.ModuleList(MessagePassingLayer(hidden, aggregator, activation)
                                    for _ in range(depth))
        self.act = make_activation(activation)
        self.head = nn.Linear(hidden, spec.n_outputs)

    def node_features(self, x: torch.Tensor, adjacency: torch.Tensor) -> torch.Tensor:
        h = self.embed(x)  # (B, n, hidden)
        for layer in self.layers:
            h = h + self.act(layer(h, adjacency))
        return h

    def probe_points(self) -> dict[str, nn.Module]:
        return {"embed": self.embed, **{f"layer{i}": m for i, m in enumerate(self.layers)},
                "head": self.head}


@register("model", "mpnn", paper="How Powerful are Graph Neural Networks?", arxiv="1810.00826")
def mpnn(spec: DataSpec, *, hidden: int = 32, depth: int = 2, aggregator: AggregatorName = "sum",
         activation: ActivationName = "relu") -> MPNN:
    """GIN-style message passing with a registered aggregator (sum, mean, max, gru, lcm)."""
    if hidden < 1 or depth < 1:
        raise ValueError(f"need hidden >= 1 and depth >= 1, got {hidden}, {depth}")
    return MPNN(spec, hidden=hidden, depth=depth, aggregator=aggregator, activation=activation)
