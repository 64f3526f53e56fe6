"""Importance scores for unstructured pruning: higher means keep.

Each score maps ``{name: weight}`` to ``{name: score}`` of the same shapes; a scope
(:mod:`neuralab.compress.prune.scopes`) then decides how many weights each layer keeps.

- magnitude: ``|w|`` (Han et al., "Learning both Weights and Connections for Efficient Neural
  Networks", arXiv:1506.02626).
- random: i.i.d. uniform scores, seeded per layer (Liu et al., "The Unreasonable Effectiveness of
  Random Pruning", arXiv:2202.02643).
- lamp: with a layer's weights sorted so that ``|w_1| <= ... <= |w_n|``,
  ``score(u) = w_u^2 / sum_{v >= u} w_v^2`` — every layer's largest weight scores 1, so a global
  threshold on LAMP scores never empties a layer (Lee et al., "Layer-adaptive Sparsity for the
  Magnitude-based Pruning", arXiv:2010.07611).
- taylor: ``(w * dL/dw)^2``, the first-order Taylor estimate of the loss change when ``w`` is
  removed (Molchanov et al., "Importance Estimation for Neural Network Pruning",
  arXiv:1906.10771); it needs a batch of data.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn

from neuralab.data.dataset import DataSpec
from neuralab.engine.metrics import loss_fn
from neuralab.seed import derive_seed, generator

Tensors = Mapping[str, torch.Tensor]


def magnitude(weights: Tensors) -> dict[str, torch.Tensor]:
    """``|w|``."""
    return {k: w.abs() for k, w in weights.items()}


def random(weights: Tensors, seed: int = 0) -> dict[str, torch.Tensor]:
    """Uniform random scores; the stream of each layer is ``derive_seed(seed, name)``."""
    return {k: torch.rand(w.shape, generator=generator(derive_seed(seed, "prune", k)))
            for k, w in weights.items()}


def lamp_layer(w: torch.Tensor) -> torch.Tensor:
    """LAMP scores of one layer: ``w_u^2 / sum_{|w_v| >= |w_u|} w_v^2`` (ties broken by order)."""
    sq = w.detach().flatten().square()
    order = torch.argsort(sq)
    sorted_sq = sq[order]
    suffix = sorted_sq.flip(0).cumsum(0).flip(0)  # sum_{v >= u} in sorted order
    ratio = sorted_sq / suffix.clamp_min(torch.finfo(sq.dtype).tiny)
    return torch.zeros_like(sq).scatter(0, order, ratio).view_as(w)


def lamp(weights: Tensors) -> dict[str, torch.Tensor]:
    """LAMP scores of every layer."""
    return {k: lamp_layer(w) for k, w in weights.items()}


def taylor(model: nn.Module, targets: Mapping[str, tuple[nn.Module, str]], spec: DataSpec,
           x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
    """``(w * dL/dw)^2`` on the batch ``(x, y)``; the model's gradients and mode are restored."""
    saved = {k: p.grad for k, p in model.named_parameters()}
    was_training = model.training
    model.eval()
    params = {}
    for key, (module, name) in targets.items():
        params[key] = getattr(module, f"{name}_orig", None)
        if params[key] is None:
            params[key] = getattr(module, name)
    try:
        model.zero_grad(set_to_none=True)
        loss_fn(spec, model(x), y).backward()
        out = {}
        for key, (module, name) in targets.items():
            grad = params[key].grad
            w = getattr(module, name).detach()
            out[key] = (w * grad).square() if grad is not None else torch.zeros_like(w)
        return out
    finally:
        model.train(was_training)
        for k, p in model.named_parameters():
            p.grad = saved[k]
