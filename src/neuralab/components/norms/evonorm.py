"""EvoNorm-B0 and EvoNorm-S0: evolved normalization-activation layers.

Liu, Brock, Simonyan & Le, "Evolving Normalization-Activation Layers" (arXiv:2004.02967). Each
layer replaces a norm *and* the activation after it (build blocks with ``activation="identity"``).
With ``v``, ``gamma``, ``beta`` per-channel parameters (``v`` and ``gamma`` start at 1, ``beta`` at
0) and ``eps`` a small constant:

- **EvoNorm-B0** (batch statistics)::

      y = x / max(sqrt(var_batch(x) + eps), v * x + sqrt(var_instance(x) + eps)) * gamma + beta

  ``var_batch`` is the per-channel variance over the batch and spatial positions in training and
  its running average (momentum ``momentum``) in evaluation, as in BatchNorm. ``var_instance`` is
  per example and channel over spatial positions; on channel-last features ``(..., C)``, which have
  no spatial positions, it is taken over the channels of each position instead.
- **EvoNorm-S0** (sample statistics, independent of the batch)::

      y = x * sigmoid(v * x) / sqrt(var_group(x) + eps) * gamma + beta

  ``var_group`` is per example over the channels of each of ``groups`` groups and all spatial
  positions, as in GroupNorm (each position on its own for channel-last features).
"""

from __future__ import annotations

import torch
from torch import nn

from neuralab.registry import register

PAPER = dict(paper="Evolving Normalization-Activation Layers", arxiv="2004.02967")


class EvoNormBase(nn.Module):
    """Per-channel ``v``, ``gamma``, ``beta`` and the layout of the input."""

    def __init__(self, num_features: int, spatial_dims: int, eps: float):
        super().__init__()
        self.spatial_dims, self.eps = spatial_dims, eps
        self.v = nn.Parameter(torch.ones(num_features))
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))

    def channel_shape(self, x: torch.Tensor) -> tuple[int, ...]:
        """Shape that broadcasts a per-channel vector against ``x``."""
        if self.spatial_dims == 0:
            return (x.shape[-1],)
        return (x.shape[1],) + (1,) * self.spatial_dims

    def affine(self, y: torch.Tensor) -> torch.Tensor:
        shape = self.channel_shape(y)
        return y * self.weight.view(shape) + self.bias.view(shape)


class EvoNormB0(EvoNormBase):
    """EvoNorm-B0: batch-variance denominator against a learned instance term."""

    def __init__(self, num_features: int, spatial_dims: int = 0, *, eps: float = 1e-5,
                 momentum: float = 0.1):
        super().__init__(num_features, spatial_dims, eps)
        self.momentum = momentum
        self.register_buffer("running_var", torch.ones(num_features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = self.channel_shape(x)
        channel_dim = x.dim() - 1 if self.spatial_dims == 0 else 1
        if self.training:
            reduce = tuple(d for d in range(x.dim()) if d != channel_dim)
            var = x.var(dim=reduce, unbiased=False)  # (C,)
            n = x.numel() / x.shape[channel_dim]
            with torch.no_grad():
                unbiased = var * n / max(n - 1, 1)
                self.running_var.lerp_(unbiased, self.momentum)
        else:
            var = self.running_var
        if self.spatial_dims == 0:
            instance = x.var(dim=-1, unbiased=False, keepdim=True)  # (..., 1)
        else:
            instance = x.var(dim=tuple(range(2, x.dim())), unbiased=False, keepdim=True)  # (B, C, 1..)
        left = torch.sqrt(var.view(shape) + self.eps)
        right = x * self.v.view(shape) + torch.sqrt(instance + self.eps)
        return self.affine(x / torch.maximum(left, right))  # same shape as x


class EvoNormS0(EvoNormBase):
    """EvoNorm-S0: a Swish-like numerator over a group standard deviation."""

    def __init__(self, num_features: int, spatial_dims: int = 0, *, groups: int = 8,
                 eps: float = 1e-5):
        super().__init__(num_features, spatial_dims, eps)
        if groups < 1 or num_features % groups:
            raise ValueError(f"groups ({groups}) must divide the number of channels ({num_features})")
        self.groups = groups

    def group_std(self, x: torch.Tensor) -> torch.Tensor:
        G = self.groups
        if self.spatial_dims == 0:
            g = x.unflatten(-1, (G, -1))  # (..., G, C/G)
            var = g.var(dim=-1, unbiased=False, keepdim=True)
            return torch.sqrt(var + self.eps).expand_as(g).flatten(-2)  # (..., C)
        B, C = x.shape[:2]
        g = x.reshape(B, G, -1)  # (B, G, C/G * prod(S))
        std = torch.sqrt(g.var(dim=-1, unbiased=False, keepdim=True) + self.eps)
        return std.expand_as(g).reshape(x.shape)  # (B, C, *S)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = self.channel_shape(x)
        numerator = x * torch.sigmoid(x * self.v.view(shape))
        return self.affine(numerator / self.group_std(x))  # same shape as x


@register("norm", "evonorm_b0", tags={"batch_statistics", "norm_activation"}, **PAPER)
def evonorm_b0(num_features: int, spatial_dims: int = 0, *, eps: float = 1e-5,
               momentum: float = 0.1) -> EvoNormB0:
    """EvoNorm-B0 norm-activation layer (batch statistics; use with activation='identity')."""
    return EvoNormB0(num_features, spatial_dims, eps=eps, momentum=momentum)


@register("norm", "evonorm_s0", tags={"vmap_safe", "norm_activation"}, **PAPER)
def evonorm_s0(num_features: int, spatial_dims: int = 0, *, groups: int = 8,
               eps: float = 1e-5) -> EvoNormS0:
    """EvoNorm-S0 norm-activation layer (group statistics; use with activation='identity')."""
    return EvoNormS0(num_features, spatial_dims, groups=groups, eps=eps)
