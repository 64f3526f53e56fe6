"""Modern (continuous) Hopfield networks, whose one-step update is softmax attention.

Ramsauer et al., "Hopfield Networks is All You Need" (arXiv:2008.02217). With stored patterns
``X = (x_1 .. x_N)`` (columns) and a state (query) pattern ``xi``, the energy and its update::

    E(xi) = -lse(beta, X^T xi) + 1/2 xi^T xi + beta^-1 log N + 1/2 M^2
    xi_new = X softmax(beta X^T xi)

The update never increases ``E`` and typically retrieves a stored pattern in one step; the
number of patterns that can be stored grows exponentially with the dimension. With learned maps
``Q = R W_Q``, ``K = Y W_K``, ``V = K W_V`` the update is attention,
``Z = softmax(beta Q K^T) V``. The paper's three layers:

- ``Hopfield`` (mixer ``hopfield``): state patterns from the sequence, stored patterns from the
  same sequence (self-association); ``n_updates`` extra retrieval steps ``q <- softmax(beta q K^T) K``
  run before the output (0: one update, i.e. attention); ``step`` keeps a key-value cache.
- ``HopfieldPooling``: learned state patterns (queries) pool a set or sequence of stored patterns
  to ``n_queries`` vectors (used by the ``hopfield_pooling`` model).
- ``HopfieldLayer`` (ffn ``hopfield_layer``): the input is the state pattern and ``d_hidden``
  learned stored patterns are the memory; per position, like a key-value memory.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from neuralab.components.mixer_utils import append_kv, check_heads, empty_kv, merge_heads, split_heads
from neuralab.registry import register

PAPER = dict(paper="Hopfield Networks is All You Need", arxiv="2008.02217")


def hopfield_update(patterns: torch.Tensor, state: torch.Tensor, beta: float) -> torch.Tensor:
    """``X softmax(beta X^T xi)`` for stored ``patterns (..., N, d)`` and states ``(..., M, d)``."""
    return torch.softmax(beta * state @ patterns.transpose(-1, -2), dim=-1) @ patterns


def hopfield_energy(patterns: torch.Tensor, state: torch.Tensor, beta: float) -> torch.Tensor:
    """``E(xi)`` per state, with ``M`` the largest stored-pattern norm: ``(..., M)``."""
    N = patterns.shape[-2]
    lse = torch.logsumexp(beta * state @ patterns.transpose(-1, -2), dim=-1) / beta
    M = patterns.norm(dim=-1).amax(dim=-1, keepdim=True)
    return -lse + 0.5 * (state * state).sum(-1) + math.log(N) / beta + 0.5 * M**2


def retrieve(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, beta: float, n_updates: int,
             mask: torch.Tensor | None = None) -> torch.Tensor:
    """``n_updates`` updates of ``q`` against keys ``k``, then ``softmax(beta q k^T) v``."""
    def probs(q: torch.Tensor) -> torch.Tensor:
        scores = beta * q @ k.transpose(-1, -2)
        if mask is not None:
            scores = scores.masked_fill(~mask, float("-inf"))
        return scores.softmax(-1)

    for _ in range(n_updates):
        q = probs(q) @ k
    return probs(q) @ v


class Hopfield(nn.Module):
    """Multi-head Hopfield self-association: ``(B, T, D) -> (B, T, D)``."""

    def __init__(self, d_model: int, n_heads: int, causal: bool, *, beta: float | None = None,
                 n_updates: int = 0):
        super().__init__()
        self.n_heads, self.d_head, self.causal = n_heads, check_heads(d_model, n_heads), causal
        self.beta = beta if beta is not None else 1 / math.sqrt(self.d_head)
        if n_updates < 0:
            raise ValueError(f"n_updates must be >= 0, got {n_updates}")
        self.n_updates = n_updates
        self.query = nn.Linear(d_model, d_model)  # W_Q
        self.key = nn.Linear(d_model, d_model)  # W_K
        self.value = nn.Linear(d_model, d_model)  # W_V, applied to the keys
        self.out = nn.Linear(d_model, d_model)

    def _qkv(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        k = self.key(x)
        return self.query(x), k, self.value(k)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q, k, v = (split_heads(t, self.n_heads) for t in self._qkv(x))  # (B, H, T, d)
        T = x.shape[1]
        mask = torch.ones(T, T, dtype=torch.bool, device=x.device).tril() if self.causal else None
        return self.out(merge_heads(retrieve(q, k, v, self.beta, self.n_updates, mask)))

    def init_state(self, batch_size: int, device=None, dtype=None):
        """An empty key-value cache of stored patterns."""
        return empty_kv(batch_size, self.n_heads, self.d_head, device, dtype or self.out.weight.dtype)

    def step(self, x_t: torch.Tensor, cache):
        B, D = x_t.shape
        q, k, v = (t.view(B, self.n_heads, self.d_head) for t in self._qkv(x_t))
        cache = append_kv(cache, k, v)
        y = retrieve(q.unsqueeze(2), *cache, self.beta, self.n_updates)  # (B, H, 1, d)
        return self.out(y.reshape(B, D)), cache


class HopfieldPooling(nn.Module):
    """Learned state patterns retrieve from the input's patterns: ``(B, T, D) -> (B, Q, D)``."""

    def __init__(self, d_model: int, n_heads: int = 1, n_queries: int = 1, *,
                 beta: float | None = None, n_updates: int = 0):
        super().__init__()
        self.n_heads, self.d_head = n_heads, check_heads(d_model, n_heads)
        self.beta = beta if beta is not None else 1 / math.sqrt(self.d_head)
        self.n_updates = n_updates
        self.queries = nn.Parameter(torch.randn(n_heads, n_queries, self.d_head) / math.sqrt(self.d_head))
        self.key = nn.Linear(d_model, d_model)
        self.value = nn.Linear(d_model, d_model)
        self.out = nn.Linear(d_model, d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        keys = self.key(x)
        k, v = split_heads(keys, self.n_heads), split_heads(self.value(keys), self.n_heads)  # (B, H, T, d)
        q = self.queries.unsqueeze(0).expand(x.shape[0], -1, -1, -1)  # (B, H, Q, d)
        return self.out(merge_heads(retrieve(q, k, v, self.beta, self.n_updates)))  # (B, Q, D)


class HopfieldLayer(nn.Module):
    """Per-position retrieval from ``n_patterns`` learned stored patterns: ``(..., D) -> (..., D)``."""

    def __init__(self, d_model: int, n_patterns: int, *, beta: float | None = None):
        super().__init__()
        self.beta = beta if beta is not None else 1 / math.sqrt(d_model)
        self.query = nn.Linear(d_model, d_model)
        self.patterns = nn.Parameter(torch.randn(n_patterns, d_model) / math.sqrt(d_model))
        self.value = nn.Linear(d_model, d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        probs = torch.softmax(self.beta * self.query(x) @ self.patterns.T, dim=-1)  # (..., N)
        return probs @ self.value(self.patterns)  # (..., D)


@register("mixer", "hopfield", tags={"vmap_safe"}, **PAPER)
def hopfield(d_model: int, n_heads: int, causal: bool, *, beta: float | None = None,
             n_updates: int = 0) -> Hopfield:
    """Modern Hopfield self-association (one update = attention; n_updates more iterations)."""
    return Hopfield(d_model, n_heads, causal, beta=beta, n_updates=n_updates)


@register("ffn", "hopfield_layer", tags={"vmap_safe"}, **PAPER)
def hopfield_layer(d_model: int, d_hidden: int, activation: str, *,
                   beta: float | None = None) -> HopfieldLayer:
    """Retrieval from d_hidden learned stored patterns per position (activation unused)."""
    return HopfieldLayer(d_model, d_hidden, beta=beta)
