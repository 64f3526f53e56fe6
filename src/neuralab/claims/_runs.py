"""Shared plumbing of the wave-1 claims: train one configured arm with probes along the way.

Each arm of a claim is a plain :class:`~neuralab.config.RunConfig` (a dict plus dotted overrides)
trained by the single-model :class:`~neuralab.engine.trainer.Trainer`; ``probes`` run at every
evaluation on a fixed batch and their records are relabelled as claim records (``run`` = arm,
``member`` = seed). The char-LM testbed's configuration lives here too, so that every
transformer claim trains the same small model on the same corpus.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch

from neuralab.claims.base import Progress, claim_record
from neuralab.config import build_config
from neuralab.engine.trainer import TrainResult, Trainer
from neuralab.probes.runner import run_probe

ProbeSpec = tuple[str, Mapping[str, Any]]  # (registered probe, hyper-parameters)


def char_lm(*, steps: int, n_layers: int, d_model: int = 64, seq_len: int = 64,
            batch_size: int = 32, max_chars: int = 300_000, lr: float = 3e-3,
            evals: int = 4, **model: Any) -> dict[str, Any]:
    """The char-LM testbed: a causal transformer on the standard library's source code."""
    return {
        "data": {"name": "stdlib_chars", "max_chars": max_chars, "seq_len": seq_len},
        "model": {"name": "transformer", "d_model": d_model, "n_layers": n_layers,
                  "n_heads": 4, **model},
        "optim": {"name": "adamw", "lr": lr, "weight_decay": 0.1},
        "schedule": {"name": "cosine", "warmup": max(1, steps // 10)},
        "train": {"steps": steps, "batch_size": batch_size, "eval_every": max(1, steps // evals),
                  "eval_train_examples": 256, "grad_clip": 1.0},
    }


def train_arm(arm: str, seed: int, config: Mapping[str, Any], *, overrides: Sequence[str] = (),
              probes: Sequence[ProbeSpec] = (), probe_examples: int = 32,
              before: Callable[[Trainer], None] | None = None,
              after: Callable[[Trainer, TrainResult], list[dict[str, Any]]] | None = None,
              progress: Progress | None = None) -> tuple[list[dict[str, Any]], Trainer]:
    """Train one arm for one seed; return its claim records and the finished trainer.

    Records: the trainer's evaluation metrics (``test_loss``, ``train_loss``, accuracies) at each
    evaluation step, the ``probes`` run on the first ``probe_examples`` test examples at every
    evaluation, a final ``diverged`` flag, and whatever ``after(trainer, result)`` returns.
    ``before(trainer)`` runs on the built trainer before training (to remember initial weights).
    """
    cfg = build_config(dict(config), [*overrides, f"seed={int(seed)}"])
    rows: list[dict[str, Any]] = []

    def probe_callback(trainer: Trainer, step: int) -> list[dict[str, Any]]:
        x = trainer.data.x_test[:probe_examples].to(trainer.device)
        y = trainer.data.y_test[:probe_examples].to(trainer.device)
        for name, params in probes:
            for r in run_probe(name, trainer.model, x, y, **params):
                rows.append(claim_record(arm, seed, r["metric"], r["value"], step=step,
                                         layer=r["layer"]))
        return []

    trainer = Trainer(cfg, progress="none", callbacks=[probe_callback] if probes else [])
    if before is not None:
        before(trainer)
    start = time.perf_counter()
    result = trainer.fit()
    for r in result.records:
        if r["layer"] is None and r["metric"] != "lr_factor":
            rows.append(claim_record(arm, seed, r["metric"], r["value"], step=r["step"]))
    rows.append(claim_record(arm, seed, "diverged", float(result.status == "diverged"),
                             step=result.step))
    if after is not None and result.status == "completed":
        rows += after(trainer, result)
    if progress:
        loss = result.metrics.get("test_loss", float("nan"))
        progress(f"{arm} seed {seed}: {result.status}, test loss {loss:.4g} "
                 f"({time.perf_counter() - start:.1f}s)")
    return rows, trainer


@torch.no_grad()
def test_loss(trainer: Trainer, examples: int | None = None) -> float:
    """The trained model's mean test loss (on the first ``examples`` test examples)."""
    from neuralab.engine.metrics import evaluate

    d = trainer.data
    n = examples or d.x_test.shape[0]
    return evaluate(trainer.model, d.spec, d.x_test[:n].to(trainer.device),
                    d.y_test[:n].to(trainer.device))["loss"]
