"""Unstructured pruners: an importance score times a scope, registered by name (kind ``pruner``).

A :class:`MaskPruner` computes masks for a model's prunable weights and applies them through
``torch.nn.utils.prune``; weights already pruned keep score ``-inf``, so a pruner called again at a
higher sparsity (gradual and iterative schedules) only removes more, and its masks never keep a
weight already pruned (at a lower sparsity they are the current masks). ``sparsity`` always counts
every prunable weight, pruned before or not. Scores that need data (``taylor``, the
rate-distortion scope) read the first ``calibration`` training examples of ``data``.

    pruner = REGISTRY.create("pruner", "global_magnitude", sparsity=0.9)
    pruner.apply(model)
    sparsity(model)["total"]  # 0.9

For a population (parameters stacked along a leading member dimension) :func:`population_masks`
computes every member's masks at once with ``torch.func.vmap``; member ``i`` gets exactly the
masks of the single model ``i``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Literal

import torch
from torch import nn

from neuralab.compress.prune import scopes, scores
from neuralab.compress.prune.masks import apply_masks, masks_of, prunable_weights, weights_of
from neuralab.compress.prune.rate_distortion import rd_masks
from neuralab.data.dataset import Dataset
from neuralab.errors import NeuralabError
from neuralab.registry import register

Importance = Literal["magnitude", "random", "lamp", "taylor"]
Scope = Literal["global", "layerwise", "erk", "rd"]


@dataclass(frozen=True)
class MaskPruner:
    """Prune to ``sparsity`` by ``importance`` within ``scope``."""

    importance: Importance
    scope: Scope
    sparsity: float
    min_keep: int = 0
    exclude: tuple[str, ...] = ()
    calibration: int = 512
    structured: ClassVar[bool] = False
    needs_data: bool = field(init=False)

    def __post_init__(self) -> None:
        scopes.check_sparsity(self.sparsity)
        object.__setattr__(self, "needs_data", self.importance == "taylor" or self.scope == "rd")

    def masks(self, model: nn.Module, data: Dataset | None = None, *, sparsity: float | None = None,
              seed: int = 0) -> dict[str, torch.Tensor]:
        """The masks at ``sparsity`` (default: the pruner's own) for ``model``'s current weights."""
        target = self.sparsity if sparsity is None else scopes.check_sparsity(sparsity)
        targets = prunable_weights(model, exclude=self.exclude)
        weights = weights_of(targets)
        if self.needs_data and data is None:
            raise NeuralabError(f"{self.importance}/{self.scope} pruning needs data for its scores")
        if self.scope == "rd":
            x = data.x_train[: self.calibration]  # type: ignore[union-attr]
            masks = rd_masks(model, targets, weights, x, target)
            return {k: m & masks_of(targets)[k] for k, m in masks.items()}
        if self.importance == "taylor":
            x, y = data.x_train[: self.calibration], data.y_train[: self.calibration]  # type: ignore[union-attr]
            raw = scores.taylor(model, targets, data.spec, x, y)  # type: ignore[union-attr]
        else:
            raw = importance_scores(self.importance, weights, seed)
        old = masks_of(targets)
        ranked = {k: torch.where(old[k], s.float(), -torch.inf) for k, s in raw.items()}
        masks = allocate(self.scope, ranked, target, self.min_keep)
        return {k: m & old[k] for k, m in masks.items()}  # below the current sparsity: no revival

    def apply(self, model: nn.Module, data: Dataset | None = None, *, sparsity: float | None = None,
              seed: int = 0) -> dict[str, torch.Tensor]:
        """Compute the masks and prune ``model`` in place; returns the masks."""
        masks = self.masks(model, data, sparsity=sparsity, seed=seed)
        apply_masks(model, masks)
        return masks


def importance_scores(importance: str, weights: Mapping[str, torch.Tensor],
                      seed: int = 0) -> dict[str, torch.Tensor]:
    """Data-free scores by name."""
    if importance == "magnitude":
        return scores.magnitude(weights)
    if importance == "random":
        return scores.random(weights, seed)
    if importance == "lamp":
        return scores.lamp(weights)
    raise NeuralabError(f"importance {importance!r} needs data (data-free: magnitude, random, lamp)")


def allocate(scope: str, ranked: Mapping[str, torch.Tensor], sparsity: float,
             min_keep: int = 0) -> dict[str, torch.Tensor]:
    """Masks from scores under a data-free scope."""
    if scope == "global":
        return scopes.global_masks(ranked, sparsity, min_keep=min_keep)
    if scope == "layerwise":
        return scopes.layerwise_masks(ranked, sparsity)
    if scope == "erk":
        return scopes.erk_masks(ranked, sparsity)
    raise NeuralabError(f"scope {scope!r} needs the model (data-free: global, layerwise, erk)")


def population_masks(pruner: MaskPruner, stacked: Mapping[str, torch.Tensor],
                     seeds: Sequence[int] | None = None) -> dict[str, torch.Tensor]:
    """Masks for every member of a population: ``stacked[name]`` is ``(N, *weight shape)``."""
    if pruner.needs_data:
        raise NeuralabError("population pruning supports the data-free pruners only")
    n = next(iter(stacked.values())).shape[0]
    if pruner.importance == "random":
        seeds = list(seeds if seeds is not None else range(n))
        per = [scores.random({k: w[i] for k, w in stacked.items()}, seeds[i]) for i in range(n)]
        raw = {k: torch.stack([p[k] for p in per]) for k in stacked}
    else:
        raw = torch.func.vmap(lambda w: importance_scores(pruner.importance, w))(dict(stacked))
    return torch.func.vmap(
        lambda s: allocate(pruner.scope, s, pruner.sparsity, pruner.min_keep))(raw)


def _pruner(importance: Importance, scope: Scope, sparsity: float, **kw) -> MaskPruner:
    if not 0.0 <= sparsity < 1.0:
        raise ValueError(f"sparsity must be in [0, 1), got {sparsity}")
    return MaskPruner(importance, scope, sparsity, **kw)


@register("pruner", "global_magnitude", aliases=("global_mp",),
          paper="Is Complexity Required for Neural Network Pruning? A Case Study on Global "
          "Magnitude Pruning", arxiv="2209.14624")
def global_magnitude(*, sparsity: float = 0.9, min_keep: int = 0,
                     exclude: tuple[str, ...] = ()) -> MaskPruner:
    """Keep the largest |w| over the whole network (min_keep per layer against layer collapse)."""
    return _pruner("magnitude", "global", sparsity, min_keep=min_keep, exclude=tuple(exclude))


@register("pruner", "layerwise_magnitude", aliases=("uniform_magnitude",),
          paper="Learning both Weights and Connections for Efficient Neural Networks",
          arxiv="1506.02626")
def layerwise_magnitude(*, sparsity: float = 0.9, exclude: tuple[str, ...] = ()) -> MaskPruner:
    """Keep the largest |w| of every layer, the same fraction in each."""
    return _pruner("magnitude", "layerwise", sparsity, exclude=tuple(exclude))


@register("pruner", "random_uniform",
          paper="The Unreasonable Effectiveness of Random Pruning: Return of the Most Naive "
          "Baseline for Sparse Training", arxiv="2202.02643")
def random_uniform(*, sparsity: float = 0.9) -> MaskPruner:
    """Random weights removed, the same fraction in every layer."""
    return _pruner("random", "layerwise", sparsity)


@register("pruner", "random_erk",
          paper="The Unreasonable Effectiveness of Random Pruning: Return of the Most Naive "
          "Baseline for Sparse Training", arxiv="2202.02643")
def random_erk(*, sparsity: float = 0.9) -> MaskPruner:
    """Random weights removed with Erdős–Rényi-Kernel layer ratios (RigL's ERK)."""
    return _pruner("random", "erk", sparsity)


@register("pruner", "lamp", paper="Layer-adaptive Sparsity for the Magnitude-based Pruning",
          arxiv="2010.07611")
def lamp(*, sparsity: float = 0.9) -> MaskPruner:
    """Global threshold on LAMP scores: layer-adaptive magnitude pruning."""
    return _pruner("lamp", "global", sparsity)


@register("pruner", "rd_adaptive", aliases=("rate_distortion",),
          paper="Efficient Joint Optimization of Layer-Adaptive Weight Pruning in Deep Neural "
          "Networks")
def rd_adaptive(*, sparsity: float = 0.9, calibration: int = 512) -> MaskPruner:
    """Per-layer sparsities minimizing summed output distortion (dynamic programming)."""
    return _pruner("magnitude", "rd", sparsity, calibration=calibration)


@register("pruner", "taylor", paper="Importance Estimation for Neural Network Pruning",
          arxiv="1906.10771")
def taylor(*, sparsity: float = 0.9, calibration: int = 512) -> MaskPruner:
    """Global threshold on first-order Taylor scores (w * dL/dw)^2 from a calibration batch."""
    return _pruner("taylor", "global", sparsity, calibration=calibration)
