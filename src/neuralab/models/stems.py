"""Input stems that turn any dataset's inputs into a sequence of vectors ``(B, T, D)``.

Token inputs ``(B, T)`` are embedded; real inputs ``(B, L)`` become ``L`` steps of one feature;
real inputs ``(B, C, L)`` become ``L`` steps of ``C`` features.
"""

from __future__ import annotations

import torch
from torch import nn

from neuralab.data.dataset import DataSpec


def sequence_shape(spec: DataSpec) -> tuple[int, int]:
    """(length, features per step) that :class:`SequenceStem` sees for ``spec``."""
    shape = spec.input_shape
    if spec.tokens:
        if len(shape) != 1:
            raise ValueError(f"token inputs must be (T,), got {shape}")
        return shape[0], 1
    if len(shape) == 1:
        return shape[0], 1
    if len(shape) == 2:
        return shape[1], shape[0]
    raise ValueError(f"sequence models take (L,) or (C, L) inputs, got {shape}")


class SequenceStem(nn.Module):
    """Map inputs to ``(B, T, dim)``: an embedding for tokens, a linear map for real features."""

    def __init__(self, spec: DataSpec, dim: int):
        super().__init__()
        self.length, features = sequence_shape(spec)
        self.tokens = spec.tokens
        if self.tokens:
            assert spec.vocab_size is not None
            self.embed: nn.Module = nn.Embedding(spec.vocab_size, dim)
        else:
            self.embed = nn.Linear(features, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.tokens:
            return self.embed(x)  # (B, T) -> (B, T, D)
        if x.dim() == 2:
            x = x.unsqueeze(-1)  # (B, L) -> (B, L, 1)
        else:
            x = x.transpose(1, 2)  # (B, C, L) -> (B, L, C)
        return self.embed(x)  # (B, T, D)
