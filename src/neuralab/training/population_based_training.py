"""Population Based Training (PBT) on the population engine.

Jaderberg et al., "Population Based Training of Neural Networks" (arXiv:1711.09846). ``N`` members
train in parallel (here: one :class:`~neuralab.engine.population.Population`, one pass for all).
Every ``ready_every`` steps each member is scored on a validation set, and

- **exploit** (truncation selection): each member in the bottom ``truncation`` fraction copies
  the weights, optimizer state and hyper-parameters of a member drawn uniformly from the top
  ``truncation`` fraction;
- **explore** (perturbation): the copied hyper-parameters (learning rate, weight decay) are each
  multiplied by a factor drawn uniformly from ``perturb`` (0.8 or 1.2).

Hyper-parameters thus follow *schedules* discovered during a single training run. Each member's
lineage (the hyper-parameter history it inherited) is kept, so the schedule behind the final best
member can be read back. All random choices come from ``seed``; a diverged member (frozen by the
population engine) ranks last and is revived by the copy.

It trains a population described by run configs (not one model), so it is a class rather than a
registered ``method``; the ``population_based_training`` claim runs it.

    pbt = PopulationBasedTraining(configs, ready_every=250, validation=(x_val, y_val))
    result = pbt.fit()
    result.best, result.schedules[result.best]
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from neuralab.config import RunConfig
from neuralab.engine.metrics import record
from neuralab.engine.population import Population
from neuralab.seed import generator

HYPER = ("lr", "weight_decay")


@dataclass
class PBTResult:
    """Validation scores, the best member and every member's hyper-parameter schedule."""

    scores: list[float]
    best: int
    schedules: list[list[tuple[int, dict[str, float]]]]
    records: list[dict[str, Any]] = field(default_factory=list)
    population: Population | None = None


class PopulationBasedTraining:
    """Exploit and explore a population's hyper-parameters while it trains."""

    def __init__(self, configs: Sequence[RunConfig], *, ready_every: int,
                 validation: tuple[torch.Tensor, torch.Tensor], metric: str = "accuracy",
                 truncation: float = 0.25, perturb: tuple[float, float] = (0.8, 1.2),
                 exploit: bool = True, seed: int = 0, kernel: str = "auto"):
        if not 0 < truncation <= 0.5:
            raise ValueError(f"truncation must be in (0, 0.5], got {truncation}")
        self.population = Population(configs, kernel=kernel)
        self.ready_every, self.validation, self.metric = ready_every, validation, metric
        self.truncation, self.perturb, self.exploit = truncation, perturb, exploit
        self.generator = generator(seed)
        self.schedules: list[list[tuple[int, dict[str, float]]]] = [
            [(0, self.hyper(i))] for i in range(self.population.n)]
        self.records: list[dict[str, Any]] = []

    # -- hyper-parameters of one member ---------------------------------------------------------
    def hyper(self, i: int) -> dict[str, float]:
        opt = self.population.optimizer
        return {"lr": opt.lr[i], "weight_decay": opt.values["weight_decay"][i]}

    def set_hyper(self, i: int, values: dict[str, float]) -> None:
        self.population.optimizer.set_member(i, lr=values["lr"], weight_decay=values["weight_decay"])

    # -- one exploit/explore round ----------------------------------------------------------------
    def scores(self) -> list[float]:
        pop = self.population
        pop.check_divergence()  # which members diverged, up to this step
        x, y = self.validation
        values = pop.evaluate_split(x, y, pop.train_settings.eval_batch_size)[self.metric].tolist()
        sign = 1.0 if self.metric == "accuracy" else -1.0  # higher is better
        active = pop.active_flags
        return [sign * v if active[i] and math.isfinite(v) else -math.inf
                for i, v in enumerate(values)]

    @torch.no_grad()
    def copy_member(self, source: int, target: int) -> None:
        pop = self.population
        for name, p in pop.params.items():
            p[target] = p[source]
            for value in pop.optimizer.state[name].values():
                value[target] = value[source]
        for b in pop.buffers.values():
            if b.dim() > 0 and b.shape[0] == pop.n:
                b[target] = b[source]
        pop.reactivate(target)

    def ready(self) -> None:
        pop = self.population
        scores = self.scores()
        step = pop.step  # after the divergence check, which may have replayed the last steps
        for i, s in enumerate(scores):
            self.records.append(record("pbt", step, f"val_{self.metric}", s if self.metric == "accuracy"
                                       else -s, member=i))
        if not self.exploit:
            return
        order = sorted(range(pop.n), key=lambda i: scores[i])  # worst first
        k = max(1, int(round(self.truncation * pop.n)))
        bottom, top = order[:k], order[-k:]
        for target in bottom:
            source = top[int(torch.randint(len(top), (1,), generator=self.generator))]
            self.copy_member(source, target)
            values = {}
            for key, value in self.hyper(source).items():
                factor = self.perturb[int(torch.randint(2, (1,), generator=self.generator))]
                values[key] = value * factor
            self.set_hyper(target, values)
            self.schedules[target] = copy.deepcopy(self.schedules[source]) + [(step, values)]
            self.records.append(record("pbt", step, "exploit_source", source, member=target))

    def fit(self) -> PBTResult:
        """Train to ``train.steps``, exploiting and exploring every ``ready_every`` steps."""
        pop = self.population
        total = pop.train_settings.steps
        while pop.step < total and pop._n_active:
            pop.train_step()
            if pop.step % self.ready_every == 0 and pop.step < total:
                self.ready()
        final = self.scores()
        best = max(range(pop.n), key=lambda i: final[i])
        for i in range(pop.n):
            for step, values in self.schedules[i]:
                for key, value in values.items():
                    self.records.append(record("pbt", step, f"schedule_{key}", value, member=i))
        return PBTResult(final, best, self.schedules, self.records, pop)
