"""Position-wise feed-forward blocks, registered under kind ``"ffn"``.

A factory has the signature ``(d_model, d_hidden, activation, *, hyper-parameters)`` and returns a
module mapping ``(..., d_model)`` to ``(..., d_model)``.

- ``mlp``: ``W_2 act(W_1 x + b_1) + b_2`` (Vaswani et al., "Attention Is All You Need",
  arXiv:1706.03762).
"""

from __future__ import annotations

import torch
from torch import nn

from neuralab.components.activations import make_activation
from neuralab.registry import register


class FeedForward(nn.Module):
    """Two linear maps with an activation between them."""

    def __init__(self, d_model: int, d_hidden: int, activation: str, *, dropout: float = 0.0,
                 bias: bool = True):
        super().__init__()
        self.up = nn.Linear(d_model, d_hidden, bias=bias)
        self.act = make_activation(activation)
        self.down = nn.Linear(d_hidden, d_model, bias=bias)
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.down(self.act(self.up(x))))  # (..., D) -> (..., D)


@register("ffn", "mlp", tags={"vmap_safe"}, paper="Attention Is All You Need", arxiv="1706.03762")
def mlp(d_model: int, d_hidden: int, activation: str, *, dropout: float = 0.0,
        bias: bool = True) -> FeedForward:
    """Two-layer position-wise feed-forward block."""
    return FeedForward(d_model, d_hidden, activation, dropout=dropout, bias=bias)
