"""Per-layer gradient norms: how strongly the loss's gradient reaches each part of a network.

For every probe point ``l`` (a block, the stem, the head) with parameters ``theta_l``::

    grad_norm_l = || d L / d theta_l ||_2        (over all of the point's parameters)

Comparing these across depth shows vanishing or exploding gradients and how uniform training
signal is — the measurement of Mix-LN (Li et al., arXiv:2412.13795: Pre-LN gives small gradients
to deep layers, Post-LN to early ones) and a standard diagnostic since Glorot & Bengio (2010).
The loss is cross-entropy for integer targets (classification, sequence; ``-100`` ignored) and
mean squared error for real targets. Gradients are taken with ``torch.autograd.grad``, so the
parameters' ``.grad`` fields are left untouched; the model runs in evaluation mode unless
``training=True`` (dropout on), and its modes are restored.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from neuralab.data.dataset import IGNORE_INDEX
from neuralab.probes.hooks import model_mode, probe_modules
from neuralab.probes.runner import probe_record
from neuralab.registry import register


def task_loss(outputs: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Cross-entropy for integer targets (per position for sequences), MSE for real targets."""
    if y.is_floating_point():
        return F.mse_loss(outputs, y)
    return F.cross_entropy(outputs.reshape(-1, outputs.shape[-1]), y.reshape(-1),
                           ignore_index=IGNORE_INDEX)


def point_parameters(model: nn.Module,
                     points: Iterable[str] | None = None) -> dict[str, list[nn.Parameter]]:
    """``{probe point: its trainable parameters}`` (points without parameters are left out)."""
    out = {}
    for name, module in probe_modules(model, points).items():
        params = [p for p in module.parameters() if p.requires_grad]
        if params:
            out[name] = params
    return out


@register("probe", "gradient_norms", summary="L2 norm of the loss gradient per probe point",
          paper="Mix-LN: Unleashing the Power of Deeper Layers by Combining Pre-LN and Post-LN",
          arxiv="2412.13795")
def gradient_norms(model: nn.Module, x: torch.Tensor, y: torch.Tensor | None, *,
                   points: list[str] | None = None, training: bool = False) -> list[dict[str, Any]]:
    """Records ``grad_norm`` (layer = probe point) of the task loss on ``(x, y)``."""
    if y is None:
        raise ValueError("gradient_norms needs targets y")
    groups = point_parameters(model, points)
    flat = [p for ps in groups.values() for p in ps]
    with model_mode(model, training):
        loss = task_loss(model(x), y)
        grads = torch.autograd.grad(loss, flat, allow_unused=True)
    rows, i = [], 0
    for name, ps in groups.items():
        gs = [g for g in grads[i:i + len(ps)] if g is not None]
        i += len(ps)
        norm = torch.sqrt(sum(g.square().sum() for g in gs)) if gs else torch.tensor(0.0)
        rows.append(probe_record("grad_norm", float(norm), layer=name))
    return rows
