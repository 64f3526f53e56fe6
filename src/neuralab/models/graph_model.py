"""The common frame of graph networks: unpack the graph, compute node representations, classify nodes.

Inputs are graphs in the dense layout of :mod:`neuralab.data.graph` (``(B, F + n, n)``); a graph
model returns per-node outputs ``(B, n, n_outputs)`` — a sequence task over nodes, so the ordinary
losses, metrics and trainer apply (unlabelled nodes carry ``IGNORE_INDEX``).
"""

from __future__ import annotations

import torch
from torch import nn

from neuralab.data.dataset import DataSpec
from neuralab.data.graph import unpack_graph
from neuralab.models.base import Model


def check_graph_spec(spec: DataSpec, model: str) -> int:
    """The number of node features; a ``ValueError`` unless ``spec`` describes graphs."""
    if not spec.is_graph or spec.task != "sequence":
        raise ValueError(f"{model} classifies the nodes of graphs; use a graph dataset "
                         f"(e.g. 'csbm' or 'sbm')")
    assert spec.node_features is not None
    return spec.node_features


class GraphModel(Model):
    """Subclasses set ``self.head`` (applied per node) and implement ``node_features(x, adjacency) -> (B, n, H)``."""

    def __init__(self, spec: DataSpec, name: str):
        super().__init__()
        self.n_features = check_graph_spec(spec, name)

    def node_features(self, x: torch.Tensor, adjacency: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward_features(self, graph: torch.Tensor) -> torch.Tensor:
        x, adjacency = unpack_graph(graph, self.n_features)  # (B, n, F), (B, n, n)
        return self.node_features(x, adjacency)  # (B, n, H)

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        return self.head(features)  # (B, n, n_outputs)

