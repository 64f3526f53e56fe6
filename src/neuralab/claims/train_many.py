"""Train many runs for a claim: grouped into populations where they fit, results in config order.

Claims that train many networks of one family (several seeds, several widths) use the population
engine (:mod:`neuralab.engine.population`): runs that may share one pass — same data, model
family and optimizer, differing in seed, optimizer hyper-parameters or MLP/CNN width — are
trained together, the rest in their own populations. Each result reproduces the single-model
trainer's run of its config. :func:`trainer_accuracies` trains runs one at a time with the trainer
(for models the population engine does not take, such as batch-norm or graph networks) and
records each one's test accuracy under its arm and seed. Both train on the claim's device
(:func:`~neuralab.claims.training.claim_device`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from neuralab.claims.base import claim_record
from neuralab.claims.training import on_claim_device
from neuralab.config import RunConfig
from neuralab.engine.population import MemberResult, train_population
from neuralab.engine.sweep import split_populations
from neuralab.engine.trainer import train


def train_many(configs: Sequence[RunConfig]) -> list[MemberResult]:
    """One :class:`MemberResult` per config, in the order of ``configs``."""
    configs = [on_claim_device(c) for c in configs]
    results: list[MemberResult | None] = [None] * len(configs)
    for group in split_populations(configs):
        for i, result in zip(group, train_population([configs[i] for i in group], progress="none")):
            results[i] = result
    assert all(r is not None for r in results)
    return results  # type: ignore[return-value]


def trainer_accuracies(runs: Sequence[tuple[str, int, RunConfig]],
                    progress: Callable[[str], None] | None = None) -> list[dict[str, Any]]:
    """Train each ``(arm, seed, config)`` with the trainer: its training-loss curve and one
    ``test_accuracy`` record each."""
    rows = []
    for arm, seed, config in runs:
        result = train(on_claim_device(config), progress="none")
        rows += [claim_record(arm, seed, r["metric"], r["value"], step=r["step"])
                 for r in result.records
                 if r["metric"] in ("batch_loss", "train_loss") and r.get("layer") is None]
        rows.append(claim_record(arm, seed, "test_accuracy",
                                 result.metrics.get("test_accuracy", float("nan"))))
        if progress:
            progress(f"{arm} seed {seed}: {rows[-1]['value']:.4f}")
    return rows
