"""Activating-while-Pruning (AP): a share of every pruning round removes negative weights, so
that fewer ReLU outputs are zero (a lower dynamic dead neuron rate).

Liu, Ghosh, Tan & Motani, "AP: Selective Activation for De-sparsifying Pruned Neural Networks"
(arXiv:2212.06145). AP does not rank weights by importance on its own: it works in tandem with a
base pruner. In a round that raises the sparsity from ``s0`` to ``s`` (a fraction of all prunable
weights), the base pruner removes ``(1 - ap_share) (s - s0)`` of them as usual; AP removes the
remaining ``ap_share (s - s0)`` among the surviving weights that are *negative* and moved least
during the round's training::

    score(w) = |w - w_ref|   for surviving w < 0   (the lowest scores are pruned)

where ``w_ref`` are the weights the round's training started from. Removing negative weights
raises pre-activations, so more ReLU units fire: the network is de-sparsified. Should fewer
negative weights survive than AP's share, the smallest surviving positive weights make up the
rest, so the round still ends at exactly ``s``. AP needs ``w_ref``, which only a schedule that
trains between rounds has: :func:`~neuralab.compress.prune.schedules.iterative_pruning` passes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import nn

from neuralab.compress.prune import scopes
from neuralab.compress.prune.masks import apply_masks, masks_of, prunable_weights, weights_of
from neuralab.compress.prune.pruner import MaskPruner
from neuralab.data.dataset import Dataset
from neuralab.errors import NeuralabError
from neuralab.registry import REGISTRY, register


@dataclass(frozen=True)
class ActivatingWhilePruning:
    """``base`` prunes most of each round; AP prunes ``ap_share`` of it among negative weights."""

    base: MaskPruner
    ap_share: float = 0.1
    structured: ClassVar[bool] = False
    needs_reference: ClassVar[bool] = True

    def __post_init__(self) -> None:
        if not 0.0 <= self.ap_share <= 1.0:
            raise NeuralabError(f"ap_share must be in [0, 1], got {self.ap_share}")

    @property
    def sparsity(self) -> float:
        return self.base.sparsity

    @property
    def needs_data(self) -> bool:
        return self.base.needs_data

    def masks(self, model: nn.Module, data: Dataset | None = None, *, sparsity: float | None = None,
              seed: int = 0, reference: Mapping[str, torch.Tensor] | None = None
              ) -> dict[str, torch.Tensor]:
        """The masks at ``sparsity``; ``reference``: the weights this round's training started
        from, keyed like :func:`~neuralab.compress.prune.masks.prunable_weights`."""
        if reference is None:
            raise NeuralabError("ap prunes between rounds of training and needs the weights the "
                                "round started from: use it with the iterative schedule")
        target = self.sparsity if sparsity is None else scopes.check_sparsity(sparsity)
        targets = prunable_weights(model, exclude=self.base.exclude)
        old = masks_of(targets)
        total = sum(m.numel() for m in old.values())
        before = 1.0 - sum(int(m.sum()) for m in old.values()) / total
        step = max(0.0, target - before)
        base = self.base.masks(model, data, sparsity=before + (1.0 - self.ap_share) * step,
                               seed=seed)
        weights = weights_of(targets)
        missing = set(weights) - set(reference)
        if missing:
            raise NeuralabError(f"the reference weights lack {sorted(missing)[:3]}")
        moved = {k: (w - reference[k].to(w)).abs() for k, w in weights.items()}
        ceiling = 1.0 + max(float(m.max()) for m in moved.values())
        scores = {k: torch.where(~base[k], -torch.inf,  # already pruned: stays pruned
                                 torch.where(w < 0, moved[k], ceiling + w.abs()))
                  for k, w in weights.items()}
        return scopes.global_masks(scores, target)

    def apply(self, model: nn.Module, data: Dataset | None = None, *, sparsity: float | None = None,
              seed: int = 0, reference: Mapping[str, torch.Tensor] | None = None
              ) -> dict[str, torch.Tensor]:
        """Compute the masks and prune ``model`` in place; returns the masks."""
        masks = self.masks(model, data, sparsity=sparsity, seed=seed, reference=reference)
        apply_masks(model, masks)
        return masks


@register("pruner", "ap", aliases=("activating_while_pruning",), arxiv="2212.06145",
          paper="AP: Selective Activation for De-sparsifying Pruned Neural Networks")
def ap(*, sparsity: float = 0.9, base: str = "global_magnitude",
       ap_share: float = 0.1) -> ActivatingWhilePruning:
    """A base pruner (by name) with a share of every round removing little-moved negative weights."""
    pruner = REGISTRY.create("pruner", base, sparsity=sparsity)
    if not isinstance(pruner, MaskPruner):
        raise NeuralabError(f"ap works with an unstructured mask pruner, not {base!r}")
    return ActivatingWhilePruning(pruner, ap_share)
