"""Graphs as tensors: node features and a dense adjacency matrix packed into one example.

A graph of ``n`` nodes with ``F`` features per node is stored channel-first as ``(F + n, n)``:
column ``j`` is node ``j``, rows ``0 .. F-1`` its features and rows ``F .. F+n-1`` its adjacency
row (``A[j, :]``; adjacency matrices are symmetric here). Sequence models then see ``n`` steps
(nodes) of ``F + n`` features; graph models split the two parts with :func:`unpack_graph`.
Dense adjacency is the right choice at the scale of these experiments (hundreds of nodes).
"""

from __future__ import annotations

import torch


def pack_graph(features: torch.Tensor, adjacency: torch.Tensor) -> torch.Tensor:
    """``features (n, F)`` and ``adjacency (n, n)`` -> one example ``(F + n, n)``."""
    if adjacency.shape != (features.shape[0], features.shape[0]):
        raise ValueError(f"adjacency {tuple(adjacency.shape)} does not match {features.shape[0]} nodes")
    return torch.cat([features.T, adjacency.T], 0)


def unpack_graph(x: torch.Tensor, node_features: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``(B, F + n, n)`` -> node features ``(B, n, F)`` and adjacency ``(B, n, n)``."""
    return x[:, :node_features].transpose(1, 2), x[:, node_features:].transpose(1, 2)


def homophily(adjacency: torch.Tensor, labels: torch.Tensor) -> float:
    """Edge homophily: the fraction of edges that join nodes of the same class."""
    same = labels.unsqueeze(0) == labels.unsqueeze(1)
    edges = adjacency > 0
    return float((edges & same).sum() / edges.sum().clamp_min(1))
