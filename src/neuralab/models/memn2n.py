"""The end-to-end memory network as a classifier of token sequences (story, then question).

Sukhbaatar et al., "End-To-End Memory Networks" (arXiv:1503.08895); the hops are
:class:`~neuralab.components.memory.memory_network.MemoryHops`. An input of ``T`` tokens is read
as a story of ``(T - 1) / sentence_length`` sentences and a one-token question (the last token),
e.g. ``associative_recall`` with ``sentence_length=2``: each key-value pair is one fact and the
query key is the question. The class is ``W (u + o)`` of the last hop.
"""

from __future__ import annotations

import torch
from torch import nn

from neuralab.components.memory.memory_network import MemoryHops
from neuralab.data.dataset import DataSpec
from neuralab.models.base import Model
from neuralab.registry import register


class MemN2N(Model):
    """Story sentences in memory, the last token as question, ``hops`` attention reads."""

    def __init__(self, spec: DataSpec, *, d_model: int, hops: int, sentence_length: int):
        super().__init__()
        if spec.task != "classification" or not spec.tokens or len(spec.input_shape) != 1:
            raise ValueError("memn2n answers one question per token sequence: it needs a "
                             "classification task on (T,) tokens")
        story = spec.input_shape[0] - 1
        if sentence_length < 1 or story % sentence_length:
            raise ValueError(f"the story ({story} tokens) must split into sentences of "
                             f"{sentence_length} tokens")
        self.sentence_length = sentence_length
        self.memory = MemoryHops(spec.vocab_size, d_model, story // sentence_length,
                                 sentence_length, hops)
        self.head = nn.Linear(d_model, spec.n_outputs, bias=False)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        story = x[:, :-1].reshape(x.shape[0], -1, self.sentence_length)  # (B, S, J)
        return self.memory(story, x[:, -1:])  # (B, d)

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        return self.head(features)  # (B, n_outputs)

    def probe_points(self) -> dict[str, nn.Module]:
        return {"memory": self.memory, "head": self.head}


@register("model", "memn2n", paper="End-To-End Memory Networks", arxiv="1503.08895")
def memn2n(spec: DataSpec, *, d_model: int = 64, hops: int = 3, sentence_length: int = 1) -> MemN2N:
    """End-to-end memory network: story of sentences, last token as question, K hops."""
    return MemN2N(spec, d_model=d_model, hops=hops, sentence_length=sentence_length)
