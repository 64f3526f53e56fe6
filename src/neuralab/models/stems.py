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


CONV: dict[int, type[nn.Module]] = {1: nn.Conv1d, 2: nn.Conv2d}
MAX_POOL: dict[int, type[nn.Module]] = {1: nn.MaxPool1d, 2: nn.MaxPool2d}


def spatial_layout(spec: DataSpec, model: str) -> tuple[int, int]:
    """(spatial dims, input channels) of real ``(L,)``, ``(C, L)`` or ``(C, H, W)`` inputs.

    ``(L,)`` is one channel of length ``L``. ``model`` names the caller in the error message.
    """
    shape = spec.input_shape
    if spec.tokens or len(shape) not in (1, 2, 3):
        raise ValueError(f"{model} takes real (L,), (C, L) or (C, H, W) inputs, got {shape}")
    if spec.task == "sequence":
        raise ValueError(f"{model} classifies or regresses whole inputs; it does not fit sequence tasks")
    return (1 if len(shape) <= 2 else 2), (1 if len(shape) == 1 else shape[0])


class ChannelFirst(nn.Module):
    """``(B, L) -> (B, 1, L)``; channel-first maps ``(B, C, *S)`` pass through unchanged."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.unsqueeze(1) if x.dim() == 2 else x


class PatchEmbed(nn.Module):
    """Cut a 1-D signal or a 2-D image into non-overlapping patches and embed each linearly.

    A convolution with kernel = stride = ``patch`` (Dosovitskiy et al., "An Image is Worth 16x16
    Words", arXiv:2010.11929): ``(B, C, *S) -> (B, T, dim)`` with ``T = prod(S_i // patch)``.
    """

    def __init__(self, spec: DataSpec, patch: int, dim: int, model: str):
        super().__init__()
        dims, channels = spatial_layout(spec, model)
        spatial = spec.input_shape[-dims:] if len(spec.input_shape) > 1 else spec.input_shape
        if patch < 1 or any(s % patch for s in spatial):
            raise ValueError(f"patch size {patch} must divide the input size {tuple(spatial)}")
        self.to_maps = ChannelFirst()
        self.proj = CONV[dims](channels, dim, patch, stride=patch)
        self.n_patches = 1
        for s in spatial:
            self.n_patches *= s // patch

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.proj(self.to_maps(x))  # (B, D, *S/patch)
        return x.flatten(2).transpose(1, 2)  # (B, T, D)
