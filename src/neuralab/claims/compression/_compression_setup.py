"""What the compression claims share: their data, seeded models, training (with its batch-loss
curve, the records the convergence preconditions judge), the loop over seeds and test accuracy."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import torch
from torch import nn

from neuralab.claims.base import (Progress, Verdict, accuracy_se, by_seed, claim_record, decide,
                                  discordant_se, mean_std, paired_differences)
from neuralab.compress.finetune import fit
from neuralab.compress.prune import iterative_pruning
from neuralab.data.dataset import Dataset, load_dataset
from neuralab.engine.metrics import correct_mask, evaluate, loss_fn
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


def test_size(data: Dataset, seed: int) -> dict[str, Any]:
    """The record of the test set's size (arm ``data``), which :func:`gap_verdict` reads."""
    return claim_record("data", seed, "test_examples", data.x_test.shape[0])


class PairedScores:
    """The test accuracy of each arm of one seed, scored from its per-example correctness, and
    for every pair of arms the examples only one of them gets right (McNemar's discordant
    counts, arm ``data``, metric ``only_right:A|B``), from which :func:`test_set_se` takes the
    paired test-set error of an accuracy difference."""

    def __init__(self, data: Dataset, seed: int) -> None:
        self.data, self.seed = data, seed
        self.correct: dict[str, torch.Tensor] = {}

    def record(self, arm: str, model: nn.Module) -> dict[str, Any]:
        """``arm``'s ``test_accuracy`` record (its correctness kept for the pairs)."""
        d = self.data
        self.correct[arm] = correct_mask(model, d.spec, d.x_test, d.y_test)
        return claim_record(arm, self.seed, "test_accuracy",
                            float(self.correct[arm].double().mean()))

    def discordance(self) -> list[dict[str, Any]]:
        """``only_right:A|B`` for every ordered pair of the arms scored so far."""
        return [claim_record("data", self.seed, f"only_right:{a}|{b}",
                             float((self.correct[a] & ~self.correct[b]).sum()))
                for a, b in itertools.permutations(self.correct, 2)]


def test_set_se(records: Iterable[Mapping[str, Any]], *arms: str,
                metric: str = "test_accuracy") -> float:
    """The sampling error the fixed test set adds to a sum or difference of the ``arms``' mean
    accuracies: for a difference of two arms scored by :class:`PairedScores`, the paired
    :func:`~neuralab.claims.base.discordant_se` from their discordant counts; otherwise the
    independent-arms :func:`~neuralab.claims.base.accuracy_se` (its size from the
    :func:`test_size` record; 0 when there is none)."""
    rows = list(records)
    sizes = by_seed(rows, "data", "test_examples")
    if not sizes:
        return 0.0
    n = int(min(sizes.values()))
    if len(arms) == 2 and metric == "test_accuracy":
        a, b = arms
        only_a = by_seed(rows, "data", f"only_right:{a}|{b}")
        only_b = by_seed(rows, "data", f"only_right:{b}|{a}")
        seeds = set(by_seed(rows, a, metric)) & set(by_seed(rows, b, metric))
        if seeds and seeds <= set(only_a) & set(only_b):
            return discordant_se({s: (only_a[s], only_b[s]) for s in seeds}, n)
    acc = [mean_std(by_seed(rows, arm, metric).values())[0] for arm in arms]
    if not all(0 <= a <= 1 for a in acc):
        return 0.0
    return accuracy_se(n, *acc)


def gap_verdict(records: Iterable[Mapping[str, Any]], a: str, b: str, threshold: float,
                measure: str, metric: str = "test_accuracy", **options: Any) -> Verdict:
    """:func:`~neuralab.claims.base.decide` on ``metric(a) - metric(b)`` per seed, with the
    sampling error of the fixed test set (:func:`test_set_se`)."""
    rows = list(records)
    return decide(arm_gap(rows, a, b, metric), threshold, measure,
                  sampling_se=test_set_se(rows, a, b, metric=metric), **options)


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


def iterative_logged(model: nn.Module, data: Dataset, pruner: Any, *, rounds: int, steps: int,
                     rewind_step: int, seed: int, arm: str,
                     on_round: Callable[[int, nn.Module], None] | None = None) -> tuple[Any, list]:
    """:func:`~neuralab.compress.prune.iterative_pruning`, returning its result and the
    ``batch_loss`` records of ``arm``'s last round of retraining (the model that is measured)."""
    curve = LossCurve(data, steps - rewind_step)

    def round_done(r: int, pruned: nn.Module) -> None:
        if on_round is not None:
            on_round(r, pruned)
        if r < rounds:
            curve.reset()

    result = iterative_pruning(model, data, pruner, rounds=rounds, steps=steps,
                               rewind_step=rewind_step, seed=seed, fit_options={"loss": curve},
                               on_round=round_done)
    return result, curve.records(arm, seed)


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


