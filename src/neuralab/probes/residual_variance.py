"""Residual-stream variance by depth: the size of the hidden state after every block.

For each probe point ``l`` (by default the blocks ``block0, block1, ...``) with output ``h_l``::

    residual_variance_l = Var(h_l)        (over the batch, positions and features)

In a Pre-LN transformer the residual stream is a running sum of block outputs that no norm
rescales, so its variance grows with depth; the deeper blocks then add relatively little and act
almost as the identity. This is the measurement of Sun et al., "The Curse of Depth in Large
Language Models" (arXiv:2502.05795), whose LayerNorm Scaling (``1 / sqrt(l)`` on the norm outputs)
keeps the growth in check. The model runs in evaluation mode and its modes are restored.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from neuralab.probes.hooks import capture, model_mode
from neuralab.probes.runner import probe_record
from neuralab.registry import register


def default_points(model: nn.Module) -> list[str]:
    """The model's ``block*`` probe points, or all of them when it names no blocks."""
    names = list(model.probe_points()) if hasattr(model, "probe_points") else []
    blocks = [n for n in names if n.startswith("block")]
    return blocks or names


@register("probe", "residual_variance", summary="Variance of each block's output (residual stream)",
          paper="The Curse of Depth in Large Language Models", arxiv="2502.05795")
def residual_variance(model: nn.Module, x: torch.Tensor, y: torch.Tensor | None = None, *,
                      points: list[str] | None = None) -> list[dict[str, Any]]:
    """Records ``residual_variance`` and ``residual_rms`` per probe point (layer)."""
    points = points or default_points(model)
    with torch.no_grad(), model_mode(model, False), capture(model, points) as acts:
        model(x)
    rows = []
    for name in points:
        h = acts[name].double()
        rows.append(probe_record("residual_variance", float(h.var(unbiased=False)), layer=name))
        rows.append(probe_record("residual_rms", float(h.square().mean().sqrt()), layer=name))
    return rows
