"""Losses, accuracy and evaluation for every task, and the tidy record format.

Every measurement neuralab makes is a *record*: a flat dict
``{"run", "member", "step", "layer", "metric", "value"}`` (``layer`` is None for whole-model
metrics; ``member`` is 0 for single runs). One plotting and reporting layer serves them all.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from neuralab.atomic import atomic_write_text
from neuralab.data.batching import eval_batches
from neuralab.data.dataset import IGNORE_INDEX, DataSpec, Dataset

RECORD_KEYS = ("run", "member", "step", "layer", "metric", "value")


def record(run: str | None, step: int, metric: str, value: float, *, member: int = 0,
           layer: str | None = None) -> dict[str, Any]:
    """One tidy record."""
    return {"run": run, "member": member, "step": int(step), "layer": layer, "metric": metric,
            "value": float(value)}


def loss_fn(spec: DataSpec, outputs: torch.Tensor, targets: torch.Tensor,
            reduction: str = "mean") -> torch.Tensor:
    """Cross-entropy for classification and sequence tasks, mean squared error for regression."""
    if spec.task == "regression":
        return F.mse_loss(outputs, targets, reduction=reduction)
    if spec.task == "sequence":
        return F.cross_entropy(outputs.reshape(-1, outputs.shape[-1]), targets.reshape(-1),
                               ignore_index=IGNORE_INDEX, reduction=reduction)
    return F.cross_entropy(outputs, targets, reduction=reduction)


def correct_count(spec: DataSpec, outputs: torch.Tensor, targets: torch.Tensor) -> tuple[int, int]:
    """(number correct, number counted); (0, 0) for regression."""
    if spec.task == "regression":
        return 0, 0
    pred = outputs.argmax(-1)
    if spec.task == "sequence":
        mask = targets != IGNORE_INDEX
        return int((pred[mask] == targets[mask]).sum()), int(mask.sum())
    return int((pred == targets).sum()), int(targets.numel())


@torch.no_grad()
def evaluate(model: nn.Module, spec: DataSpec, x: torch.Tensor, y: torch.Tensor,
             batch_size: int = 1024) -> dict[str, float]:
    """Mean loss (and accuracy, except for regression) of ``model`` on ``(x, y)`` in eval mode."""
    was_training = model.training
    model.eval()
    total_loss, n_loss, correct, counted = 0.0, 0, 0, 0
    try:
        for sl in eval_batches(x.shape[0], batch_size):
            out = model(x[sl])
            yb = y[sl]
            total_loss += float(loss_fn(spec, out, yb, reduction="sum"))
            n_loss += _loss_count(spec, out, yb)
            c, n = correct_count(spec, out, yb)
            correct, counted = correct + c, counted + n
    finally:
        model.train(was_training)
    metrics = {"loss": total_loss / max(1, n_loss)}
    if spec.task != "regression":
        metrics["accuracy"] = correct / max(1, counted)
    return metrics


@torch.no_grad()
def correct_mask(model: nn.Module, spec: DataSpec, x: torch.Tensor, y: torch.Tensor,
                 batch_size: int = 1024) -> torch.Tensor:
    """``(examples,)`` bool: which examples of a classification set ``model`` gets right (eval
    mode), for paired comparisons of two models on one test set."""
    if spec.task != "classification":
        raise ValueError(f"correct_mask needs a classification task, got {spec.task!r}")
    was_training = model.training
    model.eval()
    try:
        return torch.cat([model(x[sl]).argmax(-1) == y[sl]
                          for sl in eval_batches(x.shape[0], batch_size)])
    finally:
        model.train(was_training)


def _loss_count(spec: DataSpec, outputs: torch.Tensor, targets: torch.Tensor) -> int:
    if spec.task == "sequence":
        return int((targets != IGNORE_INDEX).sum())
    if spec.task == "regression":
        return outputs.numel()
    return int(targets.shape[0])


HEADLINE_METRICS = ("test_accuracy", "test_loss")


def headline_metric(metrics: Sequence[Mapping[str, Any]]) -> str:
    """The metric that tables of sweep members and progress bars lead with: test accuracy when
    some of ``metrics`` has it, else test loss."""
    return next((m for m in HEADLINE_METRICS if any(m in x for x in metrics)), HEADLINE_METRICS[-1])


def evaluate_splits(model: nn.Module, data: Dataset, batch_size: int,
                    train_examples: int) -> dict[str, float]:
    """``train_*`` metrics on the first ``train_examples`` training examples and ``test_*`` ones."""
    out = {}
    if train_examples > 0:
        n = min(train_examples, data.x_train.shape[0])
        for k, v in evaluate(model, data.spec, data.x_train[:n], data.y_train[:n], batch_size).items():
            out[f"train_{k}"] = v
    for k, v in evaluate(model, data.spec, data.x_test, data.y_test, batch_size).items():
        out[f"test_{k}"] = v
    return out


class RecordLog:
    """Tidy records appended to a JSON-lines file (and kept in memory); a ``sink`` (such as
    :class:`~neuralab.engine.tensorboard.TensorBoardSink`) also receives every new record."""

    def __init__(self, path: str | Path | None = None, sink: Any = None):
        self.path = Path(path) if path else None
        self.sink = sink
        self.rows: list[dict[str, Any]] = []
        if self.path and self.path.exists():
            self.rows = list(read_records(self.path))

    def extend(self, rows: Iterable[dict[str, Any]]) -> None:
        rows = list(rows)
        self.rows.extend(rows)
        if self.path:
            with self.path.open("a", encoding="utf-8") as fh:
                for r in rows:
                    fh.write(json.dumps(_finite(r)) + "\n")
                fh.flush()
        if self.sink is not None:
            self.sink.write(rows)

    def truncate_after(self, step: int) -> None:
        """Drop records after ``step`` (when resuming from a checkpoint), rewriting atomically."""
        self.rows = [r for r in self.rows if r["step"] <= step]
        if self.path:
            atomic_write_text(self.path, "".join(json.dumps(_finite(r)) + "\n" for r in self.rows))


def _finite(row: dict[str, Any]) -> dict[str, Any]:
    v = row.get("value")
    if isinstance(v, float) and not math.isfinite(v):
        return {**row, "value": str(v)}
    return row


def read_records(path: str | Path) -> Iterator[dict[str, Any]]:
    """Records from a JSON-lines file; a torn last line (a killed writer) is skipped."""
    path = Path(path)
    if not path.exists():
        return
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if not line:
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(row.get("value"), str):
                row["value"] = float(row["value"])
            yield row


def latest(rows: Iterable[dict[str, Any]], metric: str, member: int = 0) -> float | None:
    """The value of ``metric`` at the highest step (None if absent)."""
    best = None
    for r in rows:
        if r["metric"] == metric and r.get("member", 0) == member and r.get("layer") is None:
            if best is None or r["step"] >= best["step"]:
                best = r
    return None if best is None else best["value"]
