"""Neural sheaf diffusion: diffusion with learned restriction maps on every edge.

Bodnar et al., "Neural Sheaf Diffusion: A Topological Perspective on Heterophily and
Oversmoothing in GNNs" (arXiv:2202.04579). Every node ``v`` carries a ``d``-dimensional stalk
(its features are a ``d x f`` matrix ``X_v``) and every edge ``e = (v, u)`` two restriction maps
``F_{v<e}, F_{u<e}`` (``d x d``), learned from the two endpoints' features
(``F_{v<e} = Phi([x_v, x_u])``). The sheaf Laplacian has blocks::

    L_vv = sum_{e ∋ v} F_{v<e}^T F_{v<e},     L_vu = -F_{v<e}^T F_{u<e}   (v ~ u)

normalized as ``Delta = (D + I)^{-1/2} L (D + I)^{-1/2}`` with ``D`` the diagonal of ``L`` (the
``+ I`` keeps isolated nodes finite). For diagonal and orthogonal maps the diagonal blocks of ``L``
are diagonal, so this is the paper's block normalization exactly; for general maps it normalizes by
the blocks' diagonals (no matrix square roots, whose gradients are unstable). One layer::

    X <- X - act(Delta (I_n ⊗ W_1) X W_2)

Maps are ``diag`` (``d`` numbers per edge end), ``orth`` (``exp`` of a skew-symmetric matrix: a
rotation, which can flip signs across an edge — what heterophilic graphs need), or ``general``.
With ``d = 1`` and identity maps, ``L`` is the graph Laplacian ``D - A`` and diffusion is the
ordinary kind.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

MapKind = Literal["diag", "orth", "general"]


def sheaf_laplacian(maps: torch.Tensor, adjacency: torch.Tensor, normalize: bool = True) -> torch.Tensor:
    """The (normalized) sheaf Laplacian ``(B, n d, n d)`` from restriction maps.

    ``maps[b, v, u]`` is ``F_{v<e}`` for the edge ``e = (v, u)``: ``(B, n, n, d, d)``;
    ``adjacency``: ``(B, n, n)`` 0/1 (entries off the edges are ignored). A self-loop ``(v, v)``
    adds nothing: its coboundary ``F_{v<e} x_v - F_{v<e} x_v`` is zero, so the diagonal of
    ``adjacency`` is ignored.
    """
    B, n, _, d, _ = maps.shape
    eye = torch.eye(n, dtype=maps.dtype, device=maps.device)
    maps = maps * (adjacency * (1 - eye))[..., None, None]  # only edges between two nodes count
    gram = maps.transpose(-1, -2) @ maps  # F_{v<e}^T F_{v<e}: (B, n, n, d, d)
    cross = maps.transpose(-1, -2) @ maps.transpose(1, 2)  # F_{v<e}^T F_{u<e}: (B, n, n, d, d)
    eye = eye[None, :, :, None, None]
    blocks = -cross * (1 - eye) + eye * gram.sum(2, keepdim=True)  # (B, v, u, d, d)
    if normalize:  # D^{-1/2} L D^{-1/2} with D the diagonal of L's diagonal blocks (+1)
        deg = torch.diagonal(gram.sum(2), dim1=-2, dim2=-1) + 1  # (B, n, d)
        s = deg.rsqrt()
        blocks = s[:, :, None, :, None] * blocks * s[:, None, :, None, :]
    return blocks.permute(0, 1, 3, 2, 4).reshape(B, n * d, n * d)  # (B, n d, n d)


class RestrictionMaps(nn.Module):
    """``F_{v<(v,u)} = Phi([x_v, x_u])`` for every ordered pair: ``(B, n, f) -> (B, n, n, d, d)``."""

    def __init__(self, in_features: int, stalk_dim: int, kind: MapKind):
        super().__init__()
        self.d, self.kind = stalk_dim, kind
        n_out = {"diag": stalk_dim, "orth": stalk_dim * stalk_dim, "general": stalk_dim**2}[kind]
        self.linear = nn.Linear(2 * in_features, n_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, n, f = x.shape
        pairs = torch.cat([x.unsqueeze(2).expand(B, n, n, f), x.unsqueeze(1).expand(B, n, n, f)], -1)
        raw = self.linear(pairs)  # (B, n, n, n_out)
        d = self.d
        if self.kind == "diag":
            return torch.diag_embed(torch.tanh(raw))
        m = raw.view(B, n, n, d, d)
        if self.kind == "orth":
            return torch.linalg.matrix_exp(m - m.transpose(-1, -2))  # a rotation
        return torch.tanh(m)


class SheafDiffusionLayer(nn.Module):
    """``X <- X - act(Delta (I ⊗ W_1) X W_2)`` on stalks ``X: (B, n d, f)``."""

    def __init__(self, stalk_dim: int, channels: int, activation: nn.Module):
        super().__init__()
        self.d = stalk_dim
        self.w1 = nn.Linear(stalk_dim, stalk_dim, bias=False)
        self.w2 = nn.Linear(channels, channels, bias=False)
        self.act = activation
        with torch.no_grad():
            self.w1.weight.copy_(torch.eye(stalk_dim))

    def forward(self, x: torch.Tensor, delta: torch.Tensor) -> torch.Tensor:
        B, nd, f = x.shape
        mixed = self.w1(x.view(B, nd // self.d, self.d, f).transpose(-1, -2))  # W_1 on each stalk
        mixed = mixed.transpose(-1, -2).reshape(B, nd, f)
        return x - self.act(delta @ self.w2(mixed))  # (B, n d, f)
