"""Graph layers on dense adjacency matrices: GCN propagation, sheaf diffusion, learnable aggregators."""

from neuralab.components.graph.propagation import GraphConv, normalized_adjacency
from neuralab.components.graph.sheaf import SheafDiffusionLayer, sheaf_laplacian

__all__ = ["GraphConv", "SheafDiffusionLayer", "normalized_adjacency", "sheaf_laplacian"]
