"""What the compression claims share: their data, seeded models, training (with its batch-loss
curve, the records the convergence preconditions judge), the loop over seeds and test accuracy."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import torch
from torch import nn

from neuralab.claims.base import Progress, by_seed, claim_record, flat_tail, paired_differences
from neuralab.compress.finetune import fit
from neuralab.data.dataset import Dataset, load_dataset
from neuralab.engine.metrics import evaluate, loss_fn
from neuralab.models.base import build_model
from neuralab.seed import derive_seed


F = TypeVar("F", bound=Callable[..., Any])


def single_threaded(run: F) -> F:
    """Run with one torch thread (restored afterwards). These networks are small: a second
    thread buys little on an idle machine and costs a great deal on a shared one, where
    OpenMP threads wait on each other."""

    @functools.wraps(run)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return run(*args, **kwargs)
        finally:
            torch.set_num_threads(threads)

    return wrapper  # type: ignore[return-value]


def claim_data(budget: Mapping[str, Any]) -> Dataset:
    """MNIST-1D with ``budget["samples"]`` examples (the paper's 5000 by default)."""
    return load_dataset("mnist1d", num_samples=int(budget.get("samples", 5000)))


def seeded_model(name: str, data: Dataset, params: Mapping[str, Any], seed: int, *names: Any) -> nn.Module:
    """``name`` built with an init stream derived from ``seed`` (and ``names``)."""
    return build_model(name, data.spec, dict(params), seed=derive_seed(seed, "init", *names))


def test_accuracy(model: nn.Module, data: Dataset) -> float:
    return float(evaluate(model, data.spec, data.x_test, data.y_test)["accuracy"])


def arm_gap(records: Iterable[Mapping[str, Any]], a: str, b: str,
            metric: str = "test_accuracy") -> dict[int, float]:
    """``{seed: metric(a) - metric(b)}`` between two arms of a claim."""
    rows = list(records)
    return paired_differences(by_seed(rows, a, metric), by_seed(rows, b, metric))


def train(model: nn.Module, data: Dataset, steps: int, seed: int, lr: float = 1e-3,
          **options: Any) -> nn.Module:
    """Adam at a constant rate, batches of 128, data order and dropout from ``seed``."""
    return fit(model, data, steps=steps, lr=lr, seed=seed, **options)


LOSS_POINTS = 20  # batch-loss points recorded over a training


class LossCurve:
    """A training loss for :func:`~neuralab.compress.finetune.fit` that also keeps its curve: the
    mean batch loss over each of ``points`` equal windows of ``steps`` (the window mean, so that
    one noisy batch does not decide a convergence check). ``loss`` is the objective (default: the
    task loss); the value returned to the optimizer is unchanged. :meth:`reset` starts a new
    curve (e.g. for each round of iterative pruning, whose last round is the one judged)."""

    def __init__(self, data: Dataset, steps: int, loss: Callable[..., torch.Tensor] | None = None,
                 points: int = LOSS_POINTS) -> None:
        self.spec, self.loss = data.spec, loss
        self.every = max(1, steps // points)
        self.reset()

    def reset(self) -> None:
        self.points: list[tuple[int, float]] = []
        self._step, self._sum, self._n = 0, 0.0, 0

    def __call__(self, out: torch.Tensor, y: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
        value = self.loss(out, y, idx) if self.loss is not None else loss_fn(self.spec, out, y)
        self._step += 1
        self._sum += float(value.detach())
        self._n += 1
        if self._n == self.every:
            self.points.append((self._step, self._sum / self._n))
            self._sum, self._n = 0.0, 0
        return value

    def records(self, arm: str, seed: int) -> list[dict[str, Any]]:
        return [claim_record(arm, seed, "batch_loss", v, step=s) for s, v in self.points]


def train_logged(model: nn.Module, data: Dataset, steps: int, seed: int, arm: str,
                 lr: float = 1e-3, loss: Callable[..., torch.Tensor] | None = None,
                 **options: Any) -> list[dict[str, Any]]:
    """:func:`train`, returning the ``batch_loss`` records of ``arm`` (see :class:`LossCurve`)."""
    curve = LossCurve(data, steps, loss)
    train(model, data, steps, seed, lr=lr, loss=curve, **options)
    return curve.records(arm, seed)


def over_seeds(seeds: Iterable[int], one_seed: Callable[[int], list[dict[str, Any]]],
               progress: Progress | None = None,
               say: Callable[[int, list[dict[str, Any]]], str] | None = None) -> list[dict[str, Any]]:
    """The records of ``one_seed(seed)`` for every seed, with a progress line after each (``say``
    words it from that seed's records; default "seed N done")."""
    rows: list[dict[str, Any]] = []
    for seed in seeds:
        mine = one_seed(seed)
        rows += mine
        if progress:
            progress(say(seed, mine) if say else f"seed {seed} done")
    return rows


def first_unconverged(records: Iterable[Mapping[str, Any]], arms: Iterable[str] | None = None,
                      **options: Any) -> str | None:
    """:func:`~neuralab.claims.base.flat_tail` of every arm (default: every arm with a
    ``batch_loss`` curve); None when all are flat, else the first failure."""
    rows = list(records)
    names = arms if arms is not None else sorted({r["run"] for r in rows
                                                   if r["metric"] == "batch_loss"})
    names = list(names)
    if not names:
        return "no batch_loss curve recorded"
    for arm in names:
        failed = flat_tail(rows, arm, **options)
        if failed:
            return failed
    return None
