"""Layer-wise relevance propagation (LRP) of units, the criterion of "Pruning by Explaining".

Yeom et al., "Pruning by Explaining: A Novel Criterion for Deep Neural Network Pruning"
(arXiv:1912.08881); rules from Montavon et al., "Layer-Wise Relevance Propagation: An Overview"
(2019). The output relevance is the logit of the true class; it is passed back layer by layer,
for a layer ``z_k = sum_j a_j w_jk (+ b_k)`` by

    epsilon rule:  R_j = a_j sum_k w_jk R_k / (z_k + eps sign(z_k))
    z+ rule:       R_j = a_j sum_k w+_jk R_k / sum_j a_j w+_jk      (w+ = max(w, 0), no bias)

through ReLUs unchanged, and through reshapes and pooling by the same ratio rule. Each rule is
computed with autograd: ``s = R / z``, ``c = d(z . s)/da``, ``R_prev = a * c``. A unit's relevance
is the sum of its relevance over the batch (and positions): the units with the least are pruned.

Supported: :class:`~neuralab.models.mlp.MLP` and :class:`~neuralab.models.cnn.ConvNet` with ReLU
activations and no normalization or batch norm (folded first).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from neuralab.compress.reparam.bn_fold import fold_batchnorm
from neuralab.errors import NeuralabError

Rule = Literal["epsilon", "zplus"]


def _check(model: nn.Module) -> nn.Module:
    from neuralab.models.cnn import ConvNet
    from neuralab.models.mlp import MLP

    if not isinstance(model, (MLP, ConvNet)) or getattr(model, "embed", None) is not None:
        raise NeuralabError("relevance (LRP) supports the mlp and cnn models on real inputs, "
                            f"not {type(model).__name__}")
    folded = fold_batchnorm(model)
    for block in folded.blocks:
        if not isinstance(block.norm, nn.Identity) or not isinstance(block.act, nn.ReLU):
            raise NeuralabError("relevance (LRP) needs ReLU blocks with norm 'none' or 'batch'")
    return folded


def _layer_fn(layer: nn.Module, rule: Rule) -> Callable[[torch.Tensor], torch.Tensor]:
    if rule == "epsilon":
        return layer
    w = layer.weight.clamp_min(0)
    if isinstance(layer, nn.Linear):
        return lambda a: F.linear(a, w)
    return lambda a: layer._conv_forward(a, w, None)


def _propagate(fn: Callable[[torch.Tensor], torch.Tensor], a: torch.Tensor, relevance: torch.Tensor,
               eps: float) -> torch.Tensor:
    a = a.detach().requires_grad_(True)
    z = fn(a)
    z = z + eps * torch.where(z >= 0, 1.0, -1.0)
    s = (relevance / z).detach()
    (c,) = torch.autograd.grad((z * s).sum(), a)
    return (a * c).detach()


def _pool(model: nn.Module, a: torch.Tensor) -> torch.Tensor:
    """A ConvNet's map-to-features step (flatten, or mean / max over positions)."""
    if model.pool == "flatten":
        return a.flatten(1)
    spatial = tuple(range(2, a.dim()))
    return a.mean(spatial) if model.pool == "mean" else a.amax(spatial)


def relevance_maps(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, rule: Rule = "zplus",
                   eps: float = 1e-6) -> list[torch.Tensor]:
    """Relevance at the input and at the output of every block: ``[R_input, R_block0, ...]``,
    each shaped like the corresponding activation; the head uses the epsilon rule."""
    folded = _check(model)
    is_cnn = hasattr(folded, "pool")
    with torch.no_grad():
        h = (x.unsqueeze(1) if folded.unsqueeze else x) if is_cnn else x.flatten(1)
        acts = [h]
        for block in folded.blocks:
            h = block(h)  # (B, units) or (B, C, *S)
            acts.append(h)
        features = _pool(folded, h) if is_cnn else h
        logits = folded.head(features)
    relevance = logits * F.one_hot(y, logits.shape[-1]).to(logits.dtype)
    relevance = _propagate(folded.head, features, relevance, eps)
    if is_cnn:
        relevance = _propagate(lambda a: _pool(folded, a), acts[-1], relevance, eps)
    maps = [relevance]
    for i in range(len(folded.blocks) - 1, -1, -1):
        block = folded.blocks[i]
        layer = block.conv if is_cnn else block.linear
        relevance = _propagate(_layer_fn(layer, rule), acts[i], relevance, eps)
        maps.append(relevance)
    return maps[::-1]


def unit_relevance(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, rule: Rule = "zplus",
                   eps: float = 1e-6) -> list[torch.Tensor]:
    """Per block, the summed relevance of each of its output units (channels): ``(units,)``."""
    maps = relevance_maps(model, x, y, rule=rule, eps=eps)[1:]
    return [m.sum(0) if m.dim() == 2 else m.transpose(0, 1).flatten(1).sum(1) for m in maps]
