"""Learned codebooks: weight sharing by k-means, with trainable centroids.

Han et al., "Deep Compression" (arXiv:1510.00149): the weights of a layer are clustered into
``K = 2^b`` centroids by k-means (linear initialization over ``[min w, max w]``); each weight is
stored as a ``b``-bit index into the codebook, ``w_ij = c[k_ij]``. Fine-tuning updates the
centroids with the summed gradient of the weights that share them — what autograd gives for
``c[k]``. With ``groups > 1`` the layer's output units are first sorted by the spread of their
weights and split into groups of similar distribution, each with its own codebook, the grouping
idea of "Network Memory Footprint Compression Through Jointly Learnable Codebooks and Mappings"
(its joint, proximal learning of the mappings is not implemented here: assignments stay fixed).
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.cluster import KMeans
from torch import nn

from neuralab.errors import NeuralabError


def kmeans_codebook(values: torch.Tensor, k: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """``(centroids (k,), assignments)`` of 1-D k-means with linear initialization."""
    x = values.detach().double().reshape(-1, 1).numpy()
    k = int(min(k, np.unique(x).size))
    init = np.linspace(x.min(), x.max(), k).reshape(-1, 1)
    km = KMeans(n_clusters=k, init=init, n_init=1, random_state=seed).fit(x)
    centroids = torch.as_tensor(km.cluster_centers_.ravel(), dtype=values.dtype)
    return centroids, torch.as_tensor(km.labels_, dtype=torch.long).view(values.shape)


class Codebook(nn.Module):
    """Weight parametrization ``w = c_g[k]``: per-group centroids (trainable) and fixed indices."""

    def __init__(self, weight: torch.Tensor, bits: int, *, groups: int = 1, seed: int = 0):
        super().__init__()
        if not 1 <= bits <= 8:
            raise NeuralabError(f"codebook quantization supports 1 to 8 bits, got {bits}")
        rows = weight.detach().reshape(weight.shape[0], -1)
        groups = max(1, min(int(groups), rows.shape[0]))
        order = torch.argsort(rows.std(1) if rows.shape[1] > 1 else rows.abs()[:, 0])
        group_of_row = torch.empty(rows.shape[0], dtype=torch.long)
        for g, chunk in enumerate(torch.tensor_split(order, groups)):
            group_of_row[chunk] = g
        k = 2**bits
        centroids = torch.zeros(groups, k, dtype=weight.dtype)
        index = torch.zeros(rows.shape, dtype=torch.long)
        for g in range(groups):
            sel = group_of_row == g
            c, labels = kmeans_codebook(rows[sel], k, seed)
            centroids[g, : c.numel()] = c
            index[sel] = labels + g * k
        self.bits = bits
        self.shape = tuple(weight.shape)
        self.centroids = nn.Parameter(centroids)
        self.register_buffer("index", index.reshape(self.shape))

    def forward(self, w: torch.Tensor) -> torch.Tensor:
        return self.centroids.reshape(-1)[self.index]  # (*weight shape)

    def extra_repr(self) -> str:
        return f"bits={self.bits}, groups={self.centroids.shape[0]}"
