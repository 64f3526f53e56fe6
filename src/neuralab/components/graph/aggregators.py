"""Neighbourhood aggregators over multisets, including learnable commutative monoids.

Each aggregator maps a padded multiset of messages ``m: (B, M, D)`` with a mask ``(B, M)`` (True
where a message is present) to one vector ``(B, D)``; registered under kind ``"aggregator"``
with the signature ``(dim, *, ...)``.

- ``sum``, ``mean``, ``max``: the fixed aggregators of message-passing networks.
- ``gru``: a recurrent aggregator, a GRU run over the messages in a random order (a different
  order every training pass; a fixed one in evaluation): expressive, but not permutation
  invariant and ``M`` sequential steps deep.
- ``lcm``: a learnable commutative monoid (Ong & Veličković, "Learnable Commutative Monoids for
  Graph Neural Networks", arXiv:2212.08541). A learned binary operator, commutative by
  construction, ``a ⊕ b = MLP([a + b, a * b])``, and a learned identity element ``e`` that pads
  the multiset to a power of two; the messages are combined pairwise in a balanced binary tree,
  ``ceil(log2 M)`` levels deep. Associativity is not built in; :meth:`LCMAggregator.associativity_gap`
  measures it (a training regularizer in the paper).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from neuralab.registry import register


class FixedAggregator(nn.Module):
    """Sum, mean or max of the present messages (an empty multiset gives zeros)."""

    def __init__(self, reduce: str):
        super().__init__()
        self.reduce = reduce

    def forward(self, m: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        w = mask.unsqueeze(-1).to(m.dtype)  # (B, M, 1)
        if self.reduce == "sum":
            return (m * w).sum(1)
        if self.reduce == "mean":
            return (m * w).sum(1) / w.sum(1).clamp_min(1)
        filled = m.masked_fill(~mask.unsqueeze(-1), float("-inf")).amax(1)
        return torch.where(mask.any(1, keepdim=True), filled, torch.zeros_like(filled))


class GRUAggregator(nn.Module):
    """A GRU over the present messages in a random order; its last state is the aggregate."""

    def __init__(self, dim: int):
        super().__init__()
        self.gru = nn.GRU(dim, dim, batch_first=True)

    def forward(self, m: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        B, M, D = m.shape
        keys = torch.rand(B, M, device=m.device) if self.training else torch.arange(
            M, device=m.device, dtype=m.dtype).expand(B, M)
        keys = keys.masked_fill(~mask, float("inf"))  # absent messages go last
        order = keys.argsort(1)
        seq = m.gather(1, order.unsqueeze(-1).expand(B, M, D)) * mask.gather(1, order).unsqueeze(-1)
        lengths = mask.sum(1).clamp_min(1).cpu()
        packed = nn.utils.rnn.pack_padded_sequence(seq, lengths, batch_first=True,
                                                   enforce_sorted=False)
        _, h = self.gru(packed)  # (1, B, D)
        return h[0] * mask.any(1, keepdim=True)


class LCMAggregator(nn.Module):
    """Balanced-tree reduction with a learned commutative operator and identity element."""

    def __init__(self, dim: int, hidden: int = 64):
        super().__init__()
        self.op = nn.Sequential(nn.Linear(2 * dim, hidden), nn.ReLU(), nn.Linear(hidden, dim))
        self.identity = nn.Parameter(torch.zeros(dim))

    def combine(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """``a ⊕ b = MLP([a + b, a * b])``: commutative for any weights."""
        return self.op(torch.cat([a + b, a * b], -1))

    def forward(self, m: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        B, M, D = m.shape
        x = torch.where(mask.unsqueeze(-1), m, self.identity)  # pad with the identity element
        size = 1 << max(0, math.ceil(math.log2(max(M, 1))))
        if size > M:
            x = torch.cat([x, self.identity.expand(B, size - M, D)], 1)
        while x.shape[1] > 1:  # ceil(log2 M) levels of pairwise combination
            x = self.combine(x[:, 0::2], x[:, 1::2])
        return x[:, 0]  # (B, D)

    def associativity_gap(self, a: torch.Tensor, b: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        """``mean ||(a ⊕ b) ⊕ c - a ⊕ (b ⊕ c)||^2``: zero for an associative operator."""
        return (self.combine(self.combine(a, b), c) - self.combine(a, self.combine(b, c))).square().mean()


@register("aggregator", "sum", paper="How Powerful are Graph Neural Networks?", arxiv="1810.00826")
def sum_(dim: int) -> nn.Module:
    """Sum of the messages."""
    return FixedAggregator("sum")


@register("aggregator", "mean", paper="Inductive Representation Learning on Large Graphs",
          arxiv="1706.02216")
def mean(dim: int) -> nn.Module:
    """Mean of the messages."""
    return FixedAggregator("mean")


@register("aggregator", "max", paper="Inductive Representation Learning on Large Graphs",
          arxiv="1706.02216")
def max_(dim: int) -> nn.Module:
    """Elementwise maximum of the messages."""
    return FixedAggregator("max")


@register("aggregator", "gru", paper="Learnable Commutative Monoids for Graph Neural Networks",
          arxiv="2212.08541")
def gru(dim: int) -> nn.Module:
    """Recurrent aggregator: a GRU over the messages in random order."""
    return GRUAggregator(dim)


@register("aggregator", "lcm", paper="Learnable Commutative Monoids for Graph Neural Networks",
          arxiv="2212.08541")
def lcm(dim: int, *, hidden: int = 64) -> nn.Module:
    """Learnable commutative monoid: a learned operator reduced over a balanced binary tree."""
    return LCMAggregator(dim, hidden)
