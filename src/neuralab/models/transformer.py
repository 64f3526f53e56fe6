"""A small Transformer: an encoder classifier or a causal (character) language model.

Vaswani et al., "Attention Is All You Need" (arXiv:1706.03762); the decoder-only LM follows
Radford et al. (GPT-2) and nanoGPT. Inputs pass through a
:class:`~neuralab.models.stems.SequenceStem` plus learned position embeddings to ``(B, T, D)``,
then ``n_layers`` blocks. With ``norm_position="pre"`` (Xiong et al., arXiv:2002.04745)::

    x = x + mixer(norm_1(x));  x = x + ffn(norm_2(x))

and with ``"post"`` (the original)::

    x = norm_1(x + mixer(x));  x = norm_2(x + ffn(x))

A pre-LN stack ends with a final norm. Classification and regression read the mean over positions
(encoder) or the last position (causal); sequence tasks read every position. ``causal`` defaults
to True for sequence tasks and False otherwise.
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
from neuralab.models.stems import SequenceStem, sequence_shape
from neuralab.registry import REGISTRY, register, registered_name

MixerName = registered_name("mixer")
FFNName = registered_name("ffn")
NormPosition = Literal["pre", "post"]


class TransformerBlock(nn.Module):
    """A residual mixer sub-layer and a residual feed-forward sub-layer, with norms."""

    def __init__(self, d_model: int, n_heads: int, d_ff: int, *, causal: bool, mixer: str, ffn: str,
                 activation: str, norm: str, norm_position: NormPosition, dropout: float):
        super().__init__()
        self.norm_position = norm_position
        self.norm1 = make_norm(norm, d_model)
        self.mixer = REGISTRY.create("mixer", mixer, d_model, n_heads, causal)
        self.norm2 = make_norm(norm, d_model)
        self.ffn = REGISTRY.create("ffn", ffn, d_model, d_ff, activation)
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.norm_position == "pre":
            x = x + self.dropout(self.mixer(self.norm1(x)))  # (B, T, D)
            return x + self.dropout(self.ffn(self.norm2(x)))
        x = self.norm1(x + self.dropout(self.mixer(x)))
        return self.norm2(x + self.dropout(self.ffn(x)))


class Transformer(Model):
    """Stem + position embedding -> blocks -> (final norm) -> pooling -> linear head."""

    def __init__(self, spec: DataSpec, *, d_model: int, n_layers: int, n_heads: int, d_ff: int,
                 causal: bool, mixer: str, ffn: str, activation: str, norm: str,
                 norm_position: NormPosition, dropout: float, init: str):
        super().__init__()
        self.per_step = spec.task == "sequence"
        self.causal = causal
        length, _ = sequence_shape(spec)
        self.stem = SequenceStem(spec, d_model)
        self.pos = nn.Parameter(torch.zeros(length, d_model))
        self.blocks = nn.ModuleList(
            TransformerBlock(d_model, n_heads, d_ff, causal=causal, mixer=mixer, ffn=ffn,
                             activation=activation, norm=norm, norm_position=norm_position,
                             dropout=dropout)
            for _ in range(n_layers))
        self.final_norm = make_norm(norm, d_model) if norm_position == "pre" else nn.Identity()
        self.head = nn.Linear(d_model, spec.n_outputs)
        initialize(self.blocks, init, activation)
        initialize(self.head, init, "linear")
        with torch.no_grad():
            nn.init.normal_(self.pos, std=0.02)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        T = x.shape[-1]
        h = self.stem(x) + self.pos[:T]  # (B, T, D)
        for block in self.blocks:
            h = block(h)  # (B, T, D)
        h = self.final_norm(h)
        if self.per_step:
            return h  # (B, T, D)
        return h[:, -1] if self.causal else h.mean(1)  # (B, D)

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        return self.head(features)  # (B, [T,] n_outputs)

    def probe_points(self) -> dict[str, nn.Module]:
        return {"stem": self.stem, **{f"block{i}": b for i, b in enumerate(self.blocks)},
                "head": self.head}


@register("model", "transformer", aliases=("char_lm",), paper="Attention Is All You Need",
          arxiv="1706.03762")
def transformer(
    spec: DataSpec,
    *,
    d_model: int = 64,
    n_layers: int = 2,
    n_heads: int = 4,
    d_ff: int | None = None,
    causal: bool | None = None,
    mixer: MixerName = "softmax_attention",
    ffn: FFNName = "mlp",
    activation: ActivationName = "gelu",
    norm: NormName = "layer",
    norm_position: NormPosition = "pre",
    dropout: float = 0.0,
    init: InitName = "xavier",
) -> Transformer:
    """Transformer encoder classifier, or causal LM for sequence tasks."""
    if d_model < 1 or n_layers < 0 or n_heads < 1:
        raise ValueError("need d_model >= 1, n_layers >= 0 and n_heads >= 1")
    if d_model % n_heads:
        raise ValueError(f"d_model ({d_model}) must be divisible by n_heads ({n_heads})")
    return Transformer(
        spec, d_model=d_model, n_layers=n_layers, n_heads=n_heads, d_ff=d_ff or 4 * d_model,
        causal=spec.task == "sequence" if causal is None else causal, mixer=mixer, ffn=ffn,
        activation=activation, norm=norm, norm_position=norm_position, dropout=dropout, init=init)
