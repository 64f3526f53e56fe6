"""End-to-end memory network: soft attention over a memory of sentences, repeated for K hops.

Sukhbaatar et al., "End-To-End Memory Networks" (arXiv:1503.08895). Sentences ``x_i`` (bags of
``J`` words) are embedded with position encoding ``l_j`` and a temporal term per slot::

    m_i = sum_j l_j * A x_ij + T_A(i),    c_i = sum_j l_j * C x_ij + T_C(i),    u = sum_j l_j * B q_j
    l_kj = (1 - j/J) - (k/d)(1 - 2j/J)          (1-based word j, channel k)
    hop:  p = softmax(u^T m),   o = sum_i p_i c_i,   u <- u + o

with adjacent weight tying (``A^{k+1} = C^k``, ``B = A^1``) over ``hops`` layers; the answer is
``W (u + o)`` of the last hop. :class:`MemoryHops` is the network up to ``u + o``; the
``memn2n`` model (:mod:`neuralab.models.memn2n`) feeds it token sequences.
"""

from __future__ import annotations

import torch
from torch import nn


def position_encoding(n_words: int, dim: int) -> torch.Tensor:
    """``l (J, d)``: ``l_kj = (1 - j/J) - (k/d)(1 - 2j/J)`` with 1-based ``j`` and ``k``."""
    j = torch.arange(1, n_words + 1, dtype=torch.float32)[:, None] / n_words
    k = torch.arange(1, dim + 1, dtype=torch.float32)[None, :] / dim
    return (1 - j) - k * (1 - 2 * j)


class MemoryHops(nn.Module):
    """``hops`` attention reads over a memory of sentences with adjacent weight tying."""

    def __init__(self, vocab_size: int, dim: int, n_slots: int, sentence_length: int, hops: int):
        super().__init__()
        if hops < 1:
            raise ValueError(f"hops must be >= 1, got {hops}")
        self.hops = hops
        # embeddings E_0 .. E_K: hop k reads memories with A = E_k and outputs with C = E_{k+1}
        self.embed = nn.ModuleList(nn.Embedding(vocab_size, dim) for _ in range(hops + 1))
        self.temporal = nn.Parameter(torch.randn(hops + 1, n_slots, dim) * 0.1)
        for e in self.embed:
            nn.init.normal_(e.weight, std=0.1)
        self.register_buffer("encoding", position_encoding(sentence_length, dim), persistent=False)

    def _sentences(self, k: int, words: torch.Tensor) -> torch.Tensor:
        """``(B, S, J)`` words -> ``(B, S, d)`` position-encoded bags under embedding ``k``."""
        return (self.embed[k](words) * self.encoding[: words.shape[-1]]).sum(-2)

    def forward(self, story: torch.Tensor, question: torch.Tensor) -> torch.Tensor:
        """``story (B, S, J)`` and ``question (B, Jq)`` tokens -> ``u + o`` of the last hop ``(B, d)``."""
        u = self._sentences(0, question.unsqueeze(1))[:, 0]  # B = A^1: (B, d)
        S = story.shape[1]
        for k in range(self.hops):
            memory = self._sentences(k, story) + self.temporal[k, :S]  # (B, S, d)
            output = self._sentences(k + 1, story) + self.temporal[k + 1, :S]
            p = torch.softmax(torch.einsum("bd,bsd->bs", u, memory), dim=-1)
            u = u + torch.einsum("bs,bsd->bd", p, output)
        return u
