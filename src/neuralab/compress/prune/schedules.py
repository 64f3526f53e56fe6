"""When to prune: one shot, gradually during training, or iteratively with weight rewinding.

- Gradual (Zhu & Gupta, "To prune, or not to prune: exploring the efficacy of pruning for model
  compression", arXiv:1710.01878): at steps ``t = t0, t0 + dt, ..., t0 + n dt`` the sparsity is
  raised to ``s_t = s_f + (s_i - s_f) (1 - (t - t0) / (n dt))^3`` — fast at first, slowly at the
  end — and training continues with the masks in place.
- Iterative magnitude pruning with rewinding (Frankle & Carbin, "The Lottery Ticket Hypothesis",
  arXiv:1803.03635; Frankle et al., "Linear Mode Connectivity and the Lottery Ticket Hypothesis",
  arXiv:1912.05671): train, prune a fraction ``p`` of the remaining weights, reset the surviving
  weights to their values at step ``k`` (``k = 0``: the initialization), retrain; after ``R``
  rounds the sparsity is ``1 - (1 - p)^R``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from neuralab.compress.finetune import fit
from neuralab.compress.prune.masks import prunable_weights, weights_of
from neuralab.compress.prune.pruner import MaskPruner
from neuralab.compress.prune.scopes import check_sparsity
from neuralab.data.dataset import Dataset
from neuralab.engine.metrics import evaluate
from neuralab.errors import NeuralabError


def cubic_sparsity(step: int, *, final: float, start: int, end: int, initial: float = 0.0) -> float:
    """Zhu & Gupta's sparsity at ``step`` (``initial`` before ``start``, ``final`` after ``end``)."""
    if end <= start:
        raise NeuralabError(f"gradual pruning needs end > start, got start={start}, end={end}")
    if step <= start:
        return initial
    if step >= end:
        return final
    return final + (initial - final) * (1.0 - (step - start) / (end - start)) ** 3


class GradualPruning:
    """An ``after_step`` callback for :func:`~neuralab.compress.finetune.fit`: every ``every``
    steps from ``start`` to ``end`` (and at ``end``), prune ``model`` to the cubic schedule."""

    def __init__(self, pruner: MaskPruner, model: nn.Module, *, start: int, end: int, every: int,
                 initial: float = 0.0, data: Dataset | None = None, seed: int = 0):
        if every < 1:
            raise NeuralabError(f"gradual pruning needs every >= 1, got {every}")
        self.pruner, self.model, self.data, self.seed = pruner, model, data, seed
        self.start, self.end, self.every, self.initial = start, end, every, initial
        cubic_sparsity(start, final=pruner.sparsity, start=start, end=end)  # validates the window
        self.history: list[tuple[int, float]] = []

    def due(self, step: int) -> bool:
        return step == self.end or (self.start <= step < self.end
                                    and (step - self.start) % self.every == 0)

    def __call__(self, step: int) -> None:
        if not self.due(step):
            return
        s = cubic_sparsity(step, final=self.pruner.sparsity, start=self.start, end=self.end,
                           initial=self.initial)
        if s > 0:
            self.pruner.apply(self.model, self.data, sparsity=s, seed=self.seed)
        self.history.append((step, s))


def rewind(model: nn.Module, state: Mapping[str, torch.Tensor]) -> None:
    """Copy a saved state into ``model``; pruned weights take it in ``<name>_orig`` and their
    masks stay as they are now."""
    current = model.state_dict()
    with torch.no_grad():
        for key, value in state.items():
            if key.endswith("_mask"):
                continue
            target = key if key in current else f"{key}_orig"
            if target not in current:
                raise NeuralabError(f"cannot rewind: the model has no tensor {key!r}")
            current[target].copy_(value)


@dataclass
class LotteryResult:
    """What iterative magnitude pruning found: the masks and each round's sparsity/accuracy."""

    masks: dict[str, torch.Tensor]
    rewind_state: dict[str, torch.Tensor]
    rounds: list[dict[str, float]] = field(default_factory=list)


def iterative_pruning(model: nn.Module, data: Dataset, pruner: MaskPruner, *, rounds: int,
                      steps: int, rewind_step: int = 0, seed: int = 0, pretrained: bool = False,
                      fit_options: Mapping[str, Any] | None = None,
                      on_round: Callable[[int, nn.Module], None] | None = None) -> LotteryResult:
    """Train ``model`` (from its current weights) for ``steps``, then ``rounds`` times: prune to
    ``1 - (1 - pruner.sparsity)^(r / rounds)``, rewind the survivors to step ``rewind_step`` and
    retrain for ``steps - rewind_step`` steps. ``model`` ends pruned and trained.

    ``pretrained``: ``model`` is already trained — skip the first training and rewind to its
    current weights (``rewind_step`` must be 0). A pruner with ``needs_reference`` (AP) is also
    given the weights each round's training started from. ``on_round(r, model)`` sees the trained
    dense model as round 0 and the pruned, retrained model after every round ``r``."""
    check_sparsity(pruner.sparsity)
    if rounds < 1 or not 0 <= rewind_step < steps:
        raise NeuralabError(f"need rounds >= 1 and 0 <= rewind_step < steps, got rounds={rounds}, "
                            f"rewind_step={rewind_step}, steps={steps}")
    options = dict(fit_options or {})
    saved: dict[str, torch.Tensor] = {}

    def keep(step: int) -> None:
        if step == rewind_step:
            saved.update({k: v.detach().clone() for k, v in model.state_dict().items()})

    if pretrained and rewind_step:
        raise NeuralabError("a pretrained model can only be rewound to its own weights (step 0)")
    def starting_weights() -> dict[str, torch.Tensor]:  # copies: training changes the weights
        return {k: w.clone() for k, w in weights_of(prunable_weights(model)).items()}

    needs_reference = getattr(pruner, "needs_reference", False)
    keep(0)
    started = starting_weights() if needs_reference else {}
    if not pretrained:
        fit(model, data, steps=steps, seed=seed, after_step=keep, **options)
    result = LotteryResult(masks={}, rewind_state=saved)
    if on_round is not None:
        on_round(0, model)
    for r in range(1, rounds + 1):
        target = 1.0 - (1.0 - pruner.sparsity) ** (r / rounds)
        extra = {"reference": started} if needs_reference else {}
        result.masks = pruner.apply(model, data, sparsity=target, seed=seed, **extra)
        rewind(model, saved)
        if needs_reference:
            started = starting_weights()
        fit(model, data, steps=steps - rewind_step, seed=seed, **options)
        acc = evaluate(model, data.spec, data.x_test, data.y_test).get("accuracy", float("nan"))
        result.rounds.append({"round": r, "sparsity": target, "test_accuracy": acc})
        if on_round is not None:
            on_round(r, model)
    return result
