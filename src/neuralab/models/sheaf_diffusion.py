"""Neural sheaf diffusion network: node features lifted to stalks and diffused with learned sheaves.

Bodnar et al., "Neural Sheaf Diffusion: A Topological Perspective on Heterophily and
Oversmoothing in GNNs" (arXiv:2202.04579). Node features are mapped to ``d`` stalk dimensions of
``channels`` each (``X: (n d, f)``); each of ``depth`` layers learns restriction maps from the
current features, builds the normalized sheaf Laplacian and takes one diffusion step
(:class:`~neuralab.components.graph.SheafDiffusionLayer`); a linear head reads each node's stalk.
With sign-flipping (orthogonal) or scaling (diagonal) maps the diffusion can separate classes
joined by edges, which plain (GCN) diffusion mixes — the paper's account of heterophily.
"""

from __future__ import annotations

import torch
from torch import nn

from neuralab.components.activations import make_activation
from neuralab.components.graph import SheafDiffusionLayer, sheaf_laplacian
from neuralab.components.graph.sheaf import MapKind, RestrictionMaps
from neuralab.data.dataset import DataSpec
from neuralab.models.graph_model import GraphModel
from neuralab.models.mlp import ActivationName
from neuralab.registry import register


class SheafDiffusionNet(GraphModel):
    """Lift to stalks -> ``depth`` sheaf diffusion layers (maps re-learned each layer) -> head."""

    def __init__(self, spec: DataSpec, *, stalk_dim: int, channels: int, depth: int,
                 maps: MapKind, activation: str, dropout: float):
        super().__init__(spec, "sheaf_diffusion")
        self.d, self.f = stalk_dim, channels
        self.lift = nn.Sequential(nn.Dropout(dropout), nn.Linear(self.n_features, stalk_dim * channels))
        self.maps = nn.ModuleList(RestrictionMaps(stalk_dim * channels, stalk_dim, maps)
                                  for _ in range(depth))
        self.layers = nn.ModuleList(SheafDiffusionLayer(stalk_dim, channels, make_activation(activation))
                                    for _ in range(depth))
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(stalk_dim * channels, spec.n_outputs)

    def node_features(self, x: torch.Tensor, adjacency: torch.Tensor) -> torch.Tensor:
        B, n, _ = x.shape
        h = self.lift(x)  # (B, n, d f)
        stalks = h.view(B, n * self.d, self.f)  # (B, n d, f)
        for maps, layer in zip(self.maps, self.layers):
            delta = sheaf_laplacian(maps(stalks.reshape(B, n, -1)), adjacency)  # (B, n d, n d)
            stalks = self.dropout(layer(stalks, delta))
        return stalks.reshape(B, n, self.d * self.f)  # (B, n, d f)

    def probe_points(self) -> dict[str, nn.Module]:
        return {"lift": self.lift, **{f"layer{i}": m for i, m in enumerate(self.layers)},
                "head": self.head}


@register("model", "sheaf_diffusion", aliases=("nsd",), paper="Neural Sheaf Diffusion: A "
          "Topological Perspective on Heterophily and Oversmoothing in GNNs", arxiv="2202.04579")
def sheaf_diffusion(spec: DataSpec, *, stalk_dim: int = 2, channels: int = 16, depth: int = 2,
                    maps: MapKind = "orth", activation: ActivationName = "elu",
                    dropout: float = 0.0) -> SheafDiffusionNet:
    """Neural sheaf diffusion with diagonal, orthogonal or general restriction maps."""
    if stalk_dim < 1 or channels < 1 or depth < 1:
        raise ValueError("need stalk_dim, channels and depth >= 1")
    return SheafDiffusionNet(spec, stalk_dim=stalk_dim, channels=channels, depth=depth, maps=maps,
                             activation=activation, dropout=dropout)
