"""LayerNorm, RMSNorm, BatchNorm and no normalization, as torch implements them.

- LayerNorm: ``(x - mean_C(x)) / sqrt(var_C(x) + eps) * gamma + beta`` over the channel dim
  (Ba, Kiros & Hinton, "Layer Normalization", arXiv:1607.06450).
- RMSNorm: ``x / sqrt(mean_C(x^2) + eps) * gamma`` (Zhang & Sennrich, "Root Mean Square Layer
  Normalization", arXiv:1910.07467).
- BatchNorm: normalize each channel over the batch (and spatial) dims with batch statistics in
  training and running averages in evaluation (Ioffe & Szegedy, arXiv:1502.03167).
"""

from __future__ import annotations

from torch import nn

from neuralab.components.norms.layout import ChannelsLast, FlattenLeading
from neuralab.registry import register


@register("norm", "layer", aliases=("layernorm", "ln"), tags={"vmap_safe"},
          paper="Layer Normalization", arxiv="1607.06450")
def layer(num_features: int, spatial_dims: int = 0, *, eps: float = 1e-5, affine: bool = True) -> nn.Module:
    """LayerNorm over the channel dim."""
    norm = nn.LayerNorm(num_features, eps=eps, elementwise_affine=affine)
    return norm if spatial_dims == 0 else ChannelsLast(norm)


@register("norm", "rms", aliases=("rmsnorm",), tags={"vmap_safe"},
          paper="Root Mean Square Layer Normalization", arxiv="1910.07467")
def rms(num_features: int, spatial_dims: int = 0, *, eps: float = 1e-6, affine: bool = True) -> nn.Module:
    """RMSNorm over the channel dim (no centering)."""
    norm = nn.RMSNorm(num_features, eps=eps, elementwise_affine=affine)
    return norm if spatial_dims == 0 else ChannelsLast(norm)


@register("norm", "batch", aliases=("batchnorm", "bn"), tags={"batch_statistics"},
          paper="Batch Normalization: Accelerating Deep Network Training by Reducing Internal "
          "Covariate Shift", arxiv="1502.03167")
def batch(num_features: int, spatial_dims: int = 0, *, eps: float = 1e-5, momentum: float = 0.1) -> nn.Module:
    """BatchNorm over batch (and spatial) dims, per channel."""
    if spatial_dims == 0:
        return FlattenLeading(nn.BatchNorm1d(num_features, eps=eps, momentum=momentum))
    cls = {1: nn.BatchNorm1d, 2: nn.BatchNorm2d, 3: nn.BatchNorm3d}[spatial_dims]
    return cls(num_features, eps=eps, momentum=momentum)


@register("norm", "none", aliases=("identity",), tags={"vmap_safe"})
def none(num_features: int, spatial_dims: int = 0) -> nn.Module:
    """No normalization."""
    return nn.Identity()
