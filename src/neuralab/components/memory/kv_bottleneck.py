"""Discrete key-value bottleneck: features snap to their nearest frozen key; values are learned.

Träuble et al., "Discrete Key-Value Bottleneck" (arXiv:2207.11240). A (frozen) encoder's feature
``z`` is projected by ``C`` fixed random maps into ``C`` heads ``z_c = P_c z``; each head selects
its nearest key among ``n_keys`` frozen keys and returns that key's learnable value; the decoder
averages the ``C`` values (with values of size ``n_classes``, the average is the logit vector)::

    i_c = argmin_i || z_c - key_{c,i} ||,      y = (1/C) sum_c value_{c, i_c}

Only the selected values receive gradients, so learning is local and sparse, which is what
limits forgetting in class-incremental training. The keys are fitted once to data with k-means++
seeding (scikit-learn) — call :meth:`initialize_keys`, or let the first training batch do it —
and are frozen afterwards.
"""

from __future__ import annotations

import math

import torch
from sklearn.cluster import kmeans_plusplus
from torch import nn


class DiscreteKeyValueBottleneck(nn.Module):
    """``C`` codebooks of frozen keys with learnable values: ``(B, d_in) -> (B, d_value)``."""

    def __init__(self, d_in: int, d_value: int, *, n_codebooks: int = 32, n_keys: int = 64,
                 d_key: int = 8):
        super().__init__()
        self.n_keys = n_keys
        self.register_buffer("projections", torch.randn(n_codebooks, d_in, d_key) / math.sqrt(d_in))
        self.register_buffer("keys", torch.randn(n_codebooks, n_keys, d_key))
        self.register_buffer("initialized", torch.zeros((), dtype=torch.bool))
        self.values = nn.Parameter(torch.zeros(n_codebooks, n_keys, d_value))

    def project(self, z: torch.Tensor) -> torch.Tensor:
        """``z (B, d_in) -> (B, C, d_key)``: the per-codebook views of the features."""
        return torch.einsum("bi,cik->bck", z, self.projections)

    @torch.no_grad()
    def initialize_keys(self, z: torch.Tensor) -> None:
        """Place each codebook's keys by k-means++ seeding on the features ``z (B, d_in)``."""
        heads = self.project(z).cpu().double().numpy()
        if heads.shape[0] < self.n_keys:
            raise ValueError(f"need at least n_keys={self.n_keys} examples to place keys, "
                             f"got {heads.shape[0]}")
        for c in range(heads.shape[1]):
            centers, _ = kmeans_plusplus(heads[:, c], self.n_keys, random_state=c)
            self.keys[c] = torch.as_tensor(centers, dtype=self.keys.dtype)
        self.initialized.fill_(True)

    def select(self, z: torch.Tensor) -> torch.Tensor:
        """The index of the nearest key per codebook: ``(B, C)``."""
        heads = self.project(z)  # (B, C, k)
        distances = torch.cdist(heads.transpose(0, 1), self.keys,
                                compute_mode="donot_use_mm_for_euclid_dist")  # (C, B, n_keys)
        return distances.argmin(-1).T

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if self.training and not bool(self.initialized) and z.shape[0] >= self.n_keys:
            self.initialize_keys(z)
        idx = self.select(z)  # (B, C)
        codebook = torch.arange(idx.shape[1], device=z.device)
        return self.values[codebook, idx].mean(1)  # (B, d_value)
