"""Adapters between channel-first feature maps and channel-last normalizers."""

from __future__ import annotations

import torch
from torch import nn


class ChannelsLast(nn.Module):
    """Apply a channel-last module ``(..., C)`` to a channel-first map ``(B, C, *spatial)``."""

    def __init__(self, inner: nn.Module):
        super().__init__()
        self.inner = inner

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # (B, C, *S) -> (B, *S, C) -> inner -> (B, C, *S)
        return self.inner(x.movedim(1, -1)).movedim(-1, 1)


class FlattenLeading(nn.Module):
    """Apply a module that wants ``(N, C)`` to ``(..., C)`` by flattening the leading dims."""

    def __init__(self, inner: nn.Module):
        super().__init__()
        self.inner = inner

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 2:
            return self.inner(x)
        shape = x.shape
        return self.inner(x.reshape(-1, shape[-1])).reshape(shape)  # (N, C) -> (..., C)
