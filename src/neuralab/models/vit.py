"""A small Vision Transformer for 1-D signals and images.

Dosovitskiy et al., "An Image is Worth 16x16 Words: Transformers for Image Recognition at Scale"
(arXiv:2010.11929). The input is cut into non-overlapping patches, each embedded linearly
(:class:`~neuralab.models.stems.PatchEmbed`), learned position embeddings are added, an optional
class token is prepended, and pre-norm Transformer blocks (the same
:class:`~neuralab.models.transformer.TransformerBlock` as the language model, so mixers and
feed-forward blocks are chosen by name) process the tokens::

    z_0 = [cls; patches W_E] + E_pos;   z_l = block_l(z_{l-1});   y = head(norm(z_L)[cls or mean])
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

from neuralab.components.init import initialize
from neuralab.components.norms import make_norm
from neuralab.data.dataset import DataSpec
from neuralab.models.base import Model
from neuralab.models.mlp import ActivationName, InitName, NormName
from neuralab.models.stems import PatchEmbed
from neuralab.models.transformer import FFNName, MixerName, TransformerBlock
from neuralab.registry import register


class VisionTransformer(Model):
    """Patch embedding + positions (+ class token) -> Transformer blocks -> norm -> pool -> head."""

    def __init__(self, spec: DataSpec, *, patch_size: int, d_model: int, n_layers: int,
                 n_heads: int, d_ff: int, mixer: str, ffn: str, activation: str, norm: str,
                 pool: Literal["cls", "mean"], dropout: float, init: str):
        super().__init__()
        self.patches = PatchEmbed(spec, patch_size, d_model, "vit")
        n_tokens = self.patches.n_patches + (pool == "cls")
        self.pool = pool
        self.cls = nn.Parameter(torch.zeros(1, 1, d_model)) if pool == "cls" else None
        self.pos = nn.Parameter(torch.zeros(1, n_tokens, d_model))
        self.blocks = nn.ModuleList(
            TransformerBlock(d_model, n_heads, d_ff, causal=False, mixer=mixer, ffn=ffn,
                             activation=activation, norm=norm, norm_position="pre", dropout=dropout)
            for _ in range(n_layers))
        self.final_norm = make_norm(norm, d_model)
        self.head = nn.Linear(d_model, spec.n_outputs)
        initialize(self.blocks, init, activation)
        initialize(self.head, init, "linear")
        with torch.no_grad():
            nn.init.normal_(self.pos, std=0.02)
            if self.cls is not None:
                nn.init.normal_(self.cls, std=0.02)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        z = self.patches(x)  # (B, T, D)
        if self.cls is not None:
            z = torch.cat([self.cls.expand(z.shape[0], -1, -1), z], dim=1)  # (B, 1 + T, D)
        z = z + self.pos
        for block in self.blocks:
            z = block(z)  # (B, T', D)
        z = self.final_norm(z)
        return z[:, 0] if self.pool == "cls" else z.mean(1)  # (B, D)

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        return self.head(features)  # (B, n_outputs)

    def probe_points(self) -> dict[str, nn.Module]:
        return {"patches": self.patches, **{f"block{i}": b for i, b in enumerate(self.blocks)},
                "head": self.head}


@register("model", "vit", paper="An Image is Worth 16x16 Words: Transformers for Image "
          "Recognition at Scale", arxiv="2010.11929")
def vit(
    spec: DataSpec,
    *,
    patch_size: int = 2,
    d_model: int = 32,
    n_layers: int = 2,
    n_heads: int = 4,
    d_ff: int | None = None,
    mixer: MixerName = "softmax_attention",
    ffn: FFNName = "mlp",
    activation: ActivationName = "gelu",
    norm: NormName = "layer",
    pool: Literal["cls", "mean"] = "cls",
    dropout: float = 0.0,
    init: InitName = "xavier",
) -> VisionTransformer:
    """Vision Transformer on patches of a 1-D signal or an image."""
    if d_model < 1 or n_layers < 0 or n_heads < 1 or d_model % n_heads:
        raise ValueError(f"need d_model divisible by n_heads, got {d_model} and {n_heads}")
    return VisionTransformer(spec, patch_size=patch_size, d_model=d_model, n_layers=n_layers,
                             n_heads=n_heads, d_ff=d_ff or 4 * d_model, mixer=mixer, ffn=ffn,
                             activation=activation, norm=norm, pool=pool, dropout=dropout,
                             init=init)
