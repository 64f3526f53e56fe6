"""Learning-rate schedules as pure functions of the step, registered under kind ``"schedule"``.

A schedule maps a step ``t`` (0-based, before the update) to a factor on each parameter group's
base learning rate. Being a pure function of ``t`` keeps resumption trivial (no scheduler state to
save) and lets a population evaluate one schedule per member as a tensor. All share an optional
linear warmup over the first ``warmup`` steps: ``factor = (t + 1) / warmup`` for ``t < warmup``.
With ``T`` the total steps and ``s = t - warmup``, ``S = T - warmup``:

- ``constant``: 1.
- ``cosine`` (Loshchilov & Hutter, "SGDR", arXiv:1608.03983):
  ``min_factor + (1 - min_factor) * (1 + cos(pi * s / S)) / 2`` — torch's ``CosineAnnealingLR``.
- ``step``: ``gamma ** (s // step_size)`` — torch's ``StepLR``.
- ``linear``: ``1 + (end_factor - 1) * s / S`` — torch's ``LinearLR`` from 1 to ``end_factor``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from neuralab.registry import register


@dataclass(frozen=True)
class Schedule:
    """Warmup, then the decay rule of a subclass."""

    total_steps: int
    warmup: int = 0

    def __post_init__(self) -> None:
        if self.total_steps < 1:
            raise ValueError(f"total_steps must be positive, got {self.total_steps}")
        if not 0 <= self.warmup <= self.total_steps:
            raise ValueError(f"warmup must be in [0, total_steps={self.total_steps}], got {self.warmup}")

    def __call__(self, step: int) -> float:
        if step < self.warmup:
            return (step + 1) / self.warmup
        span = max(1, self.total_steps - self.warmup)
        return self.decay(min(step - self.warmup, span), span)

    def decay(self, s: int, span: int) -> float:
        return 1.0


@dataclass(frozen=True)
class Cosine(Schedule):
    min_factor: float = 0.0

    def decay(self, s: int, span: int) -> float:
        return self.min_factor + (1 - self.min_factor) * (1 + math.cos(math.pi * s / span)) / 2


@dataclass(frozen=True)
class Step(Schedule):
    step_size: int = 1000
    gamma: float = 0.1

    def decay(self, s: int, span: int) -> float:
        return self.gamma ** (s // self.step_size)


@dataclass(frozen=True)
class Linear(Schedule):
    end_factor: float = 0.0

    def decay(self, s: int, span: int) -> float:
        return 1.0 + (self.end_factor - 1.0) * s / span


@register("schedule", "constant", aliases=("none",))
def constant(total_steps: int, *, warmup: int = 0) -> Schedule:
    """Constant learning rate (after an optional linear warmup)."""
    return Schedule(total_steps, warmup)


@register("schedule", "cosine", paper="SGDR: Stochastic Gradient Descent with Warm Restarts",
          arxiv="1608.03983")
def cosine(total_steps: int, *, warmup: int = 0, min_factor: float = 0.0) -> Schedule:
    """Cosine decay to `min_factor` of the base rate (after an optional warmup)."""
    return Cosine(total_steps, warmup, min_factor)


@register("schedule", "step")
def step(total_steps: int, *, warmup: int = 0, step_size: int = 1000, gamma: float = 0.1) -> Schedule:
    """Multiply the rate by `gamma` every `step_size` steps (after an optional warmup)."""
    if step_size < 1:
        raise ValueError(f"step_size must be positive, got {step_size}")
    return Step(total_steps, warmup, step_size, gamma)


@register("schedule", "linear")
def linear(total_steps: int, *, warmup: int = 0, end_factor: float = 0.0) -> Schedule:
    """Linear decay from the base rate to `end_factor` of it (after an optional warmup)."""
    return Linear(total_steps, warmup, end_factor)
