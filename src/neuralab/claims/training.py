"""Train one arm of a claim for one seed with the single-model trainer; return claim records.

Each arm of a claim is a plain :class:`~neuralab.config.RunConfig` (a dict plus dotted overrides,
``["model.name=mlp", "model.depth=30", ...]``) trained by the single-model
:class:`~neuralab.engine.trainer.Trainer`. :func:`train_arm` adds the seed, optionally
re-initializes the model (for initializations that are the experiment itself, e.g. a deliberately
poor one), runs ``probes`` at every evaluation on a fixed batch, and turns the trainer's evaluation
log into claim records (``run`` = arm, ``member`` = seed) so that the report can draw training
curves. A run whose loss becomes non-finite stops and is recorded with ``diverged = 1``.
:func:`member_records` gives the same records for a population member (runs trained together by
:func:`neuralab.claims.train_many.train_many`).

A claim runs on one device (:func:`claim_device`, set by the runner from ``--device``): every run
made through :func:`train_arm`, :func:`~neuralab.claims.train_many.train_many` and
:func:`~neuralab.claims.train_many.trainer_accuracies` trains there (``train.device``).

The char-LM testbed's configuration (:func:`char_lm`) lives here too, so that every transformer
claim trains the same small model on the same corpus.
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from neuralab.claims.base import Progress, claim_record
from neuralab.config import RunConfig, build_config
from neuralab.data.dataset import load_dataset
from neuralab.engine.metrics import evaluate, evaluate_splits
from neuralab.engine.trainer import TrainResult, Trainer
from neuralab.probes.runner import run_probe
from neuralab.seed import derive_seed, seeded

if TYPE_CHECKING:
    from neuralab.engine.population import MemberResult

ProbeSpec = tuple[str, Mapping[str, Any]]  # (registered probe, hyper-parameters)
SHOWN_METRICS = ("batch_loss", "train_loss", "train_accuracy", "test_loss", "test_accuracy")
_DEVICE: contextvars.ContextVar[str] = contextvars.ContextVar("claim_device", default="cpu")


@contextlib.contextmanager
def claim_device(device: str) -> Iterator[None]:
    """Train the claim runs made inside this block on ``device`` (a ``train.device`` value)."""
    token = _DEVICE.set(device)
    try:
        yield
    finally:
        _DEVICE.reset(token)


def on_claim_device(config: RunConfig) -> RunConfig:
    """``config`` with ``train.device`` set to the device of :func:`claim_device` (cpu outside)."""
    return config.on_device(_DEVICE.get())


def eval_every(steps: int, points: int = 20, minimum: int = 10) -> int:
    """An evaluation interval giving about ``points`` points on a curve (no closer than ``minimum``)."""
    return max(minimum, steps // points)


def loss_curve(result: TrainResult | MemberResult, arm: str, seed: int,
               metric: str = "batch_loss") -> list[dict[str, Any]]:
    """The claim records of a run's (or a population member's) training-loss curve, one per
    evaluation (train with
    ``train.eval_every`` = :func:`eval_every` for a curve the precondition
    :func:`~neuralab.claims.base.training_converged` can judge)."""
    return [claim_record(arm, seed, metric, r["value"], step=r["step"]) for r in result.records
            if r["metric"] == metric and r.get("layer") is None]


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


@dataclass
class ArmRun:
    """The claim records of one trained arm and seed, its final metrics and the finished trainer."""

    records: list[dict[str, Any]]
    final: dict[str, float]
    diverged_at: int | None
    seconds: float
    trainer: Trainer


def train_arm(arm: str, seed: int, config: Mapping[str, Any] | None = None, *,
              overrides: Sequence[str] = (), probes: Sequence[ProbeSpec] = (),
              probe_examples: int = 32,
              reinit: Callable[[nn.Module], None] | None = None,
              before: Callable[[Trainer], None] | None = None,
              after: Callable[[Trainer, TrainResult], list[dict[str, Any]]] | None = None,
              evaluate_diverged: bool = False,
              progress: Progress | None = None) -> ArmRun:
    """Train one arm (``config`` + ``overrides`` + ``seed``) and return its claim records.

    Records: the trainer's evaluation metrics (losses, accuracies) at each evaluation step, the
    ``probes`` run on the first ``probe_examples`` test examples at every evaluation, a final
    ``diverged`` flag, and whatever ``after(trainer, result)`` returns for a completed run.
    ``reinit(model)`` runs on the built model, seeded from ``seed``; ``before(trainer)`` runs on
    the built trainer before training (to remember initial weights). With ``evaluate_diverged``
    a diverged model is evaluated where it stopped and those metrics are its final ones;
    otherwise its last evaluation before the divergence stands.
    """
    cfg = on_claim_device(build_config(dict(config or {}), [*overrides, f"seed={int(seed)}"]))
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
    if reinit is not None:
        with seeded(derive_seed(seed, "init", "reinit")):
            reinit(trainer.model)
    if before is not None:
        before(trainer)
    start = time.perf_counter()
    result = trainer.fit()
    seconds = time.perf_counter() - start
    for r in result.records:
        if r["layer"] is None and r["metric"] not in ("lr_factor", "diverged"):
            rows.append(claim_record(arm, seed, r["metric"], r["value"], step=r["step"]))
    final = dict(result.metrics)
    if result.status == "diverged" and evaluate_diverged:
        train_cfg = cfg.train
        final = evaluate_splits(trainer.model, trainer._device_data(), train_cfg.eval_batch_size,
                                train_cfg.eval_train_examples)  # the data on the model's device
        rows += [claim_record(arm, seed, k, v, step=result.step) for k, v in final.items()]
    rows.append(claim_record(arm, seed, "diverged", float(result.status == "diverged"),
                             step=result.step))
    if after is not None and result.status == "completed":
        rows += after(trainer, result)
    if progress:
        shown = "  ".join(f"{k} {final[k]:.4g}" for k in SHOWN_METRICS if k in final)
        status = (f"diverged at step {result.diverged_at}; "
                  if result.diverged_at is not None else "")
        progress(f"{arm} seed {seed}: {status}{shown}  ({seconds:.1f}s)")
    return ArmRun(rows, final, result.diverged_at, seconds, trainer)


def member_records(result: MemberResult, arm: str, seed: int, *,
                   evaluate_diverged: bool = False) -> list[dict[str, Any]]:
    """The claim records :func:`train_arm` gives for a run, from a population member's result.

    Its evaluation metrics at each evaluation step, then (``evaluate_diverged``) a diverged
    member's metrics evaluated on its weights where it stopped, then the ``diverged`` flag: the
    rows of the trainer's run of the member's config (which the member reproduces).
    """
    rows = [claim_record(arm, seed, r["metric"], r["value"], step=r["step"]) for r in result.records
            if r.get("layer") is None and r["metric"] not in ("lr_factor", "diverged")]
    diverged = result.status == "diverged"
    if diverged and evaluate_diverged:
        cfg = result.config
        data = load_dataset(cfg.data.name, **cfg.data.params)
        final = evaluate_splits(result.model(), data, cfg.train.eval_batch_size,
                                cfg.train.eval_train_examples)
        rows += [claim_record(arm, seed, k, v, step=result.step) for k, v in final.items()]
    rows.append(claim_record(arm, seed, "diverged", float(diverged), step=result.step))
    return rows


def train_arms(arms: Mapping[str, Sequence[str]], seeds: Sequence[int],
               common: Sequence[str] = (), *, progress: Progress | None = None
               ) -> list[dict[str, Any]]:
    """Train every arm (``common`` then the arm's own overrides) for every seed, seed by seed;
    return all their claim records."""
    return [r for seed in seeds for arm, own in arms.items()
            for r in train_arm(arm, seed, overrides=[*common, *own], progress=progress).records]


@torch.no_grad()
def test_loss(trainer: Trainer, examples: int | None = None) -> float:
    """The trained model's mean test loss (on the first ``examples`` test examples)."""
    d = trainer.data
    n = examples or d.x_test.shape[0]
    return evaluate(trainer.model, d.spec, d.x_test[:n].to(trainer.device),
                    d.y_test[:n].to(trainer.device))["loss"]
