"""Training-time input augmentation as modules: random translation and additive noise.

Like dropout, these act only in training mode and draw from torch's global generator, which the
trainer seeds from ``derive_seed(seed, "dropout")``; in evaluation mode they are the identity.

- :class:`RandomShift`: translate each example by an integer offset drawn uniformly from
  ``[-max_shift, max_shift]`` along every spatial axis, filling the vacated positions with zeros
  (the 1-D / 2-D analogue of the random crops with padding used to train image models).
- :class:`GaussianNoise`: ``x + std * eps``, ``eps ~ N(0, I)``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class RandomShift(nn.Module):
    """Zero-padded random translation of ``(B, L)``, ``(B, C, L)`` or ``(B, C, H, W)`` inputs."""

    def __init__(self, max_shift: int, spatial_dims: int):
        super().__init__()
        if max_shift < 0 or spatial_dims not in (1, 2):
            raise ValueError(f"need max_shift >= 0 and spatial_dims 1 or 2, got {max_shift}, "
                             f"{spatial_dims}")
        self.max_shift, self.spatial_dims = max_shift, spatial_dims

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.max_shift == 0:
            return x
        s, d = self.max_shift, self.spatial_dims
        out = F.pad(x, (s, s) * d)  # (B, ..., S_i + 2s)
        for axis in range(d):  # crop every example at its own offset along each spatial axis
            dim = x.dim() - d + axis
            n = x.shape[dim]
            offsets = torch.randint(0, 2 * s + 1, (x.shape[0],), device=x.device)
            index = offsets[:, None] + torch.arange(n, device=x.device)  # (B, n)
            view = [x.shape[0]] + [1] * (x.dim() - 1)
            view[dim] = n
            size = [n if k == dim else out.shape[k] for k in range(out.dim())]
            out = out.gather(dim, index.view(view).expand(size))
        return out


class GaussianNoise(nn.Module):
    """Additive Gaussian noise with standard deviation ``std`` in training mode."""

    def __init__(self, std: float):
        super().__init__()
        if std < 0:
            raise ValueError(f"noise std must be >= 0, got {std}")
        self.std = std

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.std == 0:
            return x
        return x + self.std * torch.randn_like(x)
