"""Data pruning: score training examples early in training, keep the informative ones.

Paul, Ganguli & Dziugaite, "Deep Learning on a Data Diet: Finding Important Examples Early in
Training" (arXiv:2107.07075). For a network ``f`` a few epochs into training, an example's

- EL2N score is ``|| softmax(f(x)) - onehot(y) ||_2``, the norm of the error vector;
- GraNd score is ``|| d loss(f(x), y) / d theta ||_2``, the norm of its own loss gradient
  (per-example gradients through ``torch.func.vmap(grad(...))``).

Scores are averaged over several independent initializations (a population of short runs); pruning
keeps the highest-scoring ("hard") fraction, the lowest ("easy") or a random one, and training
continues on :func:`select`'s indices (``fit(..., indices=...)``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call, grad, vmap

from neuralab.compress.finetune import fit
from neuralab.data.dataset import Dataset, DataSpec
from neuralab.engine.metrics import loss_fn
from neuralab.errors import NeuralabError
from neuralab.models.base import build_model
from neuralab.registry import REGISTRY, register
from neuralab.seed import derive_seed, generator

Keep = Literal["hard", "easy", "random"]


@register("data_score", "el2n", arxiv="2107.07075",
          paper="Deep Learning on a Data Diet: Finding Important Examples Early in Training")
@torch.no_grad()
def el2n(model: nn.Module, x: torch.Tensor, y: torch.Tensor, spec: DataSpec) -> torch.Tensor:
    """``(N,)`` EL2N scores: the L2 norm of softmax output minus one-hot label."""
    probs = F.softmax(model.eval()(x), -1)
    return (probs - F.one_hot(y, probs.shape[-1]).to(probs.dtype)).norm(dim=-1)


@register("data_score", "grand", arxiv="2107.07075",
          paper="Deep Learning on a Data Diet: Finding Important Examples Early in Training")
def grand(model: nn.Module, x: torch.Tensor, y: torch.Tensor, spec: DataSpec,
          batch: int = 256) -> torch.Tensor:
    """``(N,)`` GraNd scores: the L2 norm of each example's loss gradient over all parameters."""
    model.eval()
    params = {k: p.detach() for k, p in model.named_parameters()}
    buffers = {k: b.detach() for k, b in model.named_buffers()}

    def one(p: dict[str, torch.Tensor], xi: torch.Tensor, yi: torch.Tensor) -> torch.Tensor:
        out = functional_call(model, (p, buffers), (xi.unsqueeze(0),))
        return loss_fn(spec, out, yi.unsqueeze(0))

    per_example = vmap(grad(one), in_dims=(None, 0, 0))
    norms = []
    for start in range(0, x.shape[0], batch):
        g = per_example(params, x[start:start + batch], y[start:start + batch])
        norms.append(torch.sqrt(sum(t.flatten(1).square().sum(1) for t in g.values())))
    return torch.cat(norms)


def score_examples(data: Dataset, *, score: str = "el2n", model: str = "mlp",
                   model_params: dict[str, Any] | None = None, seeds: Sequence[int] = (0, 1, 2, 3),
                   steps: int = 200, **fit_options: Any) -> torch.Tensor:
    """Each training example's ``score`` after ``steps`` steps, averaged over ``seeds``."""
    if data.spec.task != "classification":
        raise NeuralabError("data pruning scores need a classification task")
    scorer = REGISTRY.get("data_score", score).factory
    total = torch.zeros(data.x_train.shape[0])
    for seed in seeds:
        net = build_model(model, data.spec, model_params, seed=derive_seed(seed, "init"))
        fit(net, data, steps=steps, seed=seed, **fit_options)
        total += scorer(net, data.x_train, data.y_train, data.spec)
    return total / len(seeds)


def select(scores: torch.Tensor, keep_fraction: float, *, keep: Keep = "hard",
           seed: int = 0) -> torch.Tensor:
    """Sorted indices of the examples kept: the highest scores (``hard``), the lowest (``easy``)
    or a random subset of the same size."""
    if not 0.0 < keep_fraction <= 1.0:
        raise NeuralabError(f"keep_fraction must be in (0, 1], got {keep_fraction}")
    n = round(keep_fraction * scores.numel())
    if keep == "hard":
        idx = torch.topk(scores, n).indices
    elif keep == "easy":
        idx = torch.topk(-scores, n).indices
    elif keep == "random":
        idx = torch.randperm(scores.numel(), generator=generator(derive_seed(seed, "subset")))[:n]
    else:
        raise NeuralabError(f"keep must be 'hard', 'easy' or 'random', got {keep!r}")
    return torch.sort(idx).values
