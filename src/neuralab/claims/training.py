"""Train one arm of a claim for one seed with the single-model trainer; return claim records.

Claims describe each arm as config overrides (``["model.name=mlp", "model.depth=30", ...]``).
:func:`train_arm` builds the config with the seed, optionally re-initializes the model (for
initializations that are the experiment itself, e.g. a deliberately poor one), trains it, and
turns the trainer's evaluation log into claim records (``run`` = arm, ``member`` = seed) so that
the report can draw training curves. A run whose loss becomes non-finite stops; it is recorded
with ``diverged = 1`` and its metrics evaluated as they are at that point (possibly non-finite).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from torch import nn

from neuralab.claims.base import Progress, claim_record
from neuralab.config import build_config
from neuralab.engine.metrics import evaluate_splits
from neuralab.engine.trainer import Trainer
from neuralab.seed import derive_seed, seeded

CURVE_METRICS = ("batch_loss", "train_loss", "train_accuracy", "test_loss", "test_accuracy")


def eval_every(steps: int, points: int = 20, minimum: int = 10) -> int:
    """An evaluation interval giving about ``points`` points on a curve (no closer than ``minimum``)."""
    return max(minimum, steps // points)


@dataclass
class ArmRun:
    """The claim records of one trained arm and seed, and its final metrics."""

    records: list[dict[str, Any]]
    final: dict[str, float]
    diverged_at: int | None
    seconds: float


def train_arm(arm: str, seed: int, overrides: Sequence[str], *,
              reinit: Callable[[nn.Module], None] | None = None,
              progress: Progress | None = None) -> ArmRun:
    """Train ``overrides`` + ``seed``; ``reinit(model)`` runs on the built model, seeded from ``seed``."""
    config = build_config(overrides=[*overrides, f"seed={int(seed)}"])
    trainer = Trainer(config, progress="none")
    if reinit is not None:
        with seeded(derive_seed(seed, "init", "reinit")):
            reinit(trainer.model)
    start = time.perf_counter()
    result = trainer.fit()
    seconds = time.perf_counter() - start
    records = [claim_record(arm, seed, r["metric"], r["value"], step=r["step"])
               for r in result.records if r["metric"] in CURVE_METRICS]
    final = dict(result.metrics)
    if result.status == "diverged":
        cfg = config.train
        final = evaluate_splits(trainer.model, trainer.data, cfg.eval_batch_size,
                                cfg.eval_train_examples)
        records += [claim_record(arm, seed, k, v, step=result.step) for k, v in final.items()]
        records.append(claim_record(arm, seed, "diverged", 1.0, step=result.step))
    if progress:
        shown = "  ".join(f"{k} {final[k]:.4g}" for k in CURVE_METRICS if k in final)
        status = f"diverged at step {result.diverged_at}; " if result.diverged_at is not None else ""
        progress(f"{arm} seed {seed}: {status}{shown}  ({seconds:.1f}s)")
    return ArmRun(records, final, result.diverged_at, seconds)
