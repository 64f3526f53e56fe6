"""Signal propagation plots: per-channel mean and variance of every residual block's output.

Brock, De & Smith, "Characterizing signal propagation to close the performance gap in
unnormalized ResNets" (arXiv:2101.08692). For each probe point ``l`` (by default the blocks
``block0, block1, ...``) with output ``h_l`` of shape ``(B, C, *S)`` (channels second, as in
convolutional maps) and channel statistics over the batch and positions,

    avg_channel_squared_mean_l = mean_c ( mean_{b,s} h_l[b, c, s] )^2
    avg_channel_variance_l     = mean_c   Var_{b,s} h_l[b, c, s]

Plotted against depth these are the paper's signal propagation plots: in a batch-normalized
pre-activation ResNet the variance grows linearly within a stage and resets at each transition;
in an unnormalized one it explodes or the squared mean takes over; an NF-ResNet reproduces the
batch-normalized shape analytically (:mod:`neuralab.models.nf_resnet`). Token sequences
``(B, T, D)`` are read with ``channels="last"``. The model runs in evaluation mode and its modes
are restored; with ``batch_statistics=True`` a copy of it runs in training mode instead, so that
batch norm normalizes by the batch (as in the paper's plots at initialization) and the model's
running statistics stay untouched.
"""

from __future__ import annotations

import copy
from typing import Any, Literal

import torch
from torch import nn

from neuralab.errors import ConfigError
from neuralab.probes.hooks import capture, model_mode
from neuralab.probes.residual_variance import default_points
from neuralab.probes.runner import probe_record
from neuralab.registry import register


def channel_statistics(h: torch.Tensor, channels: Literal["second", "last"] = "second"
                       ) -> tuple[float, float]:
    """``(avg_channel_squared_mean, avg_channel_variance)`` of ``h`` (B, C, *S) or (B, *S, C)."""
    if h.dim() < 2:
        raise ConfigError(f"signal_propagation needs activations with a channel axis; got shape "
                          f"{tuple(h.shape)}")
    h = h.double()
    h = h.movedim(1, -1) if channels == "second" else h  # (B, *S, C)
    flat = h.reshape(-1, h.shape[-1])  # (B * S, C)
    return float(flat.mean(0).square().mean()), float(flat.var(0, unbiased=False).mean())


@register("probe", "signal_propagation",
          summary="Signal propagation plot: average channel squared mean and variance per block",
          paper="Characterizing signal propagation to close the performance gap in unnormalized "
                "ResNets", arxiv="2101.08692")
def signal_propagation(model: nn.Module, x: torch.Tensor, y: torch.Tensor | None = None, *,
                       points: list[str] | None = None,
                       channels: Literal["second", "last"] = "second",
                       batch_statistics: bool = False) -> list[dict[str, Any]]:
    """Records ``avg_channel_squared_mean`` and ``avg_channel_variance`` per probe point."""
    if channels not in ("second", "last"):
        raise ConfigError(f"channels must be 'second' (B, C, ...) or 'last' (B, ..., C); "
                          f"got {channels!r}")
    points = points or default_points(model)
    if batch_statistics:
        model = copy.deepcopy(model)
    with torch.no_grad(), model_mode(model, batch_statistics), capture(model, points) as acts:
        model(x)
    rows = []
    for name in points:
        squared_mean, variance = channel_statistics(acts[name], channels)
        rows.append(probe_record("avg_channel_squared_mean", squared_mean, layer=name))
        rows.append(probe_record("avg_channel_variance", variance, layer=name))
    return rows
