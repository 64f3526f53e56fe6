"""GroupNorm: normalize each example over groups of channels (and all spatial positions).

Wu & He, "Group Normalization" (arXiv:1803.08494). The ``C`` channels are split into ``G`` groups;
for every example and group, with mean ``mu`` and variance ``var`` over the group's channels and
all spatial positions::

    y = (x - mu) / sqrt(var + eps) * gamma_c + beta_c

``G = 1`` is LayerNorm over (C, *spatial); ``G = C`` is InstanceNorm. It uses no batch statistics,
so it behaves the same at any batch size and in training and evaluation. On channel-first maps this
is ``torch.nn.GroupNorm``; on channel-last features ``(..., C)`` every position is normalized on
its own (as for tokens).
"""

from __future__ import annotations

from torch import nn

from neuralab.components.norms.layout import FlattenLeading
from neuralab.registry import register


@register("norm", "group", aliases=("groupnorm", "gn"), tags={"vmap_safe"},
          paper="Group Normalization", arxiv="1803.08494")
def group(num_features: int, spatial_dims: int = 0, *, groups: int = 8, eps: float = 1e-5,
          affine: bool = True) -> nn.Module:
    """GroupNorm with `groups` groups of channels (torch.nn.GroupNorm)."""
    if groups < 1 or num_features % groups:
        raise ValueError(f"groups ({groups}) must divide the number of channels ({num_features})")
    norm = nn.GroupNorm(groups, num_features, eps=eps, affine=affine)
    return FlattenLeading(norm) if spatial_dims == 0 else norm
