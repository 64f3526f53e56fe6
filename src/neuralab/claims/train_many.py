"""Train many runs for a claim: grouped into populations where they fit, results in config order.

Claims that train many networks of one family (several seeds, several widths) use the population
engine (:mod:`neuralab.engine.population`): runs that may share one pass — same data, model
family and optimizer, differing in seed, optimizer hyper-parameters or MLP/CNN width — are
trained together, the rest in their own populations. Each result reproduces the single-model
trainer's run of its config.
"""

from __future__ import annotations

from collections.abc import Sequence

from neuralab.config import RunConfig
from neuralab.engine.population import MemberResult, train_population
from neuralab.engine.sweep import split_populations


def train_many(configs: Sequence[RunConfig]) -> list[MemberResult]:
    """One :class:`MemberResult` per config, in the order of ``configs``."""
    results: list[MemberResult | None] = [None] * len(configs)
    for group in split_populations(configs):
        for i, result in zip(group, train_population([configs[i] for i in group])):
            results[i] = result
    assert all(r is not None for r in results)
    return results  # type: ignore[return-value]
