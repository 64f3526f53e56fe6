"""Gated linear unit (GLU) feed-forward blocks, registered under kind ``"ffn"``.

Shazeer, "GLU Variants Improve Transformer" (arXiv:2002.05202), after Dauphin et al., "Language
Modeling with Gated Convolutional Networks" (arXiv:1612.08083). The hidden layer is the product of
a gated and a linear projection::

    FFN_gated(x) = W_2 (act(W x + b) * (V x + c)) + b_2

with ``act`` = sigmoid (GLU), identity (Bilinear), ReLU (ReGLU), GELU (GEGLU) or Swish/SiLU
(SwiGLU). A gated block has three matrices instead of two, so with ``match_params=True`` (the
paper's convention) the hidden width is ``round(2/3 * d_hidden)``: the same parameter count and
compute as the two-matrix ``mlp`` block of width ``d_hidden``.

The named variants fix the gate's activation and ignore the ``activation`` argument of the ffn
signature; ``gated`` uses it, so any registered activation can gate.
"""

from __future__ import annotations

import torch
from torch import nn

from neuralab.components.activations import make_activation
from neuralab.registry import register

PAPER = dict(paper="GLU Variants Improve Transformer", arxiv="2002.05202")


class GatedFeedForward(nn.Module):
    """``down(act(gate(x)) * up(x))`` with optional parameter matching to a plain FFN."""

    def __init__(self, d_model: int, d_hidden: int, activation: str, *, match_params: bool = True,
                 dropout: float = 0.0, bias: bool = True):
        super().__init__()
        hidden = max(1, round(2 * d_hidden / 3)) if match_params else d_hidden
        self.gate = nn.Linear(d_model, hidden, bias=bias)
        self.up = nn.Linear(d_model, hidden, bias=bias)
        self.act = make_activation(activation)
        self.down = nn.Linear(hidden, d_model, bias=bias)
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.act(self.gate(x)) * self.up(x)  # (..., D) -> (..., H)
        return self.dropout(self.down(h))  # (..., D)


def _variant(name: str, gate_activation: str | None, summary: str):
    @register("ffn", name, tags={"vmap_safe"}, summary=summary, **PAPER)
    def factory(d_model: int, d_hidden: int, activation: str, *, match_params: bool = True,
                dropout: float = 0.0, bias: bool = True) -> GatedFeedForward:
        return GatedFeedForward(d_model, d_hidden, gate_activation or activation,
                                match_params=match_params, dropout=dropout, bias=bias)

    factory.__name__ = factory.__qualname__ = name
    return factory


gated = _variant("gated", None, "Gated FFN: down(act(W x) * V x), gate activation by name")
glu = _variant("glu", "sigmoid", "GLU FFN: down(sigmoid(W x) * V x)")
bilinear = _variant("bilinear", "identity", "Bilinear FFN: down((W x) * (V x))")
reglu = _variant("reglu", "relu", "ReGLU FFN: down(relu(W x) * V x)")
geglu = _variant("geglu", "gelu", "GEGLU FFN: down(gelu(W x) * V x)")
swiglu = _variant("swiglu", "silu", "SwiGLU FFN: down(silu(W x) * V x)")
