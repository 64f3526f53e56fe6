"""Data pruning: score training examples early in training, keep the informative ones.

Paul, Ganguli & Dziugaite, "Deep Learning on a Data Diet: Finding Important Examples Early in
Training" (arXiv:2107.07075). For a network ``f`` a few epochs into training, an example's

- EL2N score is ``|| softmax(f(x)) - onehot(y) ||_2``, the norm of the error vector;
- GraNd score is ``|| d loss(f(x), y) / d theta ||_2``, the norm of its own loss gradient
  (per-example gradients through ``torch.func.vmap(grad(...))``).

Scores are averaged over several independent initializations — a population of short runs,
trained together by the population engine; pruning
keeps the highest-scoring ("hard") fraction, the lowest ("easy") or a random one, and training
continues on :func:`select`'s indices (``fit(..., indices=...)``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call, grad, vmap

from neuralab.config import RunConfig
from neuralab.data.dataset import DataSpec, load_dataset
from neuralab.engine.metrics import loss_fn
from neuralab.engine.population import train_population
from neuralab.errors import NeuralabError
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


def score_examples(configs: Sequence[RunConfig], *, score: str = "el2n") -> torch.Tensor:
    """Each training example's ``score``, averaged over the members of ``configs`` — short runs
    that differ in seed, trained together as one population
    (:func:`neuralab.engine.population.train_population`)."""
    scorer = REGISTRY.get("data_score", score).factory
    if not configs:
        raise NeuralabError("data pruning scores need at least one scoring run")
    data = load_dataset(configs[0].data.name, **configs[0].data.params)
    if data.spec.task != "classification":
        raise NeuralabError("data pruning scores need a classification task")
    results = train_population(configs, progress="none")
    diverged = [r.index for r in results if r.status != "completed"]
    if diverged:
        raise NeuralabError(f"scoring runs {diverged} diverged; lower their learning rate")
    total = torch.zeros(data.x_train.shape[0])
    for r in results:
        total += scorer(r.model(), data.x_train, data.y_train, data.spec)
    return total / len(results)


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
